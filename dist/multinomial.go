package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/internal/logspace"
)

// Multinomial is the distribution of the class counts of N = TotalCount
// independent draws from a categorical distribution with probabilities
// softmax(Logits): an event is a row of K non-negative integer counts
// summing to N, with mass
//
//	P(x) = N!/(x₁!⋯x_K!) · Π_k p_kˣᵏ,  p = softmax(l).
//
// TotalCount is 1×1 (one N for every row) or n×1, and holds non-negative
// integers; it is not differentiated. Logits is n×K or 1×K, broadcast as
// Categorical's; a logit may be −Inf (a class that never occurs), but
// every row needs a finite one. Dim() == K.
//
// LogProb returns −Inf for a row off the support (a coordinate that is not
// a non-negative integer, or counts that do not sum to N) and propagates
// NaN. LogProbVar is differentiable with respect to Logits, with adjoint
// x_k − N·p_k; the counts are discrete and get a zero adjoint.
//
// Support returns IntegerInterval(0, N): each coordinate's set. A
// Support constrains coordinates one by one, so it cannot say that a row
// sums to N; LogProb, not Support().Contains, rejects rows with another
// sum. (Pyro's constraints.multinomial checks the sum too.)
type Multinomial struct {
	TotalCount mat.Matrix // 1×1 or n×1 non-negative integers
	Logits     mat.Matrix // n×K or 1×K: a *mat.Dense, or an *ad.Var to differentiate
}

var (
	_ Differentiable = Multinomial{}
	_ Entropier      = Multinomial{}
	_ Supporter      = Multinomial{}
)

// dims returns the batch size n and the number of classes K, and panics
// on nil or empty parameters, shapes that do not broadcast, a TotalCount
// with more than one column, or a count that is not a non-negative
// integer.
func (m Multinomial) dims() (n, k int) {
	if m.TotalCount == nil || m.Logits == nil {
		panic("dist: Multinomial: nil TotalCount or Logits")
	}
	tr, tc := m.TotalCount.Dims()
	lr, k := m.Logits.Dims()
	if tr == 0 || tc == 0 || lr == 0 || k == 0 {
		panic("dist: Multinomial: empty parameter")
	}
	if tc != 1 {
		panic(fmt.Sprintf("dist: Multinomial: TotalCount is %d×%d, want one column", tr, tc))
	}
	n = broadcastSize("Multinomial", tr, lr, "rows")
	t := rawOf(m.TotalCount)
	for i := range tr {
		if v := t.Data[i*t.Stride]; !isCount(v) {
			panic(fmt.Sprintf("dist: Multinomial: TotalCount %v is not a non-negative integer", v))
		}
	}
	return n, k
}

// Dim returns K, the number of classes.
func (m Multinomial) Dim() int { _, k := m.dims(); return k }

// Len returns the batch size: the larger of the row counts of TotalCount
// and Logits.
func (m Multinomial) Len() int { n, _ := m.dims(); return n }

// Support returns IntegerInterval(0, N) (see Multinomial: the row sum is
// not part of it). It panics if the elements of TotalCount differ.
func (m Multinomial) Support() Support {
	m.dims()
	n, ok := sameValue(m.TotalCount)
	if !ok {
		panic("dist: Multinomial.Support: TotalCount differs between rows, so the support is not one integer interval")
	}
	return IntegerInterval(0, n)
}

// multinomialRows reads the parameters of row i: the total count, the
// logits and their log-sum-exp.
type multinomialRows struct {
	tc       view
	lg       []float64
	lr, k    int
	lse      []float64 // per row of Logits
	lgStride int
}

func (m Multinomial) rows() multinomialRows {
	_, k := m.dims()
	lg := rawOf(m.Logits)
	r := multinomialRows{tc: viewOf(m.TotalCount), lg: lg.Data, lr: lg.Rows, k: k, lgStride: lg.Stride, lse: make([]float64, lg.Rows)}
	for i := range lg.Rows {
		l := rowOf(lg, i)
		r.lse[i] = logspace.LogSumExp(l)
		if math.IsInf(r.lse[i], -1) {
			panic(fmt.Sprintf("dist: Multinomial: row %d of Logits has no finite logit", i))
		}
	}
	return r
}

// at returns N, the logits and their log-sum-exp for row i of the batch.
func (r multinomialRows) at(i int) (n float64, l []float64, lse float64) {
	j := member(r.lr, i)
	return r.tc.data[i*r.tc.rs], r.lg[j*r.lgStride : j*r.lgStride+r.k], r.lse[j]
}

