package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/internal/logspace"
)

// MixtureSameFamily is a finite mixture of C components of one family
// (Pyro's MixtureSameFamily):
//
//	log p(x_i) = log Σ_c w_ic p_c(x_i),  w_i = softmax(row i of Mixing.Logits),
//
// computed as a log-sum-exp. Mixing.Logits is n×C (one set of weights per
// row) or 1×C (shared). Components is any Differentiable family, as a
// batch of members laid out in one of two ways:
//
//   - C members (or 1, broadcast), shared by every row: member c is
//     component c, as in Normal{Loc: C×d, LogScale: 1×d};
//   - n·C members, per row: member i·C + c is component c of row i (an
//     n×(C·d) matrix reshaped with ad.Reshape to (n·C)×d has this order),
//     for the mixtures an encoder network outputs.
//
// Len() is n (1 when both the weights and the components are shared) and
// Dim() is Components.Dim(). To score the rows of x under every component
// the rows are repeated C times (ad.Repeat), and shared components are
// repeated to match with Tile: every family of this package but
// TransformedDistribution (and MixtureSameFamily itself) can be tiled, and
// a user's family can be by implementing Tiler. A shared family that
// cannot be tiled is scored one row at a time (correct, but one tape
// operation per row).
//
// LogProbVar is differentiable with respect to Mixing.Logits, the
// components' parameters and x (when the components are differentiable
// with respect to their value). There is no RSampleVar (the choice of the
// component is discrete) and no Entropy (it has no closed form).
type MixtureSameFamily struct {
	Mixing     Categorical    // n×C or 1×C logits of the mixture weights
	Components Differentiable // C (or 1) shared members, or n·C, member i·C + c for row i
}

// Tiler is a batch of distributions that can be repeated, which lets
// MixtureSameFamily score many rows under shared components in one
// operation. Tile(n) returns the batch of n·Len() members whose member
// q·Len() + c is member c (parameters given as *ad.Var stay
// differentiable, through ad.Tile).
type Tiler interface {
	Tile(n int) Differentiable
}

var (
	_ Differentiable = MixtureSameFamily{}
	_ Supporter      = MixtureSameFamily{}
)

// layout returns the batch size n, the number of components C, and
// whether the components are per row (n·C members). It panics when
// Components has another number of members, or per-row components and
// per-row weights disagree on n.
func (m MixtureSameFamily) layout() (n, c int, perRow bool) {
	if m.Components == nil {
		panic("dist: MixtureSameFamily: nil Components")
	}
	nm, c := m.Mixing.dims()
	l := m.Components.Len()
	switch {
	case l == 1 || l == c:
		return nm, c, false
	case l%c == 0 && (nm == 1 || nm == l/c):
		return l / c, c, true
	}
	panic(fmt.Sprintf("dist: MixtureSameFamily: Components has %d members for %d components and %d rows of mixing logits; want 1, %d or %d·n (n = %d)",
		l, c, nm, c, c, nm))
}

// Dim returns Components.Dim().
func (m MixtureSameFamily) Dim() int { m.layout(); return m.Components.Dim() }

// Len returns the batch size n (see MixtureSameFamily).
func (m MixtureSameFamily) Len() int { n, _, _ := m.layout(); return n }

// Support returns the components' support, or Real when the family does
// not declare one.
func (m MixtureSameFamily) Support() Support {
	m.layout()
	if s, ok := m.Components.(Supporter); ok {
		return s.Support()
	}
	return Real
}

// componentLogProbs returns the r×C matrix of log p_c(x_i).
func (m MixtureSameFamily) componentLogProbs(x *ad.Var) *ad.Var {
	_, c, perRow := m.layout()
	r := x.R
	if perRow || r == 1 || m.Components.Len() == 1 {
		return ad.Reshape(m.Components.LogProbVar(ad.Repeat(x, c)), r, c)
	}
	if t, ok := tileComponents(m.Components, r); ok {
		return ad.Reshape(t.LogProbVar(ad.Repeat(x, c)), r, c)
	}
	// One row at a time: C copies of row i against the C components.
	cols := make([]*ad.Var, r)
	for i := range r {
		idx := make([]int, c) // ad.Rows keeps it for the backward pass
		for k := range idx {
			idx[k] = i
		}
		cols[i] = m.Components.LogProbVar(ad.Rows(x, idx))
	}
	return ad.Transpose(ad.ConcatCols(cols...))
}

// LogProbVar returns the log-densities log Σ_c w_ic p_c(x_i) of the rows
// of x as an n×1 Var, differentiable with respect to x, Mixing.Logits and
// the components' parameters.
func (m MixtureSameFamily) LogProbVar(x *ad.Var) *ad.Var {
	n, _, _ := m.layout()
	checkLogProbArgs("MixtureSameFamily", nil, x, n, m.Components.Dim())
	logits := ad.Lift(m.Mixing.Logits)
	logW := ad.Sub(logits, ad.LogSumExpRows(logits))
	return ad.LogSumExpRows(ad.Add(m.componentLogProbs(x), logW))
}

