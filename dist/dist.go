package dist

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
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

// Reparameterizer is a distribution whose draws are a differentiable,
// deterministic function of parameter-free noise: z = T(ε), ε ~ N(0, I).
// This is the reparameterisation trick, z = μ + σ·ε for a diagonal Normal.
type Reparameterizer interface {
	Distribution
	// Transform stores T(eps) in dst, row by row.
	Transform(dst *mat.Dense, eps mat.Matrix)
	// RSample draws standard-normal noise into eps and stores T(eps) in dst,
	// so that the caller keeps ε (for gradients or replay).
	RSample(dst, eps *mat.Dense, rnd *rand.Rand)
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
	// Support returns the number of events of one member.
	Support() int
	// Event stores event i ∈ [0, Support()) in dst, of length Dim().
	Event(dst []float64, i int)
}
