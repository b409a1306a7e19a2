//go:build goexperiment.simd && amd64

package similarity

func useSIMDKernelsIfAny() (restore func(), ok bool) { return useSIMDKernels() }
