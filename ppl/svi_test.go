package ppl

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/vi"
)

// shiftModel is z_i ~ N(0, 1), x_i | z_i ~ N(b + z_i, 1) for the rows of x,
// with the model parameter "b"; its evidence is x_i ~ N(b, √2), maximised at
// the mean of the data.
func shiftModel(t *Tracer, x *ad.Var) {
	b := t.Param("b", Zeros(1, 1))
	t.Plate("data", x.R, func(p *Plate) {
		z := t.Sample("z", dist.StdNormal{D: 1})
		t.Observe("x", dist.Normal{Loc: ad.Add(b, z), LogScale: ad.Scalar(0)}, p.Data(x))
	})
}

// shiftPosterior is the exact posterior of shiftModel, N((x_i−b)/2, ½), read
// from the model's own parameter: every log-weight equals log p(x; b), so
// the objective and its gradient are exact whatever the particles.
func shiftPosterior(t *Tracer, x *ad.Var) {
	b := t.Param("b", Zeros(1, 1))
	t.Plate("data", x.R, func(p *Plate) {
		loc := ad.Scale(ad.Sub(p.Data(x), b), 0.5)
		t.Sample("z", dist.Normal{Loc: loc, LogScale: ad.Scalar(0.5 * math.Log(0.5))})
	})
}

func shiftData(n int, seed uint64) *mat.Dense {
	rnd := rand.New(rand.NewPCG(seed, 1))
	data := mat.NewDense(n, 1, nil)
	for i := range n {
		data.Set(i, 0, 3+2*rnd.NormFloat64())
	}
	return data
}

