package dataset

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// writeFiles writes the files into a new temporary folder and returns it.
func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	img := idxImages(2, 1, 2, []byte{0, 255, 255, 0})
	dir := writeFiles(t, map[string][]byte{
		"train-images-idx3-ubyte.gz": gz(img),
		"train-labels-idx1-ubyte":    idxLabels(2, []byte{3, 8}),
		"t10k-images-idx3-ubyte":     img,
		"t10k-labels-idx1-ubyte.gz":  gz(idxLabels(2, []byte{1, 2})),
		"alone-images-idx3-ubyte":    img,
		"plain.idx":                  img,
		"x.npy":                      npyFile(1, npyDict("<f4", false, 1, 2), le(float32(1), float32(2))),
		"npy-without-extension":      npyFile(1, npyDict("<f4", false, 1, 2), le(float32(1), float32(2))),
		"x.npy.gz":                   gz(npyFile(1, npyDict("<f4", false, 1, 2), le(float32(1), float32(2)))),
		"x.csv":                      []byte("a,b\n1,2\n"),
		"x.TXT":                      []byte("1,2\n"),
		"x.csv.gz":                   gz([]byte("1,2\n")),
		"gzipped-csv.csv":            gz([]byte("1,2\n")),
		"x.amat":                     []byte("0 1\n"),
		"x.amat.gz":                  gz([]byte("0 1\n")),
	})
	for _, tc := range []struct {
		file   string
		n, d   int
		labels []int
	}{
		{"train-images-idx3-ubyte.gz", 2, 2, []int{3, 8}},
		{"t10k-images-idx3-ubyte", 2, 2, []int{1, 2}},
		{"alone-images-idx3-ubyte", 2, 2, nil},
		{"plain.idx", 2, 2, nil},
		{"x.npy", 1, 2, nil},
		{"npy-without-extension", 1, 2, nil},
		{"x.npy.gz", 1, 2, nil},
		{"x.csv", 1, 2, nil},
		{"x.TXT", 1, 2, nil},
		{"x.csv.gz", 1, 2, nil},
		{"gzipped-csv.csv", 1, 2, nil},
		{"x.amat", 1, 2, nil},
		{"x.amat.gz", 1, 2, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := filepath.Join(dir, tc.file)
			ds, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if ds.N != tc.n || ds.D != tc.d || !slices.Equal(ds.Labels, tc.labels) {
				t.Errorf("N, D, Labels = %d, %d, %v, want %d, %d, %v", ds.N, ds.D, ds.Labels, tc.n, tc.d, tc.labels)
			}
			if ds.Name != p {
				t.Errorf("Name = %q, want %q", ds.Name, p)
			}
		})
	}
	// The format-specific readers.
	if ds, err := ReadIDX(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil || !slices.Equal(ds.Labels, []int{3, 8}) {
		t.Errorf("ReadIDX: %v, %v", ds, err)
	}
	if l, err := ReadIDXLabels(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")); err != nil || !slices.Equal(l, []int{1, 2}) {
		t.Errorf("ReadIDXLabels = %v, %v", l, err)
	}
	for name, read := range map[string]func(string) (*Dataset, error){"x.npy": ReadNPY, "x.csv": ReadCSV, "x.amat": ReadAMAT} {
		if ds, err := read(filepath.Join(dir, name)); err != nil || ds.N != 1 || ds.D != 2 {
			t.Errorf("reading %s: %v, %v", name, ds, err)
		}
	}
	// A path relative to the working directory keeps its form in messages.
	t.Chdir(dir)
	if ds, err := Load("x.csv"); err != nil || ds.Name != "x.csv" {
		t.Errorf("Load(x.csv) = %v, %v", ds, err)
	}
	if ds, err := Load("train-images-idx3-ubyte.gz"); err != nil || ds.Labels == nil {
		t.Errorf("Load(train-images-idx3-ubyte.gz) = %v, %v", ds, err)
	}
}

