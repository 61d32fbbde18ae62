package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// The location-scale and one-parameter continuous families. Each parameter
// is a mat.Matrix that broadcasts as Normal's do (n×d, 1×d, n×1 or 1×1; a
// *mat.Dense, or an *ad.Var to differentiate log-densities and draws with
// respect to it). Scales and rates must be positive; the methods do not
// check values, and a non-positive scale gives NaN. They panic if a
// parameter is nil or empty or the shapes do not broadcast.

var (
	_ Reparameterizer = LogNormal{}
	_ Reparameterizer = HalfNormal{}
	_ Reparameterizer = Cauchy{}
	_ Reparameterizer = HalfCauchy{}
	_ Reparameterizer = Laplace{}
	_ Reparameterizer = Exponential{}
	_ Reparameterizer = Uniform{}
	_ Entropier       = LogNormal{}
	_ Supporter       = LogNormal{}
)

// LogNormal is the distribution of exp(Y), Y ~ N(Loc, Scale²), per
// coordinate: support positive.
type LogNormal struct {
	Loc, Scale mat.Matrix
}

func (d LogNormal) fam() family {
	return family{
		coordwise: coordwise{name: "LogNormal", params: []mat.Matrix{d.Loc, d.Scale},
			f: func(x float64, th []float64) float64 {
				if !(x > 0) {
					return negInf
				}
				lx := math.Log(x)
				z := (lx - th[0]) / th[1]
				return -0.5*z*z - math.Log(th[1]) - halfLog2Pi - lx
			},
			grad: func(x float64, th, g []float64) float64 {
				if !(x > 0) {
					g[0], g[1] = 0, 0
					return 0
				}
				z := (math.Log(x) - th[0]) / th[1]
				g[0], g[1] = z/th[1], (z*z-1)/th[1]
				return -(1 + z/th[1]) / x
			}},
		mean:     func(th []float64) float64 { return math.Exp(th[0] + th[1]*th[1]/2) },
		variance: func(th []float64) float64 { s2 := th[1] * th[1]; return math.Expm1(s2) * math.Exp(2*th[0]+s2) },
		entropy:  func(th []float64) float64 { return th[0] + 0.5 + math.Log(th[1]) + halfLog2Pi },
	}
}

// Dim returns the event dimension, the broadcast number of columns.
func (d LogNormal) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size, the broadcast number of rows.
func (d LogNormal) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Positive.
func (d LogNormal) Support() Support { return Positive }

// LogProb stores in dst[i] Σ_j log N(log x_ij; μ, σ²) − log x_ij (−Inf for
// x ≤ 0) and returns dst.
func (d LogNormal) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to x,
// Loc and Scale.
func (d LogNormal) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d LogNormal) Detach() Differentiable {
	p := detachAll(d.Loc, d.Scale)
	return LogNormal{p[0], p[1]}
}

// RSampleVar returns n draws exp(μ + σε), ε ~ N(0, I) in row-major order.
func (d LogNormal) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	eps := d.fam().noise(n, rnd.NormFloat64)
	p := liftAll(d.Loc, d.Scale)
	return ad.Exp(ad.Add(p[0], ad.Mul(p[1], eps)))
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d LogNormal) Sample(dst *mat.Dense, rnd *rand.Rand) {
	d.fam().sampleFromVar(dst, rnd, d.RSampleVar)
}

// Entropy stores Σ_j μ_j + ½ + log σ_j + log(2π)/2 per member in dst.
func (d LogNormal) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores exp(μ + σ²/2) in dst (resized if empty; Len()×Dim()).
func (d LogNormal) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores (exp(σ²) − 1)·exp(2μ + σ²) in dst.
func (d LogNormal) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// HalfNormal is |Y|, Y ~ N(0, Scale²), per coordinate: support positive
// (the density is finite at 0).
type HalfNormal struct {
	Scale mat.Matrix
}

// halfLog2OverPi is log(2/π)/2.
var halfLog2OverPi = 0.5 * math.Log(2/math.Pi)

func (d HalfNormal) fam() family {
	return family{
		coordwise: coordwise{name: "HalfNormal", params: []mat.Matrix{d.Scale},
			f: func(x float64, th []float64) float64 {
				if x < 0 {
					return negInf
				}
				z := x / th[0]
				return halfLog2OverPi - math.Log(th[0]) - 0.5*z*z
			},
			grad: func(x float64, th, g []float64) float64 {
				if x < 0 {
					g[0] = 0
					return 0
				}
				z := x / th[0]
				g[0] = (z*z - 1) / th[0]
				return -z / th[0]
			}},
		mean:     func(th []float64) float64 { return th[0] * math.Sqrt(2/math.Pi) },
		variance: func(th []float64) float64 { return th[0] * th[0] * (1 - 2/math.Pi) },
		entropy:  func(th []float64) float64 { return 0.5*math.Log(math.Pi/2) + math.Log(th[0]) + 0.5 },
	}
}

