package ppl

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// flatGrad concatenates the gradients of names in order.
func flatGrad(g Grads, names ...string) []float64 {
	var out []float64
	for _, n := range names {
		out = append(out, g[n].RawMatrix().Data...)
	}
	return out
}

// moments returns the mean and the standard error of the mean of each
// column of samples, and the variance of each column.
func moments(samples [][]float64) (mean, se, variance []float64) {
	n := float64(len(samples))
	p := len(samples[0])
	mean, se, variance = make([]float64, p), make([]float64, p), make([]float64, p)
	for _, s := range samples {
		for j, v := range s {
			mean[j] += v / n
		}
	}
	for _, s := range samples {
		for j, v := range s {
			variance[j] += (v - mean[j]) * (v - mean[j]) / (n - 1)
		}
	}
	for j := range se {
		se[j] = math.Sqrt(variance[j] / n)
	}
	return mean, se, variance
}

// lgExactGrad is the gradient of the closed-form ELBO of lg with respect to
// a mean-field q's (loc, log-scale), by finite differences.
func lgExactGrad(lg latent.LinearGaussian, x []float64, q dist.Normal) []float64 {
	_, d := lg.W.Dims()
	th := append(append([]float64(nil), q.Loc.RawRowView(0)...), q.LogScale.RawRowView(0)...)
	return fd.Gradient(nil, func(v []float64) float64 {
		return lg.ELBO(x, dist.Normal{Loc: mat.NewDense(1, d, v[:d]), LogScale: mat.NewDense(1, d, v[d:])})
	}, th, &fd.Settings{Formula: fd.Central, Step: 1e-5})
}

// offsetMeanField returns the optimal mean-field q moved by delta in every
// coordinate of loc and log-scale.
func offsetMeanField(lg latent.LinearGaussian, x []float64, delta float64) dist.Normal {
	q := lg.MeanField(x)
	q.Loc.Apply(func(_, _ int, v float64) float64 { return v + delta }, q.Loc)
	q.LogScale.Apply(func(_, _ int, v float64) float64 { return v - delta }, q.LogScale)
	return q
}

