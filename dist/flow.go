package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// This file holds the normalising flows: learnable bijections of R^d
// whose parameters are *ad.Var, so that a guide reads them with
// ppl's Tracer.Param and SVI fits them. Each is a Bijector; stacked in a
// ComposeTransform over a reparameterised base (usually a Normal) and
// wrapped in a FlowDistribution they are a variational family.

// linearVar returns x·W + b (b broadcast over rows).
func linearVar(x, w, b *ad.Var) *ad.Var { return ad.Add(ad.MatMul(x, w), b) }

// PlanarFlow is the planar flow of Rezende and Mohamed (2015),
//
//	f(z) = z + û·tanh(wᵀz + b),  log |det J| = log(1 + (1 − tanh²(wᵀz + b))·wᵀû),
//
// with U and W 1×d and B 1×1. The map is invertible when wᵀû > −1, which
// is enforced by using, in place of U, the vector
//
//	û = u + (m(wᵀu) − wᵀu)·w/‖w‖²,  m(a) = −1 + softplus(a),
//
// so that wᵀû = m(wᵀu) > −1 for any unconstrained U (W must not be zero).
//
// A planar flow has no closed-form inverse. Inverse and InverseVar solve
// the scalar equation α + wᵀû·tanh(α + b) = wᵀx for α = wᵀz (strictly
// increasing in α, bracketed in [wᵀx − |wᵀû|, wᵀx + |wᵀû|]) by bisection
// to machine precision, then set z = x − û·tanh(α + b). InverseVar records
// the root as a constant followed by one Newton step on the tape, whose
// value is the root and whose derivatives are exactly those of the
// implicit function theorem. A guide should still use FlowDistribution,
// which takes the log-density of its own draws without inverting.
type PlanarFlow struct {
	U, W, B *ad.Var
}

func (p PlanarFlow) dim(name string, c int) int {
	if p.U == nil || p.W == nil || p.B == nil {
		panic("dist: PlanarFlow: nil U, W or B")
	}
	if p.U.R != 1 || p.W.R != 1 || p.U.C != p.W.C || p.B.R != 1 || p.B.C != 1 {
		panic(fmt.Sprintf("dist: PlanarFlow: U is %d×%d, W %d×%d, B %d×%d; want 1×d, 1×d and 1×1", p.U.R, p.U.C, p.W.R, p.W.C, p.B.R, p.B.C))
	}
	if c != p.W.C {
		panic(fmt.Sprintf("dist: PlanarFlow.%s: %d columns, want %d", name, c, p.W.C))
	}
	return c
}

// uHat returns û (1×d) and wᵀû (1×1).
func (p PlanarFlow) uHat() (uh, wu *ad.Var) {
	wt := ad.Transpose(p.W)
	wu0 := ad.MatMul(p.U, wt)
	ww := ad.MatMul(p.W, wt)
	m := ad.Shift(ad.Softplus(wu0), -1)
	uh = ad.Add(p.U, ad.Mul(ad.Div(ad.Sub(m, wu0), ww), p.W))
	return uh, m
}

// Forward returns z + û·tanh(wᵀz + b) row by row.
func (p PlanarFlow) Forward(u *ad.Var) *ad.Var {
	x, _ := p.forwardLogDet("Forward", u, false)
	return x
}

// LogDetJacobian returns log(1 + (1 − tanh²(wᵀz + b))·wᵀû) per row.
func (p PlanarFlow) LogDetJacobian(u *ad.Var) *ad.Var {
	_, ld := p.forwardLogDet("LogDetJacobian", u, true)
	return ld
}

// forwardLogDet returns f(u) and, if wanted, log |det J(u)|, sharing the
// work.
func (p PlanarFlow) forwardLogDet(name string, u *ad.Var, wantLD bool) (x, ld *ad.Var) {
	p.dim(name, u.C)
	uh, wu := p.uHat()
	h := ad.Tanh(ad.Add(ad.MatMul(u, ad.Transpose(p.W)), p.B))
	x = ad.Add(u, ad.Mul(h, uh))
	if wantLD {
		ld = ad.Log(ad.Shift(ad.Mul(ad.Shift(ad.Neg(ad.Square(h)), 1), wu), 1))
	}
	return x, ld
}

