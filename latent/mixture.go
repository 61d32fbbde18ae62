package latent

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/internal/logspace"
)

// GaussianMixture is a finite mixture of K diagonal Gaussians in D dimensions
// with a discrete latent, the component index:
//
//	z ~ Categorical(Weights),  z ∈ {0, …, K−1},
//	x | z = k ~ N(Means_k, diag(Stds_k)²).
//
// The latent is one-dimensional (LatentDim() == 1): a row of z holds the
// component index as a float64, as for dist.Categorical. The evidence is the
// finite sum p(x) = Σ_k w_k N(x; Means_k, diag(Stds_k)²) and the posterior is
// categorical.
//
// The methods read the fields and never modify them, so a GaussianMixture is
// safe for concurrent use as long as nobody writes to its fields meanwhile.
// They assume a valid model (see Validate) and panic on shape mismatches.
type GaussianMixture struct {
	// Weights holds the K mixing weights, positive and summing to 1.
	Weights []float64
	// Means is the K×D matrix of component means, one per row.
	Means *mat.Dense
	// Stds is the K×D matrix of component standard deviations, positive.
	Stds *mat.Dense
}

var (
	_ Model       = GaussianMixture{}
	_ Evidencer   = GaussianMixture{}
	_ Posteriorer = GaussianMixture{}
	_ Simulator   = GaussianMixture{}
)

// WeightSumTol is how far from 1 the sum of a GaussianMixture's weights may be
// for Validate and ParseSpec to accept it.
const WeightSumTol = 1e-9

// NewRandomGaussianMixture returns a GaussianMixture with K components in D
// dimensions drawn from rnd, in this order: weights from a flat Dirichlet
// (normalised standard exponentials), means with entries N(0, 3²), and
// standard deviations uniform on [0.5, 1.5], the matrices row by row. The
// spread of the means relative to the standard deviations makes the
// components overlap a little in low dimension and separate in high
// dimension. It panics if K < 1 or D < 1.
func NewRandomGaussianMixture(K, D int, rnd *rand.Rand) GaussianMixture {
	if K < 1 || D < 1 {
		panic(fmt.Sprintf("latent: NewRandomGaussianMixture K=%d, D=%d, want both ≥ 1", K, D))
	}
	w := make([]float64, K)
	var sum float64
	for k := range w {
		w[k] = rnd.ExpFloat64()
		sum += w[k]
	}
	for k := range w {
		w[k] /= sum
	}
	means := make([]float64, K*D)
	for i := range means {
		means[i] = 3 * rnd.NormFloat64()
	}
	stds := make([]float64, K*D)
	for i := range stds {
		stds[i] = 0.5 + rnd.Float64()
	}
	return GaussianMixture{Weights: w, Means: mat.NewDense(K, D, means), Stds: mat.NewDense(K, D, stds)}
}

// Validate returns an error describing the first problem found with the
// parameters: no weights, Means or Stds not K×D, a weight that is not positive
// and finite, weights whose sum differs from 1 by more than WeightSumTol, a
// non-finite mean, or a standard deviation that is not positive and finite.
// It returns nil for a valid model.
func (m GaussianMixture) Validate() error {
	K := len(m.Weights)
	if K == 0 {
		return errors.New("latent: GaussianMixture: no weights")
	}
	if m.Means == nil || m.Means.IsEmpty() {
		return errors.New("latent: GaussianMixture: Means is empty")
	}
	if m.Stds == nil || m.Stds.IsEmpty() {
		return errors.New("latent: GaussianMixture: Stds is empty")
	}
	r, D := m.Means.Dims()
	if r != K {
		return fmt.Errorf("latent: GaussianMixture: Means has %d rows, want %d (one per weight)", r, K)
	}
	if sr, sc := m.Stds.Dims(); sr != K || sc != D {
		return fmt.Errorf("latent: GaussianMixture: Stds is %d×%d, want %d×%d (the shape of Means)", sr, sc, K, D)
	}
	var sum float64
	for k, w := range m.Weights {
		if !(w > 0) || math.IsInf(w, 1) {
			return fmt.Errorf("latent: GaussianMixture: Weights[%d] is %v, want a positive finite number", k, w)
		}
		sum += w
	}
	if math.Abs(sum-1) > WeightSumTol {
		return fmt.Errorf("latent: GaussianMixture: Weights sum to %v, want 1 (within %g)", sum, WeightSumTol)
	}
	for k := 0; k < K; k++ {
		for j := 0; j < D; j++ {
			if v := m.Means.At(k, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("latent: GaussianMixture: Means[%d,%d] is %v, want a finite number", k, j, v)
			}
			if v := m.Stds.At(k, j); !(v > 0) || math.IsInf(v, 1) {
				return fmt.Errorf("latent: GaussianMixture: Stds[%d,%d] is %v, want a positive finite number", k, j, v)
			}
		}
	}
	return nil
}

// LatentDim returns 1: the latent is the component index.
func (m GaussianMixture) LatentDim() int { return 1 }

// DataDim returns D, the number of columns of Means.
func (m GaussianMixture) DataDim() int {
	_, D := m.Means.Dims()
	return D
}

