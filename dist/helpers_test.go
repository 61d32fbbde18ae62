package dist

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// machEps is the float64 unit roundoff times two, 2⁻⁵².
const machEps = 0x1p-52

// zSE is the number of standard errors a statistical check allows. With a
// fixed seed the checks are deterministic; a correct implementation fails one
// with probability about 6e-5 per check under a fresh seed.
const zSE = 4

// fpTol bounds the rounding error of a floating-point expression summing
// terms terms of total magnitude scale (Σ|t_i|): each addition and each term
// contributes at most a few units of roundoff, so 4·terms·ε·scale, with scale
// at least 1 so that values near zero are compared absolutely.
func fpTol(terms int, scale float64) float64 {
	return 4 * float64(terms) * machEps * math.Max(1, scale)
}

// dense builds a matrix from rows.
func dense(rows ...[]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

// notDense hides the concrete type of a matrix, to exercise the generic
// mat.Matrix path.
type notDense struct{ mat.Matrix }

// newRand returns the seeded generator used by every test.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// mustPanic fails t unless f panics.
func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

// colMoments returns the sample mean and variance of column j of x.
func colMoments(x *mat.Dense, j int) (mean, variance float64) {
	n, _ := x.Dims()
	for i := 0; i < n; i++ {
		mean += x.At(i, j)
	}
	mean /= float64(n)
	for i := 0; i < n; i++ {
		d := x.At(i, j) - mean
		variance += d * d
	}
	return mean, variance / float64(n-1)
}

// checkGaussianMoments checks the sample mean and variance of a column
// against the true values, with standard errors σ/√n for the mean and
// σ²√(2/(n−1)) for the variance of a Gaussian sample.
func checkGaussianMoments(t *testing.T, name string, x *mat.Dense, j int, mu, sigma2 float64) {
	t.Helper()
	n, _ := x.Dims()
	m, v := colMoments(x, j)
	if se := math.Sqrt(sigma2 / float64(n)); math.Abs(m-mu) > zSE*se {
		t.Errorf("%s col %d: mean %v, want %v ± %v", name, j, m, mu, zSE*se)
	}
	if se := sigma2 * math.Sqrt(2/float64(n-1)); math.Abs(v-sigma2) > zSE*se {
		t.Errorf("%s col %d: variance %v, want %v ± %v", name, j, v, sigma2, zSE*se)
	}
}
