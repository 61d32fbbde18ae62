package ppl

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

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
	avg.Update([][]float64{x}, []float64{elbo})
	lin := &LinearBaseline{Rate: 1}
	for range 50 {
		lin.Update([][]float64{x}, []float64{elbo})
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
		store := NewParamStore()
		store.Set("q.logits", mat.NewDense(1, 3, logits))
		grads, _ := gradientDraws(t, mixtureModel(gm), catGuide(3), store, x, tc.obj, n, 13, "q.logits")
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
		b.Update([][]float64{x}, []float64{target(x)})
	}
	for range 10 {
		x := point()
		if got, want := b.Value(x), target(x); math.Abs(got-want) > 1e-6 {
			t.Errorf("b(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestAverageBaselineDecays(t *testing.T) {
	b := &AverageBaseline{Decay: 0.5}
	if v := b.Value(nil); v != 0 {
		t.Errorf("before any update: %v, want 0", v)
	}
	b.Update(nil, []float64{4, 2, 0})
	// 4, then ½·4 + ½·2 = 3, then ½·3 + ½·0 = 1.5.
	if v := b.Value(nil); v != 1.5 {
		t.Errorf("average %v, want 1.5", v)
	}
}

// TestSVIUpdatesBaseline fits the mixture guide with one particle and a
// decaying-average baseline, and checks that SVI fed the baseline (it ends
// nearer the objective than its initial 0) and that the numbers do not depend on the workers.
func TestSVIUpdatesBaseline(t *testing.T) {
	gm := testMixture()
	data := [][]float64{{0.4, 0.3}, {-1, 0.2}, {1.2, 0.8}, {0.1, -1}}
	var first []float64
	for _, workers := range []int{1, 2} {
		b := &AverageBaseline{Decay: 0.8}
		store := NewParamStore()
		res, err := SVI(mixtureModel(gm), catGuide(3), store, data, SVIConfig{
			Objective: Objective{K: 1, Baseline: b}, Steps: 200, BatchSize: 2,
			Adam: vi.AdamConfig{LR: 0.02}, Seed: 3, Workers: workers,
		})
		if err != nil {
			t.Fatal(err)
		}
		// Never updated, the baseline would still be 0.
		if v := b.Value(nil); v == 0 || math.Abs(v-res.Value) > math.Abs(res.Value)/2 {
			t.Errorf("baseline %v, not near the objective %v", v, res.Value)
		}
		got := store.Get("q.logits").RawRowView(0)
		if first == nil {
			first = append([]float64(nil), got...)
		} else {
			for i := range got {
				if got[i] != first[i] {
					t.Errorf("workers %d: logits %v, 1 worker %v", workers, got, first)
					break
				}
			}
		}
	}
}

// TestBaselinePanics checks the programmer errors of the baselines.
func TestBaselinePanics(t *testing.T) {
	x := [][]float64{{1, 2}}
	for name, f := range map[string]func(){
		"decay 1":       func() { (&AverageBaseline{Decay: 1}).Update(x, []float64{0}) },
		"negative rate": func() { (&LinearBaseline{Rate: -0.5}).Update(x, []float64{0}) },
		"rate 2":        func() { (&LinearBaseline{Rate: 2}).Update(x, []float64{0}) },
		"length change": func() {
			b := &LinearBaseline{}
			b.Update(x, []float64{0})
			b.Value([]float64{1})
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
