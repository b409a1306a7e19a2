//go:build windows && (amd64 || arm64) && !noturbojpeg

package imagefile

import (
	"path/filepath"
	"syscall"
	"unsafe"
)

// turbojpegCandidates: libjpeg-turbo's Windows installers put turbojpeg.dll in C:\libjpeg-turbo64\bin;
// a bare name is looked for next to the executable and in the system directories, never in the
// current directory or PATH (LOAD_LIBRARY_SEARCH_DEFAULT_DIRS), so a folder of downloaded images
// cannot supply a DLL.
var turbojpegCandidates = []string{"turbojpeg.dll", `C:\libjpeg-turbo64\bin\turbojpeg.dll`}

const (
	loadWithAlteredSearchPath    = 0x00000008
	loadLibrarySearchDefaultDirs = 0x00001000
)

var (
	kernel32           = syscall.NewLazyDLL("kernel32.dll")
	procLoadLibraryExW = kernel32.NewProc("LoadLibraryExW")
	procGetModuleFileW = kernel32.NewProc("GetModuleFileNameW")
)

func openLibrary(name string) (uintptr, error) {
	p, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	flags := uintptr(loadLibrarySearchDefaultDirs)
	if filepath.IsAbs(name) {
		flags = loadWithAlteredSearchPath // its own directory is searched for what it depends on
	}
	h, _, callErr := procLoadLibraryExW.Call(uintptr(unsafe.Pointer(p)), 0, flags)
	if h == 0 {
		return 0, &syscall.DLLError{Err: callErr, ObjName: name, Msg: "cannot load " + name + ": " + callErr.Error()}
	}
	return h, nil
}

func librarySymbol(handle uintptr, name string) (uintptr, error) {
	return syscall.GetProcAddress(syscall.Handle(handle), name)
}

func libraryPath(handle uintptr, name string) string {
	buf := make([]uint16, syscall.MAX_LONG_PATH)
	n, _, _ := procGetModuleFileW.Call(handle, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	if n == 0 || int(n) >= len(buf) {
		return name
	}
	return syscall.UTF16ToString(buf[:n])
}