// planarRoot solves α + s·tanh(α + b) = c for α, s > −1.
func planarRoot(c, s, b float64) float64 {
	lo, hi := c-math.Abs(s), c+math.Abs(s)
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if mid+s*math.Tanh(mid+b) < c {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2
}

// roots returns wᵀz for each row of x as an n×1 constant.
func (p PlanarFlow) roots(x *ad.Var) *ad.Var {
	_, wu := PlanarFlow{U: ad.Detach(p.U), W: ad.Detach(p.W), B: p.B}.uHat()
	c := ad.MatMul(ad.Detach(x), ad.Transpose(ad.Detach(p.W)))
	s, b := wu.Data[0], p.B.Data[0]
	out := ad.Const(x.R, 1, nil)
	for i := range out.Data {
		out.Data[i] = planarRoot(c.Data[i], s, b)
	}
	return out
}

// Inverse returns f⁻¹(x) row by row, by the numerical root described on
// the type.
func (p PlanarFlow) Inverse(x *mat.Dense) *mat.Dense {
	return ad.Detach(p.InverseVar(ad.FromDense(x))).Dense()
}

// InverseVar returns f⁻¹(x) row by row, differentiable with respect to x
// and the parameters through one Newton step from the numerical root.
func (p PlanarFlow) InverseVar(x *ad.Var) *ad.Var {
	p.dim("InverseVar", x.C)
	a0 := p.roots(x)
	uh, wu := p.uHat()
	t := ad.Tanh(ad.Add(a0, p.B))
	g := ad.Sub(ad.Add(a0, ad.Mul(wu, t)), ad.MatMul(x, ad.Transpose(p.W)))
	dg := ad.Shift(ad.Mul(wu, ad.Shift(ad.Neg(ad.Square(t)), 1)), 1)
	alpha := ad.Sub(a0, ad.Div(g, dg))
	return ad.Sub(x, ad.Mul(ad.Tanh(ad.Add(alpha, p.B)), uh))
}

// ForwardDim returns du, which must be the length of W.
func (p PlanarFlow) ForwardDim(du int) int { return p.dim("ForwardDim", du) }

// InverseDim returns d, which must be the length of W.
func (p PlanarFlow) InverseDim(d int) int { return p.dim("InverseDim", d) }

// Codomain returns Real.
func (p PlanarFlow) Codomain() Support { return Real }

// AffineCoupling is the affine coupling layer of RealNVP (Dinh, Sohl-Dickstein
// and Bengio 2017). The columns listed in Cond (k of them) pass through
// unchanged and condition the other m = d − k columns, in increasing order:
//
//	y_Cond = z_Cond,  y_rest = z_rest ⊙ exp(s) + t,  (s, t) = NN(z_Cond),
//
// so log |det J| = Σ s. The conditioner NN is a one-hidden-layer network
// with tanh units, h = tanh(z_Cond·W1 + B1), (s, t) = h·W2 + B2 (the first
// m columns s, the last m t), with W1 k×H, B1 1×H, W2 H×2m and B2 1×2m;
// zero W2 and B2 make the layer the identity, the usual initialisation.
// The inverse is closed-form: z_rest = (y_rest − t) ⊙ exp(−s). Alternate
// Cond between layers so that every coordinate is transformed.
type AffineCoupling struct {
	Cond           []int
	W1, B1, W2, B2 *ad.Var
}

// split returns the passing and the transformed column indices and the
// permutation that puts [pass, rest] back in order, for d columns.
func (c AffineCoupling) split(name string, d int) (pass, rest, back []int) {
	if c.W1 == nil || c.B1 == nil || c.W2 == nil || c.B2 == nil {
		panic("dist: AffineCoupling: nil W1, B1, W2 or B2")
	}
	k, h := len(c.Cond), c.W1.C
	if k == 0 || c.W2.C%2 != 0 || c.W2.C == 0 || c.W1.R != k || c.B1.R != 1 || c.B1.C != h || c.W2.R != h || c.B2.R != 1 || c.B2.C != c.W2.C {
		panic(fmt.Sprintf("dist: AffineCoupling: %d conditioning columns, W1 %d×%d, B1 %d×%d, W2 %d×%d, B2 %d×%d; want W1 k×H, B1 1×H, W2 H×2m, B2 1×2m",
			k, c.W1.R, c.W1.C, c.B1.R, c.B1.C, c.W2.R, c.W2.C, c.B2.R, c.B2.C))
	}
	want := k + c.W2.C/2
	if d != want {
		panic(fmt.Sprintf("dist: AffineCoupling.%s: %d columns, want %d", name, d, want))
	}
	in := make([]bool, d)
	for _, j := range c.Cond {
		if j < 0 || j >= d || in[j] {
			panic(fmt.Sprintf("dist: AffineCoupling: Cond %v is not a set of distinct columns of %d", c.Cond, d))
		}
		in[j] = true
	}
	pass = c.Cond
	for j := range d {
		if !in[j] {
			rest = append(rest, j)
		}
	}
	back = make([]int, d)
	for i, j := range append(append([]int(nil), pass...), rest...) {
		back[j] = i
	}
	return pass, rest, back
}

// net returns s and t for the conditioning columns z1.
func (c AffineCoupling) net(z1 *ad.Var) (s, t *ad.Var) {
	o := linearVar(ad.Tanh(linearVar(z1, c.W1, c.B1)), c.W2, c.B2)
	m := o.C / 2
	return ad.SliceCols(o, 0, m), ad.SliceCols(o, m, 2*m)
}

// Forward returns the coupled rows.
func (c AffineCoupling) Forward(u *ad.Var) *ad.Var {
	x, _ := c.forwardLogDet("Forward", u, false)
	return x
}

// forwardLogDet returns f(u) and, if wanted, Σ s per row.
func (c AffineCoupling) forwardLogDet(name string, u *ad.Var, wantLD bool) (x, ld *ad.Var) {
	pass, rest, back := c.split(name, u.C)
	z1 := ad.Cols(u, pass)
	s, t := c.net(z1)
	y2 := ad.Add(ad.Mul(ad.Cols(u, rest), ad.Exp(s)), t)
	if wantLD {
		ld = ad.SumRows(s)
	}
	return ad.Cols(ad.ConcatCols(z1, y2), back), ld
}

// Inverse returns (y_Cond, (y_rest − t)·exp(−s)).
func (c AffineCoupling) Inverse(x *mat.Dense) *mat.Dense {
	return ad.Detach(c.InverseVar(ad.FromDense(x))).Dense()
}

// InverseVar returns (y_Cond, (y_rest − t)·exp(−s)), differentiable.
func (c AffineCoupling) InverseVar(x *ad.Var) *ad.Var {
	pass, rest, back := c.split("InverseVar", x.C)
	y1 := ad.Cols(x, pass)
	s, t := c.net(y1)
	z2 := ad.Mul(ad.Sub(ad.Cols(x, rest), t), ad.Exp(ad.Neg(s)))
	return ad.Cols(ad.ConcatCols(y1, z2), back)
}

// LogDetJacobian returns Σ s per row.
func (c AffineCoupling) LogDetJacobian(u *ad.Var) *ad.Var {
	pass, _, _ := c.split("LogDetJacobian", u.C)
	s, _ := c.net(ad.Cols(u, pass))
	return ad.SumRows(s)
}

// forwardLogDetter is a bijector that computes f(u) and log |det J(u)|
// together for less than the two methods cost apart.
type forwardLogDetter interface {
	forwardLogDet(name string, u *ad.Var, wantLD bool) (x, ld *ad.Var)
}

// forwardLogDet returns b.Forward(u) and b.LogDetJacobian(u), sharing the
// work where b (or each bijector of a ComposeTransform) allows.
func forwardLogDet(b Bijector, u *ad.Var) (x, ld *ad.Var) {
	switch t := b.(type) {
	case forwardLogDetter:
		return t.forwardLogDet("Forward", u, true)
	case ComposeTransform:
		t.check()
		ld = zeroRows(u.R)
		for _, s := range t {
			var l *ad.Var
			u, l = forwardLogDet(s, u)
			ld = ad.Add(ld, l)
		}
		return u, ld
	}
	return b.Forward(u), b.LogDetJacobian(u)
}

// ForwardDim returns du, which must be len(Cond) + W2's columns / 2.
func (c AffineCoupling) ForwardDim(du int) int { c.split("ForwardDim", du); return du }

// InverseDim returns d, which must be len(Cond) + W2's columns / 2.
func (c AffineCoupling) InverseDim(d int) int { c.split("InverseDim", d); return d }

// Codomain returns Real.
func (c AffineCoupling) Codomain() Support { return Real }

// IAF is one step of an inverse autoregressive flow (Kingma, Salimans,
// Jozefowicz, Chen, Sutskever and Welling 2016) in its numerically stable
// form:
//
//	(m, s) = MADE(z [, h]),  σ = sigmoid(s),  y = σ ⊙ z + (1 − σ) ⊙ m,
//
// with log |det J| = Σ log σ, where output j of the MADE (Germain, Gregor,
// Murray and Larochelle 2015) depends on the coordinates before j in the
// flow's order only (1, …, d; d, …, 1 when Reverse). The MADE has one
// hidden layer of H tanh units:
//
//	hid = tanh((z·(W1 ⊙ M1)) + B1 [+ Context·WC]),  (m, s) = hid·(W2 ⊙ [M2 M2]) + B2,
//
// with W1 d×H, B1 1×H, W2 H×2d (the first d columns m, the last d s), B2
// 1×2d and fixed binary masks: hidden unit k has degree k mod d, sees
// the inputs of degree ≤ its own and feeds the outputs of greater degree.
// Units of degree 0 see no input, so an IAF of one dimension is an affine
// map of the context. Context (n×c or 1×c, n the rows of z) and WC (c×H)
// are optional, both nil or both set: the step is then conditioned on h,
// as the amortised encoder of a VAE is. Zero W2 and a positive s part of
// B2 (1 to 2) start the step close to the identity, as Kingma et al.
// recommend. Alternate Reverse between steps.
//
// The inverse is sequential: z = m + (y − m)/σ applied d times, each pass
// fixing one more coordinate in the flow's order (d network evaluations,
// fine for small d).
type IAF struct {
	W1, B1, W2, B2 *ad.Var
	Context, WC    *ad.Var
	Reverse        bool
}

// masks returns M1 (d×H) and [M2 M2] (H×2d) for the flow's order.
func (f IAF) masks(name string, d int) (m1, m2 *ad.Var) {
	if f.W1 == nil || f.B1 == nil || f.W2 == nil || f.B2 == nil {
		panic("dist: IAF: nil W1, B1, W2 or B2")
	}
	h := f.W1.C
	if f.W1.R != d || f.B1.R != 1 || f.B1.C != h || f.W2.R != h || f.W2.C != 2*d || f.B2.R != 1 || f.B2.C != 2*d {
		panic(fmt.Sprintf("dist: IAF.%s: %d columns with W1 %d×%d, B1 %d×%d, W2 %d×%d, B2 %d×%d; want W1 d×H, B1 1×H, W2 H×2d, B2 1×2d",
			name, d, f.W1.R, f.W1.C, f.B1.R, f.B1.C, f.W2.R, f.W2.C, f.B2.R, f.B2.C))
	}
	if (f.Context == nil) != (f.WC == nil) {
		panic("dist: IAF: Context and WC must be both nil or both set")
	}
	if f.Context != nil && (f.WC.R != f.Context.C || f.WC.C != h) {
		panic(fmt.Sprintf("dist: IAF: Context has %d columns and WC is %d×%d; want WC %d×%d", f.Context.C, f.WC.R, f.WC.C, f.Context.C, h))
	}
	deg := func(i int) int {
		if f.Reverse {
			return d - i
		}
		return i + 1
	}
	m1 = ad.Const(d, h, nil)
	m2 = ad.Const(h, 2*d, nil)
	for k := range h {
		mk := k % d
		for i := range d {
			if deg(i) <= mk {
				m1.Data[i*h+k] = 1
			}
			if mk < deg(i) {
				m2.Data[k*2*d+i] = 1
				m2.Data[k*2*d+d+i] = 1
			}
		}
	}
	return m1, m2
}

// made returns m and s (each n×d) for the rows z.
func (f IAF) made(name string, z *ad.Var) (m, s *ad.Var) {
	d := z.C
	m1, m2 := f.masks(name, d)
	pre := linearVar(z, ad.Mul(f.W1, m1), f.B1)
	if f.Context != nil {
		if f.Context.R != 1 && f.Context.R != z.R {
			panic(fmt.Sprintf("dist: IAF.%s: Context has %d rows, z %d; want 1 or %d", name, f.Context.R, z.R, z.R))
		}
		pre = ad.Add(pre, ad.MatMul(f.Context, f.WC))
	}
	o := linearVar(ad.Tanh(pre), ad.Mul(f.W2, m2), f.B2)
	return ad.SliceCols(o, 0, d), ad.SliceCols(o, d, 2*d)
}

// Forward returns σ ⊙ z + (1 − σ) ⊙ m row by row.
func (f IAF) Forward(u *ad.Var) *ad.Var {
	x, _ := f.forwardLogDet("Forward", u, false)
	return x
}

// forwardLogDet returns f(u) and, if wanted, Σ log σ per row.
func (f IAF) forwardLogDet(name string, u *ad.Var, wantLD bool) (x, ld *ad.Var) {
	m, s := f.made(name, u)
	if wantLD {
		ld = ad.SumRows(ad.LogSigmoid(s))
	}
	return ad.Add(m, ad.Mul(ad.Sigmoid(s), ad.Sub(u, m))), ld
}

// LogDetJacobian returns Σ log σ(s) per row.
func (f IAF) LogDetJacobian(u *ad.Var) *ad.Var {
	_, s := f.made("LogDetJacobian", u)
	return ad.SumRows(ad.LogSigmoid(s))
}

// Inverse returns f⁻¹(x) by the sequential inverse (d passes).
func (f IAF) Inverse(x *mat.Dense) *mat.Dense {
	return ad.Detach(f.InverseVar(ad.FromDense(x))).Dense()
}

// InverseVar returns f⁻¹(x) by the sequential inverse (d passes),
// differentiable with respect to x and the parameters.
func (f IAF) InverseVar(x *ad.Var) *ad.Var {
	z := x
	for range x.C {
		m, s := f.made("InverseVar", z)
		z = ad.Add(m, ad.Div(ad.Sub(x, m), ad.Sigmoid(s)))
	}
	return z
}

// ForwardDim returns du, which must be W1's rows.
func (f IAF) ForwardDim(du int) int { f.masks("ForwardDim", du); return du }

// InverseDim returns d, which must be W1's rows.
func (f IAF) InverseDim(d int) int { f.masks("InverseDim", d); return d }

// Codomain returns Real.
func (f IAF) Codomain() Support { return Real }

// FlowDistribution is the distribution of x = Transform.Forward(u), u ~
// Base, like TransformedDistribution, that remembers the draw u behind its
// last reparameterised sample (Pyro's transforms with cache_size=1): the
// log-density of that sample is log p_Base(u) − log |det J(u)| from u
// directly, with no inversion, so a flow without a closed-form inverse
// (PlanarFlow) or with a costly one (IAF) costs one forward pass per
// gradient. Other values are scored through Transform.InverseVar. Build
// it with NewFlowDistribution; copies share the cache, so a value is used
// by one goroutine at a time, as a Tape is.
//
// Detach stops the gradients of Base's parameters only; the flow's own
// parameters are not detached, so the sticking-the-landing gradient
// estimator (ppl's STL) is not exact for a flow guide: use the standard
// one.
type FlowDistribution struct {
	TransformedDistribution
	cache *flowCache
}

type flowCache struct{ x, u, ld *ad.Var }

var (
	_ Reparameterizer = FlowDistribution{}
	_ SampleLogProber = FlowDistribution{}
)

// NewFlowDistribution returns the flow Transform over base, which must be
// a Reparameterizer to be sampled by RSampleVar.
func NewFlowDistribution(base Differentiable, transform Bijector) FlowDistribution {
	t := TransformedDistribution{Base: base, Transform: transform}
	t.check()
	return FlowDistribution{TransformedDistribution: t, cache: &flowCache{}}
}

// RSampleVar returns Transform.Forward(u) for u drawn from Base, and
// remembers u and log |det J(u)|, computed with Forward where the flows
// allow (each step's network then runs once).
func (f FlowDistribution) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	f.check()
	r, ok := f.Base.(Reparameterizer)
	if !ok {
		panic(fmt.Sprintf("dist: FlowDistribution.RSampleVar: the base %T is not reparameterisable", f.Base))
	}
	u := r.RSampleVar(n, rnd)
	if f.cache == nil {
		return f.Transform.Forward(u)
	}
	x, ld := forwardLogDet(f.Transform, u)
	f.cache.x, f.cache.u, f.cache.ld = x, u, ld
	return x
}

