package bulk

import (
	"fmt"
	"time"
)

// Status is where a row stands.
type Status uint8

// The statuses a row goes through. A row with no record is NotStarted.
const (
	NotStarted Status = iota // no run has started it
	Sending                  // about to be sent: whether it took effect is not known yet
	Done                     // the file is on the item (State.FileID)
	Failed                   // Pipedrive refused the row itself, for good (a 400, a 404 of the item)
	Unknown                  // sent, and whether it took effect could not be found out yet
	NotSent                  // not carried out and safe to send again (a 429, a 401, a 5xx, no connection)
)

var statusNames = [...]string{"not_started", "sending", "done", "failed", "unknown", "not_sent"}

// String is the status as the journal writes it: "done", "not_sent", ...
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// MarshalText writes String.
func (s Status) MarshalText() ([]byte, error) {
	if int(s) >= len(statusNames) {
		return nil, fmt.Errorf("bulk: unknown status %d", uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads what MarshalText writes.
func (s *Status) UnmarshalText(b []byte) error {
	for i, name := range statusNames {
		if string(b) == name {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown state %q", b)
}

// pending reports whether a row in this status may have been sent without its outcome
// being known: it is looked for on its item before it is sent again.
func (s Status) pending() bool { return s == Sending || s == Unknown }

// How says how a Done row got done.
type How uint8

// The ways a row gets done.
const (
	HowNone       How = iota // not done
	Created                  // this row's create made the file
	Linked                   // this row's link linked the file
	AlreadyLinked            // the file was linked to the item before the row ran: nothing was sent
	Found                    // a send whose answer was lost did take effect: the file was found on the item
	Deleted                  // a Delete row's file was deleted
	AlreadyGone              // a Delete row's file was deleted already: nothing was sent, or Pipedrive answered 404
)

var howNames = [...]string{"", "created", "linked", "already_linked", "found", "deleted", "already_gone"}

// String is the way as the journal writes it: "created", "already_linked", ...; "" for HowNone.
func (h How) String() string {
	if int(h) < len(howNames) {
		return howNames[h]
	}
	return fmt.Sprintf("How(%d)", uint8(h))
}

// MarshalText writes String.
func (h How) MarshalText() ([]byte, error) {
	if int(h) >= len(howNames) {
		return nil, fmt.Errorf("bulk: unknown how %d", uint8(h))
	}
	return []byte(h.String()), nil
}

// UnmarshalText reads what MarshalText writes.
func (h *How) UnmarshalText(b []byte) error {
	for i, name := range howNames {
		if string(b) == name {
			*h = How(i)
			return nil
		}
	}
	return fmt.Errorf("unknown how %q", b)
}

// State is what is known about a row.
type State struct {
	Status Status
	How    How       // for Done
	FileID int64     // for Done: the file on the item
	Since  time.Time // when the row was last about to be sent; what a look for a lost create counts from
	HTTP   int       // the HTTP status of a failure, when there was one
	Err    string    // why the row failed, was not sent, or is unknown (no secrets: package pipedrive keeps them out)
	// Earlier says the state was recorded by an earlier run: this run has not touched
	// the row (yet).
	Earlier bool
}
