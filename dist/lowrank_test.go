package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// lowRankCase returns a batched low-rank Gaussian (d = 4, r = 2) and three
// points, with values fixed by seed.
func lowRankCase(batch int) (LowRankMultivariateNormal, *mat.Dense) {
	rnd := newRand(21)
	const d, r = 4, 2
	fill := func(m *mat.Dense, lo, hi float64) *mat.Dense {
		raw := m.RawMatrix()
		for i := range raw.Data {
			raw.Data[i] = lo + (hi-lo)*rnd.Float64()
		}
		return m
	}
	m := LowRankMultivariateNormal{
		Loc:       fill(mat.NewDense(batch, d, nil), -1, 1),
		CovFactor: fill(mat.NewDense(d, r, nil), -1.5, 1.5),
		CovDiag:   fill(mat.NewDense(1, d, nil), 0.05, 2),
	}
	return m, fill(mat.NewDense(3, d, nil), -3, 3)
}

// TestLowRankMatchesDense checks the Woodbury log-density and the entropy
// against the dense MultivariateNormal with covariance W Wᵀ + diag(D), for
// one member broadcast and for a batch of three.
func TestLowRankMatchesDense(t *testing.T) {
	for _, batch := range []int{1, 3} {
		m, x := lowRankCase(batch)
		got := m.LogProb(nil, x)
		ent := m.Entropy(nil)
		for i := range got {
			mu := m.Loc.(*mat.Dense).RawRowView(member(batch, i))
			ref, err := NewMultivariateNormal(mu, m.Covariance())
			if err != nil {
				t.Fatal(err)
			}
			want := ref.LogProb(nil, x.Slice(i, i+1, 0, 4))[0]
			if math.Abs(got[i]-want) > 1e-10*math.Max(1, math.Abs(want)) {
				t.Errorf("batch %d row %d: log p %v, dense %v", batch, i, got[i], want)
			}
			if i < len(ent) {
				if w := ref.Entropy(nil)[0]; math.Abs(ent[i]-w) > 1e-12*math.Max(1, math.Abs(w)) {
					t.Errorf("batch %d: entropy %v, dense %v", batch, ent[i], w)
				}
			}
		}
	}
}

// TestLowRankSampleMoments checks the sample means and variances of the
// draws against Loc and the diagonal of the covariance, and one
// covariance against W Wᵀ + diag(D), within four standard errors.
func TestLowRankSampleMoments(t *testing.T) {
	m, _ := lowRankCase(1)
	const n = 20000
	x := mat.NewDense(n, 4, nil)
	m.Sample(x, newRand(4))
	cov := m.Covariance()
	for j := range 4 {
		checkGaussianMoments(t, "LowRankMultivariateNormal", x, j, m.Loc.At(0, j), cov.At(j, j))
	}
	// Cov(x₀, x₁): the standard error of a sample covariance of a
	// Gaussian pair is √((σ₀₀σ₁₁ + σ₀₁²)/n).
	var c float64
	for i := range n {
		c += (x.At(i, 0) - m.Loc.At(0, 0)) * (x.At(i, 1) - m.Loc.At(0, 1))
	}
	c /= n
	se := math.Sqrt((cov.At(0, 0)*cov.At(1, 1) + cov.At(0, 1)*cov.At(0, 1)) / n)
	if math.Abs(c-cov.At(0, 1)) > zSE*se {
		t.Errorf("sample covariance %v, want %v ± %v", c, cov.At(0, 1), zSE*se)
	}
}

// TestLowRankVJP checks the adjoints of LogProbVar (value, Loc, CovFactor,
// CovDiag) and RSampleVar (Loc, CovFactor, CovDiag) against central finite
// differences.
func TestLowRankVJP(t *testing.T) {
	m, x := lowRankCase(3)
	in := []*mat.Dense{m.Loc.(*mat.Dense), m.CovFactor.(*mat.Dense), m.CovDiag.(*mat.Dense), x}
	cases := map[string]func(v []*ad.Var) *ad.Var{
		"LogProbVar": func(v []*ad.Var) *ad.Var {
			return LowRankMultivariateNormal{v[0], v[1], v[2]}.LogProbVar(v[3])
		},
		"RSampleVar": func(v []*ad.Var) *ad.Var {
			return LowRankMultivariateNormal{v[0], v[1], v[2]}.RSampleVar(3, newRand(8))
		},
	}
	rnd := newRand(5)
	for name, f := range cases {
		vals := make([][]float64, len(in))
		for i, p := range in {
			vals[i] = append([]float64(nil), p.RawMatrix().Data...)
		}
		eval := func(tp *ad.Tape) ([]*ad.Var, *ad.Var) {
			vs := make([]*ad.Var, len(in))
			for i, p := range in {
				r, c := p.Dims()
				if tp == nil {
					vs[i] = ad.Const(r, c, append([]float64(nil), vals[i]...))
				} else {
					vs[i] = tp.Var(r, c, vals[i])
				}
			}
			return vs, f(vs)
		}
		_, y0 := eval(nil)
		seed := make([]float64, len(y0.Data))
		for i := range seed {
			seed[i] = rnd.NormFloat64()
		}
		tp := ad.NewTape()
		vs, y := eval(tp)
		tp.BackwardFrom(y, seed)
		for i := range in {
			orig := vals[i]
			want := fd.Gradient(nil, func(p []float64) float64 {
				vals[i] = p
				_, y := eval(nil)
				vals[i] = orig
				var s float64
				for k, v := range y.Data {
					s += seed[k] * v
				}
				return s
			}, orig, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			got := vs[i].Grad()
			if got == nil {
				got = make([]float64, len(want))
			}
			for k := range want {
				if math.Abs(got[k]-want[k]) > 2e-6*math.Max(1, math.Abs(want[k])) {
					t.Errorf("%s: input %d element %d: adjoint %v, finite difference %v", name, i, k, got[k], want[k])
				}
			}
		}
	}
}

// TestLowRankPanics checks the shape and positivity checks.
func TestLowRankPanics(t *testing.T) {
	m, _ := lowRankCase(1)
	bad := map[string]LowRankMultivariateNormal{
		"nil factor":  {Loc: m.Loc},
		"factor rows": {Loc: m.Loc, CovFactor: mat.NewDense(3, 2, nil), CovDiag: m.CovDiag},
		"diag shape":  {Loc: m.Loc, CovFactor: m.CovFactor, CovDiag: mat.NewDense(1, 3, []float64{1, 1, 1})},
		"diag zero":   {Loc: m.Loc, CovFactor: m.CovFactor, CovDiag: mat.NewDense(1, 4, []float64{1, 0, 1, 1})},
	}
	for name, d := range bad {
		mustPanic(t, name, func() { d.Dim() })
	}
}
