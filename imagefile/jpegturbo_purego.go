//go:build (linux || darwin || windows) && (amd64 || arm64) && !noturbojpeg

package imagefile

import (
	"fmt"

	"github.com/ebitengine/purego"
)

// bindTurboJPEG looks up the TurboJPEG 2.0 functions decoding needs (TurboJPEG 3 keeps them).
func bindTurboJPEG(handle uintptr) (lib *turboJPEG, err error) {
	defer func() {
		if p := recover(); p != nil { // purego refuses a function type it cannot call
			lib, err = nil, fmt.Errorf("%v", p)
		}
	}()
	lib = &turboJPEG{}
	for _, fn := range []struct {
		name string
		ptr  any
	}{
		{"tjInitDecompress", &lib.initDecompress},
		{"tjDecompressHeader3", &lib.decompressHeader3},
		{"tjDecompress2", &lib.decompress2},
		{"tjGetErrorStr2", &lib.getErrorStr2},
		{"tjGetErrorCode", &lib.getErrorCode},
		{"tjDestroy", &lib.destroy},
	} {
		addr, err := librarySymbol(handle, fn.name)
		if err != nil || addr == 0 {
			return nil, fmt.Errorf("no %s (TurboJPEG 2.0 or later is needed)", fn.name)
		}
		purego.RegisterFunc(fn.ptr, addr)
	}
	return lib, nil
}
