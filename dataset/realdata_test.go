package dataset

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// sharedData is the folder of full official data sets beside the
// repository (see its README.md); tests that need it skip without it.
var sharedData = filepath.Join("..", "..", "shared", "data")

func needShared(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join(sharedData, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no %s: %v", dir, err)
	}
	return dir
}

// classCounts returns how many labels of each class 0–9 there are.
func classCounts(labels []int) []int {
	c := make([]int, 10)
	for _, l := range labels {
		c[l]++
	}
	return c
}

// checkPixels checks that the values lie in [0, 1] and reach both ends.
func checkPixels(t *testing.T, d *Dataset) {
	t.Helper()
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range d.X {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("%s: values in [%v, %v], want [0, 1] (pixel range 0–255)", d.Name, lo, hi)
	}
}

// magic returns the first four bytes of the decompressed file, big-endian.
func magic(t *testing.T, path string) uint32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	if _, err := io.ReadFull(zr, b[:]); err != nil {
		t.Fatal(err)
	}
	return binary.BigEndian.Uint32(b[:])
}

// TestSharedMNIST checks the facts that shared/data/README.md states about
// MNIST and Fashion-MNIST.
func TestSharedMNIST(t *testing.T) {
	for _, tc := range []struct {
		dir                     string
		trainCounts, testCounts []int
	}{
		{"mnist", []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
		{"fashion_mnist", slices.Repeat([]int{6000}, 10), slices.Repeat([]int{1000}, 10)},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := needShared(t, tc.dir)
			for _, f := range []struct {
				name string
				want uint32
			}{{"train-images-idx3-ubyte.gz", 0x803}, {"train-labels-idx1-ubyte.gz", 0x801}, {"t10k-images-idx3-ubyte.gz", 0x803}, {"t10k-labels-idx1-ubyte.gz", 0x801}} {
				if m := magic(t, filepath.Join(dir, f.name)); m != f.want {
					t.Errorf("%s: magic 0x%08x, want 0x%08x", f.name, m, f.want)
				}
			}
			s, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				d      *Dataset
				n      int
				counts []int
			}{{s.Train, 60000, tc.trainCounts}, {s.Test, 10000, tc.testCounts}} {
				if c.d.N != c.n || c.d.Rows != 28 || c.d.Cols != 28 || c.d.D != 784 || len(c.d.X) != c.n*784 {
					t.Errorf("%s: %d images of %d×%d, want %d of 28×28", c.d.Name, c.d.N, c.d.Rows, c.d.Cols, c.n)
				}
				if got := classCounts(c.d.Labels); !slices.Equal(got, c.counts) {
					t.Errorf("%s: class counts %v, want %v", c.d.Name, got, c.counts)
				}
				checkPixels(t, c.d)
			}
		})
	}
}

// TestSharedBinarizedMNIST checks the facts that shared/data/README.md
// states about fixed-binarised MNIST.
func TestSharedBinarizedMNIST(t *testing.T) {
	dir := needShared(t, "binarized_mnist")
	s, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		d    *Dataset
		n    int
		ones float64 // as stated to 4 decimals
	}{{s.Train, 50000, 0.1306}, {s.Valid, 10000, 0.1311}, {s.Test, 10000, 0.1325}} {
		if c.d.N != c.n || c.d.D != 784 || c.d.Rows != 28 || !c.d.Binary || c.d.Labels != nil {
			t.Errorf("%s: N %d, D %d, Rows %d, Binary %v, labelled %v", c.d.Name, c.d.N, c.d.D, c.d.Rows, c.d.Binary, c.d.Labels != nil)
		}
		sum := 0.0
		for _, v := range c.d.X {
			sum += float64(v)
		}
		if frac := sum / float64(len(c.d.X)); math.Abs(frac-c.ones) > 0.00005 {
			t.Errorf("%s: fraction of ones %.5f, want %.4f", c.d.Name, frac, c.ones)
		}
	}
}

// TestSharedChecksums checks the SHA-256 values in shared/data/README.md.
func TestSharedChecksums(t *testing.T) {
	needShared(t, "")
	for name, want := range map[string]string{
		"mnist/train-images-idx3-ubyte.gz":           "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
		"mnist/train-labels-idx1-ubyte.gz":           "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
		"mnist/t10k-images-idx3-ubyte.gz":            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
		"mnist/t10k-labels-idx1-ubyte.gz":            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
		"binarized_mnist/binarized_mnist_train.amat": "ad693b29f94c14277b095f5238ddefbbdaaae0939789dd2f4f0205278cee3e4d",
		"binarized_mnist/binarized_mnist_valid.amat": "1de3d397c40fe8eeb33dafd4099a1f665ec01e96d9be234aaeeac8a34930e2e2",
		"binarized_mnist/binarized_mnist_test.amat":  "e6687bfea3f820c174f33b7865140b2a2dd2930ef786f35d45795fc193b5ab2c",
	} {
		f, err := os.Open(filepath.Join(sharedData, name))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s: SHA-256 %s, want %s", name, got, want)
		}
	}
}

// TestEmbeddedIsPrefix checks the provenance that testdata/README.md
// states: the embedded subsets are the first points of the official files.
func TestEmbeddedIsPrefix(t *testing.T) {
	for _, tc := range []struct {
		embedded, shared string
	}{{"mnist", "mnist"}, {"binarized-mnist", "binarized_mnist"}} {
		t.Run(tc.embedded, func(t *testing.T) {
			full, err := LoadDir(needShared(t, tc.shared))
			if err != nil {
				t.Fatal(err)
			}
			sub, err := Embedded(tc.embedded)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range [][2]*Dataset{{sub.Train, full.Train}, {sub.Valid, full.Valid}, {sub.Test, full.Test}} {
				if p[0] == nil {
					continue
				}
				want := p[1].Head(p[0].N)
				if !equal32(p[0].X, want.X) || !slices.Equal(p[0].Labels, want.Labels) {
					t.Errorf("%s is not the first %d points of %s", p[0].Name, p[0].N, p[1].Name)
				}
			}
		})
	}
}
