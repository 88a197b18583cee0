//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package bulk

import (
	"fmt"
	"os"
	"runtime"
)

// lockFile refuses where this package knows no file lock: running without one would let
// two runs of one plan send every row twice.
func lockFile(*os.File) error {
	return fmt.Errorf("no file locking on %s: bulk runs are not supported here", runtime.GOOS)
}
