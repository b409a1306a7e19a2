package sorter

import (
	"io/fs"
	"syscall"
)

// fileStamp: see stamp_linux.go. macOS names the change time Ctimespec.
func fileStamp(info fs.FileInfo) stamp {
	s := stamp{Size: info.Size(), ModTime: info.ModTime().UnixNano()}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		s.Inode = uint64(st.Ino)
		s.ChangeTime = st.Ctimespec.Nano()
	}
	return s
}
