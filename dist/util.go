package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// halfLog2Pi is log(2π)/2, the per-coordinate constant of a Gaussian log
// density.
var halfLog2Pi = 0.5 * math.Log(2*math.Pi)

// rawOf returns the row-major storage of x. A *mat.Dense (any RawMatrixer) is
// read in place; any other mat.Matrix is copied once. A zero-sized matrix gives a
// zero-sized General.
func rawOf(x mat.Matrix) blas64.General {
	if x, ok := x.(mat.RawMatrixer); ok {
		return x.RawMatrix()
	}
	r, c := x.Dims()
	if r == 0 || c == 0 {
		return blas64.General{}
	}
	return mat.DenseCopyOf(x).RawMatrix()
}

// checkLogProbArgs panics unless x has dim columns and a number of rows
// compatible with a batch of size n (n == 1 broadcasts). It returns the rows
// of x and dst, allocated if nil.
func checkLogProbArgs(name string, dst []float64, x mat.Matrix, n, dim int) (blas64.General, []float64) {
	r, c := x.Dims()
	if c != dim && r != 0 {
		panic(fmt.Sprintf("dist: %s.LogProb: x has %d columns, want %d", name, c, dim))
	}
	if n != 1 && n != r {
		panic(fmt.Sprintf("dist: %s.LogProb: x has %d rows for a batch of %d members", name, r, n))
	}
	if dst == nil {
		dst = make([]float64, r)
	} else if len(dst) != r {
		panic(fmt.Sprintf("dist: %s.LogProb: len(dst) = %d, want %d rows", name, len(dst), r))
	}
	return rawOf(x), dst
}

// prepareDst resizes an empty dst to n×dim and otherwise panics unless it has
// dim columns and a number of rows compatible with a batch of size n. It
// returns the raw storage of dst.
func prepareDst(name, method string, dst *mat.Dense, n, dim int) blas64.General {
	if dst == nil {
		panic(fmt.Sprintf("dist: %s.%s: nil dst", name, method))
	}
	if dst.IsEmpty() {
		dst.ReuseAs(n, dim)
	}
	r, c := dst.Dims()
	if c != dim {
		panic(fmt.Sprintf("dist: %s.%s: dst has %d columns, want %d", name, method, c, dim))
	}
	if n != 1 && n != r {
		panic(fmt.Sprintf("dist: %s.%s: dst has %d rows for a batch of %d members", name, method, r, n))
	}
	return dst.RawMatrix()
}

// prepareEps resizes an empty eps to the shape of dst and otherwise panics
// unless the shapes agree.
func prepareEps(name string, dst, eps *mat.Dense) blas64.General {
	if eps == nil {
		panic(fmt.Sprintf("dist: %s.RSample: nil eps", name))
	}
	r, c := dst.Dims()
	if eps.IsEmpty() {
		eps.ReuseAs(r, c)
	}
	er, ec := eps.Dims()
	if er != r || ec != c {
		panic(fmt.Sprintf("dist: %s.RSample: eps is %d×%d, dst is %d×%d", name, er, ec, r, c))
	}
	return eps.RawMatrix()
}

// checkTransformArgs panics unless eps has the shape of dst.
func checkTransformArgs(name string, dst blas64.General, eps mat.Matrix) blas64.General {
	r, c := eps.Dims()
	if r != dst.Rows || c != dst.Cols {
		panic(fmt.Sprintf("dist: %s.Transform: eps is %d×%d, dst is %d×%d", name, r, c, dst.Rows, dst.Cols))
	}
	return rawOf(eps)
}

// fillNormal fills g with standard-normal draws in row-major order.
func fillNormal(g blas64.General, rnd *rand.Rand) {
	for i := 0; i < g.Rows; i++ {
		row := g.Data[i*g.Stride : i*g.Stride+g.Cols]
		for j := range row {
			row[j] = rnd.NormFloat64()
		}
	}
}

// entropyDst returns dst, allocated with length n if nil, and panics if its
// length is not n.
func entropyDst(name string, dst []float64, n int) []float64 {
	if dst == nil {
		return make([]float64, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("dist: %s.Entropy: len(dst) = %d, want %d", name, len(dst), n))
	}
	return dst
}

// rowOf returns row i of g.
func rowOf(g blas64.General, i int) []float64 {
	return g.Data[i*g.Stride : i*g.Stride+g.Cols]
}
