package bulk

import (
	"time"
)

// Journal keeps the progress of a plan's rows, so that a run can go on where an earlier
// one stopped. FileJournal is the shipped implementation; implement Journal to keep the
// state elsewhere (a database, say). A Runner calls Load once, in New, then Append and End
// from many goroutines: an implementation must be safe for concurrent use.
type Journal interface {
	// Load calls fn with every record an earlier run appended, oldest first, and returns
	// the time of the newest record of any kind, End's included (zero when there is
	// none). A Journal that cannot be trusted (damaged, or another plan's) returns an
	// error and the Runner sends nothing.
	Load(fn func(Record)) (last time.Time, err error)
	// Append adds a record. It returns only once the record is durable: the request the
	// record announces is sent after it returns, so a crash in between must not lose it.
	Append(Record) error
	// End records that a run ended at the given time: no request of that run is sent
	// after it. The next run's wait for requests still on their way counts from the
	// newest record, which this is.
	End(at time.Time) error
}

// Record is one change of one row's state.
type Record struct {
	Row    RowID
	Line   int // the row's Line, for people
	Status Status
	// At is when: for Sending, the moment the row was about to be sent, which a look for
	// a lost create counts from.
	At     time.Time
	How    How    // for Done
	FileID int64  // for Done
	HTTP   int    // the HTTP status of a failure, when there was one
	Err    string // why the row failed, was not sent, or is unknown
}
