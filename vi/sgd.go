package vi

import (
	"fmt"
	"math"
)

// SGDConfig holds the hyperparameters of SGD. Momentum in [0, 1) and
// Nesterov follow torch.optim.SGD (with dampening 0); ClipNorm > 0 rescales
// the gradients to global norm at most ClipNorm before the update.
type SGDConfig struct {
	LR       float64
	Momentum float64
	Nesterov bool
	ClipNorm float64
}

// Validate returns an error if a hyperparameter is out of range.
func (c SGDConfig) Validate() error {
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("vi: SGD learning rate %v must be positive", c.LR)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fmt.Errorf("vi: SGD momentum %v must lie in [0, 1)", c.Momentum)
	case c.Nesterov && c.Momentum == 0:
		return fmt.Errorf("vi: Nesterov SGD needs a positive momentum")
	case !(c.ClipNorm >= 0):
		return fmt.Errorf("vi: SGD clip norm %v must be ≥ 0", c.ClipNorm)
	}
	return nil
}

// SGD is stochastic gradient descent with momentum, with torch.optim.SGD's
// update: b ← μb + g (b = g at the first step), θ ← θ − lr·b, or
// θ ← θ − lr·(g + μb) with Nesterov momentum.
type SGD[T Float] struct {
	cfg   SGDConfig
	steps int
	buf   [][]T
}

// NewSGD returns an SGD optimiser for parameters with the given slice
// lengths. It returns an error if cfg is invalid.
func NewSGD[T Float](cfg SGDConfig, lens []int) (*SGD[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &SGD[T]{cfg: cfg, buf: make([][]T, len(lens))}
	for i, n := range lens {
		s.buf[i] = make([]T, n)
	}
	return s, nil
}

// Steps returns the number of updates taken.
func (s *SGD[T]) Steps() int { return s.steps }

// SetLR changes the learning rate. It panics if lr ≤ 0.
func (s *SGD[T]) SetLR(lr float64) {
	if !(lr > 0) {
		panic("vi: SGD learning rate must be positive")
	}
	s.cfg.LR = lr
}

// Step updates params in place and returns the gradient norm before
// clipping. It panics if the slices do not match the optimiser's.
func (s *SGD[T]) Step(params, grads [][]T) float64 {
	if len(params) != len(s.buf) || len(grads) != len(s.buf) {
		panic("vi: SGD.Step: wrong number of parameter or gradient slices")
	}
	for i := range params {
		if len(params[i]) != len(s.buf[i]) || len(grads[i]) != len(s.buf[i]) {
			panic(fmt.Sprintf("vi: SGD.Step: slice %d has wrong length", i))
		}
	}
	norm := clip(grads, s.cfg.ClipNorm)
	lr, mu := T(s.cfg.LR), T(s.cfg.Momentum)
	for i, p := range params {
		g, b := grads[i], s.buf[i]
		for j := range p {
			d := g[j]
			if mu != 0 {
				if s.steps == 0 {
					b[j] = d
				} else {
					b[j] = mu*b[j] + d
				}
				if s.cfg.Nesterov {
					d += mu * b[j]
				} else {
					d = b[j]
				}
			}
			p[j] -= lr * d
		}
	}
	s.steps++
	return norm
}

// Schedule gives the learning rate of each optimiser step.
type Schedule interface {
	// LR returns the learning rate of step (counted from 0).
	LR(step int) float64
}

// ExponentialDecay multiplies the learning rate by Gamma every Every steps
// (torch.optim.lr_scheduler.StepLR; Every = 1 gives ExponentialLR).
type ExponentialDecay struct {
	Initial float64
	Gamma   float64
	Every   int
}

// LR returns Initial·Gamma^⌊step/Every⌋.
func (e ExponentialDecay) LR(step int) float64 {
	every := max(e.Every, 1)
	return e.Initial * math.Pow(e.Gamma, float64(step/every))
}

// CosineDecay anneals the learning rate from Initial to Min over Steps
// steps along half a cosine (torch's CosineAnnealingLR without restarts),
// and stays at Min afterwards.
type CosineDecay struct {
	Initial, Min float64
	Steps        int
}

// LR returns Min + (Initial − Min)(1 + cos(π·step/Steps))/2.
func (c CosineDecay) LR(step int) float64 {
	if c.Steps <= 0 || step >= c.Steps {
		return c.Min
	}
	return c.Min + (c.Initial-c.Min)*(1+math.Cos(math.Pi*float64(step)/float64(c.Steps)))/2
}
