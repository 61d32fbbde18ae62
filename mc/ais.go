package mc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vitool/vitool/dist"
)

// MethodAIS names annealed importance sampling in Estimate.Method.
const MethodAIS = "ais"

// Defaults of AISConfig.
const (
	// DefaultLeapfrog is the number of leapfrog steps per HMC transition.
	DefaultLeapfrog = 10
	// DefaultTargetAccept is the acceptance rate the warm-up adapts the
	// step size to (Neal 2011 finds 0.65 optimal for HMC).
	DefaultTargetAccept = 0.65
	// DefaultSigmoidSharpness is δ of the default sigmoidal schedule.
	DefaultSigmoidSharpness = 4
	// DefaultWarmupChains is the number of chains of the warm-up run.
	DefaultWarmupChains = 8
	// DefaultWarmupSteps is the largest number of intermediate
	// distributions the warm-up visits (it subsamples longer schedules).
	DefaultWarmupSteps = 200
	// DefaultInitStepSize is the leapfrog step size the warm-up starts from.
	DefaultInitStepSize = 0.1
	// DefaultAISChunk is the number of chains per unit of work when
	// Config.ChunkSize is 0.
	DefaultAISChunk = 8
)

// AISConfig describes an annealed importance sampling run.
type AISConfig struct {
	// Steps is T, the number of steps from the start distribution (β = 0)
	// to the posterior (β = 1); T ≥ 1. There are T − 1 HMC transitions per
	// chain, at the intermediate distributions β_1, …, β_{T−1}. With T = 1
	// AIS is importance sampling with the start distribution as proposal.
	Steps int
	// Chains is C, the number of independent chains (≥ 1).
	Chains int
	// Schedule, if not nil, holds the T + 1 inverse temperatures
	// 0 = β_0 < β_1 < … < β_T = 1; nil means Sigmoidal(T, 4).
	Schedule []float64
	// Leapfrog is the number of leapfrog steps per HMC transition; 0 means
	// DefaultLeapfrog.
	Leapfrog int
	// TargetAccept is the mean acceptance probability the warm-up adapts
	// the step size to; 0 means DefaultTargetAccept.
	TargetAccept float64
	// WarmupChains and WarmupSteps size the warm-up run; 0 means
	// DefaultWarmupChains and DefaultWarmupSteps.
	WarmupChains, WarmupSteps int
	// InitStepSize is the step size the warm-up starts from; 0 means
	// DefaultInitStepSize.
	InitStepSize float64
}

func (a AISConfig) withDefaults() AISConfig {
	if a.Leapfrog == 0 {
		a.Leapfrog = DefaultLeapfrog
	}
	if a.TargetAccept == 0 {
		a.TargetAccept = DefaultTargetAccept
	}
	if a.WarmupChains == 0 {
		a.WarmupChains = DefaultWarmupChains
	}
	if a.WarmupSteps == 0 {
		a.WarmupSteps = DefaultWarmupSteps
	}
	if a.InitStepSize == 0 {
		a.InitStepSize = DefaultInitStepSize
	}
	if a.Schedule == nil && a.Steps >= 1 {
		a.Schedule = Sigmoidal(a.Steps, DefaultSigmoidSharpness)
	}
	return a
}

// Validate returns an error for a configuration AIS cannot run.
func (a AISConfig) Validate() error {
	switch {
	case a.Steps < 1:
		return fmt.Errorf("mc: %s: %d steps, want at least 1", MethodAIS, a.Steps)
	case a.Chains < 1:
		return fmt.Errorf("mc: %s: %d chains, want at least 1", MethodAIS, a.Chains)
	case a.Leapfrog < 0, a.WarmupChains < 0, a.WarmupSteps < 0:
		return fmt.Errorf("mc: %s: negative leapfrog or warm-up size", MethodAIS)
	case a.TargetAccept < 0 || a.TargetAccept >= 1:
		return fmt.Errorf("mc: %s: target acceptance %v, want it in (0, 1)", MethodAIS, a.TargetAccept)
	case !(a.InitStepSize >= 0) || math.IsInf(a.InitStepSize, 1):
		return fmt.Errorf("mc: %s: initial step size %v, want a positive number", MethodAIS, a.InitStepSize)
	}
	if a.Schedule != nil {
		s := a.Schedule
		if len(s) != a.Steps+1 || s[0] != 0 || s[len(s)-1] != 1 {
			return fmt.Errorf("mc: %s: the schedule has %d values from %v to %v, want %d from 0 to 1", MethodAIS, len(s), s[0], s[len(s)-1], a.Steps+1)
		}
		for t := 1; t < len(s); t++ {
			if !(s[t] > s[t-1]) {
				return fmt.Errorf("mc: %s: the schedule is not increasing at step %d (%v after %v)", MethodAIS, t, s[t], s[t-1])
			}
		}
	}
	return nil
}

