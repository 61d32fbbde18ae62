package dataset

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vitool/vitool"
)

// files is a file system: the operating system's, with paths as the user
// wrote them, or an fs.FS.
type files struct {
	open    func(name string) (io.ReadCloser, error)
	stat    func(name string) (fs.FileInfo, error)
	readDir func(name string) ([]fs.DirEntry, error)
	join    func(elem ...string) string
	dir     func(name string) string
	base    func(name string) string
}

var osFiles = files{
	open:    func(name string) (io.ReadCloser, error) { return os.Open(name) },
	stat:    os.Stat,
	readDir: os.ReadDir,
	join:    filepath.Join,
	dir:     filepath.Dir,
	base:    filepath.Base,
}

func fsFiles(fsys fs.FS) files {
	return files{
		open:    func(name string) (io.ReadCloser, error) { return fsys.Open(name) },
		stat:    func(name string) (fs.FileInfo, error) { return fs.Stat(fsys, name) },
		readDir: func(name string) ([]fs.DirEntry, error) { return fs.ReadDir(fsys, name) },
		join:    path.Join,
		dir:     path.Dir,
		base:    path.Base,
	}
}

// decodeFile opens name and decodes it with decode.
func decodeFile[T any](f files, name string, decode func(io.Reader, string) (T, error)) (T, error) {
	r, err := f.open(name)
	if err != nil {
		var zero T
		return zero, err
	}
	defer r.Close()
	return decode(r, name)
}

// ReadIDX reads the IDX images file at path, as DecodeIDXImages does, with
// the labels from the matching labels file beside it when there is one:
// for train-images-idx3-ubyte.gz that is train-labels-idx1-ubyte.gz or
// train-labels-idx1-ubyte, and likewise for any name containing
// "images-idx3". It is an error if the labels file does not hold one label
// per image.
func ReadIDX(path string) (*Dataset, error) { return readIDX(osFiles, path, Limits{}) }

// ReadIDXLabels reads the IDX labels file at path, as DecodeIDXLabels does.
func ReadIDXLabels(path string) ([]int, error) {
	return decodeFile(osFiles, path, DecodeIDXLabels)
}

// limitedDecoder returns decode with the limits lim bound in.
func limitedDecoder[T any](decode func(io.Reader, string, Limits) (T, error), lim Limits) func(io.Reader, string) (T, error) {
	return func(r io.Reader, name string) (T, error) { return decode(r, name, lim) }
}

// ReadAMAT reads the .amat file at path, as DecodeAMAT does.
func ReadAMAT(path string) (*Dataset, error) { return decodeFile(osFiles, path, DecodeAMAT) }

// ReadCSV reads the CSV file at path, as DecodeCSV does.
func ReadCSV(path string) (*Dataset, error) { return decodeFile(osFiles, path, DecodeCSV) }

// ReadNPY reads the NPY file at path, as DecodeNPY does.
func ReadNPY(path string) (*Dataset, error) { return decodeFile(osFiles, path, DecodeNPY) }

// readIDX reads an images file and the labels beside it.
func readIDX(f files, name string, lim Limits) (*Dataset, error) {
	var total int64 // the images the file declares
	ds, err := decodeFile(f, name, func(r io.Reader, name string) (*Dataset, error) {
		ds, n, err := decodeIDXImages(r, name, lim)
		total = n
		return ds, err
	})
	if err != nil {
		return nil, err
	}
	for _, lname := range labelsFiles(f.base(name)) {
		lpath := f.join(f.dir(name), lname)
		var declared int64
		labels, err := decodeFile(f, lpath, func(r io.Reader, name string) ([]int, error) {
			labels, n, err := decodeIDXLabels(r, name, Limits{MaxPoints: ds.N})
			declared = n
			return labels, err
		})
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if declared != total {
			return nil, whole(lpath, "%d labels, but %s has %d images", declared, name, total)
		}
		ds.Labels = labels
		break
	}
	return ds, nil
}

// labelsFiles returns the names that the labels file matching the images
// file base may have, most likely first.
func labelsFiles(base string) []string {
	if !strings.Contains(base, "images-idx3") {
		return nil
	}
	l := strings.Replace(base, "images-idx3", "labels-idx1", 1)
	if s, ok := strings.CutSuffix(l, ".gz"); ok {
		return []string{l, s}
	}
	return []string{l, l + ".gz"}
}

// Load reads the data file at path, recognising its format: IDX and NPY by
// their magic numbers, .amat and CSV (.csv or .txt) by the name, all
// optionally gzip-compressed (a .gz suffix is ignored). An IDX images file
// gets its labels from beside it, as with ReadIDX.
func Load(path string) (*Dataset, error) { return load(osFiles, path, Limits{}) }

// LoadFS is Load for a file in fsys.
func LoadFS(fsys fs.FS, name string) (*Dataset, error) { return load(fsFiles(fsys), name, Limits{}) }

