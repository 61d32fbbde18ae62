package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/internal/logspace"
)

// rows returns the number of rows a draw of n rows from a batch of size
// batch has, panicking on a mismatch.
func drawRows(name string, n, batch int) int {
	if n < 1 || (batch != 1 && n != batch) {
		panic(fmt.Sprintf("dist: %s.RSampleVar: %d rows from a batch of %d", name, n, batch))
	}
	return n
}

// LogProbVar returns the log-densities of the rows of x, differentiable with
// respect to x, Loc and LogScale (see Differentiable). It is one operation
// on the tape with the adjoints ∂/∂x = −z/σ, ∂/∂μ = z/σ and
// ∂/∂log σ = z² − 1, z = (x − μ)/σ, the 1/σ computed once per parameter
// element.
func (nd Normal) LogProbVar(x *ad.Var) *ad.Var {
	n, d := nd.dims()
	xr, out := checkLogProbArgs("Normal", nil, x, n, d)
	mu, ls := viewOf(nd.Loc), viewOf(nd.LogScale)
	inv := make([]float64, len(ls.data))
	for i, l := range ls.data {
		inv[i] = math.Exp(-l)
	}
	if !allFinite(inv) {
		return nd.coord().logProbVar(x) // the careful path for extreme scales
	}
	c := -float64(d) * halfLog2Pi
	for i := range out {
		s := c
		for j, v := range rowOf(xr, i) {
			k := i*ls.rs + j*ls.cs
			z := (v - mu.data[i*mu.rs+j*mu.cs]) * inv[k]
			s -= 0.5*z*z + ls.data[k]
		}
		out[i] = s
	}
	return ad.Custom(len(out), 1, out, []*ad.Var{x, ad.Lift(nd.Loc), ad.Lift(nd.LogScale)}, func(g []float64, grads [][]float64) {
		gx, gm, gl := grads[0], grads[1], grads[2]
		for i, gi := range g {
			if gi == 0 {
				continue
			}
			for j, v := range x.Data[i*d : (i+1)*d] {
				k, km := i*ls.rs+j*ls.cs, i*mu.rs+j*mu.cs
				z := (v - mu.data[km]) * inv[k]
				if gx != nil {
					gx[i*d+j] -= gi * z * inv[k]
				}
				if gm != nil {
					gm[km] += gi * z * inv[k]
				}
				if gl != nil {
					gl[k] += gi * (z*z - 1)
				}
			}
		}
	})
}

// productBlock is how many factors of (1, 2] a log-density multiplies
// before taking a logarithm: 2^1000 < math.MaxFloat64.
const productBlock = 1000

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return false
		}
	}
	return true
}

// Detach returns nd with its parameters' gradients stopped.
func (nd Normal) Detach() Differentiable {
	p := detachAll(nd.Loc, nd.LogScale)
	return Normal{Loc: p[0], LogScale: p[1]}
}

// RSampleVar returns n draws μ + exp(LogScale)·ε, ε ~ N(0, I) from rnd in
// row-major order (the stream Sample consumes), differentiable with respect
// to Loc and LogScale.
func (nd Normal) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	b, d := nd.dims()
	eps := ad.Const(drawRows("Normal", n, b), d, nil)
	fillNormal(eps.RawMatrix(), rnd)
	return ad.Add(ad.Lift(nd.Loc), ad.Mul(ad.Exp(ad.Lift(nd.LogScale)), eps))
}

// LogProbVar returns the log-densities of the rows of x, differentiable with
// respect to x.
func (s StdNormal) LogProbVar(x *ad.Var) *ad.Var {
	d := s.check()
	checkLogProbArgs("StdNormal", nil, x, 1, d)
	return ad.Shift(ad.Scale(ad.SumRows(ad.Square(x)), -0.5), -float64(d)*halfLog2Pi)
}

// Detach returns s (it has no parameters).
func (s StdNormal) Detach() Differentiable { return s }