func TestLoadErrors(t *testing.T) {
	img := idxImages(2, 1, 2, []byte{0, 255, 255, 0})
	dir := writeFiles(t, map[string][]byte{
		"train-images-idx3-ubyte.gz": gz(img),
		"train-labels-idx1-ubyte.gz": gz(idxLabels(3, []byte{1, 2, 3})),
		"t10k-images-idx3-ubyte":     img,
		"t10k-labels-idx1-ubyte":     []byte{1, 2, 3},
		"labels":                     idxLabels(1, []byte{1}),
		"x.dat":                      []byte("1,2\n"),
		"x.npy":                      []byte("1,2\n"),
		"bad-idx3":                   []byte("1,2\n"),
		"sub/f":                      nil,
	})
	j := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		file string
		want string
	}{
		{"train-images-idx3-ubyte.gz", j("train-labels-idx1-ubyte.gz") + ": 3 labels, but " + j("train-images-idx3-ubyte.gz") + " has 2 images"},
		{"t10k-images-idx3-ubyte", j("t10k-labels-idx1-ubyte") + ": offset 0: truncated: want a 4-byte IDX magic number, found 3 bytes"},
		{"labels", j("labels") + ": offset 0: an IDX labels file (magic 0x00000801); give the images file, and its labels are read from beside it"},
		{"x.dat", j("x.dat") + ": unknown format: want an IDX images file or an NPY file (recognised by content), or a .amat, .csv or .txt file"},
		{"x.npy", j("x.npy") + `: offset 0: not an NPY file: want the magic string \x93NUMPY, found "1,2\n"`},
		{"bad-idx3", j("bad-idx3") + ": offset 0: magic number 0x312c320a, want 0x00000803 (IDX images)"},
		{"sub", j("sub") + " is a folder, want a data file (LoadDir reads folders)"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Load(j(tc.file))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n%v, want\n%s", err, tc.want)
			}
		})
	}
	_, err := Load(j("missing.csv"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), j("missing.csv")) {
		t.Errorf("Load of a missing file: %v, want a not-exist error naming it", err)
	}
	for _, read := range []func(string) (*Dataset, error){ReadIDX, ReadAMAT, ReadCSV, ReadNPY} {
		if _, err := read(j("missing")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("reading a missing file: %v, want a not-exist error", err)
		}
	}
	if _, err := ReadIDXLabels(j("missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadIDXLabels of a missing file: %v, want a not-exist error", err)
	}
}

