package dist

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// StdNormal is the standard normal N(0, I_D), a single broadcast member
// (Len() == 1). The methods panic if D < 1.
type StdNormal struct {
	D int
}

var (
	_ Reparameterizer = StdNormal{}
	_ Entropier       = StdNormal{}
)

func (s StdNormal) check() int {
	if s.D < 1 {
		panic(fmt.Sprintf("dist: StdNormal: D = %d, want D ≥ 1", s.D))
	}
	return s.D
}

// Support returns Real.
func (s StdNormal) Support() Support { return Real }

// Dim returns D.
func (s StdNormal) Dim() int { return s.check() }

// Len returns 1.
func (s StdNormal) Len() int { s.check(); return 1 }

// LogProb stores in dst[i] the log density −‖x_i‖²/2 − D log(2π)/2 of row i of
// x and returns dst.
func (s StdNormal) LogProb(dst []float64, x mat.Matrix) []float64 {
	d := s.check()
	xr, dst := checkLogProbArgs("StdNormal", dst, x, 1, d)
	c := -float64(d) * halfLog2Pi
	for i := range dst {
		var ss float64
		for _, v := range rowOf(xr, i) {
			ss += v * v
		}
		dst[i] = c - 0.5*ss
	}
	return dst
}

// Sample fills dst with standard-normal draws from rnd in row-major order,
// consuming rnd exactly as RSample does. An empty dst is resized to 1×D.
func (s StdNormal) Sample(dst *mat.Dense, rnd *rand.Rand) {
	fillNormal(prepareDst("StdNormal", "Sample", dst, 1, s.check()), rnd)
}

// Transform copies eps into dst (the identity map). An empty dst is resized
// to the shape of eps; otherwise the shapes must agree.
func (s StdNormal) Transform(dst *mat.Dense, eps mat.Matrix) {
	d := s.check()
	if dst != nil && dst.IsEmpty() {
		dst.ReuseAs(eps.Dims())
	}
	g := prepareDst("StdNormal", "Transform", dst, 1, d)
	checkTransformArgs("StdNormal", g, eps)
	dst.Copy(eps)
}

// RSample draws standard-normal noise into eps and copies it into dst. Empty
// dst and eps are resized to 1×D; otherwise eps must have the shape of dst.
func (s StdNormal) RSample(dst, eps *mat.Dense, rnd *rand.Rand) {
	prepareDst("StdNormal", "RSample", dst, 1, s.check())
	fillNormal(prepareEps("StdNormal", dst, eps), rnd)
	dst.Copy(eps)
}

// Entropy stores D(1 + log 2π)/2 in dst[0] and returns dst.
func (s StdNormal) Entropy(dst []float64) []float64 {
	d := s.check()
	dst = entropyDst("StdNormal", dst, 1)
	dst[0] = float64(d) * (0.5 + halfLog2Pi)
	return dst
}
