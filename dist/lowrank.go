package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// LowRankMultivariateNormal is a batch of Gaussians N(Loc_i, W Wᵀ + diag(D))
// sharing a covariance that is a rank-r term plus a diagonal, as Pyro's
// LowRankMultivariateNormal: member i has mean row i of Loc (one row
// broadcasts to every row, Len() == 1).
//
// Loc is n×d (or 1×d), CovFactor the d×r matrix W and CovDiag the 1×d row
// D of positive variances; each is a *mat.Dense or an *ad.Var to
// differentiate log-densities and draws with respect to it. The
// log-density costs O(d r² + r³) per member set and O(d r) per row, never
// forming the d×d covariance: by the Woodbury identity and the matrix
// determinant lemma, with the r×r capacitance C = I + Wᵀ D⁻¹ W,
//
//	Σ⁻¹ = D⁻¹ − D⁻¹ W C⁻¹ Wᵀ D⁻¹,  log det Σ = log det C + Σ_j log D_j.
//
// Draws are Loc + W ε₁ + √D ⊙ ε₂ with ε₁ ~ N(0, I_r), ε₂ ~ N(0, I_d). The
// methods panic if a field is nil, the shapes disagree, or an entry of
// CovDiag is not positive.
type LowRankMultivariateNormal struct {
	Loc       mat.Matrix // n×d or 1×d
	CovFactor mat.Matrix // d×r
	CovDiag   mat.Matrix // 1×d, positive
}

var (
	_ Reparameterizer = LowRankMultivariateNormal{}
	_ Entropier       = LowRankMultivariateNormal{}
	_ Supporter       = LowRankMultivariateNormal{}
)

// check panics on an invalid distribution and returns d and r.
func (m LowRankMultivariateNormal) check() (d, r int) {
	if m.Loc == nil || m.CovFactor == nil || m.CovDiag == nil {
		panic("dist: LowRankMultivariateNormal: nil Loc, CovFactor or CovDiag")
	}
	n, d := m.Loc.Dims()
	if n == 0 || d == 0 {
		panic(fmt.Sprintf("dist: LowRankMultivariateNormal: Loc is %d×%d, want n×d", n, d))
	}
	wr, r := m.CovFactor.Dims()
	if wr != d || r == 0 {
		panic(fmt.Sprintf("dist: LowRankMultivariateNormal: CovFactor is %d×%d, want %d×r with r ≥ 1", wr, r, d))
	}
	if dr, dc := m.CovDiag.Dims(); dr != 1 || dc != d {
		panic(fmt.Sprintf("dist: LowRankMultivariateNormal: CovDiag is %d×%d, want 1×%d", dr, dc, d))
	}
	for j := range d {
		if v := m.CovDiag.At(0, j); !(v > 0) || math.IsInf(v, 1) {
			panic(fmt.Sprintf("dist: LowRankMultivariateNormal: CovDiag[%d] = %v, want a positive finite variance", j, v))
		}
	}
	return d, r
}

// Dim returns d.
func (m LowRankMultivariateNormal) Dim() int { d, _ := m.check(); return d }

// Rank returns r, the number of columns of CovFactor.
func (m LowRankMultivariateNormal) Rank() int { _, r := m.check(); return r }

// Len returns the number of rows of Loc.
func (m LowRankMultivariateNormal) Len() int { m.check(); n, _ := m.Loc.Dims(); return n }

// Support returns Real.
func (m LowRankMultivariateNormal) Support() Support { m.check(); return Real }

// parts lifts the parameters and returns the capacitance C = I + WᵀD⁻¹W
// (r×r) and A = WᵀD⁻¹ (r×d) on the tape.
func (m LowRankMultivariateNormal) parts() (w, dg, a, c *ad.Var) {
	_, r := m.check()
	w, dg = ad.Lift(m.CovFactor), ad.Lift(m.CovDiag)
	a = ad.Div(ad.Transpose(w), dg)
	eye := ad.Const(r, r, nil)
	for i := range r {
		eye.Data[i*r+i] = 1
	}
	return w, dg, a, ad.Add(ad.MatMul(a, w), eye)
}