// multinomialLogPMF returns log P(x) for counts x, total n and logits l
// with log-sum-exp lse; −Inf off the support, NaN for a NaN count.
func multinomialLogPMF(x []float64, n float64, l []float64, lse float64) float64 {
	lp, sum, off := lgamma(n+1), 0.0, false
	for k, v := range x {
		switch {
		case math.IsNaN(v):
			return math.NaN()
		case !isCount(v):
			off = true
			continue
		}
		sum += v
		lp -= lgamma(v + 1)
		if v > 0 {
			lp += v * (l[k] - lse)
		}
	}
	if off || sum != n {
		return negInf
	}
	return lp
}

// LogProb stores in dst[i] the log-mass log N! − Σ_k log x_k! + Σ_k x_k
// log softmax(l)_k of row i of x and returns dst.
func (m Multinomial) LogProb(dst []float64, x mat.Matrix) []float64 {
	n, k := m.dims()
	xr, dst := checkLogProbArgs("Multinomial", dst, x, n, k)
	r := m.rows()
	for i := range dst {
		tc, l, lse := r.at(i)
		dst[i] = multinomialLogPMF(rowOf(xr, i), tc, l, lse)
	}
	return dst
}

// LogProbVar returns the log-masses of the rows of x, differentiable with
// respect to Logits (adjoint x_k − N·softmax(l)_k per row on the support,
// 0 off it); x is discrete and gets a zero adjoint.
func (m Multinomial) LogProbVar(x *ad.Var) *ad.Var {
	_, k := m.dims()
	out := m.LogProb(nil, x)
	r := m.rows()
	return ad.Custom(len(out), 1, out, []*ad.Var{x, ad.Lift(m.Logits)}, func(g []float64, grads [][]float64) {
		gl := grads[1]
		if gl == nil {
			return
		}
		for i, gi := range g {
			if gi == 0 || math.IsInf(out[i], -1) || math.IsNaN(out[i]) {
				continue
			}
			tc, l, lse := r.at(i)
			row := member(r.lr, i) * k
			for j, v := range l {
				gl[row+j] += gi * (x.Data[i*k+j] - tc*math.Exp(v-lse))
			}
		}
	})
}

// Detach returns m with the gradient of its logits stopped.
func (m Multinomial) Detach() Differentiable {
	p := detachAll(m.TotalCount, m.Logits)
	return Multinomial{TotalCount: p[0], Logits: p[1]}
}

// Sample fills dst with draws by sequential conditional binomials: x₁ ~
// Binomial(N, p₁), then x_k ~ Binomial(N − Σ_{j<k} x_j, p_k/Σ_{j≥k} p_j),
// the last class taking the rest. The conditional probabilities are
// computed from the logits in log space, and the draws use gonum's
// distuv.Binomial on rnd; a row stops drawing once its count is spent.
// The cost is at most K − 1 binomial draws per row, each O(min(N, 25))
// uniforms for N < 25 and O(1) expected otherwise. An empty dst is
// resized to Len()×K.
func (m Multinomial) Sample(dst *mat.Dense, rnd *rand.Rand) {
	n, k := m.dims()
	g := prepareDst("Multinomial", "Sample", dst, n, k)
	r := m.rows()
	// suf[j] = log Σ_{c≥j} exp(l_c), per row of Logits.
	suf := make([]float64, r.lr*(k+1))
	for i := range r.lr {
		s := suf[i*(k+1) : (i+1)*(k+1)]
		_, l, _ := r.at(i)
		s[k] = negInf
		for j := k - 1; j >= 0; j-- {
			s[j] = logAddExp(l[j], s[j+1])
		}
	}
	for i := range g.Rows {
		tc, l, _ := r.at(i)
		s := suf[member(r.lr, i)*(k+1):]
		row := rowOf(g, i)
		rem := tc
		for j := range k {
			switch {
			case rem == 0:
				row[j] = 0
			case j == k-1:
				row[j] = rem
			default:
				// The logit of class j against the classes after it.
				row[j] = binomialDraw(rem, l[j]-s[j+1], rnd)
			}
			rem -= row[j]
		}
	}
}

// logAddExp returns log(eᵃ + eᵇ).
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// binomialDraw draws from Binomial(n, σ(logit)) with gonum's sampler,
// exactly for the probabilities 0 and 1.
func binomialDraw(n, logit float64, rnd *rand.Rand) float64 {
	p := sigmoid(logit)
	switch {
	case math.IsNaN(p):
		panic("dist: Multinomial.Sample: NaN logit")
	case p == 0:
		return 0
	case p == 1:
		return n
	}
	return distuv.Binomial{N: n, P: p, Src: rnd}.Rand()
}

