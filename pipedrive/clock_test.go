package pipedrive_test

import (
	"time"

	"github.com/e97b4d80/pipedrive-remote-files/pipedrive/pipedrivetest"
)

// newFakeClock returns a clock that records the waits the client asks for and advances
// time instead of sleeping.
func newFakeClock() *pipedrivetest.Clock {
	return pipedrivetest.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
}