// Dim returns the event dimension.
func (d HalfNormal) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d HalfNormal) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Positive.
func (d HalfNormal) Support() Support { return Positive }

// LogProb stores Σ_j log(2/π)/2 − log σ − x²/(2σ²) (−Inf for x < 0) in dst.
func (d HalfNormal) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to x
// and Scale.
func (d HalfNormal) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with the gradient of Scale stopped.
func (d HalfNormal) Detach() Differentiable { return HalfNormal{detachAll(d.Scale)[0]} }

// RSampleVar returns n draws σ|ε|, ε ~ N(0, I).
func (d HalfNormal) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	eps := d.fam().noise(n, func() float64 { return math.Abs(rnd.NormFloat64()) })
	return ad.Mul(ad.Lift(d.Scale), eps)
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d HalfNormal) Sample(dst *mat.Dense, rnd *rand.Rand) {
	d.fam().sampleFromVar(dst, rnd, d.RSampleVar)
}

// Entropy stores Σ_j log(πσ²/2)/2 + ½ per member in dst.
func (d HalfNormal) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores σ√(2/π) in dst.
func (d HalfNormal) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores σ²(1 − 2/π) in dst.
func (d HalfNormal) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// Cauchy is the Cauchy (Lorentz) distribution per coordinate, with density
// 1/(πσ(1 + ((x − μ)/σ)²)). Its mean and variance do not exist: Mean
// stores NaN and Variance +Inf, as Pyro does.
type Cauchy struct {
	Loc, Scale mat.Matrix
}

func (d Cauchy) fam() family {
	return family{
		coordwise: coordwise{name: "Cauchy", params: []mat.Matrix{d.Loc, d.Scale},
			f: func(x float64, th []float64) float64 {
				z := (x - th[0]) / th[1]
				return -math.Log(math.Pi*th[1]) - math.Log1p(z*z)
			},
			grad: func(x float64, th, g []float64) float64 {
				z := (x - th[0]) / th[1]
				w := 2 * z / (th[1] * (1 + z*z))
				g[0], g[1] = w, (-1+2*z*z/(1+z*z))/th[1]
				return -w
			}},
		mean:     func([]float64) float64 { return math.NaN() },
		variance: func([]float64) float64 { return math.Inf(1) },
		entropy:  func(th []float64) float64 { return math.Log(4 * math.Pi * th[1]) },
	}
}

// Dim returns the event dimension.
func (d Cauchy) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d Cauchy) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Real.
func (d Cauchy) Support() Support { return Real }

// LogProb stores Σ_j −log(πσ) − log1p(z²), z = (x − μ)/σ, in dst.
func (d Cauchy) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to x,
// Loc and Scale.
func (d Cauchy) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d Cauchy) Detach() Differentiable {
	p := detachAll(d.Loc, d.Scale)
	return Cauchy{p[0], p[1]}
}

// cauchyNoise is tan(π(U − ½)), U uniform on (0, 1).
func cauchyNoise(rnd *rand.Rand) float64 { return math.Tan(math.Pi * (openUniform(rnd) - 0.5)) }

// RSampleVar returns n draws μ + σ·tan(π(U − ½)).
func (d Cauchy) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	eps := d.fam().noise(n, func() float64 { return cauchyNoise(rnd) })
	p := liftAll(d.Loc, d.Scale)
	return ad.Add(p[0], ad.Mul(p[1], eps))
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d Cauchy) Sample(dst *mat.Dense, rnd *rand.Rand) { d.fam().sampleFromVar(dst, rnd, d.RSampleVar) }

// Entropy stores Σ_j log(4πσ_j) per member in dst.
func (d Cauchy) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores NaN in dst: the mean does not exist.
func (d Cauchy) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores +Inf in dst.
func (d Cauchy) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// HalfCauchy is |Y|, Y ~ Cauchy(0, Scale), per coordinate: support
// positive. Its mean and variance are infinite.
type HalfCauchy struct {
	Scale mat.Matrix
}

func (d HalfCauchy) fam() family {
	return family{
		coordwise: coordwise{name: "HalfCauchy", params: []mat.Matrix{d.Scale},
			f: func(x float64, th []float64) float64 {
				if x < 0 {
					return negInf
				}
				z := x / th[0]
				return math.Log(2/(math.Pi*th[0])) - math.Log1p(z*z)
			},
			grad: func(x float64, th, g []float64) float64 {
				if x < 0 {
					g[0] = 0
					return 0
				}
				z := x / th[0]
				g[0] = (-1 + 2*z*z/(1+z*z)) / th[0]
				return -2 * z / (th[0] * (1 + z*z))
			}},
		mean:     func([]float64) float64 { return math.Inf(1) },
		variance: func([]float64) float64 { return math.Inf(1) },
		entropy:  func(th []float64) float64 { return math.Log(2 * math.Pi * th[0]) },
	}
}

