//go:build !linux && !darwin

package sorter

import "io/fs"

// fileStamp: see stamp_linux.go. Elsewhere (Windows, the BSDs) only size and modification time, which Go reads
// the same way everywhere.
func fileStamp(info fs.FileInfo) stamp {
	return stamp{Size: info.Size(), ModTime: info.ModTime().UnixNano()}
}
