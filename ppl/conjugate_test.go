package ppl

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/vi"
)

// conjugate is a model with a conjugate prior, its data and its exact log
// evidence.
type conjugate struct {
	name  string
	model Model
	x     *mat.Dense
	exact float64
}

func lbeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

func lgamma(v float64) float64 { l, _ := math.Lgamma(v); return l }

// betaBernoulliCase: p ~ Beta(2, 3), 20 flips with 14 heads;
// p(x) = B(2 + h, 3 + n − h)/B(2, 3).
func betaBernoulliCase() conjugate {
	const a, b = 2.0, 3.0
	flips := make([]float64, 20)
	for i := range 14 {
		flips[i] = 1
	}
	return conjugate{
		name: "Beta–Bernoulli",
		model: func(t *Tracer, x *ad.Var) {
			p := t.Sample("p", dist.Beta{Concentration1: ad.Scalar(a), Concentration0: ad.Scalar(b)})
			logit := ad.Sub(ad.Log(p), ad.Log1p(ad.Neg(p)))
			t.Plate("flips", x.R, func(pl *Plate) {
				t.Observe("x", dist.Bernoulli{Logits: pl.Expand(logit)}, pl.Data(x))
			})
		},
		x:     col(flips),
		exact: lbeta(a+14, b+6) - lbeta(a, b),
	}
}

// gammaPoissonCase: λ ~ Gamma(2, rate 0.5), eight counts;
// log p(x) = α log β − log Γ(α) + log Γ(α + S) − (α + S) log(β + n) − Σ log x_i!.
func gammaPoissonCase() conjugate {
	const a, b = 2.0, 0.5
	counts := []float64{3, 5, 2, 6, 4, 7, 3, 4}
	var s, lfact float64
	for _, c := range counts {
		s += c
		lfact += lgamma(c + 1)
	}
	n := float64(len(counts))
	return conjugate{
		name: "Gamma–Poisson",
		model: func(t *Tracer, x *ad.Var) {
			rate := t.Sample("rate", dist.Gamma{Concentration: ad.Scalar(a), Rate: ad.Scalar(b)})
			t.Plate("counts", x.R, func(pl *Plate) {
				t.Observe("x", dist.Poisson{Rate: pl.Expand(rate)}, pl.Data(x))
			})
		},
		x:     col(counts),
		exact: a*math.Log(b) - lgamma(a) + lgamma(a+s) - (a+s)*math.Log(b+n) - lfact,
	}
}

// dirichletCategoricalCase: θ ~ Dirichlet(1, 2, 1.5), 30 draws with
// counts (6, 15, 9); log p(x) = log Γ(α₀) − log Γ(α₀ + n) +
// Σ_k log Γ(α_k + c_k) − log Γ(α_k).
func dirichletCategoricalCase() conjugate {
	alpha := []float64{1, 2, 1.5}
	counts := []int{6, 15, 9}
	var classes []float64
	for k, c := range counts {
		for range c {
			classes = append(classes, float64(k))
		}
	}
	a0, n := alpha[0]+alpha[1]+alpha[2], float64(len(classes))
	exact := lgamma(a0) - lgamma(a0+n)
	for k, c := range counts {
		exact += lgamma(alpha[k]+float64(c)) - lgamma(alpha[k])
	}
	return conjugate{
		name: "Dirichlet–Categorical",
		model: func(t *Tracer, x *ad.Var) {
			theta := t.Sample("theta", dist.Dirichlet{Concentration: ad.Row(alpha)})
			t.Plate("draws", x.R, func(pl *Plate) {
				t.Observe("x", dist.Categorical{Logits: pl.Expand(ad.Log(theta))}, pl.Data(x))
			})
		},
		x:     col(classes),
		exact: exact,
	}
}

