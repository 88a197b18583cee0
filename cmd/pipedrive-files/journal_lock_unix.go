//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockJournal takes an exclusive lock on the open journal, so that two runs on one
// journal (the same command started twice) cannot both send its rows. The lock goes with
// the file: closing it, or the process ending in any way, releases it.
func lockJournal(f *os.File, path string) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return &journalError{fmt.Sprintf("journal %s is in use by another run of this command: wait for it to end, or give another --journal", path)}
	}
	if err != nil {
		return fmt.Errorf("locking the journal: %w", err)
	}
	return nil
}
