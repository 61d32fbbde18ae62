package dataset

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Dataset is a set of N points of dimension D, stored row-major in X.
type Dataset struct {
	// Name identifies the data in messages, typically the file it was read
	// from.
	Name string

	// N is the number of points and D their dimension.
	N, D int

	// Rows and Cols are the image shape when the points are images
	// (Rows·Cols == D), and zero otherwise.
	Rows, Cols int

	// X holds the points, N×D row-major. Image intensities are scaled to
	// [0, 1].
	X []float32

	// Labels holds a class label per point, or nil when there are none.
	Labels []int

	// Binary reports that every value in X is 0 or 1.
	Binary bool
}

// newDataset returns a Dataset over x, with Binary set from the values.
func newDataset(name string, n, d int, x []float32) *Dataset {
	ds := &Dataset{Name: name, N: n, D: d, X: x}
	ds.Binary = isBinary(x)
	return ds
}

// isBinary reports whether every value of x is 0 or 1.
func isBinary(x []float32) bool {
	for _, v := range x {
		if v != 0 && v != 1 {
			return false
		}
	}
	return true
}

// Row returns point i as a slice of X; changing it changes the data set.
// It panics if i is out of range.
func (d *Dataset) Row(i int) []float32 {
	d.checkIndex(i)
	return d.X[i*d.D : (i+1)*d.D : (i+1)*d.D]
}

// Float64Row copies point i into dst, converted to float64, and returns
// dst. If dst is nil a new slice is allocated. It panics if i is out of
// range or if dst is not nil and its length is not D.
func (d *Dataset) Float64Row(dst []float64, i int) []float64 {
	d.checkIndex(i)
	if dst == nil {
		dst = make([]float64, d.D)
	} else if len(dst) != d.D {
		panic(fmt.Sprintf("dataset: Float64Row: len(dst) = %d, want D = %d", len(dst), d.D))
	}
	for j, v := range d.X[i*d.D : (i+1)*d.D] {
		dst[j] = float64(v)
	}
	return dst
}

// Dense returns the points as an N×D float64 matrix, for the estimators and
// models that take gonum matrices. It copies the data.
// An empty data set gives an empty matrix.
func (d *Dataset) Dense() *mat.Dense {
	if d.N == 0 || d.D == 0 {
		return &mat.Dense{}
	}
	m := mat.NewDense(d.N, d.D, nil)
	for i := range d.N {
		d.Float64Row(m.RawRowView(i), i)
	}
	return m
}

func (d *Dataset) checkIndex(i int) {
	if i < 0 || i >= d.N {
		panic(fmt.Sprintf("dataset: index %d out of range [0, %d)", i, d.N))
	}
}

// Subset returns a new data set holding copies of the points idx, in that
// order, with their labels. Indices may repeat. It panics if an index is out
// of range.
func (d *Dataset) Subset(idx []int) *Dataset {
	s := &Dataset{
		Name: d.Name, N: len(idx), D: d.D, Rows: d.Rows, Cols: d.Cols,
		X: make([]float32, len(idx)*d.D), Binary: d.Binary,
	}
	if d.Labels != nil {
		s.Labels = make([]int, len(idx))
	}
	for k, i := range idx {
		copy(s.X[k*d.D:(k+1)*d.D], d.Row(i))
		if d.Labels != nil {
			s.Labels[k] = d.Labels[i]
		}
	}
	return s
}

// Head returns a new data set holding copies of the first min(n, N) points.
// It panics if n is negative.
func (d *Dataset) Head(n int) *Dataset {
	if n < 0 {
		panic(fmt.Sprintf("dataset: Head(%d): negative count", n))
	}
	n = min(n, d.N)
	s := &Dataset{
		Name: d.Name, N: n, D: d.D, Rows: d.Rows, Cols: d.Cols,
		X: append([]float32(nil), d.X[:n*d.D]...), Binary: d.Binary,
	}
	if d.Labels != nil {
		s.Labels = append([]int(nil), d.Labels[:n]...)
	}
	return s
}

