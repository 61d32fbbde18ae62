package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/internal/logspace"
)

// The count families. Parameters broadcast as Normal's do; an event
// coordinate is a count stored as a float64, and a value that is not a
// count in the support scores −Inf. Log-masses are differentiable with
// respect to the parameters (not to the discrete value: its adjoint is
// zero). Success probabilities are given as logits, as for Bernoulli, so
// that extreme probabilities stay exact.

var (
	_ Differentiable = Poisson{}
	_ Differentiable = Binomial{}
	_ Differentiable = Geometric{}
	_ Differentiable = NegativeBinomial{}
	_ Entropier      = Poisson{}
	_ Supporter      = Poisson{}
)

// isCount reports whether x is a non-negative integer.
func isCount(x float64) bool { return x >= 0 && x == math.Floor(x) && !math.IsInf(x, 1) }

// discreteEntropy returns −Σ_k p(k) log p(k) over k = 0, 1, … by direct
// summation, starting near the mean and walking out both ways until the
// terms stop mattering; hi caps the support (+Inf for none).
func discreteEntropy(logPMF func(k float64) float64, mean, hi float64) float64 {
	start := math.Min(math.Floor(mean), hi)
	var h float64
	term := func(k float64) float64 {
		lp := logPMF(k)
		if math.IsInf(lp, -1) {
			return 0
		}
		return -math.Exp(lp) * lp
	}
	// Walk up until the mass left is negligible: terms fall below 1e-20
	// beyond the mean.
	for k := start; k <= hi; k++ {
		t := term(k)
		h += t
		if k > mean && math.Abs(t) < 1e-20 && logPMF(k) < -50 {
			break
		}
	}
	for k := start - 1; k >= 0; k-- {
		t := term(k)
		h += t
		if math.Abs(t) < 1e-20 && logPMF(k) < -50 {
			break
		}
	}
	return h
}

// Poisson is the Poisson distribution with the given Rate (λ ≥ 0) per
// coordinate: P(k) = λᵏe^{−λ}/k!.
type Poisson struct {
	Rate mat.Matrix
}

func poissonLogPMF(k, l float64) float64 {
	if !isCount(k) {
		return negInf
	}
	return xlogy(k, l) - l - lgamma(k+1)
}

func (d Poisson) fam() family {
	return family{
		coordwise: coordwise{name: "Poisson", params: []mat.Matrix{d.Rate},
			f: func(x float64, th []float64) float64 { return poissonLogPMF(x, th[0]) },
			grad: func(x float64, th, g []float64) float64 {
				g[0] = 0
				if x == 0 {
					g[0] = -1
				} else if isCount(x) {
					g[0] = x/th[0] - 1
				}
				return 0
			}},
		sample: func(th []float64, rnd *rand.Rand) float64 {
			if th[0] == 0 {
				return 0
			}
			return distuv.Poisson{Lambda: th[0], Src: rnd}.Rand()
		},
		mean:     func(th []float64) float64 { return th[0] },
		variance: func(th []float64) float64 { return th[0] },
		entropy: func(th []float64) float64 {
			return discreteEntropy(func(k float64) float64 { return poissonLogPMF(k, th[0]) }, th[0], math.Inf(1))
		},
	}
}

// Dim returns the event dimension.
func (d Poisson) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d Poisson) Len() int { n, _ := d.fam().shape(); return n }

// Support returns NonNegativeInteger.
func (d Poisson) Support() Support { return NonNegativeInteger }

// LogProb stores Σ_j k log λ − λ − log k! in dst.
func (d Poisson) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-masses differentiable with respect to Rate.
func (d Poisson) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with the gradient of Rate stopped.
func (d Poisson) Detach() Differentiable { return Poisson{detachAll(d.Rate)[0]} }

// Sample fills dst with draws (gonum's distuv.Poisson sampler on rnd).
func (d Poisson) Sample(dst *mat.Dense, rnd *rand.Rand) { d.fam().sampleInto(dst, rnd) }

// Entropy stores the entropy per member in dst, summed over the support
// numerically (there is no closed form); the cost grows as √λ.
func (d Poisson) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores λ in dst.
func (d Poisson) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores λ in dst.
func (d Poisson) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// Binomial is the number of successes in TotalCount (N) trials with
// success probability σ(Logits) per coordinate. TotalCount holds
// non-negative integers; it is not differentiated.
type Binomial struct {
	TotalCount, Logits mat.Matrix
}

