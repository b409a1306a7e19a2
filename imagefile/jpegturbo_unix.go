//go:build (linux || darwin) && (amd64 || arm64) && !noturbojpeg

package imagefile

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ebitengine/purego"
)

// turbojpegCandidates are the names libturbojpeg is looked for under, in order. On Linux the dynamic
// loader's own search (ld.so.cache, LD_LIBRARY_PATH) finds it; macOS's dlopen would also look in the
// current directory for a bare name, so only full paths are tried there (Homebrew's jpeg-turbo is
// keg-only: its lib directory is not linked into /opt/homebrew/lib unless the user links it).
var turbojpegCandidates = func() []string {
	if runtime.GOOS == "darwin" {
		return []string{
			"/opt/homebrew/opt/jpeg-turbo/lib/libturbojpeg.dylib", // Homebrew, Apple silicon
			"/opt/homebrew/lib/libturbojpeg.dylib",
			"/usr/local/opt/jpeg-turbo/lib/libturbojpeg.dylib", // Homebrew, Intel
			"/usr/local/lib/libturbojpeg.dylib",
			"/opt/local/lib/libturbojpeg.dylib", // MacPorts
		}
	}
	return []string{"libturbojpeg.so.0", "libturbojpeg.so"} // Debian/Ubuntu libturbojpeg0, Fedora turbojpeg
}()

func openLibrary(name string) (uintptr, error) {
	return purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_LOCAL)
}

func librarySymbol(handle uintptr, name string) (uintptr, error) {
	return purego.Dlsym(handle, name)
}

// libraryPath is the file the library was loaded from: a full path as given, or on Linux the
// mapping of a file named like it in /proc/self/maps.
func libraryPath(_ uintptr, name string) string {
	if filepath.IsAbs(name) || runtime.GOOS != "linux" {
		return name
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return name
	}
	defer f.Close()
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)) // libturbojpeg.so.0 -> libturbojpeg.so
	base = strings.TrimSuffix(base, ".so")
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if i := strings.IndexByte(line, '/'); i >= 0 && strings.HasPrefix(filepath.Base(line[i:]), base+".") {
			return line[i:]
		}
	}
	return name
}
