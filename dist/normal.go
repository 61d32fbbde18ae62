package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Normal is a batch of diagonal Gaussians N(Loc_i, diag(exp(LogScale_i))²).
//
// Loc and LogScale have the same shape: n×d for a batch of n members, or 1×d
// for a single member broadcast to any number of rows. Member i has mean
// Loc[i, ·] and standard deviations exp(LogScale[i, ·]). The methods panic if
// either field is nil or the shapes differ; Validate reports the same
// conditions as an error.
type Normal struct {
	Loc      *mat.Dense // n×d or 1×d
	LogScale *mat.Dense // same shape as Loc
}

var (
	_ Reparameterizer = Normal{}
	_ Entropier       = Normal{}
)

// Validate returns an error if Loc or LogScale is nil or empty or if their
// shapes differ.
func (nd Normal) Validate() error {
	if nd.Loc == nil || nd.LogScale == nil || nd.Loc.IsEmpty() || nd.LogScale.IsEmpty() {
		return fmt.Errorf("dist: Normal: nil or empty Loc or LogScale")
	}
	lr, lc := nd.Loc.Dims()
	sr, sc := nd.LogScale.Dims()
	if lr != sr || lc != sc {
		return fmt.Errorf("dist: Normal: Loc is %d×%d but LogScale is %d×%d", lr, lc, sr, sc)
	}
	return nil
}

// dims returns the batch size and event dimension, panicking on an invalid
// Normal.
func (nd Normal) dims() (n, d int) {
	if err := nd.Validate(); err != nil {
		panic(err.Error())
	}
	return nd.Loc.Dims()
}

// Dim returns the number of columns of Loc.
func (nd Normal) Dim() int { _, d := nd.dims(); return d }

// Len returns the number of rows of Loc.
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
	xr, dst := checkLogProbArgs("Normal", dst, x, n, d)
	loc, ls := nd.Loc.RawMatrix(), nd.LogScale.RawMatrix()
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
	loc, ls := nd.Loc.RawMatrix(), nd.LogScale.RawMatrix()
	if n == 1 {
		mu, lsr := rowOf(loc, 0), rowOf(ls, 0)
		sigma := make([]float64, d)
		for j, l := range lsr {
			sigma[j] = math.Exp(l)
		}
		for i := 0; i < g.Rows; i++ {
			zi, ei := rowOf(g, i), rowOf(e, i)
			for j, v := range ei {
				zi[j] = mu[j] + sigma[j]*v
			}
		}
		return
	}
	for i := 0; i < g.Rows; i++ {
		zi, ei, mu, lsr := rowOf(g, i), rowOf(e, i), rowOf(loc, i), rowOf(ls, i)
		for j, v := range ei {
			zi[j] = mu[j] + math.Exp(lsr[j])*v
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
	ls := nd.LogScale.RawMatrix()
	c := float64(d) * (0.5 + halfLog2Pi)
	for i := range dst {
		s := c
		for _, l := range rowOf(ls, i) {
			s += l
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
	dst.Copy(nd.Loc)
}
