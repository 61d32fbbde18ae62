package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"

	"github.com/vitool/vitool/ad"
)

// The gamma-based families: Gamma, InverseGamma, Beta and StudentT (and
// Dirichlet, in dirichlet.go) draw through standard gamma variates, and
// their RSampleVar is differentiable with respect to every parameter by
// implicit reparameterisation (see stdGammaDx). Parameters broadcast as
// Normal's do and must be positive; values are not checked.

var (
	_ Reparameterizer = Gamma{}
	_ Reparameterizer = InverseGamma{}
	_ Reparameterizer = Beta{}
	_ Reparameterizer = StudentT{}
	_ Entropier       = Gamma{}
	_ Supporter       = Gamma{}
)

// Gamma is the gamma distribution with shape Concentration (α) and Rate (β)
// per coordinate: density βᵅ x^{α−1} e^{−βx}/Γ(α) on x > 0.
type Gamma struct {
	Concentration, Rate mat.Matrix
}

func (d Gamma) fam() family {
	return family{
		coordwise: coordwise{name: "Gamma", params: []mat.Matrix{d.Concentration, d.Rate},
			f: func(x float64, th []float64) float64 {
				if x < 0 {
					return negInf
				}
				a, b := th[0], th[1]
				if x == 0 {
					// The density at 0 is 0, β, or +∞ for α >, =, < 1.
					return xlogy(a-1, 0) + math.Log(b)*a - lgamma(a)
				}
				return a*math.Log(b) + (a-1)*math.Log(x) - b*x - lgamma(a)
			},
			grad: func(x float64, th, g []float64) float64 {
				if !(x > 0) {
					g[0], g[1] = 0, 0
					return 0
				}
				a, b := th[0], th[1]
				g[0], g[1] = math.Log(b)+math.Log(x)-mathext.Digamma(a), a/b-x
				return (a-1)/x - b
			}},
		mean:     func(th []float64) float64 { return th[0] / th[1] },
		variance: func(th []float64) float64 { return th[0] / (th[1] * th[1]) },
		entropy: func(th []float64) float64 {
			a := th[0]
			return a - math.Log(th[1]) + lgamma(a) + (1-a)*mathext.Digamma(a)
		},
	}
}

// xlogy is x·log y with 0·log 0 = 0.
func xlogy(x, y float64) float64 {
	if x == 0 {
		return 0
	}
	return x * math.Log(y)
}

// Dim returns the event dimension.
func (d Gamma) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d Gamma) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Positive.
func (d Gamma) Support() Support { return Positive }

// LogProb stores Σ_j α log β + (α − 1) log x − βx − log Γ(α) (−Inf for
// x < 0) in dst.
func (d Gamma) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to x,
// Concentration and Rate.
func (d Gamma) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d Gamma) Detach() Differentiable {
	p := detachAll(d.Concentration, d.Rate)
	return Gamma{p[0], p[1]}
}

// RSampleVar returns n draws X/β, X ~ Gamma(α, 1), differentiable with
// respect to α by implicit reparameterisation and to β directly.
func (d Gamma) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	b, c := d.fam().shape()
	p := liftAll(d.Concentration, d.Rate)
	return ad.Div(stdGammaVar(p[0], drawRows("Gamma", n, b), c, rnd), p[1])
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d Gamma) Sample(dst *mat.Dense, rnd *rand.Rand) { d.fam().sampleFromVar(dst, rnd, d.RSampleVar) }

// Entropy stores Σ_j α − log β + log Γ(α) + (1 − α)ψ(α) per member in dst.
func (d Gamma) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores α/β in dst.
func (d Gamma) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores α/β² in dst.
func (d Gamma) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// InverseGamma is the distribution of 1/X, X ~ Gamma(Concentration, Rate),
// per coordinate: density βᵅ x^{−α−1} e^{−β/x}/Γ(α) on x > 0.
type InverseGamma struct {
	Concentration, Rate mat.Matrix
}

