package dist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/internal/logspace"
)

// ErrNoKL is returned (wrapped) by KL when no analytic KL divergence is
// registered for the pair of distribution types.
var ErrNoKL = errors.New("dist: no analytic KL divergence registered")

// klFunc is a registered KL with its arguments' types erased.
type klFunc func(dst []float64, p, q Distribution) []float64

// klKey identifies a registered pair of concrete types.
type klKey struct{ p, q reflect.Type }

var (
	klMu    sync.RWMutex
	klTable = map[klKey]klFunc{}
)

// RegisterKL registers an analytic KL(p‖q) for the concrete types P and Q,
// replacing any earlier registration for the pair. P and Q must not be
// interface types, and fn must not be nil; RegisterKL panics otherwise.
//
// KL and KLDivergence call fn only after checking that p and q have the same
// Dim and compatible batch sizes (each Len() is 1 or the common n), and with
// a dst of length max(p.Len(), q.Len()); fn fills dst[i] with KL(p_i‖q_i),
// broadcasting a member of Len() 1, and returns dst. RegisterKL is safe for
// concurrent use; it is usually called from an init function.
func RegisterKL[P, Q Distribution](fn func(dst []float64, p P, q Q) []float64) {
	tp, tq := reflect.TypeFor[P](), reflect.TypeFor[Q]()
	if tp.Kind() == reflect.Interface || tq.Kind() == reflect.Interface {
		panic(fmt.Sprintf("dist: RegisterKL: %v‖%v: interface types cannot be registered", tp, tq))
	}
	if fn == nil {
		panic("dist: RegisterKL: nil function")
	}
	klMu.Lock()
	defer klMu.Unlock()
	klTable[klKey{tp, tq}] = func(dst []float64, p, q Distribution) []float64 {
		return fn(dst, p.(P), q.(Q))
	}
}

// lookupKL returns the registered KL for the dynamic types of p and q.
func lookupKL(p, q Distribution) (klFunc, bool) {
	klMu.RLock()
	defer klMu.RUnlock()
	fn, ok := klTable[klKey{reflect.TypeOf(p), reflect.TypeOf(q)}]
	return fn, ok
}

// klBatch panics unless p and q have the same Dim and compatible batch
// sizes, and returns the batch size of the result and dst, allocated if nil.
func klBatch(name string, dst []float64, p, q Distribution) (int, []float64) {
	if pd, qd := p.Dim(), q.Dim(); pd != qd {
		panic(fmt.Sprintf("dist: %s: p has Dim %d, q has Dim %d", name, pd, qd))
	}
	pn, qn := p.Len(), q.Len()
	if pn != 1 && qn != 1 && pn != qn {
		panic(fmt.Sprintf("dist: %s: batch sizes %d and %d are incompatible", name, pn, qn))
	}
	m := max(pn, qn)
	if dst == nil {
		dst = make([]float64, m)
	} else if len(dst) != m {
		panic(fmt.Sprintf("dist: %s: len(dst) = %d, want %d", name, len(dst), m))
	}
	return m, dst
}

// KL stores the analytic KL(p‖q) of each batch member in dst and returns
// dst. The result has length max(p.Len(), q.Len()); a nil dst is allocated.
// KL panics if the dimensions or batch sizes are incompatible, and returns an
// error wrapping ErrNoKL, naming both types, if no KL is registered for the
// pair.
//
// The registered pairs are Normal‖Normal, Normal‖StdNormal, StdNormal‖Normal,
// StdNormal‖StdNormal, MultivariateNormal‖StdNormal,
// MultivariateNormal‖MultivariateNormal, Bernoulli‖Bernoulli and
// Categorical‖Categorical.
func KL(dst []float64, p, q Distribution) ([]float64, error) {
	_, dst = klBatch("KL", dst, p, q)
	fn, ok := lookupKL(p, q)
	if !ok {
		return dst, fmt.Errorf("%w for %T‖%T", ErrNoKL, p, q)
	}
	return fn(dst, p, q), nil
}

// KLMonteCarlo estimates KL(p‖q) per member as the mean of log p(z) − log q(z)
// over n draws z from p, and stores the estimates in dst (allocated if nil,
// length max(p.Len(), q.Len())). If either distribution has Len() > 1 each of
// the n rounds draws one full batch, member i scoring row i; otherwise the n
// draws are made in chunks. All randomness comes from rnd. KLMonteCarlo
// panics if n < 1 or the shapes are incompatible.
func KLMonteCarlo(dst []float64, p, q Distribution, n int, rnd *rand.Rand) []float64 {
	if n < 1 {
		panic(fmt.Sprintf("dist: KLMonteCarlo: n = %d, want n ≥ 1", n))
	}
	dst, _ = klMonteCarlo("KLMonteCarlo", dst, nil, p, q, n, rnd)
	return dst
}

