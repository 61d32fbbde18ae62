package mc

import (
	"fmt"
	"time"

	"github.com/vitool/vitool/dist"
)

// Sandwich is the result of bidirectional Monte Carlo: stochastic lower and
// upper bounds on log p(x) and their gap.
type Sandwich struct {
	// Lower is forward AIS from q to the posterior (see AIS).
	Lower AISEstimate
	// Upper is reverse AIS from an exact posterior sample to q: its LogPX
	// is −log (1/C) Σ_c exp(log w_c) over the reverse chains' log-weights,
	// an estimate of log p(x) biased upwards.
	Upper AISEstimate
	// Gap is Upper.LogPX − Lower.LogPX: a bound, in expectation, on the
	// error of either estimate.
	Gap float64
}

// AISSandwich runs bidirectional Monte Carlo (Grosse, Ghahramani and Adams
// 2015) on a data point x simulated from the model with the latent zstar:
// zstar ~ p(z), x ~ p(x|zstar), so that zstar is an exact draw from the
// posterior p(z|x).
//
// Forward AIS from q gives log w whose log-mean-exp is a stochastic lower
// bound on log p(x) (E[log p̂] ≤ log p(x) by Jensen's inequality). Reverse
// AIS runs the same chain backwards, from β = 1 to β = 0, started at zstar
// (every chain at the same zstar, each a valid posterior draw): its weights
// estimate 1/p(x) without bias, so minus their log-mean-exp is a stochastic
// upper bound. Both use the same schedule and the same step sizes (one
// warm-up, forward); the gap between them shrinks to zero as a.Steps grows
// and tells how many steps the forward estimate needs on data like x.
//
// The forward run draws as AIS does with Config.Seed; the reverse run uses
// the seed DeriveSeed(Config.Seed, 1). GradEvals of each bound counts the
// warm-up once, in Lower. AISSandwich returns AIS's errors, and an error
// if len(zstar) != m.LatentDim().
func AISSandwich(m GradModel, q dist.Distribution, x, zstar []float64, a AISConfig, c Config) (Sandwich, error) {
	if len(zstar) != m.LatentDim() {
		return Sandwich{}, fmt.Errorf("mc: %s: the posterior sample has %d values, the model's latent dimension is %d", MethodAIS, len(zstar), m.LatentDim())
	}
	r, lower, err := forwardAIS(m, q, x, a, c)
	if err != nil {
		return Sandwich{}, err
	}
	startRev := time.Now()
	warm := r.warmEvals
	r.warmEvals = 0
	r.c.Seed = DeriveSeed(c.Seed, 1)
	lw, acc, evals := r.chains(zstar)
	r.warmEvals = warm
	if err := c.stopped(MethodAIS); err != nil {
		return Sandwich{}, err
	}
	upper, err := r.estimate(lw, acc, evals, startRev, true)
	if err != nil {
		return Sandwich{}, err
	}
	return Sandwich{Lower: lower, Upper: upper, Gap: upper.LogPX - lower.LogPX}, nil
}
