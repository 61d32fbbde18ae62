package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// gzZeroImages returns a gzip-compressed IDX images file of n all-zero
// images of 28×28, written in pieces so that the test never holds the
// uncompressed content.
func gzZeroImages(t *testing.T, n int32) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(idxImages(n, 28, 28, nil))
	zero := make([]byte, 28*28*1000)
	for left := int(n) * 28 * 28; left > 0; left -= len(zero) {
		zw.Write(zero[:min(left, len(zero))])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// heapGrowth returns how many bytes f allocated in all.
func heapGrowth(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLimitsReadOnlyWhatIsUsed reads the first 3 images of a small
// gzipped IDX file that expands to 78 MB and checks that reading them
// allocates a tiny fraction of that.
func TestLimitsReadOnlyWhatIsUsed(t *testing.T) {
	const n = 100_000
	dir := t.TempDir()
	path := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	if err := os.WriteFile(path, gzZeroImages(t, n), 0o644); err != nil {
		t.Fatal(err)
	}
	var ds *Dataset
	var err error
	alloc := heapGrowth(func() { ds, err = LoadLimited(path, Limits{MaxPoints: 3}) })
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 3 || ds.D != 784 {
		t.Fatalf("got %d×%d, want 3×784", ds.N, ds.D)
	}
	if limit := uint64(4 << 20); alloc > limit {
		t.Errorf("reading 3 images allocated %d bytes, want at most %d (the file expands to %d)", alloc, limit, n*784)
	}
}

// TestLimitsMaxValues checks that every format refuses a file over
// MaxValues with a *LimitError naming the file, before reading the data.
func TestLimitsMaxValues(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"a-images-idx3-ubyte": idxImages(1000, 10, 10, make([]byte, 1000*100)),
		"a.npy":               npyFile(1, npyDict("<f4", false, 1000, 100), make([]byte, 4*1000*100)),
		"a.csv":               []byte(strings.Repeat("1,2,3,4,5,6,7,8,9,10\n", 1000)),
		"a.amat":              []byte(strings.Repeat("0 1 0 1 0 1 0 1 0 1\n", 1000)),
	}
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadLimited(path, Limits{MaxValues: 500})
			var le *LimitError
			if !errors.As(err, &le) || !le.Budget || le.Limit != 500 || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want a *LimitError naming %s with limit 500", err, path)
			}
			// The first points alone fit.
			ds, err := LoadLimited(path, Limits{MaxPoints: 4, MaxValues: 500})
			if err != nil || ds.N != 4 {
				t.Fatalf("first 4 points: %v, %v", ds, err)
			}
		})
	}
}

// TestBinaryBytes checks that unsigned bytes that are all 0 or 1 are kept
// as binary data, in NPY and IDX files alike, and that other bytes are
// scaled by 1/255.
func TestBinaryBytes(t *testing.T) {
	bin := []byte{0, 1, 1, 0, 1, 0}
	gray := []byte{0, 255, 128, 0, 1, 0}
	for _, tc := range []struct {
		name   string
		decode func([]byte) (*Dataset, error)
	}{
		{"npy", func(p []byte) (*Dataset, error) {
			return DecodeNPY(bytes.NewReader(npyFile(1, npyDict("|u1", false, 2, 3), p)), "x.npy")
		}},
		{"idx", func(p []byte) (*Dataset, error) {
			return DecodeIDXImages(bytes.NewReader(idxImages(2, 1, 3, p)), "x-idx3")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := tc.decode(bin)
			if err != nil {
				t.Fatal(err)
			}
			if !ds.Binary || !equal32(ds.X, []float32{0, 1, 1, 0, 1, 0}) {
				t.Errorf("0/1 bytes: X = %v, Binary = %v; want them kept as 0/1 and Binary", ds.X, ds.Binary)
			}
			ds, err = tc.decode(gray)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Binary || ds.X[1] != 1 || ds.X[4] != 1.0/255 {
				t.Errorf("grey bytes: X = %v, Binary = %v; want them scaled by 1/255", ds.X, ds.Binary)
			}
		})
	}
}
