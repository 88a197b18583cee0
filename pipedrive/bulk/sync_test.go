package bulk

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive"
)

// syncSpy stands for the disk: it records how much of the journal file was synced.
type syncSpy struct {
	mu     sync.Mutex
	synced int64 // the file's size at the latest sync
	syncs  int
}

func (s *syncSpy) sync(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.synced, s.syncs = info.Size(), s.syncs+1
	return f.Sync()
}

func (s *syncSpy) size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced
}

// Every request is announced by a record that is on disk before the request is sent: a
// crash right after sending must leave the row Sending, for the next run to look for.
// A journal that skipped its sync fails this test.
func TestRecordsAreSyncedBeforeTheirRequest(t *testing.T) {
	t.Parallel()
	fx := setup(t, create(2, 1, "A"), link(3, pipedrive.Deal(2), driveID(1)), create(4, 3, "B"))
	spy := &syncSpy{}
	checked := 0
	fx.files.fault = func(_ int, item pipedrive.Item) (bool, error) {
		data, err := os.ReadFile(fx.journal)
		require.NoError(t, err)
		// The newest record, the one announcing this request, must end within the synced part.
		last := bytes.LastIndex(data[:len(data)-1], []byte("\n")) + 1
		assert.Contains(t, string(data[last:]), `"state":"sending"`)
		assert.LessOrEqual(t, int64(len(data)), spy.size(), "the sending record of item %d was not synced before its request", item.ID)
		checked++
		return true, nil
	}
	j, err := OpenJournal(fx.journal, Header{Input: "/plans/plan.csv"})
	require.NoError(t, err)
	defer j.Close()
	j.sync = spy.sync
	r, err := New(fx.files, j, Slice(fx.plan), Options{Workers: 1, Clock: fx.clock})
	require.NoError(t, err)
	require.NoError(t, r.Run(context.Background()))
	assert.Equal(t, 3, checked)
	assert.Equal(t, 7, spy.syncs, "sending and done for each row, and the end")
	data, err := os.ReadFile(fx.journal)
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), spy.size(), "the end record is synced too")
}