// Dim returns the event dimension.
func (d HalfCauchy) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d HalfCauchy) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Positive.
func (d HalfCauchy) Support() Support { return Positive }

// LogProb stores Σ_j log(2/(πσ)) − log1p((x/σ)²) (−Inf for x < 0) in dst.
func (d HalfCauchy) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to x
// and Scale.
func (d HalfCauchy) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with the gradient of Scale stopped.
func (d HalfCauchy) Detach() Differentiable { return HalfCauchy{detachAll(d.Scale)[0]} }

// RSampleVar returns n draws σ·|tan(π(U − ½))|.
func (d HalfCauchy) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	eps := d.fam().noise(n, func() float64 { return math.Abs(cauchyNoise(rnd)) })
	return ad.Mul(ad.Lift(d.Scale), eps)
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d HalfCauchy) Sample(dst *mat.Dense, rnd *rand.Rand) {
	d.fam().sampleFromVar(dst, rnd, d.RSampleVar)
}

// Entropy stores Σ_j log(2πσ_j) per member in dst.
func (d HalfCauchy) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores +Inf in dst.
func (d HalfCauchy) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores +Inf in dst.
func (d HalfCauchy) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// Laplace is the double-exponential distribution per coordinate, with
// density exp(−|x − μ|/b)/(2b).
type Laplace struct {
	Loc, Scale mat.Matrix
}

func (d Laplace) fam() family {
	return family{
		coordwise: coordwise{name: "Laplace", params: []mat.Matrix{d.Loc, d.Scale},
			f: func(x float64, th []float64) float64 {
				return -math.Log(2*th[1]) - math.Abs(x-th[0])/th[1]
			},
			grad: func(x float64, th, g []float64) float64 {
				s := sign(x - th[0])
				g[0], g[1] = s/th[1], (-1+math.Abs(x-th[0])/th[1])/th[1]
				return -s / th[1]
			}},
		mean:     func(th []float64) float64 { return th[0] },
		variance: func(th []float64) float64 { return 2 * th[1] * th[1] },
		entropy:  func(th []float64) float64 { return 1 + math.Log(2*th[1]) },
	}
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// Dim returns the event dimension.
func (d Laplace) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d Laplace) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Real.
func (d Laplace) Support() Support { return Real }

// LogProb stores Σ_j −log(2b) − |x − μ|/b in dst.
func (d Laplace) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to x,
// Loc and Scale (the derivative at x = μ is taken as 0).
func (d Laplace) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d Laplace) Detach() Differentiable {
	p := detachAll(d.Loc, d.Scale)
	return Laplace{p[0], p[1]}
}

// laplaceNoise is −sgn(v)·log(1 − 2|v|), v = U − ½: a standard Laplace draw.
func laplaceNoise(rnd *rand.Rand) float64 {
	v := openUniform(rnd) - 0.5
	return -sign(v) * math.Log1p(-2*math.Abs(v))
}

// RSampleVar returns n draws μ + b·ε, ε standard Laplace by inversion.
func (d Laplace) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	eps := d.fam().noise(n, func() float64 { return laplaceNoise(rnd) })
	p := liftAll(d.Loc, d.Scale)
	return ad.Add(p[0], ad.Mul(p[1], eps))
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d Laplace) Sample(dst *mat.Dense, rnd *rand.Rand) {
	d.fam().sampleFromVar(dst, rnd, d.RSampleVar)
}

// Entropy stores Σ_j 1 + log(2b_j) per member in dst.
func (d Laplace) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores μ in dst.
func (d Laplace) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores 2b² in dst.
func (d Laplace) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// Exponential is the exponential distribution with the given Rate per
// coordinate: density λe^{−λx} on x ≥ 0.
type Exponential struct {
	Rate mat.Matrix
}

func (d Exponential) fam() family {
	return family{
		coordwise: coordwise{name: "Exponential", params: []mat.Matrix{d.Rate},
			f: func(x float64, th []float64) float64 {
				if x < 0 {
					return negInf
				}
				return math.Log(th[0]) - th[0]*x
			},
			grad: func(x float64, th, g []float64) float64 {
				if x < 0 {
					g[0] = 0
					return 0
				}
				g[0] = 1/th[0] - x
				return -th[0]
			}},
		mean:     func(th []float64) float64 { return 1 / th[0] },
		variance: func(th []float64) float64 { return 1 / (th[0] * th[0]) },
		entropy:  func(th []float64) float64 { return 1 - math.Log(th[0]) },
	}
}

