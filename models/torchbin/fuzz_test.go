package torchbin

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to Open (minus os.Open) and reads every tensor it accepts: no input may panic,
// hang or make it allocate without bound. The seed corpus is every .bin fixture plus two small built files; it
// runs as a normal test without -fuzz.
func FuzzOpen(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join(fixtures, "pickles", "*.bin"))
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, filepath.Join(fixtures, "clip-tiny-bin", "pytorch_model.bin"))
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Small inputs the fuzzer can mutate quickly: a zip with odd strides and a legacy file with a storage view.
	f.Add(stridedCheckpoint(false))
	f.Add(legacyFile(true, 10, "100"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Read from memory: Open adds only os.Open and Stat, and a file per input would make the fuzzer wait on
		// the disk.
		file, err := newFile(bytes.NewReader(data), int64(len(data)), "pytorch_model.bin")
		if err != nil {
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("bad error message %q", msg)
			}
			return
		}
		defer file.Close()
		for _, name := range file.Names() {
			n, big := 1, false
			for _, d := range file.Shape(name) {
				if d < 0 {
					t.Fatalf("%s: shape %v", name, file.Shape(name))
				}
				if d > 0 && n > (1<<20)/d {
					big = true // more than a fuzz iteration should allocate
				}
				n *= d
			}
			if big {
				continue
			}
			switch file.DType(name) {
			case "F32", "F16", "BF16", "F64":
				_ = file.ReadFloat32(name, make([]float32, n))
			case "I64", "I32":
				_, _, _ = file.Int64(name)
			case "I16", "I8", "U8", "BOOL":
				if file.ReadFloat32(name, make([]float32, n)) == nil {
					t.Errorf("%s: ReadFloat32 of %s succeeded", name, file.DType(name))
				}
			default:
				t.Errorf("%s: dtype %q", name, file.DType(name))
			}
		}
	})
}

// FuzzPickle runs the pickle machine alone on arbitrary bytes (a zip's CRC would hide most mutations of data.pkl
// from FuzzOpen). Seeds: the data.pkl of every zip fixture and the pickles of TestProtocol4-like state dicts.
func FuzzPickle(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join(fixtures, "pickles", "*.bin"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range append(seeds, filepath.Join(fixtures, "clip-tiny-bin", "pytorch_model.bin")) {
		zr, err := zip.OpenReader(path)
		if err != nil {
			continue // legacy or truncated: not a zip
		}
		for _, zf := range zr.File {
			if strings.HasSuffix(zf.Name, "/data.pkl") {
				rc, err := zf.Open()
				if err != nil {
					f.Fatal(err)
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					f.Fatal(err)
				}
				f.Add(data)
			}
		}
		zr.Close()
	}
	f.Add(newPickle().op(opEmptyDict).str("w").tensor("FloatStorage", "0", 6, 1, []int{2, 2}, []int{1, 2}).op(opSetItem).stop())
	f.Fuzz(func(t *testing.T, data []byte) {
		table := newStorageTable()
		m := newMachine(newPickleInput(bytes.NewReader(data), 0, int64(len(data))), "data.pkl",
			func(pid any) (any, error) { return table.persistentID(pid, len(data)%2 == 1) })
		v, err := m.run()
		if err != nil {
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("bad error message %q", msg)
			}
			return
		}
		tensors, err := stateDict(v, "data.pkl")
		if err != nil {
			return
		}
		for _, tn := range tensors {
			_ = tn.checkExtent()
			_ = tn.contiguous()
		}
	})
}