// LogProbVar returns the log-densities of the rows of x, differentiable
// with respect to x and every parameter given as an *ad.Var.
func (m LowRankMultivariateNormal) LogProbVar(x *ad.Var) *ad.Var {
	d, _ := m.check()
	if n := m.Len(); x.C != d || (n != 1 && x.R != n) {
		panic(fmt.Sprintf("dist: LowRankMultivariateNormal.LogProbVar: x is %d×%d for a batch of %d members of dimension %d", x.R, x.C, n, d))
	}
	_, dg, a, c := m.parts()
	e := ad.Sub(x, ad.Lift(m.Loc))     // R×d
	b := ad.MatMul(a, ad.Transpose(e)) // r×R: WᵀD⁻¹e
	sol := spdSolve(c, b)              // r×R: C⁻¹WᵀD⁻¹e
	// eᵀΣ⁻¹e = eᵀD⁻¹e − (WᵀD⁻¹e)ᵀ C⁻¹ (WᵀD⁻¹e).
	quad := ad.Sub(ad.SumRows(ad.Div(ad.Square(e), dg)), ad.Transpose(ad.SumCols(ad.Mul(b, sol))))
	logDet := ad.Add(spdLogDet(c), ad.Sum(ad.Log(dg)))
	return ad.Shift(ad.Scale(ad.Add(quad, logDet), -0.5), -float64(d)*halfLog2Pi)
}

// LogProb stores the log-densities of the rows of x in dst.
func (m LowRankMultivariateNormal) LogProb(dst []float64, x mat.Matrix) []float64 {
	d, _ := m.check()
	_, dst = checkLogProbArgs("LowRankMultivariateNormal", dst, x, m.Len(), d)
	copy(dst, m.LogProbVar(ad.Lift(mat.DenseCopyOf(x))).Data)
	return dst
}

// Detach returns the distribution with the gradients of its parameters
// stopped.
func (m LowRankMultivariateNormal) Detach() Differentiable {
	p := detachAll(m.Loc, m.CovFactor, m.CovDiag)
	return LowRankMultivariateNormal{Loc: p[0], CovFactor: p[1], CovDiag: p[2]}
}

// RSampleVar returns n draws Loc + W ε₁ + √D ⊙ ε₂, differentiable with
// respect to the parameters; each row takes its r + d standard normals
// from rnd in turn, ε₁ first.
func (m LowRankMultivariateNormal) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	d, r := m.check()
	eps := ad.Const(drawRows("LowRankMultivariateNormal", n, m.Len()), r+d, nil)
	fillNormal(eps.RawMatrix(), rnd)
	e1, e2 := ad.SliceCols(eps, 0, r), ad.SliceCols(eps, r, r+d)
	w, dg := ad.Lift(m.CovFactor), ad.Lift(m.CovDiag)
	return ad.Add(ad.Add(ad.Lift(m.Loc), ad.MatMul(e1, ad.Transpose(w))), ad.Mul(e2, ad.Sqrt(dg)))
}

// Sample fills dst with draws, as RSampleVar.
func (m LowRankMultivariateNormal) Sample(dst *mat.Dense, rnd *rand.Rand) {
	d, _ := m.check()
	g := prepareDst("LowRankMultivariateNormal", "Sample", dst, m.Len(), d)
	v := m.Detach().(LowRankMultivariateNormal).RSampleVar(g.Rows, rnd)
	for i := range g.Rows {
		copy(rowOf(g, i), v.Data[i*d:(i+1)*d])
	}
}

