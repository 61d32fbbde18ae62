package dist

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// LogProber computes batched log densities.
//
// LogProb stores in dst[i] the log density (or log mass) of row i of x and
// returns dst. If dst is nil a new slice is allocated; otherwise its length must
// equal the number of rows of x. LogProb panics if x has the wrong number of
// columns, or if the distribution has Len() > 1 and Len() differs from the number
// of rows of x.
type LogProber interface {
	LogProb(dst []float64, x mat.Matrix) []float64
}

// Sampler draws random values.
//
// Sample fills every row of dst with an independent draw. A distribution with
// Len() == 1 draws dst's rows i.i.d.; one with Len() == n requires n rows and
// draws row i from member i.
type Sampler interface {
	Sample(dst *mat.Dense, rnd *rand.Rand)
}

// SampleLogProber is a distribution that draws a batch and scores it in one
// pass, for less than Sample followed by LogProb costs: the importance
// sampling estimators of package mc score each draw by the proposal that
// made it. FlowDistribution implements it, taking the log-density of each
// draw from the base draw behind it instead of inverting the flow (TFP's
// experimental_sample_and_log_prob). Use the function SampleLogProb, which
// falls back to Sample and LogProb for any other distribution.
type SampleLogProber interface {
	Distribution
	// SampleLogProb fills every row of dst with an independent draw and
	// stores in lp[i] the log-density of row i, returning lp. The rows are
	// those Sample would draw from the same state of rnd, which is consumed
	// as Sample consumes it, and lp equals LogProb of them up to rounding.
	// An empty dst is resized as Sample resizes it. If lp is nil a new
	// slice is allocated; otherwise its length must equal the number of rows
	// of dst.
	SampleLogProb(dst *mat.Dense, lp []float64, rnd *rand.Rand) []float64
}

// SampleLogProb fills dst with draws from d and stores their log-densities
// in lp, returning lp, with the shape rules of SampleLogProber. It calls
// d.SampleLogProb when d is a SampleLogProber and d.Sample then d.LogProb
// otherwise, so the draws are those of d.Sample either way and, without the
// method, lp is exactly LogProb of them.
func SampleLogProb(d Distribution, dst *mat.Dense, lp []float64, rnd *rand.Rand) []float64 {
	if s, ok := d.(SampleLogProber); ok {
		return s.SampleLogProb(dst, lp, rnd)
	}
	if dst != nil && !dst.IsEmpty() {
		checkLogProbDst("SampleLogProb", lp, dst)
	}
	d.Sample(dst, rnd)
	return d.LogProb(lp, dst)
}

// checkLogProbDst panics unless lp is nil or has one element per row of
// dst.
func checkLogProbDst(name string, lp []float64, dst *mat.Dense) {
	if r, _ := dst.Dims(); lp != nil && len(lp) != r {
		panic(fmt.Sprintf("dist: %s: len(lp) = %d, want %d rows", name, len(lp), r))
	}
}

// Distribution is a batch of distributions over R^Dim (or a discrete subset of
// it), scored and sampled row by row.
type Distribution interface {
	LogProber
	Sampler
	// Dim returns the length of one event.
	Dim() int
	// Len returns the number of batch members; 1 means broadcast to any number
	// of rows.
	Len() int
}

// Differentiable is a distribution whose log-density can be recorded on a
// tape of package ad, differentiable with respect to the value and to every
// parameter given as an *ad.Var on a tape. Package ppl requires it of every
// site's distribution.
type Differentiable interface {
	Distribution
	// LogProbVar returns the log-densities of the rows of x as an n×1 Var,
	// with the shape rules of LogProb.
	LogProbVar(x *ad.Var) *ad.Var
	// Detach returns the same distribution with the gradients of its
	// parameters stopped: its log-density is still differentiable with
	// respect to the value. (The score-free gradient estimators, STL and
	// DReG, evaluate the guide's density this way.)
	Detach() Differentiable
}

// Reparameterizer is a differentiable distribution whose draws are a
// differentiable function of its parameters and of parameter-free noise:
// z = T_θ(ε), as z = μ + σ·ε for a diagonal Normal (the reparameterisation
// trick).
type Reparameterizer interface {
	Differentiable
	// RSampleVar draws n rows (n must be Len() unless Len() is 1) as a Var
	// differentiable with respect to the parameters, taking its noise from
	// rnd exactly as Sample does.
	RSampleVar(n int, rnd *rand.Rand) *ad.Var
}

// Entropier is a distribution with a closed-form entropy.
type Entropier interface {
	// Entropy stores in dst[i] the entropy of member i and returns dst. If dst
	// is nil a new slice of length Len() is allocated.
	Entropy(dst []float64) []float64
}

// Enumerator is a discrete distribution whose events can be listed, for
// summing over them exactly instead of sampling (enumeration).
type Enumerator interface {
	Distribution
	// NumEvents returns the number of events of one member.
	NumEvents() int
	// Event stores event i ∈ [0, NumEvents()) in dst, of length Dim().
	Event(dst []float64, i int)
}
