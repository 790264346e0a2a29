package sqlite

import (
	"os"
	"syscall"
)

// datasync flushes f's data (and the size, which reading it back needs) to
// disk, as SQLite does with fdatasync: the log's other metadata (times)
// need not be synced.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
