package dist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/internal/logspace"
)

// ErrNoKL is returned (wrapped) by KL when no analytic KL divergence is
// registered for the pair of distribution types.
var ErrNoKL = errors.New("dist: no analytic KL divergence registered")

// klFunc is a registered KL with its arguments' types erased.
type klFunc func(p, q Distribution) *ad.Var

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
// fn returns KL(p_i‖q_i) for each batch member as an n×1 Var written with
// the operations of package ad, so that the divergence is differentiable
// with respect to the parameters of both arguments that are *ad.Var (KLVar)
// and evaluates to numbers when none is (KL). KL, KLVar and KLDivergence
// call fn only after checking that p and q have the same Dim and compatible
// batch sizes (each Len() is 1 or the common n); fn broadcasts a member of
// Len() 1 and returns max(p.Len(), q.Len()) rows. RegisterKL is safe for
// concurrent use; it is usually called from an init function.
func RegisterKL[P, Q Distribution](fn func(p P, q Q) *ad.Var) {
	tp, tq := reflect.TypeFor[P](), reflect.TypeFor[Q]()
	if tp.Kind() == reflect.Interface || tq.Kind() == reflect.Interface {
		panic(fmt.Sprintf("dist: RegisterKL: %v‖%v: interface types cannot be registered", tp, tq))
	}
	if fn == nil {
		panic("dist: RegisterKL: nil function")
	}
	klMu.Lock()
	defer klMu.Unlock()
	klTable[klKey{tp, tq}] = func(p, q Distribution) *ad.Var {
		return fn(p.(P), q.(Q))
	}
}

// lookupKL returns the registered KL for the dynamic types of p and q.
func lookupKL(p, q Distribution) (klFunc, bool) {
	klMu.RLock()
	defer klMu.RUnlock()
	fn, ok := klTable[klKey{reflect.TypeOf(p), reflect.TypeOf(q)}]
	return fn, ok
}