// Binarization is how intensities in [0, 1] become the 0/1 values that a
// binary likelihood needs.
type Binarization int

const (
	// Continuous uses the intensities as they are.
	Continuous Binarization = iota
	// Dynamic draws each value afresh from Bernoulli(intensity) every time a
	// point is used, as in Burda, Grosse & Salakhutdinov's IWAE paper.
	Dynamic
	// Fixed uses data that were binarised once and kept: the data are
	// already 0/1, from Binarize or as distributed (.amat).
	Fixed
)

// String returns the name that ParseBinarization accepts.
func (b Binarization) String() string {
	switch b {
	case Continuous:
		return "none"
	case Dynamic:
		return "dynamic"
	case Fixed:
		return "fixed"
	}
	return fmt.Sprintf("Binarization(%d)", int(b))
}

// ParseBinarization returns the binarisation with the given name:
// "dynamic", "fixed", or "none" (also "continuous") for Continuous. Case is
// ignored.
func ParseBinarization(s string) (Binarization, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "dynamic":
		return Dynamic, nil
	case "fixed":
		return Fixed, nil
	case "none", "continuous":
		return Continuous, nil
	}
	return 0, fmt.Errorf("unknown binarization %q (want dynamic, fixed or none)", s)
}

// Batch copies the points idx, in that order, into dst as a len(idx)×D
// row-major matrix under binarisation b, and returns dst. If dst is nil a
// new slice is allocated.
//
// Continuous and Fixed copy the values. Dynamic sets each value to 1 with
// probability equal to the stored intensity and to 0 otherwise, drawing one
// rnd.Float64 per value (values below 0 give 0, above 1 give 1); when the
// data are already binary it copies them and draws nothing. rnd may be nil except for Dynamic on non-binary data.
//
// Batch panics if dst is not nil and its length is not len(idx)·D, if an
// index is out of range, if b is Fixed and the data are not binary (call
// Binarize first), or if b is not a known Binarization.
func (d *Dataset) Batch(dst []float32, idx []int, b Binarization, rnd *rand.Rand) []float32 {
	if dst == nil {
		dst = make([]float32, len(idx)*d.D)
	} else if len(dst) != len(idx)*d.D {
		panic(fmt.Sprintf("dataset: Batch: len(dst) = %d, want %d×%d", len(dst), len(idx), d.D))
	}
	switch b {
	case Continuous:
	case Fixed:
		if !d.Binary {
			panic(fmt.Sprintf("dataset: Batch: %s is not binary; Fixed binarization needs Binarize first", d.Name))
		}
	case Dynamic:
		if !d.Binary {
			if rnd == nil {
				panic("dataset: Batch: Dynamic binarization with a nil *rand.Rand")
			}
			for k, i := range idx {
				bernoulli(dst[k*d.D:(k+1)*d.D], d.Row(i), rnd)
			}
			return dst
		}
	default:
		panic(fmt.Sprintf("dataset: Batch: unknown %v", b))
	}
	for k, i := range idx {
		copy(dst[k*d.D:(k+1)*d.D], d.Row(i))
	}
	return dst
}

// bernoulli sets dst[j] to 1 with probability p[j] and to 0 otherwise.
func bernoulli(dst, p []float32, rnd *rand.Rand) {
	for j, pj := range p {
		if rnd.Float64() < float64(pj) {
			dst[j] = 1
		} else {
			dst[j] = 0
		}
	}
}

// Binarize returns a fixed-binarised copy of d: each value is drawn once from
// Bernoulli(intensity), one rnd.Float64 per value in row-major order, so the
// same seed gives the same data. Labels and shape are kept. If d is already
// binary the copy is exact and nothing is drawn.
func (d *Dataset) Binarize(rnd *rand.Rand) *Dataset {
	s := d.Head(d.N)
	if !d.Binary {
		bernoulli(s.X, d.X, rnd)
		s.Binary = true
	}
	return s
}

// Splits holds the parts of a data set that is distributed as separate
// files. Valid is nil when there is no validation split.
type Splits struct {
	Train, Valid, Test *Dataset
}