// TestSVIDataFitsMaximumLikelihood fits the model parameter of shiftModel on
// a data set and checks that it reaches the maximum-likelihood estimate, the
// mean of the data, and that the reported objective is the log-likelihood.
// The gradients are exact (see shiftPosterior), so what is left is Adam's
// own jitter, of the order of the last learning rate.
func TestSVIDataFitsMaximumLikelihood(t *testing.T) {
	data := shiftData(20, 3)
	mle := mat.Sum(data) / 20
	const lastLR = 1e-3
	store := NewParamStore(0)
	var res SVIResult
	for _, ph := range []struct {
		lr    float64
		steps int
	}{{0.1, 400}, {lastLR, 300}} {
		var err error
		res, err = SVI(shiftModel, shiftPosterior, store, data, SVIConfig{
			Objective: Objective{K: 2}, Steps: ph.steps, Adam: vi.AdamConfig{LR: ph.lr}, Seed: 5,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	b := store.Get("b").At(0, 0)
	t.Logf("b = %.6f, maximum-likelihood estimate %.6f", b, mle)
	if math.Abs(b-mle) > 5*lastLR {
		t.Errorf("fitted b = %v, want the data mean %v ± %v", b, mle, 5*lastLR)
	}
	want := shiftLogLik(data, b)
	// The value is estimated before the last update, one small step away.
	if math.Abs(res.Value-want) > 20*lastLR {
		t.Errorf("objective %v, want the log-likelihood %v", res.Value, want)
	}
}

func shiftLogLik(data *mat.Dense, b float64) float64 {
	var s float64
	for _, x := range data.RawMatrix().Data {
		s += distuv.Normal{Mu: b, Sigma: math.Sqrt2}.LogProb(x)
	}
	return s
}

// TestSVISubsampledStepsAverageToTheData runs SVI with a subsampled plate at
// a learning rate too small to move the parameter, so that each step's value
// is the exact log-likelihood of its subsample scaled by n/b, and checks
// that the step values average to the log-likelihood of all the data within
// their standard error.
func TestSVISubsampledStepsAverageToTheData(t *testing.T) {
	data := shiftData(20, 3)
	want := shiftLogLik(data, 0)
	var vals []float64
	_, err := SVI(shiftModel, shiftPosterior, NewParamStore(0), data, SVIConfig{
		Objective: Objective{K: 1, Subsample: 4}, Steps: 2000,
		Adam: vi.AdamConfig{LR: 1e-30}, Seed: 2,
		Callback: func(_ int, v float64) error { vals = append(vals, v); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, se := meanSE(vals); math.Abs(m-want) > 4*se {
		t.Errorf("mean of the subsampled step values %v ± %v, want the data's %v", m, se, want)
	}
}

// TestSVIDeterministic checks that the same seed gives bit-identical
// parameters.
func TestSVIDeterministic(t *testing.T) {
	lg, x := testLG(4, 2, 0.5, 7)
	var first []float64
	for range 2 {
		store := NewParamStore(0)
		guide := paramGuide(offsetMeanField(lg, x, 0.3))
		if _, err := SVI(lgModel(lg), guide, store, row(x), SVIConfig{
			Objective: Objective{K: 3}, Steps: 20, Adam: vi.AdamConfig{LR: 0.01}, Seed: 9,
		}); err != nil {
			t.Fatal(err)
		}
		got := slices.Concat(store.Get("q.loc").RawMatrix().Data, store.Get("q.log_scale").RawMatrix().Data)
		if first == nil {
			first = got
		} else if !slices.Equal(got, first) {
			t.Errorf("second run %v, first %v", got, first)
		}
	}
}

// TestSVIWithSGDAndSchedule fits the shift model with SGD with momentum
// and a decaying learning rate.
func TestSVIWithSGDAndSchedule(t *testing.T) {
	data := shiftData(20, 3)
	store := NewParamStore(0)
	_, err := SVI(shiftModel, shiftPosterior, store, data, SVIConfig{
		Objective: Objective{K: 1}, Steps: 300, SGD: &vi.SGDConfig{Momentum: 0.9},
		Schedule: vi.ExponentialDecay{Initial: 0.01, Gamma: 0.5, Every: 100}, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, mle := store.Get("b").At(0, 0), mat.Sum(data)/20; math.Abs(b-mle) > 1e-3 {
		t.Errorf("SGD fit b = %v, want %v", b, mle)
	}
}

// TestSVIConvergenceCheck checks that SVI stops when the objective stops
// rising, and runs every step without the check.
func TestSVIConvergenceCheck(t *testing.T) {
	data := shiftData(10, 4)
	const steps = 5000
	for _, window := range []int{0, 50} {
		res, err := SVI(shiftModel, shiftPosterior, NewParamStore(0), data, SVIConfig{
			Objective: Objective{K: 1}, Steps: steps, Adam: vi.AdamConfig{LR: 0.05},
			Seed: 1, Window: window, Tol: 1e-6,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("window %d: %d steps, converged %v, objective %.6f", window, res.Steps, res.Converged, res.Value)
		if window == 0 && (res.Steps != steps || res.Converged) {
			t.Errorf("without a check: %d steps (converged %v), want all %d", res.Steps, res.Converged, steps)
		}
		if window > 0 && (!res.Converged || res.Steps >= steps || res.Steps%window != 0) {
			t.Errorf("with window %d: %d steps, converged %v; want a stop at a window boundary before %d", window, res.Steps, res.Converged, steps)
		}
	}
}

func TestSVIErrors(t *testing.T) {
	good := mat.NewDense(2, 1, []float64{1, 2})
	for _, tc := range []struct {
		name string
		data mat.Matrix
		cfg  SVIConfig
		want error
	}{
		{"no data", nil, SVIConfig{Steps: 1}, ErrShape},
		{"negative steps", good, SVIConfig{Steps: -1}, nil},
		{"negative window", good, SVIConfig{Steps: 1, Window: -1}, nil},
		{"STL for IWAE", good, SVIConfig{Steps: 1, Objective: Objective{K: 2, Bound: BoundIWAE, Estimator: STL}}, nil},
		{"bad SGD", good, SVIConfig{Steps: 1, SGD: &vi.SGDConfig{}}, nil},
	} {
		_, err := SVI(shiftModel, shiftPosterior, NewParamStore(0), tc.data, tc.cfg)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

// TestSVISameBitsAnyGOMAXPROCS fits the factor-analysis model of the
// benchmarks (amortised full-covariance guide, subsampled plate) with
// GOMAXPROCS 1 and 2 and requires bit-identical parameters.
func TestSVISameBitsAnyGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	x := faData(200, 50)
	var first map[string][]float64
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		store := NewParamStore(3)
		if _, err := SVI(faModel(50, 2), faGuide(50, 2), store, x, SVIConfig{
			Objective: Objective{K: 8, Subsample: 20}, Steps: 30, Adam: vi.AdamConfig{LR: 0.01}, Seed: 4,
		}); err != nil {
			t.Fatal(err)
		}
		got := map[string][]float64{}
		for _, n := range store.Names() {
			got[n] = slices.Clone(store.Unconstrained(n).RawMatrix().Data)
		}
		if first == nil {
			first = got
			continue
		}
		for n, v := range got {
			if !slices.Equal(v, first[n]) {
				t.Errorf("%s differs between GOMAXPROCS 1 and 2", n)
			}
		}
	}
}

// TestSVIParamsHoldsTheOthers fits only a per-point guide, the model's
// parameter b being held: b must keep its value exactly, and the guide must
// reach the exact posterior N((x_i − b)/2, ½) for that b.
func TestSVIParamsHoldsTheOthers(t *testing.T) {
	data := shiftData(5, 4)
	store := NewParamStore(0)
	const b = 0.7
	if err := store.Set("b", mat.NewDense(1, 1, []float64{b}), nil); err != nil {
		t.Fatal(err)
	}
	local := func(t *Tracer, x *ad.Var) {
		loc := t.Param("q.loc", Zeros(x.R, 1))
		ls := t.Param("q.log_scale", Zeros(x.R, 1))
		t.Plate("data", x.R, func(p *Plate) {
			t.Sample("z", dist.Normal{Loc: ad.Tile(loc, t.Particles()), LogScale: ad.Tile(ls, t.Particles())})
		})
	}
	_, err := SVI(shiftModel, local, store, data, SVIConfig{
		Objective: Objective{K: 4, Estimator: STL}, Steps: 2000, Seed: 1,
		Schedule: vi.CosineDecay{Initial: 0.05, Min: 1e-4, Steps: 2000},
		Params:   []string{"q.loc", "q.log_scale"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := store.Get("b").At(0, 0); got != b {
		t.Errorf("b = %v after SVI, want it held at %v", got, b)
	}
	for i := range 5 {
		loc, ls := store.Get("q.loc").At(i, 0), store.Get("q.log_scale").At(i, 0)
		if want := (data.At(i, 0) - b) / 2; math.Abs(loc-want) > 1e-3 {
			t.Errorf("point %d: q.loc = %v, want %v", i, loc, want)
		}
		if want := 0.5 * math.Log(0.5); math.Abs(ls-want) > 1e-3 {
			t.Errorf("point %d: q.log_scale = %v, want %v", i, ls, want)
		}
	}
	_, err = SVI(shiftModel, local, store, data, SVIConfig{Steps: 1, Params: []string{"q.scale"}})
	if err == nil || !strings.Contains(err.Error(), `"q.scale"`) {
		t.Errorf("unknown parameter: error %v, want one naming \"q.scale\"", err)
	}
}