func (d InverseGamma) fam() family {
	return family{
		coordwise: coordwise{name: "InverseGamma", params: []mat.Matrix{d.Concentration, d.Rate},
			f: func(x float64, th []float64) float64 {
				if !(x > 0) {
					return negInf
				}
				a, b := th[0], th[1]
				return a*math.Log(b) - lgamma(a) - (a+1)*math.Log(x) - b/x
			},
			grad: func(x float64, th, g []float64) float64 {
				if !(x > 0) {
					g[0], g[1] = 0, 0
					return 0
				}
				a, b := th[0], th[1]
				g[0], g[1] = math.Log(b)-mathext.Digamma(a)-math.Log(x), a/b-1/x
				return -(a+1)/x + b/(x*x)
			}},
		mean: func(th []float64) float64 {
			if th[0] <= 1 {
				return math.Inf(1)
			}
			return th[1] / (th[0] - 1)
		},
		variance: func(th []float64) float64 {
			if th[0] <= 2 {
				return math.Inf(1)
			}
			a1 := th[0] - 1
			return th[1] * th[1] / (a1 * a1 * (th[0] - 2))
		},
		entropy: func(th []float64) float64 {
			a := th[0]
			return a + math.Log(th[1]) + lgamma(a) - (1+a)*mathext.Digamma(a)
		},
	}
}

// Dim returns the event dimension.
func (d InverseGamma) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d InverseGamma) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Positive.
func (d InverseGamma) Support() Support { return Positive }

// LogProb stores Σ_j α log β − log Γ(α) − (α + 1) log x − β/x (−Inf for
// x ≤ 0) in dst.
func (d InverseGamma) LogProb(dst []float64, x mat.Matrix) []float64 {
	return d.fam().logProb(dst, x)
}

// LogProbVar returns the log-densities differentiable with respect to x,
// Concentration and Rate.
func (d InverseGamma) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d InverseGamma) Detach() Differentiable {
	p := detachAll(d.Concentration, d.Rate)
	return InverseGamma{p[0], p[1]}
}

// RSampleVar returns n draws β/X, X ~ Gamma(α, 1), differentiable by
// implicit reparameterisation.
func (d InverseGamma) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	b, c := d.fam().shape()
	p := liftAll(d.Concentration, d.Rate)
	return ad.Div(p[1], stdGammaVar(p[0], drawRows("InverseGamma", n, b), c, rnd))
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d InverseGamma) Sample(dst *mat.Dense, rnd *rand.Rand) {
	d.fam().sampleFromVar(dst, rnd, d.RSampleVar)
}

// Entropy stores Σ_j α + log β + log Γ(α) − (1 + α)ψ(α) per member in dst.
func (d InverseGamma) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores β/(α − 1) in dst (+Inf for α ≤ 1).
func (d InverseGamma) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores β²/((α − 1)²(α − 2)) in dst (+Inf for α ≤ 2).
func (d InverseGamma) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// Beta is the beta distribution on [0, 1] per coordinate with
// Concentration1 = α (the exponent of x) and Concentration0 = β (of 1 − x),
// Pyro's names: density x^{α−1}(1 − x)^{β−1}/B(α, β).
type Beta struct {
	Concentration1, Concentration0 mat.Matrix
}

// lbeta is log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b).
func lbeta(a, b float64) float64 { return lgamma(a) + lgamma(b) - lgamma(a+b) }

