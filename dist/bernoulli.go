package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/internal/logspace"
)

// Bernoulli is a batch of vectors of independent Bernoulli coordinates,
// parameterised by logits: P(x_ij = 1) = σ(Logits[i, j]).
//
// Logits is n×d for a batch of n members or 1×d for one member broadcast to
// any number of rows. The methods panic if Logits is nil or empty. Bernoulli is
// not reparameterisable.
type Bernoulli struct {
	Logits mat.Matrix // n×d or 1×d: a *mat.Dense, or an *ad.Var to differentiate
}

var (
	_ Distribution = Bernoulli{}
	_ Enumerator   = Bernoulli{}
	_ Entropier    = Bernoulli{}
)

func (b Bernoulli) dims() (n, d int) {
	if b.Logits == nil {
		panic("dist: Bernoulli: nil Logits")
	}
	if n, d = b.Logits.Dims(); n == 0 || d == 0 {
		panic("dist: Bernoulli: empty Logits")
	}
	return n, d
}

// Dim returns the number of columns of Logits.
func (b Bernoulli) Dim() int { _, d := b.dims(); return d }

// maxEnumDim is the largest Dim that Bernoulli enumerates (2^20 events).
const maxEnumDim = 20

// Support returns Boolean.
func (b Bernoulli) Support() Support { b.dims(); return Boolean }

// NumEvents returns 2^Dim, the number of binary vectors. It panics for Dim
// above 20.
func (b Bernoulli) NumEvents() int {
	d := b.Dim()
	if d > maxEnumDim {
		panic(fmt.Sprintf("dist: Bernoulli.NumEvents: %d dimensions give 2^%d events, more than enumeration allows (Dim ≤ %d)", d, d, maxEnumDim))
	}
	return 1 << d
}

// Event stores binary vector i in dst: dst[j] is bit j of i. It panics if
// i is outside [0, NumEvents()) or len(dst) != Dim().
func (b Bernoulli) Event(dst []float64, i int) {
	if n := b.NumEvents(); i < 0 || i >= n || len(dst) != b.Dim() {
		panic(fmt.Sprintf("dist: Bernoulli.Event(len %d, %d) with Dim %d", len(dst), i, b.Dim()))
	}
	for j := range dst {
		dst[j] = float64((i >> j) & 1)
	}
}

// Len returns the number of rows of Logits.
func (b Bernoulli) Len() int { n, _ := b.dims(); return n }

// LogProb stores in dst[i] the log mass of row i of x,
//
//	Σ_j x_ij l_ij − softplus(l_ij),
//
// and returns dst. The form is exact and finite for logits of any magnitude.
// For x in {0, 1} it is log P(x); LogProb also accepts x in [0, 1], where it
// is the negative binary cross-entropy between x and σ(l) (not a normalised
// density), as used for grey-level data. x is not checked.
func (b Bernoulli) LogProb(dst []float64, x mat.Matrix) []float64 {
	n, d := b.dims()
	xr, dst := checkLogProbArgs("Bernoulli", dst, x, n, d)
	lg := rawOf(b.Logits)
	if n == 1 {
		l := rowOf(lg, 0)
		var sp float64
		for _, v := range l {
			sp += logspace.Softplus(v)
		}
		for i := range dst {
			var s float64
			for j, v := range rowOf(xr, i) {
				s += v * l[j]
			}
			dst[i] = s - sp
		}
		return dst
	}
	for i := range dst {
		l := rowOf(lg, i)
		var s float64
		for j, v := range rowOf(xr, i) {
			s += v*l[j] - logspace.Softplus(l[j])
		}
		dst[i] = s
	}
	return dst
}

// sigmoid returns 1/(1 + e^{-l}).
func sigmoid(l float64) float64 { return 1 / (1 + math.Exp(-l)) }

// Sample fills dst with draws in {0, 1}: x_ij = 1 when a uniform variate
// from rnd (one per element, row-major order) is below σ(l_ij). An empty dst is
// resized to Len()×Dim().
func (b Bernoulli) Sample(dst *mat.Dense, rnd *rand.Rand) {
	n, d := b.dims()
	g := prepareDst("Bernoulli", "Sample", dst, n, d)
	lg := rawOf(b.Logits)
	var p []float64
	if n == 1 {
		p = make([]float64, d)
		for j, v := range rowOf(lg, 0) {
			p[j] = sigmoid(v)
		}
	}
	for i := 0; i < g.Rows; i++ {
		zi := rowOf(g, i)
		if n == 1 {
			for j := range zi {
				zi[j] = 0
				if rnd.Float64() < p[j] {
					zi[j] = 1
				}
			}
			continue
		}
		l := rowOf(lg, i)
		for j := range zi {
			zi[j] = 0
			if rnd.Float64() < sigmoid(l[j]) {
				zi[j] = 1
			}
		}
	}
}

// Entropy stores in dst[i] the entropy of member i,
// Σ_j softplus(l_ij) − l_ij σ(l_ij), and returns dst.
func (b Bernoulli) Entropy(dst []float64) []float64 {
	n, _ := b.dims()
	dst = entropyDst("Bernoulli", dst, n)
	lg := rawOf(b.Logits)
	for i := range dst {
		var s float64
		for _, l := range rowOf(lg, i) {
			s += bernoulliEntropy(l)
		}
		dst[i] = s
	}
	return dst
}

// bernoulliEntropy returns the entropy of one Bernoulli coordinate with logit
// l, written symmetrically in |l| so that it stays accurate for large |l|.
func bernoulliEntropy(l float64) float64 {
	a := math.Abs(l)
	// H = softplus(−a) + a σ(−a), with both terms small for large a.
	return logspace.Softplus(-a) + a*sigmoid(-a)
}

// Mean stores σ(Logits) (the success probabilities) in dst. An empty dst is
// resized to Len()×Dim(); otherwise Mean panics if dst has another shape.
func (b Bernoulli) Mean(dst *mat.Dense) {
	n, d := b.dims()
	if dst.IsEmpty() {
		dst.ReuseAs(n, d)
	}
	if r, c := dst.Dims(); r != n || c != d {
		panic(fmt.Sprintf("dist: Bernoulli.Mean: dst is %d×%d, want %d×%d", r, c, n, d))
	}
	dst.Apply(func(_, _ int, v float64) float64 { return sigmoid(v) }, b.Logits)
}