// KLVar returns the analytic KL(p_i‖q_i) of each batch member as an n×1
// Var, differentiable with respect to the parameters of p and q that are
// *ad.Var on a tape. It panics if the dimensions or batch sizes are
// incompatible, and returns an error wrapping ErrNoKL, naming both types,
// if no KL is registered for the pair.
func KLVar(p, q Distribution) (*ad.Var, error) {
	m, _ := klBatch("KLVar", []float64{}, p, q)
	fn, ok := lookupKL(p, q)
	if !ok {
		return nil, fmt.Errorf("%w for %T‖%T", ErrNoKL, p, q)
	}
	kl := fn(p, q)
	if kl.R != m {
		kl = ad.Add(kl, ad.Const(m, 1, nil))
	}
	return kl, nil
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
	if dst != nil && len(dst) == 0 {
		return m, dst
	}
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
// MultivariateNormal‖MultivariateNormal, Bernoulli‖Bernoulli,
// Categorical‖Categorical, Gamma‖Gamma, Beta‖Beta, Dirichlet‖Dirichlet,
// Exponential‖Exponential, Poisson‖Poisson and LogNormal‖LogNormal.
func KL(dst []float64, p, q Distribution) ([]float64, error) {
	_, dst = klBatch("KL", dst, p, q)
	kl, err := KLVar(p, q)
	if err != nil {
		return dst, err
	}
	copy(dst, kl.Data)
	return dst, nil
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
	if _, ok := lookupKL(p, q); ok {
		dst, _ := KL(dst, p, q)
		return dst
	}
	return KLMonteCarlo(dst, p, q, n, rnd)
}

func init() {
	RegisterKL(klNormalNormal)
	RegisterKL(func(p Normal, _ StdNormal) *ad.Var { return klGauss(p.Loc, p.LogScale, nil, nil) })
	RegisterKL(func(_ StdNormal, q Normal) *ad.Var { return klGauss(nil, nil, q.Loc, q.LogScale) })
	RegisterKL(func(_, _ StdNormal) *ad.Var { return ad.Scalar(0) })
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

// orZero lifts m, or returns the constant 0 for nil.
func orZero(m mat.Matrix) *ad.Var {
	if m == nil {
		return ad.Scalar(0)
	}
	return ad.Lift(m)
}

// klGauss returns Σ_j KL(N(μp, e^{2 lp})‖N(μq, e^{2 lq})) per row, with nil
// parameters meaning 0 (the standard normal), written with expm1 so that
// it is accurate when the two are close:
// ½(e^{2δ} − 1 − 2δ + ((μp − μq)/σq)²), δ = lp − lq.
func klGauss(mp, lp, mq, lq mat.Matrix) *ad.Var {
	delta := ad.Sub(orZero(lp), orZero(lq))
	z := ad.Mul(ad.Sub(orZero(mp), orZero(mq)), ad.Exp(ad.Neg(orZero(lq))))
	return ad.Scale(ad.SumRows(ad.Add(ad.Sub(ad.Expm1(ad.Scale(delta, 2)), ad.Scale(delta, 2)), ad.Square(z))), 0.5)
}

func klNormalNormal(p, q Normal) *ad.Var {
	return klGauss(p.Loc, p.LogScale, q.Loc, q.LogScale)
}

// klMVNStd is ½(‖L‖²_F + ‖μ_i‖² − d) − Σ_j log L_jj per member.
func klMVNStd(p MultivariateNormal, _ StdNormal) *ad.Var {
	d, _, _ := p.check()
	l := lowerPart(ad.Lift(p.Chol))
	s := ad.Add(ad.Sum(ad.Square(l)), ad.SumRows(ad.Square(ad.Lift(p.Loc))))
	return ad.Sub(ad.Scale(ad.Shift(s, -float64(d)), 0.5), ad.Sum(ad.Log(ad.Diag(l))))
}

// klMVNMVN is ½(‖Lq⁻¹Lp‖²_F + ‖Lq⁻¹(μp_i − μq_i)‖² − d) + log det Lq −
// log det Lp per member.
func klMVNMVN(p, q MultivariateNormal) *ad.Var {
	d, _, _ := p.check()
	q.check()
	lp, lq := lowerPart(ad.Lift(p.Chol)), lowerPart(ad.Lift(q.Chol))
	a := ad.SolveLower(lq, lp)
	v := ad.SolveLower(lq, ad.Transpose(ad.Sub(ad.Lift(p.Loc), ad.Lift(q.Loc))))
	s := ad.Shift(ad.Add(ad.Sum(ad.Square(a)), ad.Transpose(ad.SumCols(ad.Square(v)))), -float64(d))
	return ad.Add(ad.Scale(s, 0.5), ad.Sub(ad.Sum(ad.Log(ad.Diag(lq))), ad.Sum(ad.Log(ad.Diag(lp)))))
}

// klBernoulli sums σ(a)(log σ(a) − log σ(b)) + σ(−a)(log σ(−a) − log σ(−b))
// over coordinates, for logits a of p and b of q.
func klBernoulli(p, q Bernoulli) *ad.Var {
	a, b := ad.Lift(p.Logits), ad.Lift(q.Logits)
	pos := ad.Mul(ad.Sigmoid(a), ad.Sub(ad.LogSigmoid(a), ad.LogSigmoid(b)))
	neg := ad.Mul(ad.Sigmoid(ad.Neg(a)), ad.Sub(ad.LogSigmoid(ad.Neg(a)), ad.LogSigmoid(ad.Neg(b))))
	return ad.SumRows(ad.Add(pos, neg))
}

// klCategorical is Σ_k p_k (log p_k − log q_k), skipping classes with p_k = 0,
// as one operation: ∂/∂a_k = p_k (log p_k − log q_k − KL) and
// ∂/∂b_k = q_k − p_k for logits a of p and b of q.
func klCategorical(p, q Categorical) *ad.Var {
	pn, k := p.dims()
	qn, kq := q.dims()
	if k != kq {
		panic(fmt.Sprintf("dist: KL: Categorical with %d classes ‖ Categorical with %d classes", k, kq))
	}
	n := max(pn, qn)
	pl, ql := rawOf(p.Logits), rawOf(q.Logits)
	// lp, lq: normalised log-probabilities per result row.
	lp, lq := make([]float64, n*k), make([]float64, n*k)
	out := make([]float64, n)
	for i := range n {
		a, b := rowOf(pl, member(pn, i)), rowOf(ql, member(qn, i))
		la, lb := logspace.LogSumExp(a), logspace.LogSumExp(b)
		var s float64
		for j := range a {
			lp[i*k+j], lq[i*k+j] = a[j]-la, b[j]-lb
			if !math.IsInf(lp[i*k+j], -1) {
				s += math.Exp(lp[i*k+j]) * (lp[i*k+j] - lq[i*k+j])
			}
		}
		out[i] = s
	}
	return ad.Custom(n, 1, out, []*ad.Var{ad.Lift(p.Logits), ad.Lift(q.Logits)}, func(g []float64, grads [][]float64) {
		for i, gi := range g {
			for j := range k {
				pj := math.Exp(lp[i*k+j])
				if ga := grads[0]; ga != nil && pj > 0 {
					ga[member(pn, i)*k+j] += gi * pj * (lp[i*k+j] - lq[i*k+j] - out[i])
				}
				if gb := grads[1]; gb != nil {
					gb[member(qn, i)*k+j] += gi * (math.Exp(lq[i*k+j]) - pj)
				}
			}
		}
	})
}
