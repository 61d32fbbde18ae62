package ppl

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// lgExactGrad is the gradient of the closed-form ELBO of lg with respect to
// a mean-field q's (loc, log-scale), by finite differences.
func lgExactGrad(lg latent.LinearGaussian, x []float64, q dist.Normal) []float64 {
	_, d := lg.W.Dims()
	th := append(mat.Row(nil, 0, q.Loc), mat.Row(nil, 0, q.LogScale)...)
	return fd.Gradient(nil, func(v []float64) float64 {
		return lg.ELBO(x, dist.Normal{Loc: mat.NewDense(1, d, v[:d]), LogScale: mat.NewDense(1, d, v[d:])})
	}, th, &fd.Settings{Formula: fd.Central, Step: 1e-5})
}

// offsetMeanField returns the optimal mean-field q moved by delta in every
// coordinate of loc and log-scale.
func offsetMeanField(lg latent.LinearGaussian, x []float64, delta float64) dist.Normal {
	q := lg.MeanField(x)
	loc, ls := mat.DenseCopyOf(q.Loc), mat.DenseCopyOf(q.LogScale)
	loc.Apply(func(_, _ int, v float64) float64 { return v + delta }, loc)
	ls.Apply(func(_, _ int, v float64) float64 { return v - delta }, ls)
	return dist.Normal{Loc: loc, LogScale: ls}
}

// TestGradientMatchesFiniteDifferences checks reverse mode against the
// finite-difference oracle on the same random numbers: for a continuous
// guide, the Standard gradient of one draw is the derivative of that draw's
// estimate. It covers guide and model parameters, constrained parameters,
// the full-rank automatic guide, analytic KL, IWAE, and a plate with
// subsampling.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	lg, x := testLG(4, 2, 0.7, 3)
	q := offsetMeanField(lg, x, 0.3)
	D, _ := lg.W.Dims()
	modelB := func(t *Tracer, x *ad.Var) {
		b := t.Param("b", Value(row(lg.B)))
		noise := t.Param("noise", Fill(1, 1, lg.NoiseStd), Positive)
		z := t.Sample("z", dist.StdNormal{D: 2})
		loc := ad.Add(ad.MatMul(z, ad.FromDense(mat.DenseCopyOf(lg.W.T()))), b)
		t.Observe("x", dist.Normal{Loc: loc, LogScale: ad.Log(noise)}, x)
	}
	autoMVN, err := AutoMultivariateNormal(lgModel(lg), NewParamStore(0), row(x))
	if err != nil {
		t.Fatal(err)
	}
	_ = D
	for _, tc := range []struct {
		name  string
		model Model
		guide Guide
		x     mat.Matrix
		obj   Objective
		names []string
		setup func(*ParamStore)
	}{
		{"ELBO", lgModel(lg), paramGuide(q), row(x), Objective{K: 5}, []string{"q.loc", "q.log_scale"}, nil},
		{"IWAE", lgModel(lg), paramGuide(q), row(x), Objective{K: 5, Bound: BoundIWAE}, []string{"q.loc", "q.log_scale"}, nil},
		{"analytic KL", lgModel(lg), paramGuide(q), row(x), Objective{K: 3, AnalyticKL: true}, []string{"q.loc", "q.log_scale"}, nil},
		{"model parameters", modelB, paramGuide(q), row(x), Objective{K: 3}, []string{"b", "noise", "q.loc"}, nil},
		{"AutoMultivariateNormal", lgModel(lg), autoMVN, row(x), Objective{K: 4}, []string{"auto.loc", "auto.scale_tril"}, func(s *ParamStore) {
			l := mat.NewDense(2, 2, []float64{0.5, 0, 0.2, 0.3})
			if err := s.Set("auto.scale_tril", l, LowerCholesky); err != nil {
				t.Fatal(err)
			}
			s.Set("auto.loc", mat.NewDense(1, 2, []float64{0.1, -0.2}), nil)
		}},
		{"plate, subsampled", hierModel, hierGuide, col(hierX), Objective{K: 3, Subsample: 3}, []string{"q.m", "q.s", "q.a", "q.b"}, func(s *ParamStore) {
			s.Set("q.a", col([]float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}), nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := NewParamStore(0)
			if tc.setup != nil {
				tc.setup(store)
			}
			_, g, err := Gradient(tc.model, tc.guide, store, tc.x, tc.obj, rand.New(rand.NewPCG(11, 11)))
			if err != nil {
				t.Fatal(err)
			}
			got := flatGrad(g, tc.names...)
			want := fdGradient(t, tc.model, tc.guide, store, tc.x, tc.obj, 11, tc.names...)
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
					t.Errorf("gradient[%d] = %.10g, finite differences %.10g", i, got[i], want[i])
				}
			}
		})
	}
}

// TestELBOGradientUnbiased checks that the Standard and STL estimators (and
// Standard with analytic KL) average to the exact gradient of the closed-form
// ELBO within 4 standard errors, and that STL has the smaller variance near
// the optimum.
func TestELBOGradientUnbiased(t *testing.T) {
	lg, x := testLG(4, 2, 0.7, 3)
	q := offsetMeanField(lg, x, 0.05)
	exact := lgExactGrad(lg, x, q)
	const n = 400
	variances := map[string]float64{}
	for _, tc := range []struct {
		name string
		obj  Objective
	}{
		{"standard", Objective{K: 2}},
		{"stl", Objective{K: 2, Estimator: STL}},
		{"analytic-kl", Objective{K: 2, AnalyticKL: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			grads, vals := gradientDraws(t, lgModel(lg), paramGuide(q), NewParamStore(0), row(x), tc.obj, n, 5, "q.loc", "q.log_scale")
			variances[tc.name] = checkUnbiased(t, tc.name, grads, exact)
			m, s := meanSE(vals)
			if want := lg.ELBO(x, q); math.Abs(m-want) > 4*s {
				t.Errorf("mean ELBO estimate %v ± %v, exact %v", m, s, want)
			}
		})
	}
	std, stl := variances["standard"], variances["stl"]
	t.Logf("total gradient variance near the optimum: standard %.4g, STL %.4g (ratio %.3g)", std, stl, std/stl)
	if !(stl < std/2) {
		t.Errorf("STL variance %v not below half the standard estimator's %v", stl, std)
	}
}

