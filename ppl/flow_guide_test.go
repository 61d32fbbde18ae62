package ppl

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/vi"
)

// bananaSigma is the observation noise of bananaModel.
const bananaSigma = 0.3

// bananaModel is z ~ N(0, I₂), x ~ N(z₁² + z₂, σ²): its posterior is a
// curved ridge z₂ ≈ x − z₁², far from any Gaussian.
func bananaModel(t *Tracer, x *ad.Var) {
	z := t.Sample("z", dist.StdNormal{D: 2})
	loc := ad.Add(ad.Square(ad.SliceCols(z, 0, 1)), ad.SliceCols(z, 1, 2))
	t.Observe("x", dist.Normal{Loc: loc, LogScale: ad.Scalar(math.Log(bananaSigma))}, x)
}

// bananaExact returns log p(x) of bananaModel: integrating z₂ out,
// p(x) = ∫ N(z₁; 0, 1) N(x; z₁², 1 + σ²) dz₁, by the trapezoidal rule on
// [−12, 12] (the integrand is below e⁻⁷⁰ outside).
func bananaExact(x float64) float64 {
	const lo, hi, m = -12.0, 12.0, 200001
	v := 1 + bananaSigma*bananaSigma
	h := (hi - lo) / (m - 1)
	var s float64
	for i := range m {
		z := lo + float64(i)*h
		w := h
		if i == 0 || i == m-1 {
			w = h / 2
		}
		r := x - z*z
		s += w * math.Exp(-z*z/2-r*r/(2*v)) / (2 * math.Pi * math.Sqrt(v))
	}
	return math.Log(s)
}

// meanFieldGuide is q(z) = N(μ, diag σ²).
func meanFieldGuide(t *Tracer, _ *ad.Var) {
	loc := t.Param("q.loc", Zeros(1, 2))
	scale := t.Param("q.scale", Fill(1, 2, 1), Positive)
	t.Sample("z", dist.Normal{Loc: loc, LogScale: ad.Log(scale)})
}

// flowGuide returns the guide z = f_L ∘ … ∘ f_1(z₀), z₀ ~ N(μ, diag σ²),
// with L steps of the named flow, each reading its parameters as
// "flow.<i>.<name>".
func flowGuide(kind string, steps, hidden int) Guide {
	return func(t *Tracer, _ *ad.Var) {
		loc := t.Param("q.loc", Zeros(1, 2))
		scale := t.Param("q.scale", Fill(1, 2, 1), Positive)
		fs := make(dist.ComposeTransform, steps)
		for i := range fs {
			p := func(name string, init Init) *ad.Var { return t.Param(fmt.Sprintf("flow.%d.%s", i, name), init) }
			switch kind {
			case "planar":
				fs[i] = dist.PlanarFlow{U: p("u", Normal(1, 2, 0.1)), W: p("w", Normal(1, 2, 0.5)), B: p("b", Zeros(1, 1))}
			case "coupling":
				fs[i] = dist.AffineCoupling{Cond: []int{i % 2},
					W1: p("w1", Normal(1, hidden, 0.5)), B1: p("b1", Zeros(1, hidden)),
					W2: p("w2", Zeros(hidden, 2)), B2: p("b2", Zeros(1, 2))}
			case "iaf":
				b2 := mat.NewDense(1, 4, []float64{0, 0, 1.5, 1.5})
				fs[i] = dist.IAF{
					W1: p("w1", Normal(2, hidden, 0.5)), B1: p("b1", Zeros(1, hidden)),
					W2: p("w2", Zeros(hidden, 4)), B2: p("b2", Value(b2)), Reverse: i%2 == 1}
			}
		}
		base := dist.Normal{Loc: loc, LogScale: ad.Log(scale)}
		t.Sample("z", dist.NewFlowDistribution(base, fs))
	}
}

