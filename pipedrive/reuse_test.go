package pipedrive_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// Answers are read into buffers that later calls reuse: nothing a call returns, a file
// or an error, may refer to one. Later answers of other lengths and contents, read
// plainly, leniently or as errors, leave what earlier calls returned as it was.
func TestAnswersOutliveTheReadBuffer(t *testing.T) {
	t.Parallel()
	errBody := errorEnvelope("Item not found", "the first answer")
	lenient := strings.Replace(benchBody, `"file_size":0`, `"file_size":"0"`, 1) // read leniently
	other := errorEnvelope(strings.Repeat("x", 3000), strings.Repeat("y", 3000))
	api := newFakeAPI(t, inTurn(
		replyJSON(404, errBody),
		replyJSON(200, benchBody),
		replyJSON(200, lenient),
		replyJSON(400, other),
		replyJSON(200, strings.Replace(benchBody, "Proposal for John Doe", strings.Repeat("z", 21), -1)),
	))
	c := newClient(t, api.baseURL())

	_, err := createDoc(t.Context(), c)
	var apiErr *pipedrive.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	text := err.Error()
	first, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	plainCopy := *first
	second, err := createDoc(t.Context(), c)
	require.NoError(t, err)
	lenientCopy := *second

	for range 50 {
		_, _ = createDoc(t.Context(), c)
	}
	assert.Equal(t, errBody, string(apiErr.Body))
	assert.Equal(t, "Item not found", apiErr.Message)
	assert.Equal(t, "the first answer", apiErr.Info)
	assert.Equal(t, text, apiErr.Error())
	assert.Equal(t, plainCopy, *first)
	assert.Equal(t, "Proposal for John Doe", first.Name)
	assert.Equal(t, lenientCopy, *second)
	assert.Equal(t, "Proposal for John Doe", second.Name)
}
