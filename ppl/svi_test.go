package ppl

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/vi"
)

// shiftModel is z ~ N(0, 1), x | z ~ N(b + z, 1) with the model parameter
// "b"; its evidence is x ~ N(b, √2), maximised over a data set at the mean.
func shiftModel(t *Tracer, x []float64) {
	b := t.Param("b", mat.NewDense(1, 1, []float64{0}))
	z := t.Sample("z", dist.StdNormal{D: 1})
	k := t.Particles()
	loc := mat.NewDense(k, 1, nil)
	for i := range k {
		loc.Set(i, 0, b.At(0, 0)+z.At(i, 0))
	}
	t.Observe("x", dist.Normal{Loc: loc, LogScale: mat.NewDense(k, 1, nil)}, x)
}

// shiftPosterior is the exact posterior of shiftModel, N((x−b)/2, ½), read
// from the model's own parameter: every log-weight equals log p(x; b), so
// the objective and its gradient are exact whatever the particles.
func shiftPosterior(t *Tracer, x []float64) {
	b := t.Param("b", mat.NewDense(1, 1, []float64{0}))
	loc := mat.NewDense(1, 1, []float64{(x[0] - b.At(0, 0)) / 2})
	t.Sample("z", dist.Normal{Loc: loc, LogScale: mat.NewDense(1, 1, []float64{0.5 * math.Log(0.5)})})
}

func shiftData(n int, seed uint64) [][]float64 {
	rnd := rand.New(rand.NewPCG(seed, 1))
	data := make([][]float64, n)
	for i := range data {
		data[i] = []float64{3 + 2*rnd.NormFloat64()}
	}
	return data
}

// TestSVIDataFitsMaximumLikelihood fits the model parameter of shiftModel on
// a data set and checks that it reaches the maximum-likelihood estimate, the
// mean of the data, and that the reported objective is the mean
// log-likelihood per point. The gradients are exact (see shiftPosterior), so
// what is left is Adam's own jitter, of the order of the last learning rate:
// the tolerance is a few of those.
func TestSVIDataFitsMaximumLikelihood(t *testing.T) {
	data := shiftData(20, 3)
	var mle float64
	for _, x := range data {
		mle += x[0] / float64(len(data))
	}
	const lastLR = 1e-3
	store := NewParamStore()
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
	want := meanShiftLogLik(data, b)
	// The value is estimated before the last update, at most one step of
	// size lastLR away.
	if math.Abs(res.Value-want) > lastLR {
		t.Errorf("objective %v, want the mean log-likelihood %v", res.Value, want)
	}
}

func meanShiftLogLik(data [][]float64, b float64) float64 {
	var s float64
	for _, x := range data {
		s += distuv.Normal{Mu: b, Sigma: math.Sqrt2}.LogProb(x[0]) / float64(len(data))
	}
	return s
}

// TestSVIMinibatchesAverageToTheData runs SVI in minibatches at a learning
// rate too small to move the parameter, so that each step's value is the
// exact mean log-likelihood of its minibatch, and checks that over a whole
// number of passes through the data (batches that straddle epochs included)
// the step values average to the mean over all the data.
func TestSVIMinibatchesAverageToTheData(t *testing.T) {
	data := shiftData(20, 3)
	want := meanShiftLogLik(data, 0)
	for _, batch := range []int{1, 4, 7, 20} {
		// lcm(batch, 20)/batch steps see every point equally often.
		steps := 20 / gcd(batch, 20)
		var sum float64
		_, err := SVI(shiftModel, shiftPosterior, NewParamStore(), data, SVIConfig{
			Objective: Objective{K: 1}, Steps: steps, BatchSize: batch,
			Adam: vi.AdamConfig{LR: 1e-30}, Seed: 2,
			Callback: func(_ int, v float64) error { sum += v; return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := sum / float64(steps); math.Abs(got-want) > 1e-12 {
			t.Errorf("batch %d: mean of %d step values %v, want the data's %v", batch, steps, got, want)
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// TestSVIWorkersDoNotChangeNumbers fits a guide with noisy gradients in
// minibatches with 1 and 3 workers and checks that the parameters are
// bit-identical.
func TestSVIWorkersDoNotChangeNumbers(t *testing.T) {
	lg, _ := testLG(4, 2, 0.5, 7)
	data := make([][]float64, 9)
	rnd := rand.New(rand.NewPCG(8, 1))
	for i := range data {
		x := mat.NewDense(1, 4, nil)
		lg.SampleData(x, rnd)
		data[i] = x.RawRowView(0)
	}
	var first map[string][]float64
	for _, workers := range []int{1, 3} {
		store := NewParamStore()
		guide := paramGuide(offsetMeanField(lg, data[0], 0.3))
		_, err := SVI(lgModel(lg), guide, store, data, SVIConfig{
			Objective: Objective{K: 3}, Steps: 20, BatchSize: 4, Workers: workers,
			Adam: vi.AdamConfig{LR: 0.01}, Seed: 9,
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]float64{}
		for _, n := range store.Names() {
			got[n] = slices.Clone(store.Get(n).RawMatrix().Data)
		}
		if first == nil {
			first = got
			continue
		}
		for n, v := range got {
			if !slices.Equal(v, first[n]) {
				t.Errorf("%s with %d workers: %v, with 1 worker: %v", n, workers, v, first[n])
			}
		}
	}
}

// TestBatcherCoversEveryEpoch checks that consecutive minibatches walk
// through a permutation of the data per epoch, including batches that
// straddle two epochs.
func TestBatcherCoversEveryEpoch(t *testing.T) {
	for _, tc := range []struct{ n, b int }{{5, 1}, {5, 2}, {6, 3}, {7, 7}, {3, 2}} {
		o := newBatcher(tc.n, 1)
		var stream []int
		for step := 0; len(stream) < 4*tc.n; step++ {
			stream = append(stream, o.batch(step, tc.b)...)
		}
		for e := range 4 {
			epoch := slices.Sorted(slices.Values(stream[e*tc.n : (e+1)*tc.n]))
			for i, v := range epoch {
				if v != i {
					t.Errorf("n=%d b=%d: epoch %d holds %v, want a permutation of 0..%d", tc.n, tc.b, e, stream[e*tc.n:(e+1)*tc.n], tc.n-1)
					break
				}
			}
		}
	}
}

// TestSVIConvergenceCheck checks that SVI stops when the objective stops
// rising, and runs every step without the check.
func TestSVIConvergenceCheck(t *testing.T) {
	data := shiftData(10, 4)
	const steps = 5000
	for _, window := range []int{0, 50} {
		store := NewParamStore()
		res, err := SVI(shiftModel, shiftPosterior, store, data, SVIConfig{
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
	good := [][]float64{{1}, {2}}
	for _, tc := range []struct {
		name string
		data [][]float64
		cfg  SVIConfig
		want error
	}{
		{"no data", nil, SVIConfig{Steps: 1}, nil},
		{"ragged data", [][]float64{{1}, {1, 2}}, SVIConfig{Steps: 1}, ErrShape},
		{"negative batch", good, SVIConfig{Steps: 1, BatchSize: -1}, nil},
		{"negative steps", good, SVIConfig{Steps: -1}, nil},
		{"negative window", good, SVIConfig{Steps: 1, Window: -1}, nil},
		{"STL for IWAE", good, SVIConfig{Steps: 1, Objective: Objective{K: 2, Bound: BoundIWAE, Estimator: STL}}, nil},
	} {
		_, err := SVI(shiftModel, shiftPosterior, NewParamStore(), tc.data, tc.cfg)
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
