package sorter

import (
	"io/fs"
	"syscall"
)

// fileStamp reads what tells a file changed without reading it: size, modification time, inode and change
// time (ctime cannot be set back by a program, so a file rewritten with its old size and mtime still shows).
func fileStamp(info fs.FileInfo) stamp {
	s := stamp{Size: info.Size(), ModTime: info.ModTime().UnixNano()}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		s.Inode = uint64(st.Ino)
		s.ChangeTime = st.Ctim.Nano()
	}
	return s
}
