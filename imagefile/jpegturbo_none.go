//go:build !((linux || darwin || windows) && (amd64 || arm64)) || noturbojpeg

package imagefile

import (
	"errors"
	"runtime"
)

// Builds for other platforms, and those with -tags noturbojpeg (for example a fully static Linux
// binary: purego makes a CGO_ENABLED=0 binary link libc dynamically), decode JPEGs with Go's image/jpeg.
var turbojpegCandidates []string

var errNoTurboBuild = errors.New(noTurboReason())

func noTurboReason() string {
	switch runtime.GOOS + "/" + runtime.GOARCH {
	case "linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64":
		return "built with -tags noturbojpeg"
	}
	return "libturbojpeg is not loaded on " + runtime.GOOS + "/" + runtime.GOARCH
}

func openLibrary(string) (uintptr, error) { return 0, errNoTurboBuild }

func bindTurboJPEG(uintptr) (*turboJPEG, error) { return nil, errNoTurboBuild }

func libraryPath(_ uintptr, name string) string { return name }