// RSampleVar returns n standard-normal draws from rnd as a constant Var.
func (s StdNormal) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	eps := ad.Const(drawRows("StdNormal", n, 1), s.check(), nil)
	fillNormal(eps.RawMatrix(), rnd)
	return eps
}

// LogProbVar returns the log-masses of the rows of x, differentiable with
// respect to Logits (and to x, as the relaxed form Σ x·l − softplus(l)).
//
// It is one operation on the tape, with the adjoints x − σ(l) for the
// logits and l for x, computed in one pass over the elements.
func (b Bernoulli) LogProbVar(x *ad.Var) *ad.Var {
	n, d := b.dims()
	xr, out := checkLogProbArgs("Bernoulli", nil, x, n, d)
	l, lv := viewOf(b.Logits), ad.Lift(b.Logits)
	// e^−|l| of every element, kept for the logits' adjoint σ(l) when they
	// are on a tape, so that the backward pass takes no exponential.
	var ex []float64
	if lv.Tape() != nil {
		ex = make([]float64, len(out)*d)
	}
	for i := range out {
		// softplus(l) = max(l, 0) + log(1 + e^−|l|): the second terms lie
		// in (0, log 2], so their sum is the log of a product of factors
		// in (1, 2], taken once per block of productBlock coordinates.
		var s float64
		prod := 1.0
		for j, v := range rowOf(xr, i) {
			lij := l.data[i*l.rs+j*l.cs]
			e := math.Exp(-math.Abs(lij))
			if ex != nil {
				ex[i*d+j] = e
			}
			s += v*lij - math.Max(lij, 0)
			prod *= 1 + e
			if (j+1)%productBlock == 0 {
				s -= math.Log(prod)
				prod = 1
			}
		}
		out[i] = s - math.Log(prod)
	}
	return ad.Custom(len(out), 1, out, []*ad.Var{x, lv}, func(g []float64, grads [][]float64) {
		gx, gl := grads[0], grads[1]
		for i, gi := range g {
			if gi == 0 {
				continue
			}
			for j, v := range x.Data[i*d : (i+1)*d] {
				k := i*l.rs + j*l.cs
				if gx != nil {
					gx[i*d+j] += gi * l.data[k]
				}
				if gl != nil {
					gl[k] += gi * (v - sigmoidFrom(l.data[k], ex[i*d+j]))
				}
			}
		}
	})
}

// sigmoidFrom returns σ(l) given e = e^−|l|.
func sigmoidFrom(l, e float64) float64 {
	if l >= 0 {
		return 1 / (1 + e)
	}
	return e / (1 + e)
}

// Detach returns b with the gradient of its logits stopped.
func (b Bernoulli) Detach() Differentiable { return Bernoulli{Logits: detachAll(b.Logits)[0]} }

// LogProbVar returns the log-probabilities of the classes in the single
// column of x, differentiable with respect to Logits (x is discrete: its
// adjoint is zero).
func (c Categorical) LogProbVar(x *ad.Var) *ad.Var {
	n, k := c.dims()
	out := c.LogProb(nil, x)
	lg := rawOf(c.Logits)
	logits := ad.Lift(c.Logits)
	return ad.Custom(len(out), 1, out, []*ad.Var{x, logits}, func(g []float64, grads [][]float64) {
		gl := grads[1]
		if gl == nil {
			return
		}
		for i, gi := range g {
			if gi == 0 {
				continue
			}
			m := member(n, i)
			l := rowOf(lg, m)
			lse := logspace.LogSumExp(l)
			for j, v := range l {
				gl[m*k+j] -= gi * math.Exp(v-lse)
			}
			if cls := x.Data[i]; cls >= 0 && int(cls) < k {
				gl[m*k+int(cls)] += gi
			}
		}
	})
}

// Detach returns c with the gradient of its logits stopped.
func (c Categorical) Detach() Differentiable {
	return Categorical{Logits: detachAll(c.Logits)[0]}
}