func (d Beta) fam() family {
	return family{
		coordwise: coordwise{name: "Beta", params: []mat.Matrix{d.Concentration1, d.Concentration0},
			f: func(x float64, th []float64) float64 {
				if x < 0 || x > 1 {
					return negInf
				}
				a, b := th[0], th[1]
				return xlogy(a-1, x) + xlog1py(b-1, -x) - lbeta(a, b)
			},
			grad: func(x float64, th, g []float64) float64 {
				if !(x > 0 && x < 1) {
					g[0], g[1] = 0, 0
					return 0
				}
				a, b := th[0], th[1]
				s := mathext.Digamma(a + b)
				g[0], g[1] = math.Log(x)-mathext.Digamma(a)+s, math.Log1p(-x)-mathext.Digamma(b)+s
				return (a-1)/x - (b-1)/(1-x)
			}},
		mean: func(th []float64) float64 { return th[0] / (th[0] + th[1]) },
		variance: func(th []float64) float64 {
			s := th[0] + th[1]
			return th[0] * th[1] / (s * s * (s + 1))
		},
		entropy: func(th []float64) float64 {
			a, b := th[0], th[1]
			return lbeta(a, b) - (a-1)*mathext.Digamma(a) - (b-1)*mathext.Digamma(b) + (a+b-2)*mathext.Digamma(a+b)
		},
	}
}

// xlog1py is x·log1p(y) with 0·log 0 = 0.
func xlog1py(x, y float64) float64 {
	if x == 0 {
		return 0
	}
	return x * math.Log1p(y)
}

// Dim returns the event dimension.
func (d Beta) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d Beta) Len() int { n, _ := d.fam().shape(); return n }

// Support returns UnitInterval.
func (d Beta) Support() Support { return UnitInterval }

// LogProb stores Σ_j (α − 1) log x + (β − 1) log1p(−x) − log B(α, β) (−Inf
// outside [0, 1]) in dst.
func (d Beta) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to x
// and both concentrations.
func (d Beta) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d Beta) Detach() Differentiable {
	p := detachAll(d.Concentration1, d.Concentration0)
	return Beta{p[0], p[1]}
}

// RSampleVar returns n draws X/(X + Y), X ~ Gamma(α, 1) and Y ~ Gamma(β, 1)
// drawn alternately per coordinate, differentiable with respect to both
// concentrations by implicit reparameterisation of the two gamma draws.
func (d Beta) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	b, c := d.fam().shape()
	n = drawRows("Beta", n, b)
	p := liftAll(d.Concentration1, d.Concentration0)
	// One gamma pair per coordinate: the concentrations side by side,
	// broadcast to n×c each, drawn as one n×2c matrix.
	z := ad.Const(n, c, nil)
	both := stdGammaVar(ad.ConcatCols(ad.Add(p[0], z), ad.Add(p[1], z)), n, 2*c, rnd)
	x, y := ad.SliceCols(both, 0, c), ad.SliceCols(both, c, 2*c)
	return ad.Div(x, ad.Add(x, y))
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d Beta) Sample(dst *mat.Dense, rnd *rand.Rand) { d.fam().sampleFromVar(dst, rnd, d.RSampleVar) }

// Entropy stores the differential entropy per member in dst.
func (d Beta) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores α/(α + β) in dst.
func (d Beta) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores αβ/((α + β)²(α + β + 1)) in dst.
func (d Beta) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// lgammaHalfRatio returns log Γ(x + ½) − log Γ(x), by its asymptotic
// series ½ log x − 1/(8x) + 1/(192x³) − 1/(640x⁵) + 17/(14336x⁷) for x ≥ 30
// (where the difference of two large log-gammas would lose digits; the
// truncation error is below 10⁻¹⁶ there) and directly otherwise.
func lgammaHalfRatio(x float64) float64 {
	if x < 30 {
		return lgamma(x+0.5) - lgamma(x)
	}
	r := 1 / x
	r2 := r * r
	return 0.5*math.Log(x) - r/8 + r*r2*(1.0/192+r2*(-1.0/640+r2*17.0/14336))
}

// StudentT is Student's t distribution with Df degrees of freedom (ν),
// location Loc and scale Scale per coordinate.
type StudentT struct {
	Df, Loc, Scale mat.Matrix
}