// load recognises the format of name and decodes it.
func load(f files, name string, lim Limits) (*Dataset, error) {
	if fi, err := f.stat(name); err != nil {
		return nil, err
	} else if fi.IsDir() {
		return nil, fmt.Errorf("%s is a folder, want a data file (LoadDir reads folders)", name)
	}
	head, err := decodeFile(f, name, func(r io.Reader, name string) ([]byte, error) {
		br, err := input(r, name)
		if err != nil {
			return nil, err
		}
		b, err := br.Peek(len(npyMagic))
		if err := readError(name, err); err != nil {
			return nil, err
		}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	ext := strings.ToLower(path.Ext(strings.TrimSuffix(f.base(name), ".gz")))
	switch {
	case strings.HasPrefix(string(head), npyMagic):
		return decodeFile(f, name, limitedDecoder(decodeNPY, lim))
	case len(head) >= 4 && string(head[:4]) == "\x00\x00\x08\x03":
		return readIDX(f, name, lim)
	case len(head) >= 4 && string(head[:4]) == "\x00\x00\x08\x01":
		return nil, atOffset(name, 0, "an IDX labels file (magic 0x00000801); give the images file, and its labels are read from beside it")
	case ext == ".amat":
		return decodeFile(f, name, limitedDecoder(decodeAMAT, lim))
	case ext == ".csv" || ext == ".txt":
		return decodeFile(f, name, limitedDecoder(decodeCSV, lim))
	case ext == ".npy":
		return decodeFile(f, name, limitedDecoder(decodeNPY, lim))
	case strings.Contains(f.base(name), "idx3"):
		return readIDX(f, name, lim)
	}
	return nil, whole(name, "unknown format: want an IDX images file or an NPY file (recognised by content), or a .amat, .csv or .txt file")
}

// LoadDir reads the splits of a data set in the folder dir, in one of two
// layouts:
//
//   - MNIST (also Fashion-MNIST): train-images-idx3-ubyte and
//     t10k-images-idx3-ubyte, each with its labels file, gzip-compressed
//     (.gz) or not. Valid is nil.
//   - Binarised MNIST: NAME_train.amat, NAME_test.amat and optionally
//     NAME_valid.amat, for one NAME, gzip-compressed (.gz) or not.
func LoadDir(dir string) (*Splits, error) { return loadDir(osFiles, dir, Limits{}) }

// LoadDirFS is LoadDir for a folder in fsys.
func LoadDirFS(fsys fs.FS, dir string) (*Splits, error) { return loadDir(fsFiles(fsys), dir, Limits{}) }

func loadDir(f files, dir string, lim Limits) (*Splits, error) {
	entries, err := f.readDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	// find returns the first of the names base and base.gz that exists.
	find := func(base string) string {
		for _, n := range []string{base, base + ".gz"} {
			if slices.Contains(names, n) {
				return n
			}
		}
		return ""
	}
	if train := find("train-images-idx3-ubyte"); train != "" {
		test := find("t10k-images-idx3-ubyte")
		if test == "" {
			return nil, fmt.Errorf("%s: MNIST layout with %s but no t10k-images-idx3-ubyte[.gz]", dir, train)
		}
		s := &Splits{}
		if s.Train, err = readIDX(f, f.join(dir, train), lim); err != nil {
			return nil, err
		}
		if s.Test, err = readIDX(f, f.join(dir, test), lim); err != nil {
			return nil, err
		}
		return s, nil
	}
	var prefixes []string
	for _, n := range names {
		if p, ok := strings.CutSuffix(strings.TrimSuffix(n, ".gz"), "_train.amat"); ok && !slices.Contains(prefixes, p) {
			prefixes = append(prefixes, p)
		}
	}
	switch len(prefixes) {
	case 0:
		return nil, fmt.Errorf("%s: not a data folder: want train-images-idx3-ubyte[.gz] and t10k-images-idx3-ubyte[.gz] (MNIST layout) or NAME_train.amat and NAME_test.amat (binarised MNIST layout)", dir)
	case 1:
	default:
		return nil, fmt.Errorf("%s: several .amat data sets (%s): want one NAME_train.amat", dir, strings.Join(prefixes, ", "))
	}
	p := prefixes[0]
	test := find(p + "_test.amat")
	if test == "" {
		return nil, fmt.Errorf("%s: binarised MNIST layout with %s_train.amat but no %s_test.amat", dir, p, p)
	}
	s := &Splits{}
	amat := limitedDecoder(decodeAMAT, lim)
	if s.Train, err = decodeFile(f, f.join(dir, find(p+"_train.amat")), amat); err != nil {
		return nil, err
	}
	if s.Test, err = decodeFile(f, f.join(dir, test), amat); err != nil {
		return nil, err
	}
	if valid := find(p + "_valid.amat"); valid != "" {
		if s.Valid, err = decodeFile(f, f.join(dir, valid), amat); err != nil {
			return nil, err
		}
	}
	for _, d := range []*Dataset{s.Valid, s.Test} {
		if d != nil && d.D != s.Train.D {
			return nil, fmt.Errorf("%s: %d values per point, but %s has %d", d.Name, d.D, s.Train.Name, s.Train.D)
		}
	}
	return s, nil
}

// embedded maps the names of the embedded data sets to their folders in
// vitool.Testdata.
var embedded = map[string]string{
	"mnist":           "testdata/mnist",
	"binarized-mnist": "testdata/binarized_mnist",
}

// EmbeddedNames returns the names that Embedded accepts, sorted.
func EmbeddedNames() []string {
	names := make([]string, 0, len(embedded))
	for n := range embedded {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Embedded returns one of the small real data sets compiled into vitool
// (see vitool.Testdata):
//
//   - "mnist": the first 2000 training and the first 500 test images of
//     MNIST, 28×28 in [0, 1], with labels.
//   - "binarized-mnist": the first 1000 training, 200 validation and 200
//     test images of Larochelle & Murray's fixed-binarised MNIST, without
//     labels.
//
// The data sets are named NAME/train, NAME/valid and NAME/test.
func Embedded(name string) (*Splits, error) {
	dir, ok := embedded[name]
	if !ok {
		return nil, fmt.Errorf("unknown embedded data set %q (want one of %s)", name, strings.Join(EmbeddedNames(), ", "))
	}
	s, err := LoadDirFS(vitool.Testdata, dir)
	if err != nil {
		return nil, fmt.Errorf("embedded data set %s: %w", name, err)
	}
	for split, d := range map[string]*Dataset{"train": s.Train, "valid": s.Valid, "test": s.Test} {
		if d != nil {
			d.Name = name + "/" + split
		}
	}
	return s, nil
}
