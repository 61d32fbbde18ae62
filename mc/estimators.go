package mc

import (
	"fmt"
	"math"
	"time"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// checkArgs panics on programmer errors common to all estimators.
func checkArgs(method string, m latent.Model, q dist.Distribution, x []float64, k int) {
	if k < 1 {
		panic(fmt.Sprintf("mc: %s: k = %d < 1", method, k))
	}
	if len(x) != m.DataDim() {
		panic(fmt.Sprintf("mc: %s: len(x) = %d, model data dimension is %d", method, len(x), m.DataDim()))
	}
	if q == nil {
		return
	}
	if q.Len() != 1 {
		panic(fmt.Sprintf("mc: %s: proposal has Len() = %d, want 1", method, q.Len()))
	}
	if q.Dim() != m.LatentDim() {
		panic(fmt.Sprintf("mc: %s: proposal has Dim() = %d, model latent dimension is %d", method, q.Dim(), m.LatentDim()))
	}
}

// Prior estimates log p(x) by naive Monte Carlo,
//
//	log p̂(x) = log (1/k) Σ p(x|z_i),  z_i ~ p(z),
//
// a consistent estimator (biased downwards by about StdErr²/2, by Jensen's
// inequality). StdErr is the delta-method standard error
// sqrt((k/ESS − 1)/(k − 1)), where ESS is Kish's effective sample size of the
// weights p(x|z_i); KHat is the Pareto k̂ of those weights. Naive Monte Carlo
// needs a number of draws exponential in the information that x carries
// about z; check ESS and KHat before trusting the result.
//
// Prior panics if k < 1 or len(x) != m.DataDim(), and returns a
// *BadWeightsError if a log-likelihood is NaN or +Inf.
func Prior(m latent.Model, x []float64, k int, c Config) (est Estimate, err error) {
	defer recoverFailure(&err)
	checkArgs(MethodPrior, m, nil, x, k)
	start := time.Now()
	prior := m.Prior()
	res := sampleRun(&kernel{m: m, x: x, q: prior}, k, c, wantLSE|wantTop)
	if err := c.stopped(MethodPrior); err != nil {
		return Estimate{}, err
	}
	return weightEstimate(MethodPrior, res, k, start)
}

// Importance estimates log p(x) by importance sampling with proposal q,
//
//	log p̂(x) = log (1/k) Σ w_i,  w_i = p(x, z_i)/q(z_i),  z_i ~ q,
//
// with StdErr, ESS and KHat as for Prior. When q is the exact posterior
// p(z|x) every weight equals p(x) and the estimate is exact. q must put mass
// wherever the posterior does; KHat > 0.7 signals a proposal with too light
// tails.
//
// Importance panics if k < 1, len(x) != m.DataDim(), q.Len() != 1 or
// q.Dim() != m.LatentDim(), and returns a *BadWeightsError if a log-weight is
// NaN or +Inf.
func Importance(m latent.Model, q dist.Distribution, x []float64, k int, c Config) (est Estimate, err error) {
	defer recoverFailure(&err)
	checkArgs(MethodImportance, m, q, x, k)
	start := time.Now()
	res := sampleRun(&kernel{m: m, x: x, q: q, prior: m.Prior()}, k, c, wantLSE|wantTop)
	if err := c.stopped(MethodImportance); err != nil {
		return Estimate{}, err
	}
	return weightEstimate(MethodImportance, res, k, start)
}

func weightEstimate(method string, res sampleResult, k int, start time.Time) (Estimate, error) {
	if res.bad > 0 {
		return Estimate{}, &BadWeightsError{Method: method, Bad: res.bad, Samples: k}
	}
	return Estimate{
		Method:  method,
		K:       k,
		Samples: k,
		LogPX:   res.acc.logMean(),
		StdErr:  res.acc.stdErr(),
		ESS:     res.acc.ess(),
		KHat:    res.khat(),
		Elapsed: time.Since(start),
	}, nil
}

// ELBO estimates the evidence lower bound
//
//	ELBO(q) = E_q[log p(x, z) − log q(z)] = log p(x) − KL(q ‖ p(z|x)) ≤ log p(x)
//
// by the mean of the k log-weights log p(x, z_i) − log q(z_i), z_i ~ q, an
// unbiased estimator with StdErr = sd/√k (sd the sample standard deviation of
// the log-weights; +Inf for k = 1). ESS and KHat describe the same weights as
// for Importance, and so diagnose how well q fits the posterior. A log-weight
// of -Inf makes the bound -Inf.
//
// ELBO panics if k < 1, len(x) != m.DataDim(), q.Len() != 1 or
// q.Dim() != m.LatentDim(), and returns a *BadWeightsError if a log-weight is
// NaN or +Inf.
func ELBO(m latent.Model, q dist.Distribution, x []float64, k int, c Config) (est Estimate, err error) {
	defer recoverFailure(&err)
	checkArgs(MethodELBO, m, q, x, k)
	start := time.Now()
	res := sampleRun(&kernel{m: m, x: x, q: q, prior: m.Prior()}, k, c, wantLSE|wantMoments|wantTop)
	if err := c.stopped(MethodELBO); err != nil {
		return Estimate{}, err
	}
	if res.bad > 0 {
		return Estimate{}, &BadWeightsError{Method: MethodELBO, Bad: res.bad, Samples: k}
	}
	mean, se := res.mom.result()
	return Estimate{
		Method:  MethodELBO,
		K:       k,
		Samples: k,
		LogPX:   mean,
		StdErr:  se,
		ESS:     res.acc.ess(),
		KHat:    res.khat(),
		Elapsed: time.Since(start),
	}, nil
}

// ELBOAnalyticKL estimates the evidence lower bound in the form
//
//	ELBO(q) = E_q[log p(x|z)] − KL(q ‖ p(z)),
//
// with the expected log-likelihood averaged over k draws z_i ~ q and the KL
// divergence computed in closed form by dist.KL. StdErr = sd/√k with sd the
// sample standard deviation of log p(x|z_i); the closed-form KL adds no
// error. This is not always the lower-variance form: when q is close to the
// posterior, log p(x,z) − log q(z) is nearly constant in z and ELBO's
// standard error is the smaller (it is zero at q = p(z|x)), while
// log p(x|z) still varies. ESS and KHat are NaN.
//
// ELBOAnalyticKL returns an error wrapping dist.ErrNoKL if no analytic KL is
// registered for the types of q and m.Prior(), a *BadWeightsError if a
// log-likelihood is NaN or +Inf, and an error if the KL divergence is NaN. It
// panics on the programmer errors listed for ELBO.
func ELBOAnalyticKL(m latent.Model, q dist.Distribution, x []float64, k int, c Config) (est Estimate, err error) {
	defer recoverFailure(&err)
	checkArgs(MethodELBOAnalyticKL, m, q, x, k)
	start := time.Now()
	kl, err := dist.KL(nil, q, m.Prior())
	if err != nil {
		return Estimate{}, fmt.Errorf("mc: %s: %w", MethodELBOAnalyticKL, err)
	}
	if len(kl) != 1 || math.IsNaN(kl[0]) {
		return Estimate{}, fmt.Errorf("mc: %s: KL(q‖p(z)) = %v, want one value that is not NaN", MethodELBOAnalyticKL, kl)
	}
	res := sampleRun(&kernel{m: m, x: x, q: q}, k, c, wantMoments)
	if err := c.stopped(MethodELBOAnalyticKL); err != nil {
		return Estimate{}, err
	}
	if res.bad > 0 {
		return Estimate{}, &BadWeightsError{Method: MethodELBOAnalyticKL, Bad: res.bad, Samples: k}
	}
	mean, se := res.mom.result()
	return Estimate{
		Method:  MethodELBOAnalyticKL,
		K:       k,
		Samples: k,
		LogPX:   mean - kl[0],
		StdErr:  se,
		ESS:     math.NaN(),
		KHat:    math.NaN(),
		Elapsed: time.Since(start),
	}, nil
}

// IWAE estimates the importance-weighted bound of Burda, Grosse and
// Salakhutdinov (2016),
//
//	L_k(q) = E[log (1/k) Σ_{i=1}^{k} p(x, z_i)/q(z_i)],  z_i ~ q,
//
// which satisfies ELBO(q) = L_1 ≤ L_k ≤ L_{k+1} ≤ log p(x) and tends to
// log p(x) as k grows. The expectation is estimated by the mean of reps
// independent replicates of the inner log-mean-exp, with StdErr = sd/√reps
// (+Inf for reps = 1). Replicate r draws sample i from the stream
// rand.NewPCG(DeriveSeed(c.Seed, r), i/ChunkSize), so replicate r is the same
// for any reps, and the first k draws of a replicate do not depend on k
// (estimates for several k with one seed use common random numbers). ESS and
// KHat are NaN; use Importance for weight diagnostics.
//
// IWAE panics if k < 1, reps < 1, len(x) != m.DataDim(), q.Len() != 1 or
// q.Dim() != m.LatentDim(), and returns a *BadWeightsError if a log-weight is
// NaN or +Inf.
func IWAE(m latent.Model, q dist.Distribution, x []float64, k, reps int, c Config) (est Estimate, err error) {
	defer recoverFailure(&err)
	checkArgs(MethodIWAE, m, q, x, k)
	if reps < 1 {
		panic(fmt.Sprintf("mc: %s: reps = %d < 1", MethodIWAE, reps))
	}
	start := time.Now()
	mom, bad := iwaeRun(&kernel{m: m, x: x, q: q, prior: m.Prior()}, k, reps, c)
	if err := c.stopped(MethodIWAE); err != nil {
		return Estimate{}, err
	}
	if bad > 0 {
		return Estimate{}, &BadWeightsError{Method: MethodIWAE, Bad: bad, Samples: k * reps}
	}
	mean, se := mom.result()
	return Estimate{
		Method:  MethodIWAE,
		K:       k,
		Samples: k * reps,
		LogPX:   mean,
		StdErr:  se,
		ESS:     math.NaN(),
		KHat:    math.NaN(),
		Elapsed: time.Since(start),
	}, nil
}
