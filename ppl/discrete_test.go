package ppl

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

func testMixture() latent.GaussianMixture {
	return latent.GaussianMixture{
		Weights: []float64{0.5, 0.3, 0.2},
		Means:   mat.NewDense(3, 2, []float64{-1, 0, 1, 1, 0.5, -1}),
		Stds:    mat.NewDense(3, 2, []float64{1, 1, 0.8, 0.8, 1.2, 1.2}),
	}
}

// mixtureModel writes latent.GaussianMixture as a ppl model with a discrete
// site "c": the component's mean and scale are gathered by class.
func mixtureModel(gm latent.GaussianMixture) Model {
	K, _ := gm.Means.Dims()
	logits := ad.Const(1, K, nil)
	for i, w := range gm.Weights {
		logits.Data[i] = math.Log(w)
	}
	means, logStds := ad.FromDense(gm.Means), ad.Log(ad.FromDense(gm.Stds))
	return func(t *Tracer, x *ad.Var) {
		c := Classes(t.Sample("c", dist.Categorical{Logits: logits}))
		t.Observe("x", dist.Normal{Loc: ad.Rows(means, c), LogScale: ad.Rows(logStds, c)}, x)
	}
}

// catGuide draws "c" from a categorical with logits "q.logits".
func catGuide(K int) Guide {
	return func(t *Tracer, x *ad.Var) {
		t.Sample("c", dist.Categorical{Logits: t.Param("q.logits", Zeros(1, K))})
	}
}

// enumELBO is the exact ELBO of the categorical guide with the given logits,
// by enumeration.
func enumELBO(gm latent.GaussianMixture, x, logits []float64) float64 {
	lse := math.Inf(-1)
	for _, l := range logits {
		lse = math.Max(lse, l)
	}
	var s float64
	for _, l := range logits {
		s += math.Exp(l - lse)
	}
	lse += math.Log(s)
	var elbo float64
	for c := range logits {
		z := mat.NewDense(1, 1, []float64{float64(c)})
		lj := latent.LogJoint(nil, gm, x, z)[0]
		lq := logits[c] - lse
		elbo += math.Exp(lq) * (lj - lq)
	}
	return elbo
}

// TestScoreFunctionUnbiased checks the score-function gradient for a
// discrete guide site against the exact gradient of the enumerated ELBO,
// with and without the leave-one-out baseline, and that the baseline reduces
// the variance.
func TestScoreFunctionUnbiased(t *testing.T) {
	gm := testMixture()
	x := []float64{0.4, 0.3}
	logits := []float64{0.3, -0.2, 0.1}
	exact := fd.Gradient(nil, func(l []float64) float64 { return enumELBO(gm, x, l) }, logits, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	const n = 1000
	vars := map[bool]float64{}
	for _, noBase := range []bool{false, true} {
		store := NewParamStore(0)
		store.Set("q.logits", row(logits), nil)
		grads, _ := gradientDraws(t, mixtureModel(gm), catGuide(3), store, row(x), Objective{K: 4, NoBaseline: noBase}, n, 7, "q.logits")
		vars[noBase] = checkUnbiased(t, "baseline", grads, exact)
	}
	t.Logf("score-function gradient variance: no baseline %.4g, leave-one-out baseline %.4g (ratio %.3g)", vars[true], vars[false], vars[true]/vars[false])
	if !(vars[false] < vars[true]/2) {
		t.Errorf("baseline variance %v not below half of %v", vars[false], vars[true])
	}
}

// TestIWAEScoreBaseline checks that the IWAE score-function gradient with
// the VIMCO baseline has the mean of the one without, and less variance.
func TestIWAEScoreBaseline(t *testing.T) {
	gm := testMixture()
	x := row([]float64{0.4, 0.3})
	const n = 600
	var means, ses [2][]float64
	var tot [2]float64
	for b, noBase := range []bool{false, true} {
		store := NewParamStore(0)
		store.Set("q.logits", row([]float64{0.3, -0.2, 0.1}), nil)
		samples, _ := gradientDraws(t, mixtureModel(gm), catGuide(3), store, x, Objective{Bound: BoundIWAE, K: 4, NoBaseline: noBase}, n, 8, "q.logits")
		var v []float64
		means[b], ses[b], v = moments(samples)
		for _, x := range v {
			tot[b] += x
		}
	}
	for i := range means[0] {
		if math.Abs(means[0][i]-means[1][i]) > 4*math.Hypot(ses[0][i], ses[1][i]) {
			t.Errorf("gradient[%d]: VIMCO %v ± %v, no baseline %v ± %v", i, means[0][i], ses[0][i], means[1][i], ses[1][i])
		}
	}
	t.Logf("IWAE-4 score gradient variance: no baseline %.4g, VIMCO %.4g", tot[1], tot[0])
	if !(tot[0] < tot[1]) {
		t.Errorf("VIMCO variance %v not below %v", tot[0], tot[1])
	}
}
