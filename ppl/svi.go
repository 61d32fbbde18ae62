package ppl

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/vi"
)

// SVIConfig configures SVI.
type SVIConfig struct {
	// Objective is the bound and gradient estimator; K = 0 means 1 particle.
	Objective Objective
	// Steps is the largest number of Adam steps.
	Steps int
	// BatchSize is the number of data points per step (0: all of them).
	// Minibatches are consecutive blocks of a stream of random permutations
	// of the data, one permutation per epoch.
	BatchSize int
	// Adam holds the optimiser's hyperparameters (package vi; zero fields
	// take PyTorch's defaults, learning rate 1e-3).
	Adam vi.AdamConfig
	// Seed determines every draw: the minibatches, and the particles of the
	// j-th point of step s, drawn from rand.New(rand.NewPCG(Seed, s·B + j))
	// for batch size B.
	Seed uint64
	// Workers is the number of goroutines that compute the per-point
	// gradients of a minibatch (0: GOMAXPROCS). It never changes the
	// numbers: each point has its own random stream, and the gradients are
	// summed in batch order.
	Workers int
	// Window and Tol set the convergence check: every Window steps, SVI
	// compares the mean objective over the last Window steps with the mean
	// over the Window steps before, and stops when it rose by less than Tol
	// (in nats per data point). Window = 0 turns the check off.
	Window int
	Tol    float64
	// Callback, if not nil, is called after every step with the step index
	// and the objective's estimate on the step's minibatch (the mean over
	// its points) before the update; an error stops SVI.
	Callback func(step int, value float64) error
}

// SVIResult reports how SVI ended.
type SVIResult struct {
	// Value is the last step's estimate of the objective, per data point.
	Value float64
	// Steps is the number of steps taken.
	Steps int
	// Converged reports whether the convergence check stopped SVI before
	// SVIConfig.Steps.
	Converged bool
}

// SVI fits the parameters that model and guide read from store by
// stochastic variational inference on the data points: Adam steps up the
// gradient of the objective averaged over a minibatch of points, each point's
// gradient estimated by Gradient. The data points are independent given the
// parameters, so every latent site of the model is local to its point, as in
// a Pyro plate over the data; a latent shared by all points (a global weight
// vector, say) belongs in a model whose x is the whole data set, fitted with
// one data point.
//
// A Baseline in cfg.Objective is updated after every step with the points'
// estimates, in batch order, so that its values during a step do not depend
// on the workers.
//
// The parameters are updated in store, in float32 precision (the precision
// of vi.Adam). SVI stops after cfg.Steps steps or when the convergence check
// fires, and returns an error if Gradient fails or an estimate is not finite;
// the parameters then hold the last update. The parameters fitted are those
// read in a first run of guide and model on the first point; parameters
// registered later are left unchanged.
func SVI(model Model, guide Guide, store *ParamStore, data [][]float64, cfg SVIConfig) (SVIResult, error) {
	obj := cfg.Objective
	if obj.K == 0 {
		obj.K = 1
	}
	if err := obj.Validate(); err != nil {
		return SVIResult{}, err
	}
	switch {
	case len(data) == 0:
		return SVIResult{}, errors.New("ppl: SVI: no data points")
	case cfg.Steps < 0:
		return SVIResult{}, errors.New("ppl: SVI: negative number of steps")
	case cfg.BatchSize < 0:
		return SVIResult{}, errors.New("ppl: SVI: negative batch size")
	case cfg.Workers < 0:
		return SVIResult{}, errors.New("ppl: SVI: negative number of workers")
	case cfg.Window < 0 || cfg.Tol < 0 || math.IsNaN(cfg.Tol):
		return SVIResult{}, errors.New("ppl: SVI: the convergence window and tolerance must be non-negative")
	}
	for i, x := range data {
		if len(x) != len(data[0]) {
			return SVIResult{}, fmt.Errorf("%w: data point %d has %d values, point 0 has %d", ErrShape, i, len(x), len(data[0]))
		}
	}
	names, err := fittedParams(model, guide, store, data[0], cfg.Seed)
	if err != nil {
		return SVIResult{}, err
	}
	batch := cfg.BatchSize
	if batch == 0 || batch > len(data) {
		batch = len(data)
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, batch)

	params := make([][]float32, len(names))
	grads := make([][]float32, len(names))
	lens := make([]int, len(names))
	for i, n := range names {
		p := store.Get(n).RawMatrix()
		params[i] = make([]float32, p.Rows*p.Cols)
		grads[i] = make([]float32, p.Rows*p.Cols)
		lens[i] = p.Rows * p.Cols
	}
	readParams(params, store, names)
	opt, err := vi.NewAdam(cfg.Adam, lens)
	if err != nil {
		return SVIResult{}, err
	}

	// Each worker differentiates in its own copy of the store: Gradient
	// moves parameters in place.
	stores := make([]*ParamStore, workers)
	for w := range stores {
		stores[w] = store.Clone()
	}
	order := newBatcher(len(data), mc.DeriveSeed(cfg.Seed, 0x5ba7c4))
	vals := make([]float64, batch)
	pointGrads := make([]Grads, batch)
	errs := make([]error, batch)
	loss := func(step int, gr [][]float32) (float64, error) {
		idx := order.batch(step, batch)
		var wg sync.WaitGroup
		for w := range workers {
			writeParams(stores[w], names, params)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := w; j < batch; j += workers {
					rnd := rand.New(rand.NewPCG(cfg.Seed, uint64(step)*uint64(batch)+uint64(j)))
					vals[j], pointGrads[j], errs[j] = Gradient(model, guide, stores[w], data[idx[j]], obj, rnd)
				}
			}()
		}
		wg.Wait()
		for j, err := range errs {
			if err != nil {
				return 0, fmt.Errorf("data point %d: %w", idx[j], err)
			}
		}
		if obj.Baseline != nil {
			xs := make([][]float64, batch)
			for j, i := range idx {
				xs[j] = data[i]
			}
			obj.Baseline.Update(xs, vals)
		}
		for i := range gr {
			clear(gr[i])
		}
		var total float64
		for j, gs := range pointGrads {
			total += vals[j]
			for i, n := range names {
				gd := gs[n]
				if gd == nil {
					return 0, fmt.Errorf("ppl: SVI: parameter %q is not used at data point %d", n, idx[j])
				}
				raw := gd.RawMatrix()
				for r := range raw.Rows {
					for c, v := range raw.Data[r*raw.Stride : r*raw.Stride+raw.Cols] {
						gr[i][r*raw.Cols+c] -= float32(v / float64(batch))
					}
				}
			}
		}
		return -total / float64(batch), nil
	}

	var res SVIResult
	conv := convergence{window: cfg.Window, tol: cfg.Tol}
	errConverged := errors.New("converged")
	fitCB := func(step int, l, _ float64) error {
		res.Steps = step + 1
		if cfg.Callback != nil {
			if err := cfg.Callback(step, -l); err != nil {
				return err
			}
		}
		if conv.add(-l) {
			res.Converged = true
			return errConverged
		}
		return nil
	}
	last, err := vi.Fit(loss, params, grads, opt, vi.FitConfig{Steps: cfg.Steps, Callback: fitCB})
	writeParams(store, names, params)
	res.Value = -last
	if errors.Is(err, errConverged) {
		err = nil
	}
	return res, err
}

