package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Normal is a batch of diagonal Gaussians N(Loc_i, diag(exp(LogScale_i))²).
//
// Loc and LogScale broadcast against each other: each is n×d for a batch of
// n members, 1×d for one member shared by any number of rows, n×1 or 1×1
// for a value shared by the coordinates. Member i has mean Loc[i, ·] and
// standard deviations exp(LogScale[i, ·]). Each is a *mat.Dense, or an
// *ad.Var to differentiate log-densities and draws with respect to it (see
// LogProbVar and RSampleVar). The methods panic if a field is nil or empty
// or the shapes do not broadcast; Validate reports the same conditions as an
// error.
type Normal struct {
	Loc      mat.Matrix // n×d, 1×d, n×1 or 1×1
	LogScale mat.Matrix // broadcast against Loc
}

var (
	_ Reparameterizer = Normal{}
	_ Entropier       = Normal{}
)

func (nd Normal) coord() coordwise {
	return coordwise{name: "Normal", params: []mat.Matrix{nd.Loc, nd.LogScale}, f: normalLogPDF, grad: normalGrad}
}

// normalLogPDF is the log-density of one coordinate, th = (μ, log σ).
func normalLogPDF(x float64, th []float64) float64 {
	z := (x - th[0]) * math.Exp(-th[1])
	if math.IsInf(math.Exp(-th[1]), 1) {
		z = scaled(x-th[0], th[1])
	}
	return -0.5*z*z - th[1] - halfLog2Pi
}

// normalGrad stores ∂/∂μ = z/σ and ∂/∂log σ = z² − 1 and returns
// ∂/∂x = −z/σ.
func normalGrad(x float64, th, g []float64) float64 {
	inv := math.Exp(-th[1])
	z := (x - th[0]) * inv
	g[0], g[1] = z*inv, z*z-1
	return -z * inv
}

// Validate returns an error if Loc or LogScale is nil or empty or if their
// shapes do not broadcast.
func (nd Normal) Validate() error {
	if nd.Loc == nil || nd.LogScale == nil {
		return fmt.Errorf("dist: Normal: nil Loc or LogScale")
	}
	return nd.coord().validate()
}

// dims returns the batch size and event dimension, panicking on an invalid
// Normal.
func (nd Normal) dims() (n, d int) {
	if err := nd.Validate(); err != nil {
		panic(err.Error())
	}
	return nd.coord().shape()
}

// sameShape reports whether Loc and LogScale have the same shape (the fast
// paths).
func (nd Normal) sameShape() bool {
	lr, lc := nd.Loc.Dims()
	sr, sc := nd.LogScale.Dims()
	return lr == sr && lc == sc
}

// Support returns Real.
func (nd Normal) Support() Support { return Real }

// Dim returns the event dimension, the broadcast number of columns.
func (nd Normal) Dim() int { _, d := nd.dims(); return d }

// Len returns the batch size, the broadcast number of rows.
func (nd Normal) Len() int { n, _ := nd.dims(); return n }

// scaled returns diff·exp(-ls) for the case where exp(-ls) overflows.
func scaled(diff, ls float64) float64 {
	if diff == 0 {
		return 0
	}
	return math.Copysign(math.Exp(math.Log(math.Abs(diff))-ls), diff)
}