// normalInverseGammaCase: σ² ~ InverseGamma(3, 2), μ | σ² ~ N(0, σ²/κ₀)
// with κ₀ = 1, ten points x_i ~ N(μ, σ²); the evidence is
// Γ(a_n)/Γ(a) · b^a/b_n^{a_n} · √(κ₀/κ_n) · (2π)^{−n/2}.
func normalInverseGammaCase() conjugate {
	const a, b, kappa0, m0 = 3.0, 2.0, 1.0, 0.0
	xs := []float64{1.2, 0.4, 2.1, 1.7, 0.9, 1.1, 2.5, 0.3, 1.4, 1.8}
	n := float64(len(xs))
	var mean, ss float64
	for _, v := range xs {
		mean += v
	}
	mean /= n
	for _, v := range xs {
		ss += (v - mean) * (v - mean)
	}
	kn, an := kappa0+n, a+n/2
	bn := b + ss/2 + kappa0*n*(mean-m0)*(mean-m0)/(2*kn)
	return conjugate{
		name: "Normal–InverseGamma",
		model: func(t *Tracer, x *ad.Var) {
			v := t.Sample("var", dist.InverseGamma{Concentration: ad.Scalar(a), Rate: ad.Scalar(b)})
			halfLogV := ad.Scale(ad.Log(v), 0.5)
			mu := t.Sample("mu", dist.Normal{Loc: ad.Scalar(m0), LogScale: ad.Shift(halfLogV, -0.5*math.Log(kappa0))})
			t.Plate("points", x.R, func(pl *Plate) {
				t.Observe("x", dist.Normal{Loc: pl.Expand(mu), LogScale: pl.Expand(halfLogV)}, pl.Data(x))
			})
		},
		x:     col(xs),
		exact: lgamma(an) - lgamma(a) + a*math.Log(b) - an*math.Log(bn) + 0.5*math.Log(kappa0/kn) - n/2*math.Log(2*math.Pi),
	}
}

// TestConjugateEvidence fits an automatic guide to each conjugate model by
// SVI and checks, against the exact log evidence, that the importance
// sampling estimate with the fitted guide as proposal lies within three of
// its own standard errors, that the ELBO does not exceed it (within three
// standard errors), and that the fit is good: the ELBO within 0.1 nats
// and the IS standard error below 0.01 (an estimate too noisy to be wrong
// would pass the first check on its own).
func TestConjugateEvidence(t *testing.T) {
	lowRank := func(m Model, s *ParamStore, x mat.Matrix) (Guide, error) {
		return AutoLowRankMultivariateNormal(m, s, x, 1)
	}
	for _, tc := range []struct {
		c     conjugate
		guide string
		auto  func(Model, *ParamStore, mat.Matrix) (Guide, error)
	}{
		{betaBernoulliCase(), "AutoNormal", AutoNormal},
		{gammaPoissonCase(), "AutoNormal", AutoNormal},
		{dirichletCategoricalCase(), "AutoMultivariateNormal", AutoMultivariateNormal},
		{normalInverseGammaCase(), "AutoMultivariateNormal", AutoMultivariateNormal},
		{normalInverseGammaCase(), "AutoLowRankMultivariateNormal(1)", lowRank},
	} {
		t.Run(tc.c.name+"/"+tc.guide, func(t *testing.T) {
			c := tc.c
			store := NewParamStore(0)
			guide, err := tc.auto(c.model, store, c.x)
			if err != nil {
				t.Fatal(err)
			}
			for i, lr := range []float64{0.05, 0.005} {
				if _, err := SVI(c.model, guide, store, c.x, SVIConfig{
					Objective: Objective{K: 8, Estimator: STL}, Steps: 600, Adam: vi.AdamConfig{LR: lr}, Seed: uint64(1 + i),
				}); err != nil {
					t.Fatal(err)
				}
			}
			is, err := Importance(c.model, guide, store, c.x, 4096, mc.Config{Seed: 3, ChunkSize: 256})
			if err != nil {
				t.Fatal(err)
			}
			elbo, err := ELBO(c.model, guide, store, c.x, 4096, mc.Config{Seed: 4, ChunkSize: 256})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("exact %.5f; IS %.5f ± %.5f (%.1f SE off, k̂ %.2f); ELBO %.5f ± %.5f (gap %.4f)",
				c.exact, is.LogPX, is.StdErr, (is.LogPX-c.exact)/is.StdErr, is.KHat, elbo.LogPX, elbo.StdErr, c.exact-elbo.LogPX)
			if math.Abs(is.LogPX-c.exact) > 3*is.StdErr {
				t.Errorf("IS %v ± %v is more than 3 SE from the exact %v", is.LogPX, is.StdErr, c.exact)
			}
			if elbo.LogPX > c.exact+3*elbo.StdErr {
				t.Errorf("ELBO %v ± %v exceeds the exact %v", elbo.LogPX, elbo.StdErr, c.exact)
			}
			if gap := c.exact - elbo.LogPX; gap > 0.1 {
				t.Errorf("ELBO gap %v > 0.1: the guide did not fit", gap)
			}
			if is.StdErr > 0.01 {
				t.Errorf("IS standard error %v > 0.01: the guide did not fit", is.StdErr)
			}
		})
	}
}
