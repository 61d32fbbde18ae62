package ppl

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

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
// site "c".
func mixtureModel(gm latent.GaussianMixture) Model {
	K, D := gm.Means.Dims()
	logits := mat.NewDense(1, K, nil)
	for i, w := range gm.Weights {
		logits.Set(0, i, math.Log(w))
	}
	return func(t *Tracer, x []float64) {
		c := t.Sample("c", dist.Categorical{Logits: logits})
		k := t.Particles()
		loc, ls := mat.NewDense(k, D, nil), mat.NewDense(k, D, nil)
		for i := range k {
			cls := int(c.At(i, 0))
			for j := range D {
				loc.Set(i, j, gm.Means.At(cls, j))
				ls.Set(i, j, math.Log(gm.Stds.At(cls, j)))
			}
		}
		t.Observe("x", dist.Normal{Loc: loc, LogScale: ls}, x)
	}
}

// catGuide draws "c" from a categorical with logits "q.logits".
func catGuide(K int) Guide {
	return func(t *Tracer, x []float64) {
		l := t.Param("q.logits", mat.NewDense(1, K, nil))
		t.Sample("c", dist.Categorical{Logits: l})
	}
}

// enumELBO is the exact ELBO of the categorical guide with the given logits,
// by enumeration.
func enumELBO(gm latent.GaussianMixture, x, logits []float64) float64 {
	K := len(logits)
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
	for c := range K {
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
// the variance. It also checks the IWAE score gradient with the VIMCO
// baseline against the one without.
func TestScoreFunctionUnbiased(t *testing.T) {
	gm := testMixture()
	x := []float64{0.4, 0.3}
	logits := []float64{0.3, -0.2, 0.1}
	exact := fd.Gradient(nil, func(l []float64) float64 { return enumELBO(gm, x, l) }, logits, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	const n = 1000
	vars := map[bool]float64{}
	for _, noBase := range []bool{false, true} {
		store := NewParamStore()
		store.Set("q.logits", mat.NewDense(1, 3, logits))
		var samples [][]float64
		for s := range n {
			_, g, err := Gradient(mixtureModel(gm), catGuide(3), store, x, Objective{K: 4, NoBaseline: noBase}, rand.New(rand.NewPCG(uint64(s), 7)))
			if err != nil {
				t.Fatal(err)
			}
			samples = append(samples, flatGrad(g, "q.logits"))
		}
		mean, se, variance := moments(samples)
		for i := range exact {
			if math.Abs(mean[i]-exact[i]) > 4*se[i] {
				t.Errorf("baseline=%v: mean gradient[%d] = %v ± %v, exact %v", !noBase, i, mean[i], se[i], exact[i])
			}
			vars[noBase] += variance[i]
		}
	}
	t.Logf("score-function gradient variance: no baseline %.4g, leave-one-out baseline %.4g (ratio %.3g)", vars[true], vars[false], vars[true]/vars[false])
	if !(vars[false] < vars[true]/2) {
		t.Errorf("baseline variance %v not below half of %v", vars[false], vars[true])
	}
}

// TestIWAEScoreBaseline checks that the IWAE score-function gradient with
// the VIMCO baseline has the mean of the one without.
func TestIWAEScoreBaseline(t *testing.T) {
	gm := testMixture()
	x := []float64{0.4, 0.3}
	const n = 600
	var means, ses [2][]float64
	var tot [2]float64
	for b, noBase := range []bool{false, true} {
		store := NewParamStore()
		store.Set("q.logits", mat.NewDense(1, 3, []float64{0.3, -0.2, 0.1}))
		var samples [][]float64
		for s := range n {
			_, g, err := Gradient(mixtureModel(gm), catGuide(3), store, x, Objective{Bound: BoundIWAE, K: 4, NoBaseline: noBase}, rand.New(rand.NewPCG(uint64(s), 8)))
			if err != nil {
				t.Fatal(err)
			}
			samples = append(samples, flatGrad(g, "q.logits"))
		}
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
