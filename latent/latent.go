package latent

import (
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
)

// Model is a latent-variable model p(x, z) = p(z) p(x|z).
//
// Implementations must be safe for concurrent use by multiple goroutines: the
// estimators in package mc evaluate a model from several workers at once.
type Model interface {
	// Prior returns p(z), a distribution with Len() == 1 and Dim() == LatentDim().
	Prior() dist.Distribution
	// LogLikelihood stores in dst[i] the value of log p(x | z_i) for row i of z
	// and returns dst. If dst is nil a new slice is allocated. It panics if
	// len(x) != DataDim() or z has a column count other than LatentDim().
	LogLikelihood(dst []float64, x []float64, z mat.Matrix) []float64
	// LatentDim returns the length of z.
	LatentDim() int
	// DataDim returns the length of x.
	DataDim() int
}

// Evidencer is a model whose marginal likelihood p(x) = ∫ p(x|z) p(z) dz is
// known in closed form.
type Evidencer interface {
	// LogEvidence returns the exact log p(x).
	LogEvidence(x []float64) float64
}

// Posteriorer is a model whose posterior p(z|x) is known in closed form.
type Posteriorer interface {
	// Posterior returns p(z|x) as a distribution with Len() == 1.
	Posterior(x []float64) dist.Distribution
}

// Simulator is a model that can draw data by ancestral sampling,
// z ~ p(z), x ~ p(x|z).
type Simulator interface {
	// SampleData fills every row of dst with an independent draw x ~ p(x).
	SampleData(dst *mat.Dense, rnd *rand.Rand)
}

// LogJoint stores in dst[i] the value of log p(x, z_i) = log p(z_i) + log p(x|z_i)
// for row i of z, and returns dst. If dst is nil a new slice is allocated.
// Its scratch memory is pooled, so repeated calls on same-sized batches do not
// allocate beyond what the model does.
func LogJoint(dst []float64, m Model, x []float64, z mat.Matrix) []float64 {
	r, _ := z.Dims()
	if dst == nil {
		dst = make([]float64, r)
	}
	if len(dst) != r {
		panic("latent: dst length does not match rows of z")
	}
	m.LogLikelihood(dst, x, z)
	buf := slicePool.Get().(*[]float64)
	if cap(*buf) < r {
		*buf = make([]float64, r)
	}
	prior := (*buf)[:r]
	m.Prior().LogProb(prior, z)
	for i := range dst {
		dst[i] += prior[i]
	}
	slicePool.Put(buf)
	return dst
}

// slicePool holds scratch slices for LogJoint.
var slicePool = sync.Pool{New: func() any { return new([]float64) }}