// SampleLogProb fills dst as Sample does, with the same rows from the same
// state of rnd, and stores in lp[i] log p_Base(u_i) − log |det J(u_i)|
// for the base draw u_i behind row i, returning lp: one forward pass
// through the flow, computing the log-determinants where Forward's
// networks run (see RSampleVar), and no inversion. It leaves the cache of
// RSampleVar alone, so a FlowDistribution may be sampled this way from
// several goroutines at once, as with Sample. lp is allocated if nil and
// must otherwise have one element per row of dst.
func (f FlowDistribution) SampleLogProb(dst *mat.Dense, lp []float64, rnd *rand.Rand) []float64 {
	f.check()
	d := f.Dim()
	g := prepareDst("FlowDistribution", "SampleLogProb", dst, f.Len(), d)
	checkLogProbDst("FlowDistribution.SampleLogProb", lp, dst)
	if lp == nil {
		lp = make([]float64, g.Rows)
	}
	u := mat.NewDense(g.Rows, f.Base.Dim(), nil)
	f.Base.Sample(u, rnd)
	f.Base.LogProb(lp, u)
	x, ld := forwardLogDet(f.Transform, ad.FromDense(u))
	for i := range g.Rows {
		copy(rowOf(g, i), x.Data[i*d:(i+1)*d])
		lp[i] -= ld.Data[i]
	}
	return lp
}

// LogProbVar returns log p_Base(u) − log |det J(u)|, with u the remembered
// draw when x is the last sample and Transform.InverseVar(x) otherwise.
func (f FlowDistribution) LogProbVar(x *ad.Var) *ad.Var {
	if f.cache != nil && x != nil && x == f.cache.x {
		return ad.Sub(f.Base.LogProbVar(f.cache.u), f.cache.ld)
	}
	return f.TransformedDistribution.LogProbVar(x)
}

// Detach returns the distribution with Base's parameters' gradients
// stopped, sharing the cache.
func (f FlowDistribution) Detach() Differentiable {
	return FlowDistribution{TransformedDistribution: f.TransformedDistribution.Detach().(TransformedDistribution), cache: f.cache}
}