// Sigmoidal returns the sigmoidal schedule of Grosse, Ghahramani and Adams
// (2015) with T steps and sharpness δ: β̃_t = σ(δ(2t/T − 1)) rescaled to
// β_t = (β̃_t − β̃_0)/(β̃_T − β̃_0), so that β_0 = 0 and β_T = 1. It
// spends more of its steps near both ends of the path than a linear
// schedule (at the start, where the log-weight increments change fastest
// with β for a broad start distribution, and at the posterior); δ = 4 is
// the default of AIS. It panics if T < 1 or δ ≤ 0.
func Sigmoidal(T int, delta float64) []float64 {
	if T < 1 || !(delta > 0) {
		panic(fmt.Sprintf("mc: Sigmoidal(%d, %v): want T ≥ 1 and δ > 0", T, delta))
	}
	sig := func(t int) float64 { return 1 / (1 + math.Exp(-delta*(2*float64(t)/float64(T)-1))) }
	lo, hi := sig(0), sig(T)
	out := make([]float64, T+1)
	for t := range out {
		out[t] = (sig(t) - lo) / (hi - lo)
	}
	out[0], out[T] = 0, 1
	return out
}

// AISEstimate is the result of AIS: an Estimate of log p(x) from the chains'
// log-weights, and the sampler's diagnostics.
type AISEstimate struct {
	// Estimate holds log (1/C) Σ_c exp(log w_c) in LogPX, its delta-method
	// standard error, the Kish ESS and Pareto k̂ of the C chain weights;
	// K is C and Samples is C·T (chain steps).
	Estimate
	// Steps is T.
	Steps int
	// AcceptRate is the mean HMC acceptance probability over all
	// transitions of all chains (NaN when T = 1).
	AcceptRate float64
	// GradEvals is the number of evaluations of ∇_z log p(x, z), counted
	// per chain, warm-up included.
	GradEvals int
	// StepSizes are the leapfrog step sizes of the transitions at
	// β_1, …, β_{T−1}, as the warm-up adapted them.
	StepSizes []float64
}

// AIS estimates log p(x) by annealed importance sampling (Neal 2001) with
// Hamiltonian Monte Carlo transitions, as Wu, Burda, Salakhutdinov and
// Grosse (2017) evaluate decoder-based models.
//
// The path is geometric between the start distribution q (the prior, or an
// encoder's q(z|x)) and the posterior,
//
//	π_t(z) ∝ q(z)^{1−β_t} p(x, z)^{β_t},  0 = β_0 < … < β_T = 1,
//
// and each of the C chains draws z_0 ~ q and accumulates
//
//	log w = Σ_{t=1}^{T} (β_t − β_{t−1}) (log p(x, z_{t−1}) − log q(z_{t−1})),
//
// where z_t is z_{t−1} moved by one HMC transition that leaves π_t invariant
// (momenta ~ N(0, I), a.Leapfrog leapfrog steps, a Metropolis test). Each
// w is an unbiased estimate of p(x), so the estimate log (1/C) Σ w_c is a
// stochastic lower bound on log p(x) whose bias vanishes as T grows; with
// T = 1 it is Importance with proposal q. StdErr, ESS and KHat are those of
// importance sampling, computed on the C chain weights.
//
// The leapfrog step size is a function of β, set by a warm-up run before
// the estimate: a.WarmupChains chains (their own random stream) go through
// at most a.WarmupSteps intermediate distributions of the schedule, and
// after each transition the step size is multiplied by
// exp(ā − a.TargetAccept), ā the chains' mean acceptance probability. The
// chains of the estimate then use these step sizes, fixed (interpolated in
// log space over β), so every transition is a valid MCMC kernel.
//
// The chains are split into units of Config.ChunkSize chains
// (DefaultAISChunk if 0), advanced together (one batched gradient per
// leapfrog step); unit u draws from rand.New(rand.NewPCG(Config.Seed, u)):
// first z_0 ~ q for its chains, then momenta and uniforms. Units run on
// Config.Workers goroutines and their weights are merged in order, so the
// same seed gives the same bits for any number of workers. Config.Progress
// is called with the number of chain steps completed, Config.Context is
// checked before every step.
//
// q must be a dist.Differentiable with Len() 1 and Dim() m.LatentDim().
// AIS returns an error for an invalid configuration, a start distribution
// that is not differentiable, a NaN or +Inf log-weight (*BadWeightsError),
// or a stop by Config.Context. It panics if len(x) != m.DataDim().
func AIS(m GradModel, q dist.Distribution, x []float64, a AISConfig, c Config) (AISEstimate, error) {
	_, est, err := forwardAIS(m, q, x, a, c)
	return est, err
}