// LogProb stores the log-densities of the rows of x in dst and returns
// dst (LogProbVar's values, off any tape).
func (m MixtureSameFamily) LogProb(dst []float64, x mat.Matrix) []float64 {
	n, _, _ := m.layout()
	_, dst = checkLogProbArgs("MixtureSameFamily", dst, x, n, m.Components.Dim())
	if len(dst) == 0 {
		return dst
	}
	lp := m.Detach().LogProbVar(ad.Detach(ad.Lift(x)))
	copy(dst, lp.Data)
	return dst
}

// Detach returns m with the gradients of the mixing logits and of the
// components' parameters stopped.
func (m MixtureSameFamily) Detach() Differentiable {
	return MixtureSameFamily{Mixing: m.Mixing.Detach().(Categorical), Components: m.Components.Detach()}
}

// Sample fills dst with draws: for every row a component index c_i from
// Mixing (one uniform per row, all rows first), then x_i from component
// c_i. Shared components are drawn one batch (one draw from every
// component) per row, of which row c_i is kept, so a draw costs C draws
// of the family; per-row components are drawn once for all rows (n·C
// draws). An empty dst is resized to Len()×Dim().
func (m MixtureSameFamily) Sample(dst *mat.Dense, rnd *rand.Rand) {
	n, c, perRow := m.layout()
	d := m.Components.Dim()
	g := prepareDst("MixtureSameFamily", "Sample", dst, n, d)
	cls := mat.NewDense(g.Rows, 1, nil)
	m.Mixing.Sample(cls, rnd)
	choice := func(i int) int { return int(cls.At(i, 0)) }
	switch {
	case m.Components.Len() == 1:
		m.Components.Sample(dst, rnd)
	case perRow:
		buf := mat.NewDense(n*c, d, nil)
		m.Components.Sample(buf, rnd)
		for i := range g.Rows {
			copy(rowOf(g, i), buf.RawRowView(i*c+choice(i)))
		}
	default:
		buf := mat.NewDense(c, d, nil)
		for i := range g.Rows {
			m.Components.Sample(buf, rnd)
			copy(rowOf(g, i), buf.RawRowView(choice(i)))
		}
	}
}

// componentMoments returns the components' means and, if withVar, their
// variances, one row per member.
func (m MixtureSameFamily) componentMoments(method string, withVar bool) (mean, variance *mat.Dense) {
	mean, variance = &mat.Dense{}, &mat.Dense{}
	l, d := m.Components.Len(), m.Components.Dim()
	missing := func() {
		panic(fmt.Sprintf("dist: MixtureSameFamily.%s: components of type %T have no %s", method, m.Components, method))
	}
	switch cd := m.Components.(type) {
	case MultivariateNormal:
		mean.ReuseAs(l, d)
		variance.ReuseAs(l, d)
		loc, cov := rawOf(cd.Loc), cd.Covariance()
		for i := range l {
			copy(mean.RawRowView(i), rowOf(loc, member(loc.Rows, i)))
			for j := range d {
				variance.Set(i, j, cov.At(j, j))
			}
		}
		return mean, variance
	case StdNormal:
		mean.ReuseAs(1, d)
		variance.ReuseAs(1, d)
		for j := range d {
			variance.Set(0, j, 1)
		}
		return mean, variance
	case Normal:
		cd.Mean(mean)
		variance.ReuseAs(l, d)
		ls := viewOf(cd.LogScale)
		for i := range l {
			for j := range d {
				variance.Set(i, j, math.Exp(2*ls.data[i*ls.rs+j*ls.cs]))
			}
		}
		return mean, variance
	}
	mv, ok := m.Components.(interface{ Mean(*mat.Dense) })
	if !ok {
		missing()
	}
	mv.Mean(mean)
	if withVar {
		vv, ok := m.Components.(interface{ Variance(*mat.Dense) })
		if !ok {
			missing()
		}
		vv.Variance(variance)
	}
	return mean, variance
}