// KLMonteCarloSE is KLMonteCarlo that also stores in se the standard error
// of each estimate, the sample standard deviation of log p(z) − log q(z)
// divided by √n. It draws exactly the same values as KLMonteCarlo with the same
// arguments, so the estimates agree. dst and se are allocated if nil. It
// panics if n < 2.
func KLMonteCarloSE(dst, se []float64, p, q Distribution, n int, rnd *rand.Rand) (kl, stderr []float64) {
	if n < 2 {
		panic(fmt.Sprintf("dist: KLMonteCarloSE: n = %d, want n ≥ 2", n))
	}
	return klMonteCarlo("KLMonteCarloSE", dst, se, p, q, n, rnd)
}

// mcChunk is the number of rows drawn at once when both distributions are
// single members.
const mcChunk = 1024

// klMonteCarlo computes the running mean (and, if se is wanted, Welford's
// sum of squared deviations) of log p − log q.
func klMonteCarlo(name string, dst, se []float64, p, q Distribution, n int, rnd *rand.Rand) ([]float64, []float64) {
	m, dst := klBatch(name, dst, p, q)
	wantSE := name == "KLMonteCarloSE"
	if wantSE {
		if se == nil {
			se = make([]float64, m)
		} else if len(se) != m {
			panic(fmt.Sprintf("dist: %s: len(se) = %d, want %d", name, len(se), m))
		}
	}
	m2 := se
	if m2 == nil {
		m2 = make([]float64, m)
	}
	for i := range dst {
		dst[i], m2[i] = 0, 0
	}
	d := p.Dim()
	update := func(i, k int, v float64) {
		delta := v - dst[i]
		dst[i] += delta / float64(k)
		m2[i] += delta * (v - dst[i])
	}
	if m == 1 {
		rows := min(n, mcChunk)
		x := mat.NewDense(rows, d, nil)
		lp, lq := make([]float64, rows), make([]float64, rows)
		for done := 0; done < n; {
			c := min(rows, n-done)
			xs := x.Slice(0, c, 0, d).(*mat.Dense)
			p.Sample(xs, rnd)
			p.LogProb(lp[:c], xs)
			q.LogProb(lq[:c], xs)
			for t := 0; t < c; t++ {
				done++
				update(0, done, lp[t]-lq[t])
			}
		}
	} else {
		x := mat.NewDense(m, d, nil)
		lp, lq := make([]float64, m), make([]float64, m)
		for k := 1; k <= n; k++ {
			p.Sample(x, rnd)
			p.LogProb(lp, x)
			q.LogProb(lq, x)
			for i := range dst {
				update(i, k, lp[i]-lq[i])
			}
		}
	}
	if wantSE {
		for i := range se {
			se[i] = math.Sqrt(m2[i] / float64(n-1) / float64(n))
		}
	}
	return dst, se
}

// KLDivergence returns KL(p‖q) per member: the analytic value when one is
// registered for the pair, else KLMonteCarlo with n draws from rnd. dst is
// allocated if nil.
func KLDivergence(dst []float64, p, q Distribution, n int, rnd *rand.Rand) []float64 {
	if fn, ok := lookupKL(p, q); ok {
		_, dst = klBatch("KLDivergence", dst, p, q)
		return fn(dst, p, q)
	}
	return KLMonteCarlo(dst, p, q, n, rnd)
}

func init() {
	RegisterKL(klNormalNormal)
	RegisterKL(klNormalStd)
	RegisterKL(klStdNormal)
	RegisterKL(func(dst []float64, _, _ StdNormal) []float64 {
		for i := range dst {
			dst[i] = 0
		}
		return dst
	})
	RegisterKL(klMVNStd)
	RegisterKL(klMVNMVN)
	RegisterKL(klBernoulli)
	RegisterKL(klCategorical)
}

// member returns the row of a batch of size n used for result i.
func member(n, i int) int {
	if n == 1 {
		return 0
	}
	return i
}

// klGauss1 returns KL(N(μp, e^{2 lp})‖N(μq, e^{2 lq})) for scalars, written
// with expm1 so that it is accurate when the two are close.
func klGauss1(mp, lp, mq, lq float64) float64 {
	delta := lp - lq
	inv := math.Exp(-lq)
	z := (mp - mq) * inv
	if inv > math.MaxFloat64 {
		z = scaled(mp-mq, lq)
	}
	return 0.5 * (math.Expm1(2*delta) - 2*delta + z*z)
}

