package dist

// STUB FILE: the dist helper replaces this with real implementations in
// normal.go, stdnormal.go, mvnormal.go, bernoulli.go, categorical.go, kl.go
// (same type names, fields and method signatures), then deletes this file.

import (
	"errors"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Normal is a batch of diagonal Gaussians N(Loc_i, diag(exp(LogScale_i))²).
type Normal struct {
	Loc      *mat.Dense // n×d or 1×d
	LogScale *mat.Dense // same shape as Loc
}

func (Normal) Dim() int                                      { panic("stub") }
func (Normal) Len() int                                      { panic("stub") }
func (Normal) LogProb(dst []float64, x mat.Matrix) []float64 { panic("stub") }
func (Normal) Sample(dst *mat.Dense, rnd *rand.Rand)         { panic("stub") }
func (Normal) Transform(dst *mat.Dense, eps mat.Matrix)      { panic("stub") }
func (Normal) RSample(dst, eps *mat.Dense, rnd *rand.Rand)   { panic("stub") }
func (Normal) Entropy(dst []float64) []float64               { panic("stub") }

// StdNormal is the standard normal N(0, I_D), a single broadcast member.
type StdNormal struct {
	D int
}

func (StdNormal) Dim() int                                      { panic("stub") }
func (StdNormal) Len() int                                      { panic("stub") }
func (StdNormal) LogProb(dst []float64, x mat.Matrix) []float64 { panic("stub") }
func (StdNormal) Sample(dst *mat.Dense, rnd *rand.Rand)         { panic("stub") }
func (StdNormal) Transform(dst *mat.Dense, eps mat.Matrix)      { panic("stub") }
func (StdNormal) RSample(dst, eps *mat.Dense, rnd *rand.Rand)   { panic("stub") }
func (StdNormal) Entropy(dst []float64) []float64               { panic("stub") }

// MultivariateNormal is a full-covariance Gaussian N(Loc, L Lᵀ), one member.
type MultivariateNormal struct {
	Loc  []float64
	Chol *mat.TriDense // lower triangular L with positive diagonal
}

// NewMultivariateNormal returns N(mu, cov), or an error if cov is not
// symmetric positive definite or its size differs from len(mu).
func NewMultivariateNormal(mu []float64, cov mat.Symmetric) (MultivariateNormal, error) {
	panic("stub")
}

func (MultivariateNormal) Dim() int                                      { panic("stub") }
func (MultivariateNormal) Len() int                                      { panic("stub") }
func (MultivariateNormal) LogProb(dst []float64, x mat.Matrix) []float64 { panic("stub") }
func (MultivariateNormal) Sample(dst *mat.Dense, rnd *rand.Rand)         { panic("stub") }
func (MultivariateNormal) Transform(dst *mat.Dense, eps mat.Matrix)      { panic("stub") }
func (MultivariateNormal) RSample(dst, eps *mat.Dense, rnd *rand.Rand)   { panic("stub") }
func (MultivariateNormal) Entropy(dst []float64) []float64               { panic("stub") }

// Bernoulli is a batch of independent Bernoulli vectors with logits.
type Bernoulli struct {
	Logits *mat.Dense // n×d or 1×d
}

func (Bernoulli) Dim() int                                      { panic("stub") }
func (Bernoulli) Len() int                                      { panic("stub") }
func (Bernoulli) LogProb(dst []float64, x mat.Matrix) []float64 { panic("stub") }
func (Bernoulli) Sample(dst *mat.Dense, rnd *rand.Rand)         { panic("stub") }
func (Bernoulli) Entropy(dst []float64) []float64               { panic("stub") }

// Categorical is a batch of categoricals over {0, …, K-1} with logits; an
// event is one class index stored as a float64 in a single column.
type Categorical struct {
	Logits *mat.Dense // n×K or 1×K
}

func (Categorical) Dim() int                                      { panic("stub") }
func (Categorical) Len() int                                      { panic("stub") }
func (Categorical) LogProb(dst []float64, x mat.Matrix) []float64 { panic("stub") }
func (Categorical) Sample(dst *mat.Dense, rnd *rand.Rand)         { panic("stub") }
func (Categorical) Entropy(dst []float64) []float64               { panic("stub") }

// ErrNoKL is returned (wrapped) by KL when no analytic KL divergence is
// registered for the pair of distribution types.
var ErrNoKL = errors.New("dist: no analytic KL divergence registered")

// RegisterKL registers an analytic KL(p‖q) for the concrete types P and Q.
func RegisterKL[P, Q Distribution](fn func(dst []float64, p P, q Q) []float64) { panic("stub") }

// KL stores the analytic KL(p‖q) of each batch member in dst.
func KL(dst []float64, p, q Distribution) ([]float64, error) { panic("stub") }

// KLMonteCarlo estimates KL(p‖q) per member with n draws from p.
func KLMonteCarlo(dst []float64, p, q Distribution, n int, rnd *rand.Rand) []float64 {
	panic("stub")
}

// KLDivergence returns the analytic KL when registered, else KLMonteCarlo.
func KLDivergence(dst []float64, p, q Distribution, n int, rnd *rand.Rand) []float64 {
	panic("stub")
}
