package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/internal/logspace"
)

// Categorical is a batch of categorical distributions over {0, …, K−1},
// parameterised by unnormalised log-probabilities: P(k) ∝ exp(Logits[i, k]).
//
// Logits is n×K for a batch of n members or 1×K for one member broadcast to
// any number of rows. A logit may be −Inf (a class with probability zero), but
// every row needs at least one finite logit. An event is one class index
// stored as a float64 in a single column, so Dim() == 1.
//
// LogProb returns −Inf for an index outside {0, …, K−1} (including ±Inf),
// propagates NaN, and panics for a finite value that is not an integer, which
// signals a programming error (for instance passing one-hot rows).
type Categorical struct {
	Logits mat.Matrix // n×K or 1×K: a *mat.Dense, or an *ad.Var to differentiate
}

var (
	_ Distribution = Categorical{}
	_ Entropier    = Categorical{}
	_ Enumerator   = Categorical{}
)

func (c Categorical) dims() (n, k int) {
	if c.Logits == nil {
		panic("dist: Categorical: nil Logits")
	}
	if n, k = c.Logits.Dims(); n == 0 || k == 0 {
		panic("dist: Categorical: empty Logits")
	}
	return n, k
}

// Dim returns 1: an event is a single class index.
func (c Categorical) Dim() int { c.dims(); return 1 }

// Len returns the number of rows of Logits.
func (c Categorical) Len() int { n, _ := c.dims(); return n }

// K returns the number of classes, the number of columns of Logits.
func (c Categorical) K() int { _, k := c.dims(); return k }

// NumEvents returns K: the events are the classes 0, …, K−1.
func (c Categorical) NumEvents() int { return c.K() }

// Support returns IntegerInterval(0, K−1).
func (c Categorical) Support() Support { return IntegerInterval(0, float64(c.K()-1)) }

// Event stores class i in dst[0]. It panics if i is not a class or
// len(dst) != 1.
func (c Categorical) Event(dst []float64, i int) {
	if k := c.K(); i < 0 || i >= k || len(dst) != 1 {
		panic(fmt.Sprintf("dist: Categorical.Event(len %d, %d) with K = %d", len(dst), i, k))
	}
	dst[0] = float64(i)
}

// classLogProb returns l[x] − lse for a class index x; see Categorical for
// the handling of invalid indices.
func classLogProb(l []float64, lse, x float64) float64 {
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case math.IsInf(x, 0):
		return math.Inf(-1)
	case x != math.Trunc(x):
		panic(fmt.Sprintf("dist: Categorical.LogProb: class index %v is not an integer", x))
	case x < 0 || x >= float64(len(l)):
		return math.Inf(-1)
	}
	return l[int(x)] - lse
}

// LogProb stores in dst[i] the log-probability log softmax(l_i)[x_i] of the
// class index in row i of x (a single column) and returns dst.
func (c Categorical) LogProb(dst []float64, x mat.Matrix) []float64 {
	n, _ := c.dims()
	xr, dst := checkLogProbArgs("Categorical", dst, x, n, 1)
	lg := rawOf(c.Logits)
	if n == 1 {
		l := rowOf(lg, 0)
		lse := logspace.LogSumExp(l)
		for i := range dst {
			dst[i] = classLogProb(l, lse, xr.Data[i*xr.Stride])
		}
		return dst
	}
	for i := range dst {
		l := rowOf(lg, i)
		dst[i] = classLogProb(l, logspace.LogSumExp(l), xr.Data[i*xr.Stride])
	}
	return dst
}

// cumulative stores in cdf the running sums of softmax(l) and returns the
// index of the last class with positive probability.
func cumulative(cdf, l []float64) int {
	lse := logspace.LogSumExp(l)
	var s float64
	last := 0
	for k, v := range l {
		p := math.Exp(v - lse)
		if p > 0 {
			last = k
		}
		s += p
		cdf[k] = s
	}
	return last
}

// Sample fills dst (a single column) with class indices drawn by inverting
// the cumulative distribution at one uniform variate from rnd per row. An
// empty dst is resized to Len()×1.
func (c Categorical) Sample(dst *mat.Dense, rnd *rand.Rand) {
	n, k := c.dims()
	g := prepareDst("Categorical", "Sample", dst, n, 1)
	lg := rawOf(c.Logits)
	cdf := make([]float64, k)
	var last int
	if n == 1 {
		last = cumulative(cdf, rowOf(lg, 0))
	}
	for i := 0; i < g.Rows; i++ {
		if n != 1 {
			last = cumulative(cdf, rowOf(lg, i))
		}
		u := rnd.Float64()
		// The first class whose cumulative probability exceeds u; rounding
		// can leave cdf[K−1] slightly below 1, hence the clamp to the last
		// class with positive probability.
		j := searchCDF(cdf, u)
		if j > last {
			j = last
		}
		g.Data[i*g.Stride] = float64(j)
	}
}

// searchCDF returns the smallest j with cdf[j] > u, or len(cdf) if none.
func searchCDF(cdf []float64, u float64) int {
	lo, hi := 0, len(cdf)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if cdf[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Entropy stores in dst[i] the entropy −Σ_k p_ik log p_ik of member i and
// returns dst.
func (c Categorical) Entropy(dst []float64) []float64 {
	n, _ := c.dims()
	dst = entropyDst("Categorical", dst, n)
	lg := rawOf(c.Logits)
	for i := range dst {
		l := rowOf(lg, i)
		lse := logspace.LogSumExp(l)
		var h float64
		for _, v := range l {
			if lp := v - lse; lp > math.Inf(-1) {
				h -= math.Exp(lp) * lp
			}
		}
		dst[i] = h
	}
	return dst
}

// LogProbs stores the normalised log-probabilities log softmax(Logits) in
// dst, one row per member. An empty dst is resized to Len()×K(); otherwise
// LogProbs panics if dst has another shape. dst may be c.Logits.
func (c Categorical) LogProbs(dst *mat.Dense) {
	n, k := c.dims()
	if dst.IsEmpty() {
		dst.ReuseAs(n, k)
	}
	if r, cc := dst.Dims(); r != n || cc != k {
		panic(fmt.Sprintf("dist: Categorical.LogProbs: dst is %d×%d, want %d×%d", r, cc, n, k))
	}
	lg, g := rawOf(c.Logits), dst.RawMatrix()
	for i := 0; i < n; i++ {
		l, out := rowOf(lg, i), rowOf(g, i)
		lse := logspace.LogSumExp(l)
		for j, v := range l {
			out[j] = v - lse
		}
	}
}

// Probs stores the class probabilities softmax(Logits) in dst, one row per
// member, with the shape rules of LogProbs.
func (c Categorical) Probs(dst *mat.Dense) {
	c.LogProbs(dst)
	g := dst.RawMatrix()
	for i := 0; i < g.Rows; i++ {
		row := rowOf(g, i)
		for j, v := range row {
			row[j] = math.Exp(v)
		}
	}
}