// forwardAIS runs AIS forward from q: it prepares the run, adapts the step
// sizes, runs the chains and returns the run with its estimate.
func forwardAIS(m GradModel, q dist.Distribution, x []float64, a AISConfig, c Config) (*aisRun, AISEstimate, error) {
	start := time.Now()
	r, err := newAISRun(m, q, x, a, c)
	if err != nil {
		return nil, AISEstimate{}, err
	}
	if err := r.warmup(); err != nil {
		return nil, AISEstimate{}, err
	}
	lw, acc, evals := r.chains(nil)
	if err := c.stopped(MethodAIS); err != nil {
		return nil, AISEstimate{}, err
	}
	est, err := r.estimate(lw, acc, evals, start, false)
	return r, est, err
}

// aisRun holds what one AIS estimate (or sandwich) shares.
type aisRun struct {
	path  *annealed
	a     AISConfig
	c     Config
	betas []float64
	// eps[t] is the step size of the transition at betas[t], 1 ≤ t < T.
	eps []float64
	// warmEvals counts the warm-up's gradient evaluations.
	warmEvals int
}

func newAISRun(m GradModel, q dist.Distribution, x []float64, a AISConfig, c Config) (*aisRun, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	checkArgs(MethodAIS, m, q, x, a.Chains)
	a = a.withDefaults()
	g, err := startDensity(q)
	if err != nil {
		return nil, err
	}
	return &aisRun{path: &annealed{m: m, q: g, x: x, qd: q}, a: a, c: c, betas: a.Schedule}, nil
}

// warmup adapts the step sizes (see AIS).
func (r *aisRun) warmup() error {
	T := len(r.betas) - 1
	r.eps = make([]float64, T+1)
	if T < 2 {
		return nil
	}
	// The warm-up visits the schedule at indices idx[0] = 0 < … < idx[Tw] = T.
	Tw := min(T, max(2, r.a.WarmupSteps))
	idx := make([]int, Tw+1)
	for i := range idx {
		idx[i] = int(math.Round(float64(i) * float64(T) / float64(Tw)))
	}
	n, d := r.a.WarmupChains, r.path.m.LatentDim()
	rnd := rand.New(rand.NewPCG(DeriveSeed(r.c.Seed, 0x5741524d), 0)) // "WARM"
	s := newState(n, d)
	r.path.qd.Sample(s.z, rnd)
	r.path.eval(s)
	h := newHMC(r.path, r.a.Leapfrog, n, d)
	eps := r.a.InitStepSize
	logEps := make([]float64, Tw)
	stop := r.c.stop()
	for i := 1; i < Tw; i++ {
		if stop != nil && stop() {
			return r.c.stopped(MethodAIS)
		}
		beta := r.betas[idx[i]]
		reps := 1
		if i == 1 {
			reps = 20 // find the scale of the start distribution first
		}
		for range reps {
			acc := h.transition(s, beta, eps, rnd) / float64(n)
			eps *= math.Exp(acc - r.a.TargetAccept)
			r.warmEvals += n * r.a.Leapfrog
		}
		logEps[i] = math.Log(eps)
	}
	// Interpolate log ε over β between the warm-up's points.
	j := 1
	for t := 1; t < T; t++ {
		b := r.betas[t]
		for j < Tw-1 && r.betas[idx[j+1]] < b {
			j++
		}
		switch {
		case b <= r.betas[idx[1]] || Tw == 2:
			r.eps[t] = math.Exp(logEps[1])
		case j == Tw-1:
			r.eps[t] = math.Exp(logEps[Tw-1])
		default:
			b0, b1 := r.betas[idx[j]], r.betas[idx[j+1]]
			f := (b - b0) / (b1 - b0)
			r.eps[t] = math.Exp((1-f)*logEps[j] + f*logEps[j+1])
		}
	}
	return nil
}

