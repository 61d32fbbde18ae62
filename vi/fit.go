package vi

import (
	"fmt"
	"math"
)

// Optimizer updates parameter slices in place from gradients of a loss to
// minimise. Adam and SGD implement it.
type Optimizer[T Float] interface {
	// Step updates params from grads and returns the global gradient norm
	// before any clipping. It panics if the slices do not match the
	// optimiser's.
	Step(params, grads [][]T) float64
	// Steps returns the number of updates taken.
	Steps() int
	// SetLR changes the learning rate (for schedules).
	SetLR(lr float64)
}

// LossFunc evaluates a stochastic or deterministic loss at the current
// parameters, writes its gradient into grads and returns the loss. step
// counts calls from 0, so that the function can derive per-step randomness
// or a warm-up weight from it.
type LossFunc[T Float] func(step int, grads [][]T) (float64, error)

// FitConfig configures Fit.
type FitConfig struct {
	// Steps is the number of optimiser steps.
	Steps int
	// Schedule, if not nil, sets the learning rate before each step.
	Schedule Schedule
	// Callback, if not nil, is called after every step with the step index,
	// the loss before the update and the gradient norm; a non-nil error
	// stops Fit and is returned.
	Callback func(step int, loss, gradNorm float64) error
}

// Fit minimises f over params with opt for cfg.Steps steps. grads must have
// the shapes of params; f writes into it. Fit returns the last loss, and
// stops with an error if f fails, returns a non-finite loss or gradient, or
// the callback returns an error; the parameters then hold the last update.
func Fit[T Float](f LossFunc[T], params, grads [][]T, opt Optimizer[T], cfg FitConfig) (float64, error) {
	last := math.NaN()
	for s := 0; s < cfg.Steps; s++ {
		if cfg.Schedule != nil {
			opt.SetLR(cfg.Schedule.LR(s))
		}
		loss, err := f(s, grads)
		if err != nil {
			return last, fmt.Errorf("vi: step %d: %w", s, err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return last, fmt.Errorf("vi: step %d: loss is %v", s, loss)
		}
		if n := GlobalNorm(grads); math.IsNaN(n) || math.IsInf(n, 0) {
			return last, fmt.Errorf("vi: step %d: gradient norm is %v", s, n)
		}
		norm := opt.Step(params, grads)
		last = loss
		if cfg.Callback != nil {
			if err := cfg.Callback(s, loss, norm); err != nil {
				return last, err
			}
		}
	}
	return last, nil
}
