package vi

import (
	"fmt"
	"math"
)

// LossFunc evaluates a stochastic or deterministic loss at the current
// parameters, writes its gradient into grads and returns the loss. step
// counts calls from 0, so that the function can derive per-step randomness
// or a warm-up weight from it.
type LossFunc func(step int, grads [][]float32) (float64, error)

// FitConfig configures Fit.
type FitConfig struct {
	// Steps is the number of optimiser steps.
	Steps int
	// Callback, if not nil, is called after every step with the step index,
	// the loss before the update and the gradient norm; a non-nil error
	// stops Fit and is returned.
	Callback func(step int, loss, gradNorm float64) error
}

// Fit minimises f over params with opt for cfg.Steps steps. grads must have
// the shapes of params; f writes into it. Fit returns the last loss, and
// stops with an error if f fails, returns a non-finite loss, or the callback
// returns an error.
func Fit(f LossFunc, params, grads [][]float32, opt *Adam, cfg FitConfig) (float64, error) {
	last := math.NaN()
	for s := 0; s < cfg.Steps; s++ {
		loss, err := f(s, grads)
		if err != nil {
			return last, fmt.Errorf("vi: step %d: %w", s, err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return last, fmt.Errorf("vi: step %d: loss is %v", s, loss)
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