// moments stores f(N, log p_k, log(1 − p_k)) for every coordinate in dst,
// resized to Len()×K if empty.
func (m Multinomial) moments(method string, dst *mat.Dense, f func(n, lp, lq float64) float64) {
	n, k := m.dims()
	if dst == nil {
		panic(fmt.Sprintf("dist: Multinomial.%s: nil dst", method))
	}
	if dst.IsEmpty() {
		dst.ReuseAs(n, k)
	}
	if r, c := dst.Dims(); r != n || c != k {
		panic(fmt.Sprintf("dist: Multinomial.%s: dst is %d×%d, want %d×%d", method, r, c, n, k))
	}
	r := m.rows()
	lq := make([]float64, k)
	for i := range n {
		tc, l, lse := r.at(i)
		logComplements(lq, l, lse)
		for j, v := range l {
			dst.Set(i, j, f(tc, v-lse, lq[j]))
		}
	}
}

// logComplements stores log(1 − p_k) in lq for p = softmax(l): as
// log1p(−p_k) where p_k ≤ 1/2, and from the other classes' logits for the
// (at most one) class above 1/2, where 1 − p_k would cancel.
func logComplements(lq, l []float64, lse float64) {
	for j, v := range l {
		p := math.Exp(v - lse)
		if p <= 0.5 {
			lq[j] = math.Log1p(-p)
			continue
		}
		rest := negInf
		for c, w := range l {
			if c != j {
				rest = logAddExp(rest, w)
			}
		}
		lq[j] = rest - lse
	}
}

// Mean stores N·p_k in dst (resized to Len()×K if empty).
func (m Multinomial) Mean(dst *mat.Dense) {
	m.moments("Mean", dst, func(n, lp, _ float64) float64 { return n * math.Exp(lp) })
}

// Variance stores the marginal variances N·p_k(1 − p_k) in dst (resized
// to Len()×K if empty); the covariance of classes j ≠ k is −N·p_j·p_k.
func (m Multinomial) Variance(dst *mat.Dense) {
	m.moments("Variance", dst, func(n, lp, lq float64) float64 { return n * math.Exp(lp+lq) })
}

// Entropy stores the entropy of each member in dst, from the identity
//
//	H = N·H(softmax(l)) − log N! + Σ_k E[log x_k!],  x_k ~ Binomial(N, p_k),
//
// (−E log P(x), with the multinomial's binomial marginals), each
// expectation summed over the counts that carry its mass: the cost is
// O(K·√N) per member. The terms cancel to about 10⁻¹⁶·log N! absolute.
func (m Multinomial) Entropy(dst []float64) []float64 {
	n, k := m.dims()
	dst = entropyDst("Multinomial", dst, n)
	r := m.rows()
	lq := make([]float64, k)
	for i := range dst {
		tc, l, lse := r.at(i)
		logComplements(lq, l, lse)
		h := -lgamma(tc + 1)
		for j, v := range l {
			lp := v - lse
			if !math.IsInf(lp, -1) {
				h -= tc * math.Exp(lp) * lp
			}
			h += binomialMeanLogFactorial(tc, lp, lq[j])
		}
		dst[i] = h
	}
	return dst
}

// binomialMeanLogFactorial returns E[log x!] for x ~ Binomial(n, p) given
// log p and log(1 − p), summing from the mean outwards until the mass
// left is negligible (log-mass below −60, past the mean).
func binomialMeanLogFactorial(n, lp, lq float64) float64 {
	logPMF := func(x float64) float64 {
		return lgamma(n+1) - lgamma(x+1) - lgamma(n-x+1) + xlogLog(x, lp) + xlogLog(n-x, lq)
	}
	mean := n * math.Exp(lp)
	start := math.Min(math.Floor(mean), n)
	var s float64
	for x := start; x <= n; x++ {
		w := logPMF(x)
		if !math.IsInf(w, -1) {
			s += math.Exp(w) * lgamma(x+1)
		}
		if x > mean && w < -60 {
			break
		}
	}
	for x := start - 1; x >= 0; x-- {
		w := logPMF(x)
		if !math.IsInf(w, -1) {
			s += math.Exp(w) * lgamma(x+1)
		}
		if w < -60 {
			break
		}
	}
	return s
}

// xlogLog returns x·lg with 0·(−∞) = 0.
func xlogLog(x, lg float64) float64 {
	if x == 0 {
		return 0
	}
	return x * lg
}
