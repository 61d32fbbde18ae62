package mc

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"
)

// Method names reported in Estimate.Method.
const (
	MethodPrior          = "prior"
	MethodImportance     = "importance"
	MethodELBO           = "elbo"
	MethodELBOAnalyticKL = "elbo-analytic-kl"
	MethodIWAE           = "iwae"
)

// Estimate is the result of one Monte Carlo estimate of log p(x), or of a
// lower bound on it.
type Estimate struct {
	// Method names the estimator (one of the Method constants).
	Method string
	// K is the number of samples per estimate: the number of draws averaged
	// inside the logarithm for Prior, Importance and IWAE, the number of
	// draws averaged for ELBO and ELBOAnalyticKL.
	K int
	// Samples is the total number of draws (K times the number of
	// replicates for IWAE).
	Samples int
	// LogPX is the estimate of log p(x) or the value of the bound.
	LogPX float64
	// StdErr is the estimated standard error of LogPX. It is +Inf when it
	// cannot be estimated (a single draw or replicate, or no draw with a
	// positive weight).
	StdErr float64
	// ESS is Kish's effective sample size (Σw)²/Σw² of the importance
	// weights w, between 1 and K, or 0 if every weight is zero. It is NaN
	// for the estimators that do not form a single set of weights
	// (ELBOAnalyticKL, IWAE).
	ESS float64
	// KHat is the Pareto shape estimate k̂ of the upper tail of the
	// importance weights (see ParetoKHat). It is NaN where not applicable
	// (ELBOAnalyticKL, IWAE) and where undefined (too few samples, or fewer
	// than five distinct weights in the tail).
	KHat float64
	// Elapsed is the wall-clock time taken.
	Elapsed time.Duration
}

// SamplesPerSecond returns Samples divided by Elapsed in seconds: +Inf if
// Elapsed is zero and Samples is not, NaN if both are zero.
func (e Estimate) SamplesPerSecond() float64 {
	return float64(e.Samples) / e.Elapsed.Seconds()
}

// DefaultChunkSize is the number of draws per chunk when Config.ChunkSize is
// zero.
const DefaultChunkSize = 4096

// Config controls how an estimator draws and schedules its samples. The zero
// value is ready to use: seed 0, DefaultChunkSize, runtime.GOMAXPROCS(0)
// workers and no progress reports.
type Config struct {
	// Seed determines every draw. Chunk c of an estimate draws from
	// rand.New(rand.NewPCG(Seed, c)); replicate r of IWAE draws from streams
	// seeded with DeriveSeed(Seed, r). Use DeriveSeed to give independent
	// seeds to different data points or methods.
	Seed uint64
	// ChunkSize is the number of draws evaluated together by one worker;
	// 0 means DefaultChunkSize. Results depend on ChunkSize (it determines
	// the random streams) but not on Workers.
	ChunkSize int
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Progress, if not nil, is called from the calling goroutine, never
	// concurrently, with the number of draws completed since its previous
	// call. The counts of one estimate sum to Estimate.Samples.
	Progress func(samples int)
	// Context, if not nil, stops an estimate early: once it is done, no
	// further chunk starts, the chunks already started finish, and the
	// estimator returns an error wrapping Context.Err() instead of an
	// estimate.
	Context context.Context
}

// stop returns the function that reports whether c.Context is done, or nil
// when there is no context.
func (c Config) stop() func() bool {
	if c.Context == nil {
		return nil
	}
	return func() bool { return c.Context.Err() != nil }
}

// stopped returns an error wrapping c.Context's error if it is done.
func (c Config) stopped(method string) error {
	if c.Context == nil || c.Context.Err() == nil {
		return nil
	}
	return fmt.Errorf("mc: %s: stopped: %w", method, context.Cause(c.Context))
}

func (c Config) chunkSize() int {
	switch {
	case c.ChunkSize < 0:
		panic("mc: negative Config.ChunkSize")
	case c.ChunkSize == 0:
		return DefaultChunkSize
	}
	return c.ChunkSize
}

func (c Config) workers() int {
	switch {
	case c.Workers < 0:
		panic("mc: negative Config.Workers")
	case c.Workers == 0:
		return runtime.GOMAXPROCS(0)
	}
	return c.Workers
}

// Average combines estimates for different data points into one for the
// whole data set, as the per-point mean: LogPX and ESS are means, StdErr is
// sqrt(Σ StdErr²)/n (the estimates are independent), KHat is the largest
// k̂ that is not NaN (NaN if all are NaN), and Samples and Elapsed are
// summed. Method and K are copied when they agree across ests; otherwise
// Method is "mixed" and K is 0. Average panics if ests is empty.
func Average(ests []Estimate) Estimate {
	if len(ests) == 0 {
		panic("mc: Average of no estimates")
	}
	n := float64(len(ests))
	out := Estimate{Method: ests[0].Method, K: ests[0].K, KHat: math.NaN()}
	var lp, v, ess float64
	for _, e := range ests {
		if e.Method != out.Method {
			out.Method = "mixed"
		}
		if e.K != out.K {
			out.K = 0
		}
		lp += e.LogPX
		v += e.StdErr * e.StdErr
		ess += e.ESS
		if !math.IsNaN(e.KHat) && (math.IsNaN(out.KHat) || e.KHat > out.KHat) {
			out.KHat = e.KHat
		}
		out.Samples += e.Samples
		out.Elapsed += e.Elapsed
	}
	if out.Method == "mixed" {
		out.K = 0
	}
	out.LogPX = lp / n
	out.StdErr = math.Sqrt(v) / n
	out.ESS = ess / n
	return out
}

// DeriveSeed mixes seed and labels into a new seed with the splitmix64
// finaliser, so that callers can give statistically independent streams to
// each data point, method and sample size, for example
// DeriveSeed(seed, point, method, k). Different label sequences give
// different seeds with overwhelming probability; the result is a pure
// function of its arguments.
func DeriveSeed(seed uint64, labels ...uint64) uint64 {
	h := splitmix64(seed)
	for _, l := range labels {
		h = splitmix64(h ^ splitmix64(l+0x6a09e667f3bcc909))
	}
	return h
}

// splitmix64 is the output function of Steele, Lea and Flood's SplitMix64
// generator applied to x + γ.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
