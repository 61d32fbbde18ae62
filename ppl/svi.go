package ppl

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/vitool/vitool/vi"
)

// SVIConfig configures SVI.
type SVIConfig struct {
	// Objective is the bound and gradient estimator; K = 0 means 1 particle.
	Objective Objective
	// Steps is the number of Adam steps.
	Steps int
	// Adam holds the optimiser's hyperparameters (package vi; zero fields
	// take PyTorch's defaults, learning rate 1e-3).
	Adam vi.AdamConfig
	// Seed determines every draw: step s draws from
	// rand.New(rand.NewPCG(Seed, s)).
	Seed uint64
	// Callback, if not nil, is called after every step with the step index
	// and the objective's estimate before the update; an error stops SVI.
	Callback func(step int, value float64) error
}

// SVI fits the parameters that model and guide read from store by
// stochastic variational inference at the data point x: cfg.Steps Adam steps
// up the gradient of the objective estimated by Gradient. The parameters are
// updated in store, in float32 precision (the precision of vi.Adam). SVI
// returns the last step's estimate of the objective, and stops with an error
// if Gradient fails or the estimate is not finite.
//
// The parameters fitted are those read in a first run of guide and model;
// parameters registered later are left unchanged.
func SVI(model Model, guide Guide, store *ParamStore, x []float64, cfg SVIConfig) (float64, error) {
	obj := cfg.Objective
	if obj.K == 0 {
		obj.K = 1
	}
	if err := obj.Validate(); err != nil {
		return 0, err
	}
	if cfg.Steps < 0 {
		return 0, errors.New("ppl: SVI: negative number of steps")
	}
	_, g, m, err := LogWeights(model, guide, store, x, 1, rand.New(rand.NewPCG(cfg.Seed, 0)))
	if err != nil {
		return 0, err
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
		return 0, errors.New("ppl: SVI: model and guide have no parameters")
	}
	params := make([][]float32, len(names))
	grads := make([][]float32, len(names))
	lens := make([]int, len(names))
	for i, n := range names {
		p := store.Get(n)
		r, c := p.Dims()
		params[i] = make([]float32, r*c)
		grads[i] = make([]float32, r*c)
		lens[i] = r * c
		for a := range r {
			for b := range c {
				params[i][a*c+b] = float32(p.At(a, b))
			}
		}
	}
	opt, err := vi.NewAdam(cfg.Adam, lens)
	if err != nil {
		return 0, err
	}
	loss := func(step int, gr [][]float32) (float64, error) {
		for i, n := range names {
			p := store.Get(n)
			_, c := p.Dims()
			for j, v := range params[i] {
				p.Set(j/c, j%c, float64(v))
			}
		}
		val, gs, err := Gradient(model, guide, store, x, obj, rand.New(rand.NewPCG(cfg.Seed, uint64(step))))
		if err != nil {
			return 0, err
		}
		for i, n := range names {
			gd := gs[n]
			if gd == nil {
				return 0, fmt.Errorf("ppl: SVI: parameter %q is no longer used", n)
			}
			_, c := gd.Dims()
			for j := range gr[i] {
				gr[i][j] = float32(-gd.At(j/c, j%c))
			}
		}
		return -val, nil
	}
	var fitCB func(int, float64, float64) error
	if cfg.Callback != nil {
		fitCB = func(step int, l, _ float64) error { return cfg.Callback(step, -l) }
	}
	last, err := vi.Fit(loss, params, grads, opt, vi.FitConfig{Steps: cfg.Steps, Callback: fitCB})
	for i, n := range names {
		p := store.Get(n)
		_, c := p.Dims()
		for j, v := range params[i] {
			p.Set(j/c, j%c, float64(v))
		}
	}
	return -last, err
}
