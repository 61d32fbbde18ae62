package ppl

import (
	"fmt"

	"github.com/vitool/vitool/ad"
)

// Baseline is a control variate for the score-function terms of discrete
// guide sites: a prediction b(x) of the objective at the data x,
// subtracted in (f − b(x)) ∇ log q(z). Any baseline that does not depend on
// the particles leaves the gradient unbiased; the closer it is to f, the
// lower the variance. Without one (Objective.Baseline nil) Gradient uses
// the leave-one-out baseline of the other K − 1 particles (VIMCO's for
// IWAE), which needs K ≥ 2.
//
// SVI calls Update after every step with that step's estimate; a Baseline
// is used by one goroutine.
type Baseline interface {
	// Value returns the baseline at the data x.
	Value(x *ad.Var) float64
	// Update learns from an estimate f of the objective at x.
	Update(x *ad.Var, f float64)
}

// AverageBaseline is an exponentially decaying average of the objective over
// the steps, the same for all data (Pyro's decaying-average baseline). It is
// 0 until the first Update.
type AverageBaseline struct {
	// Decay in [0, 1) is the weight of the old average at each update
	// (0 takes 0.9).
	Decay float64
	mean  float64
	seen  bool
}

// Value returns the current average.
func (b *AverageBaseline) Value(*ad.Var) float64 { return b.mean }

// Update folds f into the average. It panics if Decay is outside [0, 1).
func (b *AverageBaseline) Update(_ *ad.Var, f float64) {
	d := b.Decay
	if d == 0 {
		d = 0.9
	}
	if d < 0 || d >= 1 {
		panic(fmt.Sprintf("ppl: AverageBaseline: Decay %v outside [0, 1)", b.Decay))
	}
	if !b.seen {
		b.mean, b.seen = f, true
		return
	}
	b.mean = d*b.mean + (1-d)*f
}

// LinearBaseline is a learned baseline b(x) = w·vec(x) + c, fitted online to
// the objective by normalised least mean squares: after each estimate f at
// x, (w, c) moves by Rate·(f − b(x))·(x, 1)/(1 + |x|²). It adapts to how the
// objective varies across data, which a single average cannot; it is 0
// until the first Update.
type LinearBaseline struct {
	// Rate in (0, 2) is the step size of the normalised updates (0 takes
	// 0.1).
	Rate float64
	w    []float64
	c    float64
}

// Value returns w·vec(x) + c.
func (b *LinearBaseline) Value(x *ad.Var) float64 {
	if b.w == nil {
		return b.c
	}
	if len(x.Data) != len(b.w) {
		panic(fmt.Sprintf("ppl: LinearBaseline: data of %d values, fitted on %d", len(x.Data), len(b.w)))
	}
	v := b.c
	for i, xi := range x.Data {
		v += b.w[i] * xi
	}
	return v
}

// Update takes one normalised least-mean-squares step. It panics if Rate
// is outside [0, 2) or the data change size.
func (b *LinearBaseline) Update(x *ad.Var, f float64) {
	r := b.Rate
	if r == 0 {
		r = 0.1
	}
	if r < 0 || r >= 2 {
		panic(fmt.Sprintf("ppl: LinearBaseline: Rate %v outside (0, 2)", b.Rate))
	}
	if b.w == nil {
		b.w = make([]float64, len(x.Data))
	}
	norm := 1.0
	for _, xi := range x.Data {
		norm += xi * xi
	}
	step := r * (f - b.Value(x)) / norm
	for i, xi := range x.Data {
		b.w[i] += step * xi
	}
	b.c += step
}
