package pipedrive

import (
	"encoding/json"
	"fmt"
	"time"
)

// remoteFileFields is File without its methods, so that encoding/json handles
// every field but the two times by their tags.
type remoteFileFields File

// remoteFileJSON is the wire form: the times as Pipedrive's strings. Its AddTime and
// UpdateTime, being shallower than the embedded ones with the same JSON names, take
// their place.
type remoteFileJSON struct {
	remoteFileFields
	AddTime    *string `json:"add_time"`
	UpdateTime *string `json:"update_time"`
}

// MarshalJSON writes f with Pipedrive's field names, and AddTime and UpdateTime as
// "YYYY-MM-DD HH:MM:SS" in UTC, Pipedrive's own format (fractions of a second are
// dropped), or null when zero.
func (f File) MarshalJSON() ([]byte, error) {
	return json.Marshal(remoteFileJSON{
		remoteFileFields: remoteFileFields(f),
		AddTime:          formatTime(f.AddTime),
		UpdateTime:       formatTime(f.UpdateTime),
	})
}

// UnmarshalJSON reads what MarshalJSON writes, which is also the "data" object of
// Pipedrive's answers, exactly as the client reads those answers: add_time and
// update_time may be "YYYY-MM-DD HH:MM:SS" (UTC) or RFC 3339, and a field that is null,
// missing or of another type or layout is left zero. Only a value that is not a JSON
// object is an error; null leaves f as it is, as encoding/json does.
func (f *File) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	file, err := readFile(b)
	if err != nil {
		return fmt.Errorf("pipedrive: File: the value %w", err)
	}
	*f = file
	return nil
}

func formatTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(timeLayout)
	return &s
}
