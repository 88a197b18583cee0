//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package bulk

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes flock(2)'s exclusive lock on f without waiting. The lock goes with the
// open file: closing it, or the process ending in any way, releases it.
func lockFile(f *os.File) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return errLocked
	}
	return err
}