// fittedParams runs guide and model once on x and returns the names of the
// parameters they read, guide's first.
func fittedParams(model Model, guide Guide, store *ParamStore, x []float64, seed uint64) ([]string, error) {
	_, g, m, err := LogWeights(model, guide, store, x, 1, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	for _, n := range append(append([]string(nil), g.Params...), m.Params...) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("ppl: SVI: model and guide have no parameters")
	}
	return names, nil
}

// readParams copies the named parameters of store into params, row-major.
func readParams(params [][]float32, store *ParamStore, names []string) {
	for i, n := range names {
		raw := store.Get(n).RawMatrix()
		for r := range raw.Rows {
			for c, v := range raw.Data[r*raw.Stride : r*raw.Stride+raw.Cols] {
				params[i][r*raw.Cols+c] = float32(v)
			}
		}
	}
}

// writeParams copies params into the named parameters of store.
func writeParams(store *ParamStore, names []string, params [][]float32) {
	for i, n := range names {
		raw := store.Get(n).RawMatrix()
		for r := range raw.Rows {
			row := raw.Data[r*raw.Stride : r*raw.Stride+raw.Cols]
			for c := range row {
				row[c] = float64(params[i][r*raw.Cols+c])
			}
		}
	}
}

// batcher cuts a stream of random permutations of n indices, one per epoch,
// into consecutive minibatches.
type batcher struct {
	n     int
	seed  uint64
	epoch int
	perm  []int
}

func newBatcher(n int, seed uint64) *batcher { return &batcher{n: n, seed: seed, epoch: -1} }

// batch returns the indices of minibatch step of size b. Steps must be asked
// for in increasing order.
func (o *batcher) batch(step, b int) []int {
	out := make([]int, b)
	for j := range out {
		pos := step*b + j
		if e := pos / o.n; e != o.epoch {
			o.epoch = e
			o.perm = rand.New(rand.NewPCG(o.seed, uint64(e))).Perm(o.n)
		}
		out[j] = o.perm[pos%o.n]
	}
	return out
}

// convergence compares the means of consecutive windows of objective values.
type convergence struct {
	window int
	tol    float64
	sum    float64
	count  int
	prev   float64
	full   bool // prev holds a complete window
}

// add records one value and reports whether the last complete window's mean
// rose by less than tol over the window before.
func (c *convergence) add(v float64) bool {
	if c.window == 0 {
		return false
	}
	c.sum += v
	c.count++
	if c.count < c.window {
		return false
	}
	m := c.sum / float64(c.window)
	c.sum, c.count = 0, 0
	done := c.full && m-c.prev < c.tol
	c.prev, c.full = m, true
	return done
}
