package ppl

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/vi"
)

// SVIConfig configures SVI.
type SVIConfig struct {
	// Objective is the bound and gradient estimator; K = 0 means 1 particle.
	Objective Objective
	// Steps is the largest number of optimiser steps.
	Steps int
	// Adam holds the hyperparameters of the default optimiser (package vi;
	// zero fields take PyTorch's defaults, learning rate 1e-3).
	Adam vi.AdamConfig
	// SGD, if not nil, selects SGD with momentum instead of Adam. With a
	// Schedule its learning rate may be left 0.
	SGD *vi.SGDConfig
	// Schedule, if not nil, sets the learning rate of every step.
	Schedule vi.Schedule
	// Seed determines every draw: step s draws its particles and plate
	// subsamples from rand.New(rand.NewPCG(Seed, s)).
	Seed uint64
	// Window and Tol set the convergence check: every Window steps, SVI
	// compares the mean objective over the last Window steps with the mean
	// over the Window steps before, and stops when it rose by less than Tol.
	// Window = 0 turns the check off.
	Window int
	Tol    float64
	// Callback, if not nil, is called after every step with the step index
	// and the objective's estimate before the update; an error stops SVI.
	Callback func(step int, value float64) error
	// Params, if not empty, names the parameters to fit; the others that
	// model and guide read are held at their stored values (as when only
	// some parameters are given to a PyTorch optimiser), for instance a
	// trained decoder while a data point's own guide is refined. Each name
	// must be read by model or guide.
	Params []string
}

// SVIResult reports how SVI ended.
type SVIResult struct {
	// Value is the last step's estimate of the objective.
	Value float64
	// Steps is the number of steps taken.
	Steps int
	// Converged reports whether the convergence check stopped SVI before
	// SVIConfig.Steps.
	Converged bool
}

// SVI fits the parameters that model and guide read from store by
// stochastic variational inference on the data x: every step takes the
// gradient of the objective estimated by Gradient (with the plates of model
// and guide subsampling their members if the objective says so) and moves
// the stored, unconstrained parameters up it, in float64, with Adam or SGD.
//
// A Baseline in cfg.Objective is updated after every step with the step's
// estimate. SVI stops after cfg.Steps steps or when the convergence check
// fires, and returns an error if Gradient fails or an estimate or gradient
// is not finite; the parameters then hold the last update. The parameters
// fitted are those read in a first run of guide and model (of them, only
// cfg.Params when it is set); parameters registered later are left
// unchanged.
func SVI(model Model, guide Guide, store *ParamStore, x mat.Matrix, cfg SVIConfig) (SVIResult, error) {
	obj := cfg.Objective
	if obj.K == 0 {
		obj.K = 1
	}
	if err := obj.Validate(); err != nil {
		return SVIResult{}, err
	}
	switch {
	case cfg.Steps < 0:
		return SVIResult{}, errors.New("ppl: SVI: negative number of steps")
	case cfg.Window < 0 || cfg.Tol < 0 || math.IsNaN(cfg.Tol):
		return SVIResult{}, errors.New("ppl: SVI: the convergence window and tolerance must be non-negative")
	}
	xv, err := data(x)
	if err != nil {
		return SVIResult{}, fmt.Errorf("ppl: SVI: %w", err)
	}
	names, err := fittedParams(model, guide, store, xv, cfg.Seed)
	if err != nil {
		return SVIResult{}, err
	}
	if len(cfg.Params) > 0 {
		for _, n := range cfg.Params {
			if !slices.Contains(names, n) {
				return SVIResult{}, fmt.Errorf("ppl: SVI: parameter %q is not read by model or guide", n)
			}
		}
		names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(cfg.Params, n) })
	}
	params := make([][]float64, len(names))
	grads := make([][]float64, len(names))
	lens := make([]int, len(names))
	for i, n := range names {
		u := store.Unconstrained(n)
		if r, c := u.Dims(); u.RawMatrix().Stride != c {
			return SVIResult{}, fmt.Errorf("ppl: SVI: parameter %q (%d×%d) is not contiguous", n, r, c)
		}
		params[i] = u.RawMatrix().Data
		grads[i] = make([]float64, len(params[i]))
		lens[i] = len(params[i])
	}
	opt, err := newOptimizer(cfg, lens)
	if err != nil {
		return SVIResult{}, err
	}
	loss := func(step int, gr [][]float64) (float64, error) {
		v, g, err := Gradient(model, guide, store, xv, obj, rand.New(rand.NewPCG(cfg.Seed, uint64(step))))
		if err != nil {
			return 0, err
		}
		if obj.Baseline != nil {
			obj.Baseline.Update(xv, v)
		}
		for i, n := range names {
			gn := g[n]
			if gn == nil {
				return 0, fmt.Errorf("ppl: SVI: parameter %q was not read at step %d", n, step)
			}
			for j, d := range gn.RawMatrix().Data {
				gr[i][j] = -d
			}
		}
		return -v, nil
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
	last, err := vi.Fit(loss, params, grads, opt, vi.FitConfig{Steps: cfg.Steps, Schedule: cfg.Schedule, Callback: fitCB})
	res.Value = -last
	if errors.Is(err, errConverged) {
		err = nil
	}
	return res, err
}

// newOptimizer returns the optimiser cfg selects.
// A schedule sets the learning rate of every step, so the optimiser's own
// rate may be left 0.
func newOptimizer(cfg SVIConfig, lens []int) (vi.Optimizer[float64], error) {
	if cfg.SGD != nil {
		sgd := *cfg.SGD
		if sgd.LR == 0 && cfg.Schedule != nil {
			sgd.LR = cfg.Schedule.LR(0)
		}
		return vi.NewSGD[float64](sgd, lens)
	}
	return vi.NewAdam[float64](cfg.Adam, lens)
}

// fittedParams runs guide and model once on x and returns the names of the
// parameters they read, guide's first.
func fittedParams(model Model, guide Guide, store *ParamStore, x *ad.Var, seed uint64) ([]string, error) {
	sess := newSession(store, nil)
	g, err := runGuide(guide, sess, x, 1, rand.New(rand.NewPCG(seed, 0)), 0)
	if err != nil {
		return nil, err
	}
	m, err := replay(model, sess, x, g)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range append(append([]string(nil), g.Params...), m.Params...) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("ppl: SVI: model and guide have no parameters")
	}
	return names, nil
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
