package mc

import (
	"math"
)

// lse is a streaming log-sum-exp accumulator over log-weights lw_i: with
// m = max lw_i it holds s1 = Σ exp(lw_i − m) and s2 = Σ exp(2(lw_i − m)), and
// rescales both when a merge raises the maximum. Weights of -Inf count as
// draws with zero weight.
type lse struct {
	m      float64 // running maximum, -Inf if no positive weight yet
	s1, s2 float64
	n      int
}

func newLSE() lse { return lse{m: math.Inf(-1)} }

// setSlice sets a to the summary of lw, which must hold no NaN or +Inf, in two
// passes: the maximum, then the sums.
func (a *lse) setSlice(lw []float64) {
	*a = newLSE()
	a.n = len(lw)
	m := math.Inf(-1)
	for _, v := range lw {
		if v > m {
			m = v
		}
	}
	if math.IsInf(m, -1) {
		return
	}
	var s1, s2 float64
	for _, v := range lw {
		e := math.Exp(v - m)
		s1 += e
		s2 += e * e
	}
	a.m, a.s1, a.s2 = m, s1, s2
}

// merge adds the draws summarised by b to a.
func (a *lse) merge(b lse) {
	a.n += b.n
	switch {
	case math.IsInf(b.m, -1):
		return
	case math.IsInf(a.m, -1):
		a.m, a.s1, a.s2 = b.m, b.s1, b.s2
	case b.m > a.m:
		r := math.Exp(a.m - b.m)
		a.s1 = a.s1*r + b.s1
		a.s2 = a.s2*r*r + b.s2
		a.m = b.m
	default:
		r := math.Exp(b.m - a.m)
		a.s1 += b.s1 * r
		a.s2 += b.s2 * r * r
	}
}

// logMean returns log((1/n) Σ exp(lw_i)).
func (a lse) logMean() float64 {
	if math.IsInf(a.m, -1) {
		return math.Inf(-1)
	}
	return a.m + math.Log(a.s1) - math.Log(float64(a.n))
}

// ess returns Kish's effective sample size (Σw)²/Σw², 0 if every weight is
// zero.
func (a lse) ess() float64 {
	if math.IsInf(a.m, -1) {
		return 0
	}
	return a.s1 * a.s1 / a.s2
}

// stdErr returns the delta-method standard error of log p̂ = log w̄.
//
// With p̂ = w̄ = (1/n) Σ w_i, Var(p̂) = Var(w)/n and, to first order,
// log p̂ ≈ log p + (p̂ − p)/p, so Var(log p̂) ≈ Var(w)/(n p²). Plugging in the
// unbiased sample variance Var(w) ≈ (Σw² − n w̄²)/(n−1) and p ≈ w̄ gives
//
//	Var(log p̂) ≈ (n Σw²/(Σw)² − 1)/(n − 1) = (n/ESS − 1)/(n − 1),
//
// which is invariant to the scale exp(m) of the weights. It is +Inf for a
// single draw or when every weight is zero.
func (a lse) stdErr() float64 {
	if a.n < 2 || math.IsInf(a.m, -1) {
		return math.Inf(1)
	}
	v := (float64(a.n)/a.ess() - 1) / float64(a.n-1)
	return math.Sqrt(math.Max(v, 0))
}

// moments accumulates the count, mean and sum of squared deviations of
// values, merged with the pairwise update of Chan, Golub and LeVeque. Values
// of -Inf are counted separately: one of them makes the mean -Inf.
type moments struct {
	n, ninf int
	mean    float64
	m2      float64
}

// setSlice sets a to the moments of v, which must hold no NaN or +Inf, in two
// passes.
func (a *moments) setSlice(v []float64) {
	*a = moments{}
	var s float64
	for _, x := range v {
		if math.IsInf(x, -1) {
			a.ninf++
			continue
		}
		s += x
	}
	a.n = len(v) - a.ninf
	if a.n == 0 {
		return
	}
	a.mean = s / float64(a.n)
	for _, x := range v {
		if !math.IsInf(x, -1) {
			d := x - a.mean
			a.m2 += d * d
		}
	}
}

// add adds one value, with Welford's update.
func (a *moments) add(x float64) {
	if math.IsInf(x, -1) {
		a.ninf++
		return
	}
	a.n++
	d := x - a.mean
	a.mean += d / float64(a.n)
	a.m2 += d * (x - a.mean)
}

// merge adds the values summarised by b to a.
func (a *moments) merge(b moments) {
	a.ninf += b.ninf
	if b.n == 0 {
		return
	}
	if a.n == 0 {
		a.n, a.mean, a.m2 = b.n, b.mean, b.m2
		return
	}
	n := a.n + b.n
	d := b.mean - a.mean
	a.mean += d * float64(b.n) / float64(n)
	a.m2 += b.m2 + d*d*float64(a.n)*float64(b.n)/float64(n)
	a.n = n
}

// result returns the mean and its standard error sd/√n, with sd the sample
// standard deviation. With a -Inf value the mean is -Inf and the standard
// error +Inf; with fewer than two values the standard error is +Inf.
func (a moments) result() (mean, se float64) {
	if a.ninf > 0 {
		return math.Inf(-1), math.Inf(1)
	}
	if a.n < 2 {
		return a.mean, math.Inf(1)
	}
	return a.mean, math.Sqrt(a.m2 / float64(a.n-1) / float64(a.n))
}

// topK keeps the cap largest values pushed into it, in a binary min-heap.
type topK struct {
	cap int
	h   []float64
}

func newTopK(capacity int) *topK {
	return &topK{cap: capacity, h: make([]float64, 0, capacity)}
}

// push offers v; NaN is ignored.
func (t *topK) push(v float64) {
	if v != v {
		return
	}
	h := t.h
	if len(h) < t.cap {
		h = append(h, v)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if h[p] <= h[i] {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		t.h = h
		return
	}
	if t.cap == 0 || v <= h[0] {
		return
	}
	h[0] = v
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		s := l
		if r := l + 1; r < len(h) && h[r] < h[l] {
			s = r
		}
		if h[i] <= h[s] {
			break
		}
		h[i], h[s] = h[s], h[i]
		i = s
	}
}

// pushSlice offers every value of v.
func (t *topK) pushSlice(v []float64) {
	if t.cap == 0 {
		return
	}
	for _, x := range v {
		if len(t.h) == t.cap && x <= t.h[0] {
			continue
		}
		t.push(x)
	}
}