// LogProbVar returns the log-densities of the rows of x, differentiable with
// respect to x, Loc and Chol.
//
// With u_i = L⁻¹(x_i − μ_i), the adjoints are ∂/∂x_i = −L⁻ᵀu_i,
// ∂/∂μ_i = L⁻ᵀu_i (summed over the rows a shared mean serves) and
// ∂/∂L = lower(Σ_i L⁻ᵀu_i u_iᵀ) − diag(1/L_jj)·n.
func (m MultivariateNormal) LogProbVar(x *ad.Var) *ad.Var {
	d, l, _ := m.check()
	out := m.LogProb(nil, x)
	n, members := len(out), m.Len()
	loc, chol := ad.Lift(m.Loc), ad.Lift(m.Chol)
	return ad.Custom(n, 1, out, []*ad.Var{x, loc, chol}, func(g []float64, grads [][]float64) {
		// v_i = g_i L⁻ᵀ L⁻¹ (x_i − μ_i), one row per data row.
		v := blas64.General{Rows: n, Cols: d, Stride: d, Data: make([]float64, n*d)}
		for i := range n {
			mu := m.mean(i)
			for j := range d {
				v.Data[i*d+j] = x.Data[i*d+j] - mu[j]
			}
		}
		blas64.Trsm(blas.Right, blas.Trans, 1, l, v) // rows u_i = L⁻¹(x_i − μ)
		u := blas64.General{Rows: n, Cols: d, Stride: d, Data: append([]float64(nil), v.Data...)}
		blas64.Trsm(blas.Right, blas.NoTrans, 1, l, v) // rows L⁻ᵀu_i
		var gsum float64
		for i := range n {
			for j := range d {
				v.Data[i*d+j] *= g[i]
			}
			gsum += g[i]
		}
		if gx := grads[0]; gx != nil {
			for i, w := range v.Data {
				gx[i] -= w
			}
		}
		if gm := grads[1]; gm != nil {
			for i := range n {
				row := member(members, i) * d
				for j := range d {
					gm[row+j] += v.Data[i*d+j]
				}
			}
		}
		if gl := grads[2]; gl != nil {
			// Σ_i (g_i L⁻ᵀu_i) u_iᵀ, lower triangle, minus Σ_i g_i / L_jj.
			full := blas64.General{Rows: d, Cols: d, Stride: d, Data: make([]float64, d*d)}
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, v, u, 0, full)
			for a := range d {
				for b := 0; b <= a; b++ {
					gl[a*d+b] += full.Data[a*d+b]
				}
				gl[a*d+a] -= gsum / l.Data[a*l.Stride+a]
			}
		}
	})
}

// Detach returns m with the gradients of Loc and Chol stopped.
func (m MultivariateNormal) Detach() Differentiable {
	p := detachAll(m.Loc, m.Chol)
	return MultivariateNormal{Loc: p[0], Chol: p[1]}
}

// RSampleVar returns n draws μ + Lε from rnd (the stream Sample consumes),
// differentiable with respect to Loc and Chol; the upper triangle of Chol
// is ignored.
func (m MultivariateNormal) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	d, _, _ := m.check()
	eps := ad.Const(drawRows("MultivariateNormal", n, m.Len()), d, nil)
	fillNormal(eps.RawMatrix(), rnd)
	return ad.Add(ad.Lift(m.Loc), ad.MatMul(eps, ad.Transpose(lowerPart(ad.Lift(m.Chol)))))
}

// lowerPart returns the lower triangle of the square Var v (a mask whose
// adjoint zeroes the upper triangle).
func lowerPart(v *ad.Var) *ad.Var {
	mask := ad.Const(v.R, v.C, nil)
	for a := range v.R {
		for b := 0; b <= a && b < v.C; b++ {
			mask.Data[a*v.C+b] = 1
		}
	}
	return ad.Mul(v, mask)
}