// Dim returns the event dimension.
func (d Exponential) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d Exponential) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Positive.
func (d Exponential) Support() Support { return Positive }

// LogProb stores Σ_j log λ − λx (−Inf for x < 0) in dst.
func (d Exponential) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to x
// and Rate.
func (d Exponential) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with the gradient of Rate stopped.
func (d Exponential) Detach() Differentiable { return Exponential{detachAll(d.Rate)[0]} }

// RSampleVar returns n draws E/λ, E standard exponential (rnd.ExpFloat64).
func (d Exponential) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	eps := d.fam().noise(n, rnd.ExpFloat64)
	return ad.Div(eps, ad.Lift(d.Rate))
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d Exponential) Sample(dst *mat.Dense, rnd *rand.Rand) {
	d.fam().sampleFromVar(dst, rnd, d.RSampleVar)
}

// Entropy stores Σ_j 1 − log λ_j per member in dst.
func (d Exponential) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores 1/λ in dst.
func (d Exponential) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores 1/λ² in dst.
func (d Exponential) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }

// Uniform is the continuous uniform distribution on [Low, High] per
// coordinate (High > Low).
type Uniform struct {
	Low, High mat.Matrix
}

func (d Uniform) fam() family {
	return family{
		coordwise: coordwise{name: "Uniform", params: []mat.Matrix{d.Low, d.High},
			f: func(x float64, th []float64) float64 {
				if x < th[0] || x > th[1] {
					return negInf
				}
				return -math.Log(th[1] - th[0])
			},
			grad: func(x float64, th, g []float64) float64 {
				if x < th[0] || x > th[1] {
					g[0], g[1] = 0, 0
					return 0
				}
				w := 1 / (th[1] - th[0])
				g[0], g[1] = w, -w
				return 0
			}},
		mean:     func(th []float64) float64 { return (th[0] + th[1]) / 2 },
		variance: func(th []float64) float64 { w := th[1] - th[0]; return w * w / 12 },
		entropy:  func(th []float64) float64 { return math.Log(th[1] - th[0]) },
	}
}

// Dim returns the event dimension.
func (d Uniform) Dim() int { _, c := d.fam().shape(); return c }

// Len returns the batch size.
func (d Uniform) Len() int { n, _ := d.fam().shape(); return n }

// Support returns Interval(Low, High). A support is one set for every
// coordinate, so Support panics if the elements of Low, or of High, are
// not all equal (use a SigmoidTransform per coordinate instead).
func (d Uniform) Support() Support {
	d.fam().shape()
	lo, ok1 := sameValue(d.Low)
	hi, ok2 := sameValue(d.High)
	if !ok1 || !ok2 {
		panic("dist: Uniform.Support: the bounds differ between coordinates, so the support is not one interval")
	}
	return Interval(lo, hi)
}

// LogProb stores Σ_j −log(High − Low) (−Inf outside the bounds) in dst.
func (d Uniform) LogProb(dst []float64, x mat.Matrix) []float64 { return d.fam().logProb(dst, x) }

// LogProbVar returns the log-densities differentiable with respect to Low
// and High (the derivative with respect to x is zero).
func (d Uniform) LogProbVar(x *ad.Var) *ad.Var { return d.fam().logProbVar(x) }

// Detach returns d with its parameters' gradients stopped.
func (d Uniform) Detach() Differentiable {
	p := detachAll(d.Low, d.High)
	return Uniform{p[0], p[1]}
}

// RSampleVar returns n draws Low + (High − Low)·U, U uniform on (0, 1).
func (d Uniform) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	eps := d.fam().noise(n, func() float64 { return openUniform(rnd) })
	p := liftAll(d.Low, d.High)
	return ad.Add(p[0], ad.Mul(ad.Sub(p[1], p[0]), eps))
}

// Sample fills dst with draws, consuming rnd as RSampleVar does.
func (d Uniform) Sample(dst *mat.Dense, rnd *rand.Rand) {
	d.fam().sampleFromVar(dst, rnd, d.RSampleVar)
}

// Entropy stores Σ_j log(High_j − Low_j) per member in dst.
func (d Uniform) Entropy(dst []float64) []float64 { return d.fam().entropyOf(dst) }

// Mean stores (Low + High)/2 in dst.
func (d Uniform) Mean(dst *mat.Dense) { f := d.fam(); f.moment("Mean", dst, f.mean) }

// Variance stores (High − Low)²/12 in dst.
func (d Uniform) Variance(dst *mat.Dense) { f := d.fam(); f.moment("Variance", dst, f.variance) }