// LogProb stores in dst[i] the log density of row i of x,
//
//	Σ_j −(x_ij − μ_ij)²/(2σ_ij²) − log σ_ij − log(2π)/2,
//
// and returns dst. See LogProber for the shape rules.
func (nd Normal) LogProb(dst []float64, x mat.Matrix) []float64 {
	n, d := nd.dims()
	if !nd.sameShape() {
		return nd.coord().logProb(dst, x)
	}
	xr, dst := checkLogProbArgs("Normal", dst, x, n, d)
	loc, ls := rawOf(nd.Loc), rawOf(nd.LogScale)
	if n == 1 {
		mu, lsr := rowOf(loc, 0), rowOf(ls, 0)
		inv := make([]float64, d)
		c := -float64(d) * halfLog2Pi
		for j, l := range lsr {
			inv[j] = math.Exp(-l)
			c -= l
		}
		for i := range dst {
			xi := rowOf(xr, i)
			var s float64
			for j, v := range xi {
				z := (v - mu[j]) * inv[j]
				if inv[j] > math.MaxFloat64 {
					z = scaled(v-mu[j], lsr[j])
				}
				s += z * z
			}
			dst[i] = c - 0.5*s
		}
		return dst
	}
	c0 := -float64(d) * halfLog2Pi
	for i := range dst {
		xi, mu, lsr := rowOf(xr, i), rowOf(loc, i), rowOf(ls, i)
		var s, sl float64
		for j, v := range xi {
			inv := math.Exp(-lsr[j])
			z := (v - mu[j]) * inv
			if inv > math.MaxFloat64 {
				z = scaled(v-mu[j], lsr[j])
			}
			s += z * z
			sl += lsr[j]
		}
		dst[i] = c0 - sl - 0.5*s
	}
	return dst
}

// Sample fills dst with draws μ + σ·ε, ε ~ N(0, I), taking the normal
// variates from rnd in row-major order; it consumes rnd exactly as RSample
// does. An empty dst is resized to Len()×Dim(). See Sampler for the shape
// rules.
func (nd Normal) Sample(dst *mat.Dense, rnd *rand.Rand) {
	n, d := nd.dims()
	g := prepareDst("Normal", "Sample", dst, n, d)
	fillNormal(g, rnd)
	nd.Transform(dst, dst)
}

// Transform stores μ + exp(LogScale)·eps in dst, element by element. eps must
// have the shape of dst and may be dst itself. An empty dst is resized to the
// shape of eps.
func (nd Normal) Transform(dst *mat.Dense, eps mat.Matrix) {
	n, d := nd.dims()
	if dst != nil && dst.IsEmpty() {
		dst.ReuseAs(eps.Dims())
	}
	g := prepareDst("Normal", "Transform", dst, n, d)
	e := checkTransformArgs("Normal", g, eps)
	mu, ls := viewOf(nd.Loc), viewOf(nd.LogScale)
	for i := 0; i < g.Rows; i++ {
		zi, ei := rowOf(g, i), rowOf(e, i)
		for j, v := range ei {
			zi[j] = mu.data[i*mu.rs+j*mu.cs] + math.Exp(ls.data[i*ls.rs+j*ls.cs])*v
		}
	}
}

// RSample draws standard-normal noise into eps and stores μ + σ·eps in dst.
// Empty dst and eps are resized to Len()×Dim(); otherwise eps must have the
// shape of dst.
func (nd Normal) RSample(dst, eps *mat.Dense, rnd *rand.Rand) {
	n, d := nd.dims()
	prepareDst("Normal", "RSample", dst, n, d)
	fillNormal(prepareEps("Normal", dst, eps), rnd)
	nd.Transform(dst, eps)
}

// Entropy stores in dst[i] the differential entropy of member i,
// Σ_j log σ_ij + d(1 + log 2π)/2, and returns dst.
func (nd Normal) Entropy(dst []float64) []float64 {
	n, d := nd.dims()
	dst = entropyDst("Normal", dst, n)
	ls := viewOf(nd.LogScale)
	c := float64(d) * (0.5 + halfLog2Pi)
	for i := range dst {
		s := c
		for j := range d {
			s += ls.data[i*ls.rs+j*ls.cs]
		}
		dst[i] = s
	}
	return dst
}

// Mean stores the mean of each member (a copy of Loc) in dst. An empty dst
// is resized to Len()×Dim(); otherwise Mean panics if dst has another shape.
func (nd Normal) Mean(dst *mat.Dense) {
	n, d := nd.dims()
	if dst.IsEmpty() {
		dst.ReuseAs(n, d)
	}
	if r, c := dst.Dims(); r != n || c != d {
		panic(fmt.Sprintf("dist: Normal.Mean: dst is %d×%d, want %d×%d", r, c, n, d))
	}
	mu := viewOf(nd.Loc)
	for i := range n {
		for j := range d {
			dst.Set(i, j, mu.data[i*mu.rs+j*mu.cs])
		}
	}
}
