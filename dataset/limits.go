package dataset

import (
	"fmt"
	"io/fs"
)

// Limits bounds what a reader loads, so that a caller reads only what it
// uses and a file that declares (or, compressed, expands to) more data than
// the caller can hold is refused before the memory is allocated. The zero
// value reads everything up to the package's fixed maximum of 2³⁰ values.
type Limits struct {
	// MaxPoints, if positive, is how many points to read: a reader stops
	// after the first MaxPoints points and neither reads nor checks the
	// rest of the file (an IDX labels file is read as far as the images).
	MaxPoints int
	// MaxValues, if positive, is the largest number of values (points ×
	// dimension) to load; a file that declares or holds more gives a
	// *LimitError.
	MaxValues int64
}

// points returns how many of n declared points to read.
func (l Limits) points(n int64) int64 {
	if l.MaxPoints > 0 && int64(l.MaxPoints) < n {
		return int64(l.MaxPoints)
	}
	return n
}

// limited reports whether MaxPoints stops reading before n declared points.
func (l Limits) limited(n int64) bool { return l.points(n) < n }

// maxValues returns the effective bound on the number of values and
// whether it is the caller's MaxValues rather than the fixed maximum.
func (l Limits) maxValues() (int64, bool) {
	if l.MaxValues > 0 && l.MaxValues < maxElements {
		return l.MaxValues, true
	}
	return maxElements, false
}

// check returns a *LimitError if values exceeds the bound.
func (l Limits) check(file string, values int64) error {
	lim, budget := l.maxValues()
	if values > lim {
		return &LimitError{File: file, Values: values, Limit: lim, Budget: budget}
	}
	return nil
}

// LimitError reports a data set larger than the limit on the number of
// values that a reader may load.
type LimitError struct {
	// File names the file.
	File string
	// Values is the number of values that the file declares, or that
	// reading found before it stopped; Limit is the largest allowed.
	Values, Limit int64
	// Budget reports that Limit is the caller's Limits.MaxValues, rather
	// than the package's fixed maximum.
	Budget bool
}

// Error implements the error interface.
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %d or more values (%.3g GiB as float32), more than the limit of %d", e.File, e.Values, float64(e.Values)*4/(1<<30), e.Limit)
}

// LoadLimited is Load that reads only what lim allows.
func LoadLimited(path string, lim Limits) (*Dataset, error) { return load(osFiles, path, lim) }

// LoadDirLimited is LoadDir that applies lim to every split.
func LoadDirLimited(dir string, lim Limits) (*Splits, error) { return loadDir(osFiles, dir, lim) }

// LoadFSLimited is LoadFS that reads only what lim allows.
func LoadFSLimited(fsys fs.FS, name string, lim Limits) (*Dataset, error) {
	return load(fsFiles(fsys), name, lim)
}