// TestGradientMatchesReparam checks the finite-difference engine against the
// reparameterisation gradient written out by hand for the linear-Gaussian
// model on the same draws: for z = μ + σ ε, ∂/∂μ = ∇_z log p(x, z) and
// ∂/∂log σ = ∇_z log p(x, z)·σε + 1.
func TestGradientMatchesReparam(t *testing.T) {
	lg, x := testLG(4, 2, 0.7, 3)
	q := offsetMeanField(lg, x, 0.3)
	store := NewParamStore()
	model, guide := lgModel(lg), paramGuide(q)
	const k = 5
	_, g, err := Gradient(model, guide, store, x, Objective{K: k}, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := RunGuide(guide, store, x, k, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	z, eps := tr.Site("z").Value, tr.Site("z").Eps
	D, d := lg.W.Dims()
	want := make([]float64, 2*d)
	s2 := lg.NoiseStd * lg.NoiseStd
	for i := range k {
		zi := z.RawRowView(i)
		r := make([]float64, D) // (x − b − W z)/σ²
		for j := range D {
			r[j] = x[j] - lg.B[j]
			for c := range d {
				r[j] -= lg.W.At(j, c) * zi[c]
			}
			r[j] /= s2
		}
		for c := range d {
			gz := -zi[c]
			for j := range D {
				gz += lg.W.At(j, c) * r[j]
			}
			want[c] += gz / k
			want[d+c] += (gz*math.Exp(q.LogScale.At(0, c))*eps.At(i, c) + 1) / k
		}
	}
	got := flatGrad(g, "q.loc", "q.log_scale")
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
			t.Errorf("gradient[%d] = %v, reparameterisation by hand %v", i, got[i], want[i])
		}
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
	variances := map[string][]float64{}
	for _, tc := range []struct {
		name string
		obj  Objective
	}{
		{"standard", Objective{K: 2}},
		{"stl", Objective{K: 2, Estimator: STL}},
		{"analytic-kl", Objective{K: 2, AnalyticKL: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := NewParamStore()
			model, guide := lgModel(lg), paramGuide(q)
			samples := make([][]float64, n)
			var vals []float64
			for s := range n {
				v, g, err := Gradient(model, guide, store, x, tc.obj, rand.New(rand.NewPCG(uint64(s), 5)))
				if err != nil {
					t.Fatal(err)
				}
				vals = append(vals, v)
				samples[s] = flatGrad(g, "q.loc", "q.log_scale")
			}
			mean, se, variance := moments(samples)
			variances[tc.name] = variance
			for i := range exact {
				if math.Abs(mean[i]-exact[i]) > 4*se[i] {
					t.Errorf("mean gradient[%d] = %v ± %v, exact %v", i, mean[i], se[i], exact[i])
				}
			}
			m, s := meanSE(vals)
			if want := lg.ELBO(x, q); math.Abs(m-want) > 4*s {
				t.Errorf("mean ELBO estimate %v ± %v, exact %v", m, s, want)
			}
		})
	}
	var std, stl float64
	for i := range variances["standard"] {
		std += variances["standard"][i]
		stl += variances["stl"][i]
	}
	t.Logf("total gradient variance near the optimum: standard %.4g, STL %.4g (ratio %.3g)", std, stl, std/stl)
	if !(stl < std/2) {
		t.Errorf("STL variance %v not below half the standard estimator's %v", stl, std)
	}
}

func meanSE(v []float64) (float64, float64) {
	var m float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)-1) / float64(len(v)))
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
		store := NewParamStore()
		model, guide := lgModel(lg), paramGuide(q)
		for s := range n {
			_, g, err := Gradient(model, guide, store, x, Objective{Bound: BoundIWAE, K: k, Estimator: e}, rand.New(rand.NewPCG(uint64(s), 6)))
			if err != nil {
				t.Fatal(err)
			}
			res[e] = append(res[e], flatGrad(g, "q.loc", "q.log_scale"))
		}
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

// TestEstimatorNeedsReparam checks the errors for discrete sites under STL
// and DReG and for invalid objectives.
func TestEstimatorNeedsReparam(t *testing.T) {
	model, guide := mixtureModel(testMixture()), catGuide(3)
	x := []float64{0.5, -0.2}
	for _, obj := range []Objective{{K: 2, Estimator: STL}, {K: 2, Bound: BoundIWAE, Estimator: DReG}} {
		_, _, err := Gradient(model, guide, NewParamStore(), x, obj, rand.New(rand.NewPCG(1, 1)))
		if !errors.Is(err, ErrNotReparameterizable) {
			t.Errorf("%s: error %v, want ErrNotReparameterizable", estName(obj.Estimator), err)
		}
	}
	for _, obj := range []Objective{{K: 0}, {K: 2, Bound: BoundIWAE, Estimator: STL}, {K: 2, Estimator: DReG}, {K: 2, Bound: BoundIWAE, AnalyticKL: true}} {
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
	D, _ := lg.W.Dims()
	model := func(t *Tracer, x []float64) {
		b := t.Param("b", mat.NewDense(1, D, lg.B))
		m := lg
		m.B = b.RawRowView(0)
		lgModel(m)(t, x)
	}
	const n = 300
	for _, obj := range []Objective{{K: 2}, {K: 1, Bound: BoundIWAE, Estimator: DReG}} {
		store := NewParamStore()
		var samples [][]float64
		for s := range n {
			_, g, err := Gradient(model, paramGuide(q), store, x, obj, rand.New(rand.NewPCG(uint64(s), 10)))
			if err != nil {
				t.Fatal(err)
			}
			samples = append(samples, flatGrad(g, "b"))
		}
		mean, se, _ := moments(samples)
		for i := range exact {
			if math.Abs(mean[i]-exact[i]) > 4*se[i] {
				t.Errorf("%s: mean ∂/∂b[%d] = %v ± %v, exact %v", estName(obj.Estimator), i, mean[i], se[i], exact[i])
			}
		}
	}
}