// Prior returns the categorical distribution over components, a
// dist.Categorical with 1×K logits log Weights.
func (m GaussianMixture) Prior() dist.Distribution {
	logits := make([]float64, len(m.Weights))
	for k, w := range m.Weights {
		logits[k] = math.Log(w)
	}
	return dist.Categorical{Logits: mat.NewDense(1, len(logits), logits)}
}

// componentLogLik stores log N(x; Means_k, diag(Stds_k)²) in dst[k] for every
// component k.
func (m GaussianMixture) componentLogLik(dst, x []float64) {
	K, D := m.Means.Dims()
	if len(x) != D {
		panic(fmt.Sprintf("latent: GaussianMixture len(x)=%d, want %d", len(x), D))
	}
	if sr, sc := m.Stds.Dims(); sr != K || sc != D {
		panic(fmt.Sprintf("latent: GaussianMixture Stds is %d×%d, want %d×%d", sr, sc, K, D))
	}
	c0 := -0.5 * float64(D) * math.Log(2*math.Pi)
	for k := 0; k < K; k++ {
		mu := m.Means.RawRowView(k)
		sd := m.Stds.RawRowView(k)
		s := c0
		for j, xj := range x {
			u := (xj - mu[j]) / sd[j]
			s -= 0.5*u*u + math.Log(sd[j])
		}
		dst[k] = s
	}
}

// stackK is the largest number of components for which the methods keep
// per-component scratch values on the stack.
const stackK = 64

// LogLikelihood stores in dst[i] the value of log N(x; Means_k, diag(Stds_k)²)
// with k = z[i, 0], and returns dst. If dst is nil a new slice is allocated.
// It panics if len(x) != D, z does not have one column, len(dst) differs from
// the rows of z, or a row of z is not an integer in [0, K).
func (m GaussianMixture) LogLikelihood(dst []float64, x []float64, z mat.Matrix) []float64 {
	K, _ := m.Means.Dims()
	n, c := z.Dims()
	if c != 1 {
		panic(fmt.Sprintf("latent: GaussianMixture.LogLikelihood z has %d columns, want 1", c))
	}
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("latent: GaussianMixture.LogLikelihood len(dst)=%d, want %d (rows of z)", len(dst), n))
	}
	var stack [stackK]float64
	var ll []float64
	if K <= stackK {
		ll = stack[:K]
	} else {
		ll = make([]float64, K)
	}
	m.componentLogLik(ll, x)
	for i := 0; i < n; i++ {
		v := z.At(i, 0)
		k := int(v)
		if float64(k) != v || k < 0 || k >= K {
			panic(fmt.Sprintf("latent: GaussianMixture.LogLikelihood z[%d] = %v is not a component index in [0, %d)", i, v, K))
		}
		dst[i] = ll[k]
	}
	return dst
}

// logPosterior returns log p(k|x) for every component and log p(x).
func (m GaussianMixture) logPosterior(x []float64) ([]float64, float64) {
	K, _ := m.Means.Dims()
	if len(m.Weights) != K {
		panic(fmt.Sprintf("latent: GaussianMixture has %d weights, want %d (rows of Means)", len(m.Weights), K))
	}
	lp := make([]float64, K)
	m.componentLogLik(lp, x)
	for k, w := range m.Weights {
		lp[k] += math.Log(w)
	}
	lse := logspace.LogSumExp(lp)
	for k := range lp {
		lp[k] -= lse
	}
	return lp, lse
}

// LogEvidence returns the exact log p(x) = log Σ_k w_k N(x; Means_k,
// diag(Stds_k)²), computed by log-sum-exp. It panics if len(x) != D.
func (m GaussianMixture) LogEvidence(x []float64) float64 {
	_, lse := m.logPosterior(x)
	return lse
}

// Posterior returns p(z|x) as a dist.Categorical with one member whose 1×K
// logits are the normalised log posterior probabilities
// log p(k|x) = log w_k + log N(x; Means_k, diag(Stds_k)²) − log p(x).
// It panics if len(x) != D.
func (m GaussianMixture) Posterior(x []float64) dist.Distribution {
	lp, _ := m.logPosterior(x)
	return dist.Categorical{Logits: mat.NewDense(1, len(lp), lp)}
}

// SampleData fills every row of dst with an independent draw from p(x): for
// each row in turn, a component k ~ Categorical(Weights) by inversion of one
// uniform, then x = Means_k + Stds_k ⊙ ε with ε ~ N(0, I_D). It panics if dst
// does not have D columns.
func (m GaussianMixture) SampleData(dst *mat.Dense, rnd *rand.Rand) {
	K, D := m.Means.Dims()
	n, c := dst.Dims()
	if c != D {
		panic(fmt.Sprintf("latent: GaussianMixture.SampleData dst has %d columns, want %d", c, D))
	}
	for i := 0; i < n; i++ {
		u := rnd.Float64()
		k := K - 1 // guards against weights summing to slightly less than 1
		var cum float64
		for j, w := range m.Weights {
			cum += w
			if u < cum {
				k = j
				break
			}
		}
		mu := m.Means.RawRowView(k)
		sd := m.Stds.RawRowView(k)
		row := dst.RawRowView(i)
		for j := range row {
			row[j] = mu[j] + sd[j]*rnd.NormFloat64()
		}
	}
}