// Entropy stores ½(d(1 + log 2π) + log det Σ) in dst for every member.
func (m LowRankMultivariateNormal) Entropy(dst []float64) []float64 {
	d, _ := m.check()
	dst = entropyDst("LowRankMultivariateNormal", dst, m.Len())
	_, dg, _, c := m.Detach().(LowRankMultivariateNormal).parts()
	h := 0.5*float64(d) + float64(d)*halfLog2Pi + 0.5*(spdLogDet(c).Data[0]+ad.Sum(ad.Log(dg)).Data[0])
	for i := range dst {
		dst[i] = h
	}
	return dst
}

// Covariance returns W Wᵀ + diag(D) as a d×d matrix.
func (m LowRankMultivariateNormal) Covariance() *mat.SymDense {
	d, _ := m.check()
	w := mat.DenseCopyOf(m.CovFactor)
	cov := mat.NewSymDense(d, nil)
	cov.SymOuterK(1, w)
	for j := range d {
		cov.SetSym(j, j, cov.At(j, j)+m.CovDiag.At(0, j))
	}
	return cov
}

// Mean stores Loc in dst (resized if empty).
func (m LowRankMultivariateNormal) Mean(dst *mat.Dense) {
	d, _ := m.check()
	if dst.IsEmpty() {
		dst.ReuseAs(m.Len(), d)
	}
	dst.Copy(m.Loc)
}

// Variance stores the diagonal of W Wᵀ + diag(D) in every row of dst
// (resized if empty).
func (m LowRankMultivariateNormal) Variance(dst *mat.Dense) {
	d, _ := m.check()
	if dst.IsEmpty() {
		dst.ReuseAs(m.Len(), d)
	}
	cov := m.Covariance()
	r, _ := dst.Dims()
	for i := range r {
		for j := range d {
			dst.Set(i, j, cov.At(j, j))
		}
	}
}

// spdCholesky factors the symmetric positive-definite c (its upper
// triangle read), panicking if it is not positive definite.
func spdCholesky(c *ad.Var) *mat.Cholesky {
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(c.R, append([]float64(nil), c.Data...))) {
		panic("dist: LowRankMultivariateNormal: the capacitance matrix is not positive definite")
	}
	return &ch
}

// spdLogDet returns the 1×1 log det c of a symmetric positive-definite c,
// with the adjoint g·c⁻¹.
func spdLogDet(c *ad.Var) *ad.Var {
	ch := spdCholesky(c)
	return ad.Custom(1, 1, []float64{ch.LogDet()}, []*ad.Var{c}, func(g []float64, grads [][]float64) {
		if grads[0] == nil {
			return
		}
		var inv mat.SymDense
		if err := ch.InverseTo(&inv); err != nil {
			panic(err)
		}
		n := c.R
		for i := range n {
			for j := range n {
				grads[0][i*n+j] += g[0] * inv.At(i, j)
			}
		}
	})
}

// spdSolve returns X = c⁻¹b for a symmetric positive-definite c, with the
// adjoints ∂b = c⁻¹G and ∂c = −c⁻¹G Xᵀ.
func spdSolve(c, b *ad.Var) *ad.Var {
	if c.R != c.C || b.R != c.R {
		panic(&ad.ShapeError{Op: "spdSolve", Shapes: [][2]int{{c.R, c.C}, {b.R, b.C}}})
	}
	ch := spdCholesky(c)
	var x mat.Dense
	if err := ch.SolveTo(&x, b.Dense()); err != nil {
		panic(err)
	}
	out := append([]float64(nil), x.RawMatrix().Data...)
	return ad.Custom(b.R, b.C, out, []*ad.Var{c, b}, func(g []float64, grads [][]float64) {
		var s mat.Dense
		if err := ch.SolveTo(&s, mat.NewDense(b.R, b.C, g)); err != nil {
			panic(err)
		}
		if grads[1] != nil {
			for i, v := range s.RawMatrix().Data {
				grads[1][i] += v
			}
		}
		if grads[0] != nil {
			var gc mat.Dense
			gc.Mul(&s, mat.NewDense(b.R, b.C, out).T())
			for i, v := range gc.RawMatrix().Data {
				grads[0][i] -= v
			}
		}
	})
}