func binomialLogPMF(k, n, l float64) float64 {
	if !isCount(k) || k > n {
		return negInf
	}
	// log C(n, k) + k·l − n·softplus(l).
	return lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1) + k*l - n*logspace.Softplus(l)
}

func (d Binomial) fam() family {
	return family{
		coordwise: coordwise{name: "Binomial", params: []mat.Matrix{d.TotalCount, d.Logits},
			f: func(x float64, th []float64) float64 { return binomialLogPMF(x, th[0], th[1]) },
			grad: func(x float64, th, g []float64) float64 {
				g[0], g[1] = 0, 0
				if isCount(x) && x <= th[0] {
					g[1] = x - th[0]*sigmoid(th[1])
				}
				return 0
			}},
		sample: func(th []float64, rnd *rand.Rand) float64 {
			p := sigmoid(th[1])
			if th[0] == 0 || p == 0 {
				return 0
			}
			if p == 1 {
				return th[0]
			}
			return distuv.Binomial{N: th[0], P: p, Src: rnd}.Rand()
		},
		mean:     func(th []float64) float64 { return th[0] * sigmoid(th[1]) },
		variance: func(th []float64) float64 { return th[0] * sigmoid(th[1]) * sigmoid(-th[1]) },
		entropy: func(th []float64) float64 {
			return discreteEntropy(func(k float64) float64 { return binomialLogPMF(k, th[0], th[1]) }, th[0]*sigmoid(th[1]), th[0])
		},
	}
}

// Dim returns the event dimension.
func (d Binomial) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d Binomial) Len() int { n, _ := d.fam().shape(); return n }

// Support returns IntegerInterval(0, N). It panics if the elements of
// TotalCount differ (the support is one set for every coordinate).
func (d Binomial) Support() Support {
	d.fam().shape()
	n, ok := sameValue(d.TotalCount)
	if !ok {
		panic("dist: Binomial.Support: TotalCount differs between coordinates, so the support is not one integer interval")
	}
	return IntegerInterval(0, n)
}

// LogProb stores Σ_j log C(N, k) + k·l − N·softplus(l) in dst.
func (d Binomial) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-masses differentiable with respect to Logits.
func (d Binomial) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d Binomial) Detach() Differentiable {
	p := detachAll(d.TotalCount, d.Logits)
	return Binomial{p[0], p[1]}
}

// Sample fills dst with draws (gonum's distuv.Binomial sampler on rnd).
func (d Binomial) Sample(dst *mat.Dense, rnd *rand.Rand) { d.fam().sampleInto(dst, rnd) }

// Entropy stores the entropy per member in dst, summed over the support.
func (d Binomial) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores N·σ(l) in dst.
func (d Binomial) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores N·σ(l)·σ(−l) in dst.
func (d Binomial) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// Geometric is the number of failures before the first success, with
// success probability p = σ(Logits) per coordinate: P(k) = (1 − p)ᵏp.
type Geometric struct {
	Logits mat.Matrix
}

func geometricLogPMF(k, l float64) float64 {
	if !isCount(k) {
		return negInf
	}
	// k log(1 − p) + log p = −k·softplus(l) − softplus(−l).
	return -k*logspace.Softplus(l) - logspace.Softplus(-l)
}

func (d Geometric) fam() family {
	return family{
		coordwise: coordwise{name: "Geometric", params: []mat.Matrix{d.Logits},
			f: func(x float64, th []float64) float64 { return geometricLogPMF(x, th[0]) },
			grad: func(x float64, th, g []float64) float64 {
				g[0] = 0
				if isCount(x) {
					g[0] = -x*sigmoid(th[0]) + sigmoid(-th[0])
				}
				return 0
			}},
		// ⌊E/softplus(l)⌋ with E standard exponential: P(K ≥ k) = (1 − p)ᵏ.
		sample: func(th []float64, rnd *rand.Rand) float64 {
			return math.Floor(rnd.ExpFloat64() / logspace.Softplus(th[0]))
		},
		mean:     func(th []float64) float64 { return math.Exp(-th[0]) },
		variance: func(th []float64) float64 { e := math.Exp(-th[0]); return e * (1 + e) },
		entropy: func(th []float64) float64 {
			// (−(1 − p) log(1 − p) − p log p)/p.
			l := th[0]
			p, q := sigmoid(l), sigmoid(-l)
			return (q*logspace.Softplus(l) + p*logspace.Softplus(-l)) / p
		},
	}
}

// Dim returns the event dimension.
func (d Geometric) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d Geometric) Len() int { n, _ := d.fam().shape(); return n }

