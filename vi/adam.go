package vi

import (
	"errors"
	"fmt"
	"math"
)

// AdamConfig holds the hyperparameters of Adam (Kingma & Ba, 2015).
// Zero fields take PyTorch's defaults: LR 1e-3, Beta1 0.9, Beta2 0.999,
// Eps 1e-8. ClipNorm > 0 rescales the gradients so that their global L2
// norm is at most ClipNorm before the update, as torch.nn.utils.
// clip_grad_norm_ does; 0 disables clipping.
type AdamConfig struct {
	LR, Beta1, Beta2, Eps float64
	ClipNorm              float64
}

func (c AdamConfig) withDefaults() AdamConfig {
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	return c
}

// Validate returns an error if a hyperparameter is out of range.
func (c AdamConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("vi: Adam learning rate %v must be positive", c.LR)
	case !(c.Beta1 >= 0 && c.Beta1 < 1), !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("vi: Adam betas (%v, %v) must lie in [0, 1)", c.Beta1, c.Beta2)
	case !(c.Eps > 0):
		return fmt.Errorf("vi: Adam eps %v must be positive", c.Eps)
	case !(c.ClipNorm >= 0):
		return fmt.Errorf("vi: Adam clip norm %v must be ≥ 0", c.ClipNorm)
	}
	return nil
}

// Float is the element type of parameters: float32 (the neural trainers'
// checkpoints) or float64 (package ppl).
type Float interface{ ~float32 | ~float64 }

// AdamState is the checkpointable state of Adam: the number of steps taken
// and the first and second moment estimates, aligned with the parameters.
type AdamState[T Float] struct {
	Step int
	M, V [][]T
}

// Adam is the Adam optimiser over parameter slices of type T, with
// PyTorch's update rule:
//
//	m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
//	θ ← θ − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
//
// The moments have type T; bias corrections are computed in float64.
type Adam[T Float] struct {
	cfg   AdamConfig
	state AdamState[T]
}

// NewAdam returns an Adam optimiser for parameters with the given slice
// lengths. It returns an error if cfg is invalid.
func NewAdam[T Float](cfg AdamConfig, lens []int) (*Adam[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Adam[T]{cfg: cfg.withDefaults()}
	a.state.M = make([][]T, len(lens))
	a.state.V = make([][]T, len(lens))
	for i, n := range lens {
		a.state.M[i] = make([]T, n)
		a.state.V[i] = make([]T, n)
	}
	return a, nil
}

// Config returns the hyperparameters with defaults filled in.
func (a *Adam[T]) Config() AdamConfig { return a.cfg }

// SetLR changes the learning rate (for schedules). It panics if lr ≤ 0.
func (a *Adam[T]) SetLR(lr float64) {
	if !(lr > 0) {
		panic("vi: Adam learning rate must be positive")
	}
	a.cfg.LR = lr
}

// Steps returns the number of updates taken.
func (a *Adam[T]) Steps() int { return a.state.Step }

// State returns a deep copy of the optimiser state.
func (a *Adam[T]) State() AdamState[T] {
	s := AdamState[T]{Step: a.state.Step, M: make([][]T, len(a.state.M)), V: make([][]T, len(a.state.V))}
	for i := range a.state.M {
		s.M[i] = append([]T(nil), a.state.M[i]...)
		s.V[i] = append([]T(nil), a.state.V[i]...)
	}
	return s
}

// ErrStateShape is returned (wrapped) by SetState when a state does not
// match the optimiser's parameters.
var ErrStateShape = errors.New("vi: optimiser state does not match the parameters")

// SetState restores a state saved by State (for instance from a checkpoint),
// copying it. It returns an error wrapping ErrStateShape if the slice
// lengths differ from the optimiser's, or if Step is negative.
func (a *Adam[T]) SetState(s AdamState[T]) error {
	if len(s.M) != len(a.state.M) || len(s.V) != len(a.state.V) || s.Step < 0 {
		return fmt.Errorf("%w: %d/%d moment slices, step %d; want %d", ErrStateShape, len(s.M), len(s.V), s.Step, len(a.state.M))
	}
	for i := range s.M {
		if len(s.M[i]) != len(a.state.M[i]) || len(s.V[i]) != len(a.state.V[i]) {
			return fmt.Errorf("%w: slice %d has length %d/%d, want %d", ErrStateShape, i, len(s.M[i]), len(s.V[i]), len(a.state.M[i]))
		}
	}
	for i := range s.M {
		copy(a.state.M[i], s.M[i])
		copy(a.state.V[i], s.V[i])
	}
	a.state.Step = s.Step
	return nil
}

// GlobalNorm returns the L2 norm of all gradient slices together, accumulated
// in float64.
func GlobalNorm[T Float](grads [][]T) float64 {
	var s float64
	for _, g := range grads {
		for _, v := range g {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

// Step updates params in place from grads and returns the global gradient
// norm before clipping. If clipping is enabled and the norm exceeds
// ClipNorm, grads are scaled in place by ClipNorm/(norm+1e-6). Step panics if
// params or grads do not match the optimiser's slice lengths.
func (a *Adam[T]) Step(params, grads [][]T) float64 {
	if len(params) != len(a.state.M) || len(grads) != len(a.state.M) {
		panic("vi: Adam.Step: wrong number of parameter or gradient slices")
	}
	for i := range params {
		if len(params[i]) != len(a.state.M[i]) || len(grads[i]) != len(a.state.M[i]) {
			panic(fmt.Sprintf("vi: Adam.Step: slice %d has wrong length", i))
		}
	}
	norm := clip(grads, a.cfg.ClipNorm)
	a.state.Step++
	t := float64(a.state.Step)
	b1, b2 := a.cfg.Beta1, a.cfg.Beta2
	// θ −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
	stepSize := T(a.cfg.LR / (1 - math.Pow(b1, t)))
	invSqrtBC2 := T(1 / math.Sqrt(1-math.Pow(b2, t)))
	eps := T(a.cfg.Eps)
	fb1, fb2 := T(b1), T(b2)
	ob1, ob2 := T(1-b1), T(1-b2)
	for i, p := range params {
		g, m, v := grads[i], a.state.M[i], a.state.V[i]
		g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
		for j := range p {
			gj := g[j]
			m[j] = fb1*m[j] + ob1*gj
			v[j] = fb2*v[j] + ob2*gj*gj
			denom := T(math.Sqrt(float64(v[j])))*invSqrtBC2 + eps
			p[j] -= stepSize * m[j] / denom
		}
	}
	return norm
}

// clip returns the global norm of grads and, if max > 0 and the norm
// exceeds it, scales grads in place by max/(norm+1e-6).
func clip[T Float](grads [][]T, max float64) float64 {
	norm := GlobalNorm(grads)
	if max > 0 && norm > max {
		f := T(max / (norm + 1e-6))
		for _, g := range grads {
			for j := range g {
				g[j] *= f
			}
		}
	}
	return norm
}