func klNormalNormal(dst []float64, p, q Normal) []float64 {
	pn, d := p.dims()
	qn, _ := q.dims()
	pm, ps := p.Loc.RawMatrix(), p.LogScale.RawMatrix()
	qm, qs := q.Loc.RawMatrix(), q.LogScale.RawMatrix()
	for i := range dst {
		a, b := member(pn, i), member(qn, i)
		pmi, psi, qmi, qsi := rowOf(pm, a), rowOf(ps, a), rowOf(qm, b), rowOf(qs, b)
		var s float64
		for j := 0; j < d; j++ {
			s += klGauss1(pmi[j], psi[j], qmi[j], qsi[j])
		}
		dst[i] = s
	}
	return dst
}

func klNormalStd(dst []float64, p Normal, _ StdNormal) []float64 {
	pn, _ := p.dims()
	pm, ps := p.Loc.RawMatrix(), p.LogScale.RawMatrix()
	for i := range dst {
		a := member(pn, i)
		psi := rowOf(ps, a)
		var s float64
		for j, mu := range rowOf(pm, a) {
			s += klGauss1(mu, psi[j], 0, 0)
		}
		dst[i] = s
	}
	return dst
}

func klStdNormal(dst []float64, _ StdNormal, q Normal) []float64 {
	qn, _ := q.dims()
	qm, qs := q.Loc.RawMatrix(), q.LogScale.RawMatrix()
	for i := range dst {
		b := member(qn, i)
		qsi := rowOf(qs, b)
		var s float64
		for j, mu := range rowOf(qm, b) {
			s += klGauss1(0, 0, mu, qsi[j])
		}
		dst[i] = s
	}
	return dst
}

// klMVNStd is ½(tr Σ + ‖μ‖² − d − log det Σ) with tr Σ = ‖L‖²_F.
func klMVNStd(dst []float64, p MultivariateNormal, _ StdNormal) []float64 {
	d, l, hld := p.check()
	var s float64
	for j := 0; j < d; j++ {
		for _, v := range l.Data[j*l.Stride : j*l.Stride+j+1] {
			s += v * v
		}
		s += p.Loc[j] * p.Loc[j]
	}
	dst[0] = 0.5*(s-float64(d)) - hld
	return dst
}

// klMVNMVN is ½(‖Lq⁻¹Lp‖²_F + ‖Lq⁻¹(μp − μq)‖² − d) + log det Lq − log det Lp.
func klMVNMVN(dst []float64, p, q MultivariateNormal) []float64 {
	d, lp, hp := p.check()
	_, lq, hq := q.check()
	a := blas64.General{Rows: d, Cols: d, Stride: d, Data: make([]float64, d*d)}
	for j := 0; j < d; j++ {
		copy(a.Data[j*d:j*d+j+1], lp.Data[j*lp.Stride:j*lp.Stride+j+1])
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, lq, a)
	v := make([]float64, d)
	for j := range v {
		v[j] = p.Loc[j] - q.Loc[j]
	}
	blas64.Trsv(blas.NoTrans, lq, blas64.Vector{N: d, Inc: 1, Data: v})
	var s float64
	for _, x := range a.Data {
		s += x * x
	}
	for _, x := range v {
		s += x * x
	}
	dst[0] = 0.5*(s-float64(d)) + hq - hp
	return dst
}

// klBernoulli sums σ(a)(log σ(a) − log σ(b)) + σ(−a)(log σ(−a) − log σ(−b))
// over coordinates, for logits a of p and b of q.
func klBernoulli(dst []float64, p, q Bernoulli) []float64 {
	pn, d := p.dims()
	qn, _ := q.dims()
	pl, ql := p.Logits.RawMatrix(), q.Logits.RawMatrix()
	for i := range dst {
		pa, qb := rowOf(pl, member(pn, i)), rowOf(ql, member(qn, i))
		var s float64
		for j := 0; j < d; j++ {
			a, b := pa[j], qb[j]
			s += sigmoid(a)*(logspace.Softplus(-b)-logspace.Softplus(-a)) +
				sigmoid(-a)*(logspace.Softplus(b)-logspace.Softplus(a))
		}
		dst[i] = s
	}
	return dst
}

// klCategorical is Σ_k p_k (log p_k − log q_k), skipping classes with p_k = 0.
func klCategorical(dst []float64, p, q Categorical) []float64 {
	pn, k := p.dims()
	qn, kq := q.dims()
	if k != kq {
		panic(fmt.Sprintf("dist: KL: Categorical with %d classes ‖ Categorical with %d classes", k, kq))
	}
	pl, ql := p.Logits.RawMatrix(), q.Logits.RawMatrix()
	for i := range dst {
		a, b := rowOf(pl, member(pn, i)), rowOf(ql, member(qn, i))
		la, lb := logspace.LogSumExp(a), logspace.LogSumExp(b)
		var s float64
		for j := range a {
			lpa := a[j] - la
			if math.IsInf(lpa, -1) {
				continue
			}
			s += math.Exp(lpa) * (lpa - (b[j] - lb))
		}
		dst[i] = s
	}
	return dst
}