func (d StudentT) fam() family {
	return family{
		coordwise: coordwise{name: "StudentT", params: []mat.Matrix{d.Df, d.Loc, d.Scale},
			f: func(x float64, th []float64) float64 {
				nu, s := th[0], th[2]
				z := (x - th[1]) / s
				return lgammaHalfRatio(nu/2) - 0.5*math.Log(nu*math.Pi) - math.Log(s) - (nu+1)/2*math.Log1p(z*z/nu)
			},
			grad: func(x float64, th, g []float64) float64 {
				nu, s := th[0], th[2]
				z := (x - th[1]) / s
				w := (nu + 1) * z / (s * (nu + z*z))
				g[0] = 0.5*(mathext.Digamma((nu+1)/2)-mathext.Digamma(nu/2)) - 0.5/nu -
					0.5*math.Log1p(z*z/nu) + (nu+1)/2*z*z/(nu*(nu+z*z))
				g[1] = w
				g[2] = (-1 + (nu+1)*z*z/(nu+z*z)) / s
				return -w
			}},
		mean: func(th []float64) float64 {
			if th[0] <= 1 {
				return math.NaN()
			}
			return th[1]
		},
		variance: func(th []float64) float64 {
			switch nu := th[0]; {
			case nu > 2:
				return th[2] * th[2] * nu / (nu - 2)
			case nu > 1:
				return math.Inf(1)
			}
			return math.NaN()
		},
		entropy: func(th []float64) float64 {
			nu := th[0]
			// log B(ν/2, ½) = log Γ(½) − (log Γ((ν+1)/2) − log Γ(ν/2)).
			return (nu+1)/2*(mathext.Digamma((nu+1)/2)-mathext.Digamma(nu/2)) + 0.5*math.Log(nu) + 0.5*math.Log(math.Pi) - lgammaHalfRatio(nu/2) + math.Log(th[2])
		},
	}
}

// Dim returns the event dimension.
func (d StudentT) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d StudentT) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Real.
func (d StudentT) Support() Support { return Real }

// LogProb stores the log-densities in dst.
func (d StudentT) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to x,
// Df, Loc and Scale.
func (d StudentT) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d StudentT) Detach() Differentiable {
	p := detachAll(d.Df, d.Loc, d.Scale)
	return StudentT{p[0], p[1], p[2]}
}

// RSampleVar returns n draws μ + σ·ε·√(ν/(2G)), ε ~ N(0, 1) and
// G ~ Gamma(ν/2, 1) drawn alternately per coordinate (2G is χ²_ν),
// differentiable with respect to Df by implicit reparameterisation.
func (d StudentT) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	b, c := d.fam().shape()
	n = drawRows("StudentT", n, b)
	p := liftAll(d.Df, d.Loc, d.Scale)
	nu := ad.Add(p[0], ad.Const(n, c, nil))
	half := ad.Scale(nu, 0.5)
	hv := viewOf(half)
	eps := ad.Const(n, c, nil)
	gs := make([]float64, n*c)
	for k := range gs {
		eps.Data[k] = rnd.NormFloat64()
		gs[k] = stdGamma(hv.data[k], rnd)
	}
	g := ad.Custom(n, c, gs, []*ad.Var{half}, func(gr []float64, grads [][]float64) {
		for k, v := range gr {
			grads[0][k] += v * stdGammaDx(hv.data[k], gs[k])
		}
	})
	t := ad.Mul(eps, ad.Sqrt(ad.Div(half, g)))
	return ad.Add(p[1], ad.Mul(p[2], t))
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d StudentT) Sample(dst *mat.Dense, rnd *rand.Rand) {
	d.fam().sampleFromVar(dst, rnd, d.RSampleVar)
}

// Entropy stores the differential entropy per member in dst.
func (d StudentT) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores μ in dst (NaN for ν ≤ 1).
func (d StudentT) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores σ²ν/(ν − 2) in dst (+Inf for 1 < ν ≤ 2, NaN for ν ≤ 1).
func (d StudentT) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }
