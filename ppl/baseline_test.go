package ppl

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/vi"
)

// TestBaselineUnbiasedAndReducesVariance checks the score-function gradient
// with one particle (where the leave-one-out baseline does not exist) under
// no baseline, a decaying average and a learned linear baseline, each primed
// on the objective: all are unbiased against the exact gradient, and both
// baselines lower the variance.
func TestBaselineUnbiasedAndReducesVariance(t *testing.T) {
	gm := testMixture()
	x := []float64{0.4, 0.3}
	logits := []float64{0.3, -0.2, 0.1}
	exact := fd.Gradient(nil, func(l []float64) float64 { return enumELBO(gm, x, l) }, logits, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	elbo := enumELBO(gm, x, logits)
	avg := &AverageBaseline{}
	avg.Update(ad.Row(x), elbo)
	lin := &LinearBaseline{Rate: 1}
	for range 50 {
		lin.Update(ad.Row(x), elbo)
	}
	const n = 1000
	variance := map[string]float64{}
	for _, tc := range []struct {
		name string
		obj  Objective
	}{
		{"none", Objective{K: 1, NoBaseline: true}},
		{"average", Objective{K: 1, Baseline: avg}},
		{"linear", Objective{K: 1, Baseline: lin}},
	} {
		store := NewParamStore(0)
		store.Set("q.logits", row(logits), nil)
		grads, _ := gradientDraws(t, mixtureModel(gm), catGuide(3), store, row(x), tc.obj, n, 13, "q.logits")
		variance[tc.name] = checkUnbiased(t, tc.name, grads, exact)
	}
	t.Logf("K = 1 score-function gradient variance: none %.4g, average %.4g, linear %.4g", variance["none"], variance["average"], variance["linear"])
	for _, b := range []string{"average", "linear"} {
		if !(variance[b] < variance["none"]/2) {
			t.Errorf("%s baseline: variance %v not below half of %v", b, variance[b], variance["none"])
		}
	}
}

// TestLinearBaselineLearnsLinearTarget feeds a noise-free linear objective
// and checks that the baseline converges to it.
func TestLinearBaselineLearnsLinearTarget(t *testing.T) {
	target := func(x []float64) float64 { return 2*x[0] - x[1] + 3 }
	rnd := rand.New(rand.NewPCG(1, 1))
	point := func() []float64 { return []float64{rnd.NormFloat64(), 2 * rnd.NormFloat64()} }
	b := &LinearBaseline{}
	for range 3000 {
		x := point()
		b.Update(ad.Row(x), target(x))
	}
	for range 10 {
		x := point()
		if got, want := b.Value(ad.Row(x)), target(x); math.Abs(got-want) > 1e-6 {
			t.Errorf("b(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestAverageBaselineDecays(t *testing.T) {
	b := &AverageBaseline{Decay: 0.5}
	if v := b.Value(nil); v != 0 {
		t.Errorf("before any update: %v, want 0", v)
	}
	for _, f := range []float64{4, 2, 0} {
		b.Update(nil, f)
	}
	// 4, then ½·4 + ½·2 = 3, then ½·3 + ½·0 = 1.5.
	if v := b.Value(nil); v != 1.5 {
		t.Errorf("average %v, want 1.5", v)
	}
}

// TestSVIUpdatesBaseline fits the mixture guide with one particle and a
// decaying-average baseline, and checks that SVI fed the baseline: it ends
// nearer the objective than its initial 0.
func TestSVIUpdatesBaseline(t *testing.T) {
	gm := testMixture()
	b := &AverageBaseline{Decay: 0.8}
	res, err := SVI(mixtureModel(gm), catGuide(3), NewParamStore(0), row([]float64{0.4, 0.3}), SVIConfig{
		Objective: Objective{K: 1, Baseline: b}, Steps: 200,
		Adam: vi.AdamConfig{LR: 0.02}, Seed: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := b.Value(nil); v == 0 || math.Abs(v-res.Value) > math.Abs(res.Value)/2 {
		t.Errorf("baseline %v, not near the objective %v", v, res.Value)
	}
}

func TestBaselinePanics(t *testing.T) {
	x := ad.Row([]float64{1, 2})
	for name, f := range map[string]func(){
		"decay 1":       func() { (&AverageBaseline{Decay: 1}).Update(x, 0) },
		"negative rate": func() { (&LinearBaseline{Rate: -0.5}).Update(x, 0) },
		"rate 2":        func() { (&LinearBaseline{Rate: 2}).Update(x, 0) },
		"length change": func() {
			b := &LinearBaseline{}
			b.Update(x, 0)
			b.Value(ad.Scalar(1))
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
