package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// family is the shared implementation of a coordinatewise family: its
// log-density is a sum over coordinates of f(x; θ) with broadcast
// parameters, and its draws, moments and entropy are per coordinate too.
// Each exported family builds one and delegates to it.
type family struct {
	coordwise
	// sample draws one coordinate given the parameters.
	sample func(th []float64, rnd *rand.Rand) float64
	// mean, variance and entropy are per coordinate.
	mean, variance, entropy func(th []float64) float64
}

// params returns the parameters of coordinate (i, j) of the batch in th.
func (f family) at(vs []view, th []float64, i, j int) []float64 {
	for k, v := range vs {
		th[k] = v.data[i*v.rs+j*v.cs]
	}
	return th
}

// sampleInto fills dst with draws coordinate by coordinate in row-major
// order.
func (f family) sampleInto(dst *mat.Dense, rnd *rand.Rand) {
	n, d := f.shape()
	g := prepareDst(f.name, "Sample", dst, n, d)
	vs := f.views()
	th := make([]float64, len(vs))
	for i := range g.Rows {
		row := rowOf(g, i)
		for j := range row {
			row[j] = f.sample(f.at(vs, th, i, j), rnd)
		}
	}
}

// moment fills dst (resized if empty) with a per-coordinate function of the
// parameters over the n×d batch.
func (f family) moment(method string, dst *mat.Dense, m func([]float64) float64) {
	n, d := f.shape()
	if dst == nil {
		panic(fmt.Sprintf("dist: %s.%s: nil dst", f.name, method))
	}
	if dst.IsEmpty() {
		dst.ReuseAs(n, d)
	}
	if r, c := dst.Dims(); r != n || c != d {
		panic(fmt.Sprintf("dist: %s.%s: dst is %d×%d, want %d×%d", f.name, method, r, c, n, d))
	}
	vs := f.views()
	th := make([]float64, len(vs))
	for i := range n {
		for j := range d {
			dst.Set(i, j, m(f.at(vs, th, i, j)))
		}
	}
}

// entropyOf stores the per-member sums of the coordinate entropies in dst.
func (f family) entropyOf(dst []float64) []float64 {
	n, d := f.shape()
	dst = entropyDst(f.name, dst, n)
	vs := f.views()
	th := make([]float64, len(vs))
	for i := range n {
		var s float64
		for j := range d {
			s += f.entropy(f.at(vs, th, i, j))
		}
		dst[i] = s
	}
	return dst
}

// noise returns an n×d constant of draws from gen in row-major order, n
// checked against the batch.
func (f family) noise(n int, gen func() float64) *ad.Var {
	b, d := f.shape()
	eps := ad.Const(drawRows(f.name, n, b), d, nil)
	for i := range eps.Data {
		eps.Data[i] = gen()
	}
	return eps
}

// sampleFromVar fills dst with the values of a draw of its number of rows
// made by rsample (the numeric path of RSampleVar, so that Sample and
// RSampleVar consume rnd identically).
func (f family) sampleFromVar(dst *mat.Dense, rnd *rand.Rand, rsample func(n int, rnd *rand.Rand) *ad.Var) {
	n, d := f.shape()
	g := prepareDst(f.name, "Sample", dst, n, d)
	v := rsample(g.Rows, rnd)
	for i := range g.Rows {
		copy(rowOf(g, i), v.Data[i*d:(i+1)*d])
	}
}

// openUniform returns a uniform draw in the open interval (0, 1), from the
// 53 bits of one rnd.Uint64 call.
func openUniform(rnd *rand.Rand) float64 {
	return (float64(rnd.Uint64()>>11) + 0.5) / (1 << 53)
}

// lift returns the parameters as Vars.
func liftAll(ps ...mat.Matrix) []*ad.Var {
	out := make([]*ad.Var, len(ps))
	for i, p := range ps {
		out[i] = ad.Lift(p)
	}
	return out
}

// lgamma is log |Γ(x)|.
func lgamma(x float64) float64 { l, _ := math.Lgamma(x); return l }

// negInf is −∞, the log-density outside a support.
var negInf = math.Inf(-1)

// sameValue returns the common value of every element of m, and false if
// they differ.
func sameValue(m mat.Matrix) (float64, bool) {
	g := rawOf(m)
	v := g.Data[0]
	for i := range g.Rows {
		for _, x := range rowOf(g, i) {
			if x != v {
				return v, false
			}
		}
	}
	return v, true
}