func TestLoadDir(t *testing.T) {
	img := idxImages(2, 1, 2, []byte{0, 255, 255, 0})
	mnist := writeFiles(t, map[string][]byte{
		"train-images-idx3-ubyte.gz": gz(img),
		"train-labels-idx1-ubyte.gz": gz(idxLabels(2, []byte{3, 8})),
		"t10k-images-idx3-ubyte":     idxImages(1, 1, 2, []byte{1, 2}),
		"t10k-labels-idx1-ubyte":     idxLabels(1, []byte{5}),
	})
	s, err := LoadDir(mnist)
	if err != nil {
		t.Fatal(err)
	}
	if s.Train.N != 2 || s.Test.N != 1 || s.Valid != nil || !slices.Equal(s.Test.Labels, []int{5}) {
		t.Errorf("LoadDir(MNIST layout) = %+v", s)
	}
	amat := writeFiles(t, map[string][]byte{
		"b_train.amat":    []byte("0 1\n1 1\n1 0\n"),
		"b_valid.amat.gz": gz([]byte("0 0\n")),
		"b_test.amat":     []byte("1 1\n0 0\n"),
		"README":          []byte("hello"),
	})
	s, err = LoadDir(amat)
	if err != nil {
		t.Fatal(err)
	}
	if s.Train.N != 3 || s.Valid.N != 1 || s.Test.N != 2 || !s.Train.Binary {
		t.Errorf("LoadDir(amat layout) = %+v", s)
	}
	noValid := writeFiles(t, map[string][]byte{"b_train.amat": []byte("0 1\n"), "b_test.amat": []byte("1 1\n")})
	if s, err := LoadDir(noValid); err != nil || s.Valid != nil {
		t.Errorf("LoadDir without valid split = %+v, %v", s, err)
	}

	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string // with DIR for the folder
	}{
		{"empty", map[string][]byte{"x": nil}, "DIR: not a data folder: want train-images-idx3-ubyte[.gz] and t10k-images-idx3-ubyte[.gz] (MNIST layout) or NAME_train.amat and NAME_test.amat (binarised MNIST layout)"},
		{"no test images", map[string][]byte{"train-images-idx3-ubyte": img}, "DIR: MNIST layout with train-images-idx3-ubyte but no t10k-images-idx3-ubyte[.gz]"},
		{"bad test images", map[string][]byte{"train-images-idx3-ubyte": img, "t10k-images-idx3-ubyte": img[:18]}, "DIR/t10k-images-idx3-ubyte: offset 16: truncated: want 4 pixel bytes, found 2"},
		{"no amat test", map[string][]byte{"b_train.amat": []byte("0\n")}, "DIR: binarised MNIST layout with b_train.amat but no b_test.amat"},
		{"two amat sets", map[string][]byte{"b_train.amat": nil, "c_train.amat": nil}, "DIR: several .amat data sets (b, c): want one NAME_train.amat"},
		{"amat dimension", map[string][]byte{"b_train.amat": []byte("0 1\n"), "b_test.amat": []byte("1\n")}, "DIR/b_test.amat: 1 values per point, but DIR/b_train.amat has 2"},
		{"bad amat", map[string][]byte{"b_train.amat": []byte("0 2\n"), "b_test.amat": []byte("1\n")}, `DIR/b_train.amat: line 1, column 2: value "2", want 0 or 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			_, err := LoadDir(dir)
			want := strings.ReplaceAll(tc.want, "DIR/", dir+string(filepath.Separator))
			want = strings.ReplaceAll(want, "DIR", dir)
			if err == nil || err.Error() != want {
				t.Errorf("error\n%v, want\n%s", err, want)
			}
		})
	}
	if _, err := LoadDir(filepath.Join(mnist, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadDir of a missing folder: %v, want a not-exist error", err)
	}
}

func TestLoadFS(t *testing.T) {
	img := idxImages(1, 1, 1, []byte{255})
	fsys := fstest.MapFS{
		"d/train-images-idx3-ubyte.gz": {Data: gz(img)},
		"d/train-labels-idx1-ubyte":    {Data: idxLabels(1, []byte{4})},
		"d/t10k-images-idx3-ubyte.gz":  {Data: gz(img)},
		"e/x.csv":                      {Data: []byte("1,2\n3,4\n")},
	}
	ds, err := LoadFS(fsys, "d/train-images-idx3-ubyte.gz")
	if err != nil || !slices.Equal(ds.Labels, []int{4}) || ds.Name != "d/train-images-idx3-ubyte.gz" {
		t.Errorf("LoadFS = %+v, %v", ds, err)
	}
	if ds, err := LoadFS(fsys, "e/x.csv"); err != nil || ds.N != 2 {
		t.Errorf("LoadFS(csv) = %+v, %v", ds, err)
	}
	s, err := LoadDirFS(fsys, "d")
	if err != nil || s.Train.Labels == nil || s.Test.Labels != nil {
		t.Errorf("LoadDirFS = %+v, %v", s, err)
	}
	if _, err := LoadFS(fsys, "d"); err == nil || err.Error() != "d is a folder, want a data file (LoadDir reads folders)" {
		t.Errorf("LoadFS of a folder: %v", err)
	}
}

func TestEmbedded(t *testing.T) {
	if got := EmbeddedNames(); !slices.Equal(got, []string{"binarized-mnist", "mnist"}) {
		t.Errorf("EmbeddedNames() = %v", got)
	}
	m, err := Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    *Dataset
		name string
		n    int
	}{{m.Train, "mnist/train", 2000}, {m.Test, "mnist/test", 500}} {
		if tc.d.Name != tc.name || tc.d.N != tc.n || tc.d.D != 784 || tc.d.Rows != 28 || tc.d.Cols != 28 || len(tc.d.Labels) != tc.n || tc.d.Binary {
			t.Errorf("%s: Name %q, N %d, D %d, %d×%d, %d labels, Binary %v", tc.name, tc.d.Name, tc.d.N, tc.d.D, tc.d.Rows, tc.d.Cols, len(tc.d.Labels), tc.d.Binary)
		}
		seen := map[int]bool{}
		for _, l := range tc.d.Labels {
			seen[l] = true
		}
		if len(seen) != 10 {
			t.Errorf("%s: %d distinct labels, want 10", tc.name, len(seen))
		}
	}
	if m.Valid != nil {
		t.Error("mnist has a validation split")
	}
	// The first MNIST training digit is a 5, the first test digit a 7.
	if m.Train.Labels[0] != 5 || m.Test.Labels[0] != 7 {
		t.Errorf("first labels %d, %d, want 5, 7", m.Train.Labels[0], m.Test.Labels[0])
	}
	b, err := Embedded("binarized-mnist")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d *Dataset
		n int
	}{{b.Train, 1000}, {b.Valid, 200}, {b.Test, 200}} {
		if tc.d.N != tc.n || tc.d.D != 784 || tc.d.Rows != 28 || !tc.d.Binary || tc.d.Labels != nil {
			t.Errorf("%s: N %d, D %d, Rows %d, Binary %v, labels %v", tc.d.Name, tc.d.N, tc.d.D, tc.d.Rows, tc.d.Binary, tc.d.Labels != nil)
		}
	}
	if _, err := Embedded("cifar"); err == nil || err.Error() != `unknown embedded data set "cifar" (want one of binarized-mnist, mnist)` {
		t.Errorf("Embedded(cifar): %v", err)
	}
}