// moments stores the mixture's mean (and, if variance is non-nil, its
// variance by the law of total variance, Σ_c w_c (σ²_c + (μ_c − μ)²)) in
// dst, resized to Len()×Dim() if empty.
func (m MixtureSameFamily) moments(method string, mean, variance *mat.Dense) {
	n, c, perRow := m.layout()
	d := m.Components.Dim()
	for _, dst := range []*mat.Dense{mean, variance} {
		if dst == nil {
			continue
		}
		if dst.IsEmpty() {
			dst.ReuseAs(n, d)
		}
		if r, cc := dst.Dims(); r != n || cc != d {
			panic(fmt.Sprintf("dist: MixtureSameFamily.%s: dst is %d×%d, want %d×%d", method, r, cc, n, d))
		}
	}
	cm, cv := m.componentMoments(method, variance != nil)
	lg := rawOf(m.Mixing.Logits)
	w := make([]float64, c)
	comp := func(i, k int) int {
		switch {
		case perRow:
			return i*c + k
		case m.Components.Len() == 1:
			return 0
		}
		return k
	}
	mu := make([]float64, d)
	for i := range n {
		l := rowOf(lg, member(lg.Rows, i))
		lse := logspace.LogSumExp(l)
		for k, v := range l {
			w[k] = math.Exp(v - lse)
		}
		for j := range mu {
			mu[j] = 0
		}
		for k, wk := range w {
			if wk == 0 {
				continue
			}
			for j, v := range cm.RawRowView(comp(i, k)) {
				mu[j] += wk * v
			}
		}
		if mean != nil {
			copy(mean.RawRowView(i), mu)
		}
		if variance == nil {
			continue
		}
		out := variance.RawRowView(i)
		for j := range out {
			out[j] = 0
		}
		for k, wk := range w {
			if wk == 0 {
				continue
			}
			r := comp(i, k)
			for j := range out {
				dm := cm.At(r, j) - mu[j]
				out[j] += wk * (cv.At(r, j) + dm*dm)
			}
		}
	}
}

// Mean stores the mixture means Σ_c w_ic μ_c in dst (resized to
// Len()×Dim() if empty). It panics if the components' family has no
// Mean(*mat.Dense) method (MultivariateNormal, Normal and StdNormal are
// handled; Categorical and the combinators have none).
func (m MixtureSameFamily) Mean(dst *mat.Dense) { m.moments("Mean", dst, nil) }

// Variance stores the mixture's per-coordinate variances
// Σ_c w_ic (σ²_c + (μ_c − μ_i)²) in dst (resized to Len()×Dim() if
// empty). It panics if the components' family has no Mean and Variance.
func (m MixtureSameFamily) Variance(dst *mat.Dense) {
	m.moments("Variance", &mat.Dense{}, dst)
}

// tileComponents returns d tiled n times (see Tiler), for the families of
// this package and any Tiler, and false for a family that cannot be.
func tileComponents(d Differentiable, n int) (Differentiable, bool) {
	t := func(p mat.Matrix) mat.Matrix {
		if r, _ := p.Dims(); r == 1 {
			return p
		}
		return ad.Tile(ad.Lift(p), n)
	}
	switch d := d.(type) {
	case Tiler:
		return d.Tile(n), true
	case Normal:
		return Normal{t(d.Loc), t(d.LogScale)}, true
	case LogNormal:
		return LogNormal{t(d.Loc), t(d.Scale)}, true
	case HalfNormal:
		return HalfNormal{t(d.Scale)}, true
	case Cauchy:
		return Cauchy{t(d.Loc), t(d.Scale)}, true
	case HalfCauchy:
		return HalfCauchy{t(d.Scale)}, true
	case StudentT:
		return StudentT{t(d.Df), t(d.Loc), t(d.Scale)}, true
	case Laplace:
		return Laplace{t(d.Loc), t(d.Scale)}, true
	case Exponential:
		return Exponential{t(d.Rate)}, true
	case Gamma:
		return Gamma{t(d.Concentration), t(d.Rate)}, true
	case InverseGamma:
		return InverseGamma{t(d.Concentration), t(d.Rate)}, true
	case Beta:
		return Beta{t(d.Concentration1), t(d.Concentration0)}, true
	case Uniform:
		return Uniform{t(d.Low), t(d.High)}, true
	case Dirichlet:
		return Dirichlet{t(d.Concentration)}, true
	case Bernoulli:
		return Bernoulli{t(d.Logits)}, true
	case Categorical:
		return Categorical{t(d.Logits)}, true
	case Binomial:
		return Binomial{t(d.TotalCount), t(d.Logits)}, true
	case Poisson:
		return Poisson{t(d.Rate)}, true
	case Geometric:
		return Geometric{t(d.Logits)}, true
	case NegativeBinomial:
		return NegativeBinomial{t(d.TotalCount), t(d.Logits)}, true
	case Multinomial:
		return Multinomial{t(d.TotalCount), t(d.Logits)}, true
	case MultivariateNormal:
		return MultivariateNormal{Loc: t(d.Loc), Chol: d.Chol}, true
	case LowRankMultivariateNormal:
		return LowRankMultivariateNormal{Loc: t(d.Loc), CovFactor: d.CovFactor, CovDiag: d.CovDiag}, true
	case Delta:
		return Delta{Value: t(d.Value), LogDensity: d.LogDensity}, true
	case StdNormal, ImproperUniform:
		return d, true
	}
	return nil, false
}