// chains runs C chains in units and returns their log-weights, the sum of
// the acceptance probabilities and the gradient evaluations. With zstar not
// nil the chains run in reverse, from β = 1 to β = 0, every chain starting
// at the row zstar (see Sandwich); the log-weights are then those of the
// reverse run, estimates of log (q's normaliser / p(x)).
func (r *aisRun) chains(zstar []float64) (lw []float64, acc float64, evals int) {
	C := r.a.Chains
	cs := r.c.ChunkSize
	if cs == 0 {
		cs = DefaultAISChunk
	} else if cs < 0 {
		panic("mc: negative Config.ChunkSize")
	}
	nUnits := (C + cs - 1) / cs
	lw = make([]float64, C)
	accs := make([]float64, nUnits)
	T := len(r.betas) - 1
	d := r.path.m.LatentDim()
	stop := r.c.stop()
	var (
		done   atomic.Int64
		next   atomic.Int64
		wg     sync.WaitGroup
		once   sync.Once
		pval   any
		failed atomic.Bool
	)
	workers := max(1, min(r.c.workers(), nUnits))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					once.Do(func() { pval = p })
					failed.Store(true)
				}
			}()
			pcg := rand.NewPCG(0, 0)
			rnd := rand.New(pcg)
			for {
				u := int(next.Add(1) - 1)
				if u >= nUnits || failed.Load() {
					return
				}
				n := min(cs, C-u*cs)
				pcg.Seed(r.c.Seed, uint64(u))
				s := newState(n, d)
				if zstar == nil {
					r.path.qd.Sample(s.z, rnd)
				} else {
					for i := range n {
						copy(s.z.RawRowView(i), zstar)
					}
				}
				r.path.eval(s)
				h := newHMC(r.path, r.a.Leapfrog, n, d)
				w := lw[u*cs : u*cs+n]
				for t := 1; t <= T; t++ {
					if stop != nil && stop() {
						return
					}
					// Forward: β_{t−1} → β_t, then a transition at β_t.
					// Reverse: β_{T−t+1} → β_{T−t}, then one at β_{T−t}.
					lo, hi := t-1, t
					if zstar != nil {
						lo, hi = T-t+1, T-t
					}
					db := r.betas[hi] - r.betas[lo]
					for i := range w {
						w[i] += db * (s.lj[i] - s.lq[i])
					}
					if t < T {
						accs[u] += h.transition(s, r.betas[hi], r.eps[hi], rnd)
					}
					done.Add(int64(n))
				}
			}
		}()
	}
	r.progressUntil(&wg, &done)
	if failed.Load() {
		panic(pval)
	}
	for _, a := range accs {
		acc += a
	}
	return lw, acc, C*max(0, T-1)*r.a.Leapfrog + r.warmEvals
}

// progressUntil reports the chain steps counted in done to Config.Progress
// from the calling goroutine until wg is done.
func (r *aisRun) progressUntil(wg *sync.WaitGroup, done *atomic.Int64) {
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	var reported int64
	report := func() {
		if r.c.Progress == nil {
			return
		}
		if n := done.Load(); n > reported {
			r.c.Progress(int(n - reported))
			reported = n
		}
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-finished:
			report()
			return
		case <-tick.C:
			report()
		}
	}
}

// estimate summarises the log-weights of a run; reverse negates the
// estimate (an upper bound from reverse weights).
func (r *aisRun) estimate(lw []float64, acc float64, evals int, start time.Time, reverse bool) (AISEstimate, error) {
	C, T := r.a.Chains, len(r.betas)-1
	bad := 0
	for _, v := range lw {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			bad++
		}
	}
	if bad > 0 {
		return AISEstimate{}, &BadWeightsError{Method: MethodAIS, Bad: bad, Samples: C}
	}
	res := sampleResult{acc: newLSE(), top: newTopK(min(tailLen(C)+1, C))}
	res.acc.setSlice(lw)
	res.top.pushSlice(lw)
	est, _ := weightEstimate(MethodAIS, res, C, start)
	est.Samples = C * T
	if reverse {
		est.LogPX = -est.LogPX
	}
	out := AISEstimate{Estimate: est, Steps: T, AcceptRate: math.NaN(), GradEvals: evals, StepSizes: append([]float64(nil), r.eps[1:max(1, T)]...)}
	if T > 1 {
		out.AcceptRate = acc / float64(C*(T-1))
	}
	return out, nil
}