// TestDReGUnbiased checks that DReG and the standard IWAE gradient agree in
// mean (both are unbiased for the gradient of L_K) and that DReG has the
// smaller variance for the guide's parameters.
func TestDReGUnbiased(t *testing.T) {
	lg, x := testLG(4, 2, 0.7, 3)
	q := offsetMeanField(lg, x, 0.2)
	const n, k = 400, 8
	res := map[Estimator][][]float64{}
	for _, e := range []Estimator{Standard, DReG} {
		res[e], _ = gradientDraws(t, lgModel(lg), paramGuide(q), NewParamStore(0), row(x), Objective{Bound: BoundIWAE, K: k, Estimator: e}, n, 6, "q.loc", "q.log_scale")
	}
	ms, ss, vs := moments(res[Standard])
	md, sd, vd := moments(res[DReG])
	var tv, dv float64
	for i := range ms {
		if math.Abs(ms[i]-md[i]) > 4*math.Hypot(ss[i], sd[i]) {
			t.Errorf("gradient[%d]: standard %v ± %v, DReG %v ± %v", i, ms[i], ss[i], md[i], sd[i])
		}
		tv += vs[i]
		dv += vd[i]
	}
	t.Logf("IWAE-%d guide gradient variance: standard %.4g, DReG %.4g (ratio %.3g)", k, tv, dv, tv/dv)
	if !(dv < tv/2) {
		t.Errorf("DReG variance %v not below half the standard estimator's %v", dv, tv)
	}
}

// TestEstimatorNeedsReparam checks the errors for discrete sites under STL,
// DReG and RWS and for invalid objectives.
func TestEstimatorNeedsReparam(t *testing.T) {
	model, guide := mixtureModel(testMixture()), catGuide(3)
	x := row([]float64{0.5, -0.2})
	for _, obj := range []Objective{{K: 2, Estimator: STL}, {K: 2, Bound: BoundIWAE, Estimator: DReG}, {K: 2, Bound: BoundIWAE, Estimator: RWS}} {
		_, _, err := Gradient(model, guide, NewParamStore(0), x, obj, rand.New(rand.NewPCG(1, 1)))
		if !errors.Is(err, ErrNotReparameterizable) {
			t.Errorf("%s: error %v, want ErrNotReparameterizable", obj.Estimator, err)
		}
	}
	for _, obj := range []Objective{{K: 0}, {K: 2, Bound: BoundIWAE, Estimator: STL}, {K: 2, Estimator: DReG}, {K: 2, Bound: BoundIWAE, AnalyticKL: true}, {K: 1, Bound: BoundIWAE, Estimator: RWS}, {K: 2, Estimator: RWS}} {
		if err := obj.Validate(); err == nil {
			t.Errorf("%+v: no error", obj)
		}
	}
}

// TestModelParamGradient checks the gradient with respect to a parameter of
// the model (the offset b of the linear-Gaussian model, read with
// Tracer.Param) against the exact gradient of the closed-form ELBO, under the
// Standard and DReG estimators.
func TestModelParamGradient(t *testing.T) {
	lg, x := testLG(3, 2, 0.7, 4)
	q := offsetMeanField(lg, x, 0.1)
	exact := fd.Gradient(nil, func(b []float64) float64 {
		m := lg
		m.B = b
		return m.ELBO(x, q)
	}, lg.B, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	_, d := lg.W.Dims()
	wt := ad.FromDense(mat.DenseCopyOf(lg.W.T()))
	model := func(t *Tracer, x *ad.Var) {
		b := t.Param("b", Value(row(lg.B)))
		z := t.Sample("z", dist.StdNormal{D: d})
		t.Observe("x", dist.Normal{Loc: ad.Add(ad.MatMul(z, wt), b), LogScale: ad.Scalar(math.Log(lg.NoiseStd))}, x)
	}
	const n = 300
	for _, obj := range []Objective{{K: 2}, {K: 1, Bound: BoundIWAE, Estimator: DReG}} {
		grads, _ := gradientDraws(t, model, paramGuide(q), NewParamStore(0), row(x), obj, n, 10, "b")
		checkUnbiased(t, obj.Estimator.String(), grads, exact)
	}
}

// TestNonFiniteNamesSite checks that a guide value outside the model's
// support is reported with the site's name instead of a NaN later.
func TestNonFiniteNamesSite(t *testing.T) {
	model := func(t *Tracer, x *ad.Var) {
		// A latent that must be positive: log of it in the likelihood.
		s := t.Sample("s", dist.Normal{Loc: ad.Scalar(1), LogScale: ad.Scalar(-1)})
		t.Observe("x", dist.Normal{Loc: ad.Scalar(0), LogScale: ad.Log(s)}, x)
	}
	guide := func(t *Tracer, x *ad.Var) {
		t.Sample("s", dist.Normal{Loc: ad.Scalar(-5), LogScale: ad.Scalar(-3)})
	}
	_, _, err := Gradient(model, guide, NewParamStore(0), row([]float64{0.3}), Objective{K: 2}, rand.New(rand.NewPCG(1, 1)))
	if err == nil || !strings.Contains(err.Error(), `site "x"`) {
		t.Errorf("error %v, want one naming site \"x\"", err)
	}
}
