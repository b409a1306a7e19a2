//go:build unix

package sorter

import (
	"os"
	"syscall"
)

// killSelf ends the process as kill -9 would.
func killSelf() { syscall.Kill(os.Getpid(), syscall.SIGKILL) }

func deviceOf(info os.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev)
	}
	return 0
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }
