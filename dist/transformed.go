package dist

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// TransformedDistribution is the distribution of x = Transform.Forward(u)
// for u ~ Base, with log-density
//
//	log p(x) = log p_Base(u) − log |det J(u)|,  u = Transform⁻¹(x),
//
// the change of variables; its support is Transform.Codomain() and its
// Dim is Transform.ForwardDim(Base.Dim()). With Base a Normal and
// Transform an ExpTransform it is a log-normal; with Transform from
// BijectTo(s) it is a distribution on s fitted in unconstrained space, as
// the automatic guides do. Base must be Differentiable; it is
// reparameterised when Base is a Reparameterizer (RSampleVar panics
// otherwise).
type TransformedDistribution struct {
	Base      Differentiable
	Transform Bijector
}

var _ Reparameterizer = TransformedDistribution{}

func (t TransformedDistribution) check() {
	if t.Base == nil || t.Transform == nil {
		panic("dist: TransformedDistribution: nil Base or Transform")
	}
}

// Dim returns Transform.ForwardDim(Base.Dim()).
func (t TransformedDistribution) Dim() int {
	t.check()
	return t.Transform.ForwardDim(t.Base.Dim())
}

// Len returns Base.Len().
func (t TransformedDistribution) Len() int { t.check(); return t.Base.Len() }

// Support returns Transform.Codomain().
func (t TransformedDistribution) Support() Support { t.check(); return t.Transform.Codomain() }

// LogProb stores log p_Base(u) − log |det J(u)|, u = Transform.Inverse(x),
// in dst.
func (t TransformedDistribution) LogProb(dst []float64, x mat.Matrix) []float64 {
	t.check()
	r, c := x.Dims()
	if c != t.Dim() {
		panic(fmt.Sprintf("dist: TransformedDistribution.LogProb: x has %d columns, want %d", c, t.Dim()))
	}
	if dst == nil {
		dst = make([]float64, r)
	}
	u := t.Transform.Inverse(mat.DenseCopyOf(x))
	t.Base.LogProb(dst, u)
	ld := t.Transform.LogDetJacobian(ad.FromDense(u))
	for i := range dst {
		dst[i] -= ld.Data[i]
	}
	return dst
}

// LogProbVar returns the log-densities differentiable with respect to x
// (through Transform.InverseVar) and the parameters of Base and of
// Transform.
func (t TransformedDistribution) LogProbVar(x *ad.Var) *ad.Var {
	t.check()
	if x.C != t.Dim() {
		panic(fmt.Sprintf("dist: TransformedDistribution.LogProbVar: x has %d columns, want %d", x.C, t.Dim()))
	}
	u := t.Transform.InverseVar(x)
	return ad.Sub(t.Base.LogProbVar(u), t.Transform.LogDetJacobian(u))
}

// Detach returns the distribution with Base's parameters' gradients
// stopped (and an AffineTransform's; other bijectors are kept as they are).
func (t TransformedDistribution) Detach() Differentiable {
	t.check()
	tr := t.Transform
	if a, ok := tr.(AffineTransform); ok {
		p := detachAll(a.Loc, a.Scale)
		tr = AffineTransform{p[0], p[1]}
	}
	return TransformedDistribution{Base: t.Base.Detach(), Transform: tr}
}

// RSampleVar returns Transform.Forward(Base.RSampleVar(n, rnd)). It panics
// if Base is not a Reparameterizer.
func (t TransformedDistribution) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	t.check()
	r, ok := t.Base.(Reparameterizer)
	if !ok {
		panic(fmt.Sprintf("dist: TransformedDistribution.RSampleVar: the base %T is not reparameterisable", t.Base))
	}
	return t.Transform.Forward(r.RSampleVar(n, rnd))
}

// Sample fills dst with Transform.Forward of draws from Base.
func (t TransformedDistribution) Sample(dst *mat.Dense, rnd *rand.Rand) {
	t.check()
	d := t.Dim()
	g := prepareDst("TransformedDistribution", "Sample", dst, t.Len(), d)
	u := mat.NewDense(g.Rows, t.Base.Dim(), nil)
	t.Base.Sample(u, rnd)
	x := t.Transform.Forward(ad.FromDense(u))
	for i := range g.Rows {
		copy(rowOf(g, i), x.Data[i*d:(i+1)*d])
	}
}

// Delta is a point mass at Value (n×d, or 1×d broadcast), with an optional
// constant LogDensity added to its log-density, as Pyro's Delta: log p(x)
// is LogDensity where every coordinate of x equals Value's and −Inf
// elsewhere. Its draws are Value itself, differentiable with respect to
// Value when it is an *ad.Var: a Delta guide fits a point estimate (MAP).
type Delta struct {
	Value      mat.Matrix
	LogDensity float64
}

var _ Reparameterizer = Delta{}

func (d Delta) dims() (n, c int) {
	if d.Value == nil {
		panic("dist: Delta: nil Value")
	}
	if n, c = d.Value.Dims(); n == 0 || c == 0 {
		panic("dist: Delta: empty Value")
	}
	return n, c
}

// Dim returns the number of columns of Value.
func (d Delta) Dim() int { _, c := d.dims(); return c }

// Len returns the number of rows of Value.
func (d Delta) Len() int { n, _ := d.dims(); return n }

// Support returns Real.
func (d Delta) Support() Support { d.dims(); return Real }

// LogProb stores LogDensity in dst[i] where row i of x equals the value,
// −Inf elsewhere.
func (d Delta) LogProb(dst []float64, x mat.Matrix) []float64 {
	n, c := d.dims()
	xr, dst := checkLogProbArgs("Delta", dst, x, n, c)
	v := rawOf(d.Value)
	for i := range dst {
		dst[i] = d.LogDensity
		vr := rowOf(v, member(n, i))
		for j, w := range rowOf(xr, i) {
			if w != vr[j] {
				dst[i] = negInf
				break
			}
		}
	}
	return dst
}

// LogProbVar returns LogProb as a constant: the log-density of a point mass
// has no useful derivative.
func (d Delta) LogProbVar(x *ad.Var) *ad.Var {
	out := d.LogProb(nil, x)
	return ad.Const(len(out), 1, out)
}

// Detach returns d with the gradient of Value stopped.
func (d Delta) Detach() Differentiable {
	return Delta{Value: detachAll(d.Value)[0], LogDensity: d.LogDensity}
}

// RSampleVar returns n rows of Value (broadcast when Len() is 1),
// differentiable with respect to it; rnd is not used.
func (d Delta) RSampleVar(n int, _ *rand.Rand) *ad.Var {
	b, c := d.dims()
	return ad.Add(ad.Lift(d.Value), ad.Const(drawRows("Delta", n, b), c, nil))
}

// Sample copies Value into every row of dst; rnd is not used.
func (d Delta) Sample(dst *mat.Dense, rnd *rand.Rand) {
	n, c := d.dims()
	g := prepareDst("Delta", "Sample", dst, n, c)
	v := d.RSampleVar(g.Rows, rnd)
	for i := range g.Rows {
		copy(rowOf(g, i), v.Data[i*c:(i+1)*c])
	}
}

// Entropy stores 0 in dst, Pyro's convention for a point mass.
func (d Delta) Entropy(dst []float64) []float64 {
	n, _ := d.dims()
	dst = entropyDst("Delta", dst, n)
	for i := range dst {
		dst[i] = 0
	}
	return dst
}

// Mean stores Value in dst (resized if empty).
func (d Delta) Mean(dst *mat.Dense) {
	n, c := d.dims()
	if dst.IsEmpty() {
		dst.ReuseAs(n, c)
	}
	dst.Copy(d.Value)
}

// Variance stores zeros in dst (resized if empty).
func (d Delta) Variance(dst *mat.Dense) {
	n, c := d.dims()
	if dst.IsEmpty() {
		dst.ReuseAs(n, c)
	}
	dst.Zero()
}