// Support returns NonNegativeInteger.
func (d Geometric) Support() Support { return NonNegativeInteger }

// LogProb stores Σ_j −k·softplus(l) − softplus(−l) in dst.
func (d Geometric) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-masses differentiable with respect to Logits.
func (d Geometric) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with the gradient of Logits stopped.
func (d Geometric) Detach() Differentiable { return Geometric{detachAll(d.Logits)[0]} }

// Sample fills dst with draws ⌊E/softplus(l)⌋, E = rnd.ExpFloat64().
func (d Geometric) Sample(dst *mat.Dense, rnd *rand.Rand) { d.fam().sampleInto(dst, rnd) }

// Entropy stores Σ_j (−(1 − p) log(1 − p) − p log p)/p per member in dst.
func (d Geometric) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores (1 − p)/p = e^{−l} in dst.
func (d Geometric) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores (1 − p)/p² in dst.
func (d Geometric) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// NegativeBinomial is the number of successes before TotalCount (r > 0,
// real) failures, with success probability p = σ(Logits) per coordinate,
// as in Pyro: P(k) = Γ(k + r)/(k! Γ(r)) · pᵏ(1 − p)ʳ. It is the
// Gamma–Poisson mixture with rate ~ Gamma(r, (1 − p)/p), which is how it is
// sampled.
type NegativeBinomial struct {
	TotalCount, Logits mat.Matrix
}

func negBinLogPMF(k, r, l float64) float64 {
	if !isCount(k) {
		return negInf
	}
	return lgamma(k+r) - lgamma(k+1) - lgamma(r) - k*logspace.Softplus(-l) - r*logspace.Softplus(l)
}

func (d NegativeBinomial) fam() family {
	return family{
		coordwise: coordwise{name: "NegativeBinomial", params: []mat.Matrix{d.TotalCount, d.Logits},
			f: func(x float64, th []float64) float64 { return negBinLogPMF(x, th[0], th[1]) },
			grad: func(x float64, th, g []float64) float64 {
				g[0], g[1] = 0, 0
				if isCount(x) {
					r, l := th[0], th[1]
					g[0] = mathext.Digamma(x+r) - mathext.Digamma(r) - logspace.Softplus(l)
					g[1] = x*sigmoid(-l) - r*sigmoid(l)
				}
				return 0
			}},
		sample: func(th []float64, rnd *rand.Rand) float64 {
			// λ ~ Gamma(r, rate e^{−l}), i.e. λ = X·e^{l}.
			lam := stdGamma(th[0], rnd) * math.Exp(th[1])
			if lam == 0 {
				return 0
			}
			return distuv.Poisson{Lambda: lam, Src: rnd}.Rand()
		},
		mean:     func(th []float64) float64 { return th[0] * math.Exp(th[1]) },
		variance: func(th []float64) float64 { e := math.Exp(th[1]); return th[0] * e * (1 + e) },
		entropy: func(th []float64) float64 {
			return discreteEntropy(func(k float64) float64 { return negBinLogPMF(k, th[0], th[1]) }, th[0]*math.Exp(th[1]), math.Inf(1))
		},
	}
}

// Dim returns the event dimension.
func (d NegativeBinomial) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d NegativeBinomial) Len() int { n, _ := d.fam().shape(); return n }

// Support returns NonNegativeInteger.
func (d NegativeBinomial) Support() Support { return NonNegativeInteger }

// LogProb stores the log-masses in dst.
func (d NegativeBinomial) LogProb(dst []float64, x mat.Matrix) []float64 {
	return d.fam().logProb(dst, x)
}

// LogProbVar returns the log-masses differentiable with respect to
// TotalCount and Logits.
func (d NegativeBinomial) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d NegativeBinomial) Detach() Differentiable {
	p := detachAll(d.TotalCount, d.Logits)
	return NegativeBinomial{p[0], p[1]}
}

// Sample fills dst with Gamma–Poisson draws from rnd.
func (d NegativeBinomial) Sample(dst *mat.Dense, rnd *rand.Rand) { d.fam().sampleInto(dst, rnd) }

// Entropy stores the entropy per member in dst, summed over the support
// numerically; the cost grows with the spread of the distribution.
func (d NegativeBinomial) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores r·p/(1 − p) = r·e^{l} in dst.
func (d NegativeBinomial) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores r·p/(1 − p)² in dst.
func (d NegativeBinomial) Variance(dst *mat.Dense) {
	f := d.fam()
	f.moment("Variance", dst, f.variance)
}