// TestFlowGuideBanana fits a mean-field guide and flow guides (planar,
// affine coupling, IAF; only IAF under -short) to the banana posterior
// and checks that every flow reaches a higher ELBO than the mean-field
// guide (by more than three standard errors of the difference), that its
// importance-sampling estimate of log p(x) is closer to the exact value
// from quadrature than the mean-field guide's (and within three standard
// errors of it when k̂ < 0.5, where the standard error can be trusted),
// and that its Pareto k̂ is lower than the mean-field guide's.
func TestFlowGuideBanana(t *testing.T) {
	steps := 3000
	cases := []struct {
		kind          string
		steps, hidden int
	}{
		{"planar", 8, 0},
		{"coupling", 4, 8},
		{"iaf", 4, 8},
	}
	if testing.Short() {
		steps, cases = 800, cases[2:]
	}
	x := mat.NewDense(1, 1, []float64{1})
	exact := bananaExact(1)
	type result struct{ elbo, is mc.Estimate }
	fit := func(guide Guide) result {
		store := NewParamStore(1)
		for i, lr := range []float64{0.02, 0.005} {
			if _, err := SVI(bananaModel, guide, store, x, SVIConfig{
				Objective: Objective{K: 16}, Steps: steps / 2, Adam: vi.AdamConfig{LR: lr}, Seed: uint64(1 + i),
			}); err != nil {
				t.Fatal(err)
			}
		}
		elbo, err := ELBO(bananaModel, guide, store, x, 8192, mc.Config{Seed: 3, ChunkSize: 512})
		if err != nil {
			t.Fatal(err)
		}
		is, err := Importance(bananaModel, guide, store, x, 8192, mc.Config{Seed: 4, ChunkSize: 512})
		if err != nil {
			t.Fatal(err)
		}
		return result{elbo, is}
	}
	mf := fit(meanFieldGuide)
	t.Logf("exact log p(x) %.4f", exact)
	t.Logf("%-10s ELBO %.4f ± %.4f; IS %.4f ± %.4f (error %+.4f), k̂ %.2f", "mean-field", mf.elbo.LogPX, mf.elbo.StdErr, mf.is.LogPX, mf.is.StdErr, mf.is.LogPX-exact, mf.is.KHat)
	for _, tc := range cases {
		r := fit(flowGuide(tc.kind, tc.steps, tc.hidden))
		t.Logf("%-10s ELBO %.4f ± %.4f; IS %.4f ± %.4f (error %+.4f), k̂ %.2f", tc.kind, r.elbo.LogPX, r.elbo.StdErr, r.is.LogPX, r.is.StdErr, r.is.LogPX-exact, r.is.KHat)
		if se := math.Hypot(r.elbo.StdErr, mf.elbo.StdErr); r.elbo.LogPX < mf.elbo.LogPX+3*se {
			t.Errorf("%s: ELBO %.4f is not above the mean-field %.4f by 3 SE (%.4f)", tc.kind, r.elbo.LogPX, mf.elbo.LogPX, se)
		}
		if r.elbo.LogPX > exact+3*r.elbo.StdErr {
			t.Errorf("%s: ELBO %.4f exceeds log p(x) = %.4f", tc.kind, r.elbo.LogPX, exact)
		}
		if math.Abs(r.is.LogPX-exact) >= math.Abs(mf.is.LogPX-exact) {
			t.Errorf("%s: IS %.4f is not closer to the exact %.4f than the mean-field %.4f", tc.kind, r.is.LogPX, exact, mf.is.LogPX)
		}
		// The standard error is trustworthy when k̂ < 0.5 (Vehtari et al.).
		if r.is.KHat < 0.5 && math.Abs(r.is.LogPX-exact) > 3*r.is.StdErr {
			t.Errorf("%s: IS %.4f ± %.4f (k̂ %.2f) is more than 3 SE from the exact %.4f", tc.kind, r.is.LogPX, r.is.StdErr, r.is.KHat, exact)
		}
		if r.is.KHat >= mf.is.KHat {
			t.Errorf("%s: k̂ %.2f is not below the mean-field %.2f", tc.kind, r.is.KHat, mf.is.KHat)
		}
	}
}
