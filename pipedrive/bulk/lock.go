package bulk

import (
	"errors"
	"fmt"
	"os"
)

// errLocked is lockFile's answer when another holder has the lock.
var errLocked = errors.New("locked by another holder")

// ErrInputInUse matches LockInput's error when another run holds the input.
var ErrInputInUse = errors.New("bulk: the input is in use by another run")

// LockInput takes an exclusive advisory lock on the plan's input file, so that two runs
// of one input cannot go at once whatever journals they are given: each would send rows
// the other is sending. The lock does not stop anyone reading or writing the file. It is
// held until unlock, or until the process ends in any way. A lock held elsewhere fails
// with ErrInputInUse at once.
func LockInput(path string) (unlock func() error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bulk: locking the input: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("%w: %s is being run by another bulk run: wait for it to end", ErrInputInUse, path)
		}
		return nil, fmt.Errorf("bulk: locking the input %s: %w", path, err)
	}
	return f.Close, nil
}
