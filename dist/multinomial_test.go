package dist

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/ad"
)

// multinomialOracle is log P(x) as a chain of binomials, x_k ~
// Binomial(N − Σ_{j<k} x_j, q_k) with q_k = p_k/Σ_{j≥k} p_j, computed
// from the logits in log space: log q_k = l_k − lse(l_k, …) and
// log(1 − q_k) = lse(l_{k+1}, …) − lse(l_k, …). binomialChain is the same
// chain with probabilities and gonum's distuv.Binomial, accurate only for
// moderate logits (it rounds 1 − q).
func multinomialOracle(x []float64, n float64, l []float64) float64 {
	return chainOracle(x, n, l, func(rem, xk, lq, lr float64) float64 {
		lc, _ := math.Lgamma(rem + 1)
		a, _ := math.Lgamma(xk + 1)
		b, _ := math.Lgamma(rem - xk + 1)
		return lc - a - b + xlogLog(xk, lq) + xlogLog(rem-xk, lr)
	})
}

func binomialChain(x []float64, n float64, l []float64) float64 {
	return chainOracle(x, n, l, func(rem, xk, lq, _ float64) float64 {
		return distuv.Binomial{N: rem, P: math.Exp(lq)}.LogProb(xk)
	})
}

// chainOracle applies the chain rule with binom(rem, x_k, log q_k,
// log(1 − q_k)) as the conditional log-mass of class k.
func chainOracle(x []float64, n float64, l []float64, binom func(rem, xk, lq, lr float64) float64) float64 {
	for _, v := range x {
		if math.IsNaN(v) {
			return math.NaN()
		}
		if v < 0 || v != math.Floor(v) || math.IsInf(v, 0) {
			return math.Inf(-1)
		}
	}
	lse := func(v []float64) float64 {
		m := math.Inf(-1)
		for _, w := range v {
			m = math.Max(m, w)
		}
		if math.IsInf(m, -1) {
			return m
		}
		var s float64
		for _, w := range v {
			s += math.Exp(w - m)
		}
		return m + math.Log(s)
	}
	rem, lp := n, 0.0
	for k := range len(x) - 1 {
		all, rest := lse(l[k:]), lse(l[k+1:])
		lq, lr := l[k]-all, rest-all
		switch {
		case x[k] > rem:
			return math.Inf(-1)
		case math.IsInf(lq, -1):
			if x[k] != 0 {
				return math.Inf(-1)
			}
		case math.IsInf(lr, -1):
			if x[k] != rem {
				return math.Inf(-1)
			}
		default:
			lp += binom(rem, x[k], lq, lr)
		}
		rem -= x[k]
	}
	if x[len(x)-1] != rem {
		return math.Inf(-1)
	}
	return lp
}

// TestMultinomialOracle compares log-masses with the chain rule over
// conditional binomials (in log space; with gonum's distuv.Binomial where
// the logits are moderate; and, for K = 2, with one distuv.Binomial),
// including extreme and −Inf logits, N = 0 and N = 1000, and rows off the
// support.
func TestMultinomialOracle(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		n  float64
		l  []float64
		xs [][]float64
	}{
		{0, []float64{0.3, -1, 2}, [][]float64{{0, 0, 0}, {1, 0, 0}}},
		{1, []float64{0.3, -1, 2}, [][]float64{{1, 0, 0}, {0, 0, 1}, {0, 1, 1}}},
		{7, []float64{0, 0, 0}, [][]float64{{2, 2, 3}, {7, 0, 0}, {2.5, 2, 2.5}, {-1, 4, 4}, {2, 2, 2}, {inf, 0, 0}}},
		{7, []float64{1, -2, 0.5}, [][]float64{{3, 1, 3}, {0, 7, 0}, {0, 0, 7}}},
		{10, []float64{30, -30, 0}, [][]float64{{10, 0, 0}, {9, 0, 1}, {0, 10, 0}, {5, 3, 2}}},
		{6, []float64{math.Inf(-1), 0, 1}, [][]float64{{0, 2, 4}, {1, 2, 3}, {0, 6, 0}}},
		{1000, []float64{0.2, 0.9, -0.4}, [][]float64{{300, 500, 200}, {1000, 0, 0}, {0, 0, 1000}, {250, 500, 251}}},
		{12, []float64{0.3, -0.7}, [][]float64{{0, 12}, {5, 7}, {12, 0}}},
		{5, []float64{0.1, -0.2, 0.4, 1.2, -3}, [][]float64{{1, 1, 1, 1, 1}, {0, 0, 0, 5, 0}, {2, 0, 0, 0, 3}}},
	} {
		d := Multinomial{s11(tc.n), dense(tc.l)}
		for _, x := range tc.xs {
			got := d.LogProb(nil, dense(x))[0]
			want := multinomialOracle(x, tc.n, tc.l)
			if !relClose(got, want, 1e-12) {
				t.Errorf("Multinomial(%v, %v): log P(%v) = %.17g, oracle %.17g", tc.n, tc.l, x, got, want)
			}
			moderate := true
			for _, v := range tc.l {
				moderate = moderate && math.Abs(v) <= 5
			}
			if c := binomialChain(x, tc.n, tc.l); moderate && !relClose(got, c, 1e-12) {
				t.Errorf("Multinomial(%v, %v): log P(%v) = %.17g, distuv.Binomial chain %.17g", tc.n, tc.l, x, got, c)
			}
			if len(x) == 2 && !math.IsInf(want, -1) {
				b := distuv.Binomial{N: tc.n, P: sigmoid(tc.l[0] - tc.l[1])}.LogProb(x[0])
				if !relClose(got, b, 1e-12) {
					t.Errorf("Multinomial(%v, %v): log P(%v) = %.17g, distuv.Binomial %.17g", tc.n, tc.l, x, got, b)
				}
			}
		}
	}
	if got := (Multinomial{s11(3), dense([]float64{0, 1})}).LogProb(nil, dense([]float64{math.NaN(), 1}))[0]; !math.IsNaN(got) {
		t.Errorf("NaN count: log P = %v, want NaN", got)
	}
}

// compositions calls f with every row of k non-negative integers summing
// to n.
func compositions(n, k int, f func([]float64)) {
	x := make([]float64, k)
	var rec func(j, rem int)
	rec = func(j, rem int) {
		if j == k-1 {
			x[j] = float64(rem)
			f(x)
			return
		}
		for v := 0; v <= rem; v++ {
			x[j] = float64(v)
			rec(j+1, rem-v)
		}
	}
	rec(0, n)
}

// TestMultinomialEnumeration sums over every event of small multinomials,
// batched with per-row counts and logits: the masses sum to one, and the
// means, variances and entropies equal the sums over the events.
func TestMultinomialEnumeration(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Multinomial
	}{
		{"shared", Multinomial{s11(5), dense([]float64{0.4, -1, 1.3})}},
		{"batched", Multinomial{dense([]float64{4}, []float64{2}, []float64{9}),
			dense([]float64{0.4, -1, 1.3, 0}, []float64{0, 0, 0, 0}, []float64{-20, 3, math.Inf(-1), 2})}},
		{"N = 0", Multinomial{s11(0), dense([]float64{1, 2})}},
		{"extreme", Multinomial{dense([]float64{6}, []float64{3}), dense([]float64{30, 0, -30}, []float64{-30, 30, 0})}},
	} {
		n, k := tc.d.Len(), tc.d.Dim()
		var mean, vari mat.Dense
		tc.d.Mean(&mean)
		tc.d.Variance(&vari)
		ent := tc.d.Entropy(nil)
		tcs := rawOf(tc.d.TotalCount)
		for i := range n {
			total := tcs.Data[member(tcs.Rows, i)*tcs.Stride]
			var sum, h float64
			m1, m2 := make([]float64, k), make([]float64, k)
			lp := make([]float64, n)
			compositions(int(total), k, func(x []float64) {
				xs := mat.NewDense(n, k, nil)
				for r := range n {
					xs.SetRow(r, x)
				}
				tc.d.LogProb(lp, xs)
				p := math.Exp(lp[i])
				sum += p
				if p > 0 {
					h -= p * lp[i]
				}
				for j, v := range x {
					m1[j] += p * v
					m2[j] += p * v * v
				}
			})
			if math.Abs(sum-1) > 1e-13 {
				t.Errorf("%s member %d: masses sum to %v", tc.name, i, sum)
			}
			if !relClose(ent[i], h, 1e-12) {
				t.Errorf("%s member %d: entropy %.17g, enumeration %.17g", tc.name, i, ent[i], h)
			}
			for j := range k {
				if !relClose(mean.At(i, j), m1[j], 1e-12) {
					t.Errorf("%s member %d coordinate %d: mean %v, enumeration %v", tc.name, i, j, mean.At(i, j), m1[j])
				}
				// Absolute: the enumerated variance cancels to about
				// ε·E[x²].
				if v := m2[j] - m1[j]*m1[j]; math.Abs(vari.At(i, j)-v) > 1e-12*math.Max(1, m2[j]) {
					t.Errorf("%s member %d coordinate %d: variance %v, enumeration %v", tc.name, i, j, vari.At(i, j), v)
				}
			}
		}
	}
}

// TestMultinomialVarianceExtreme checks the marginal variance of a class
// with probability within 10⁻¹³ of one, where N·p(1 − p) computed as
// N·p − N·p² would cancel.
func TestMultinomialVarianceExtreme(t *testing.T) {
	var v mat.Dense
	Multinomial{s11(10), dense([]float64{30, 0, 0})}.Variance(&v)
	q := 2 * math.Exp(-30) / (1 + 2*math.Exp(-30)) // 1 − p₀
	if want := 10 * (1 - q) * q; !relClose(v.At(0, 0), want, 1e-14) || v.At(0, 0) == 0 {
		t.Errorf("variance %v, want %v", v.At(0, 0), want)
	}
}

// TestMultinomialSamples checks draws at fixed seeds: every row is in the
// support and sums to N; per-coordinate sample means and variances agree
// with Mean and Variance within zSE standard errors; the entropy agrees
// with −mean log P; and a chi-squared goodness-of-fit test over every
// event of a small multinomial passes at the 0.1% level.
func TestMultinomialSamples(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 4000
	}
	for _, tc := range []struct {
		name string
		d    Multinomial
	}{
		{"N = 4, K = 3", Multinomial{s11(4), dense([]float64{0.4, -0.3, 0.8})}},
		{"N = 60, K = 4", Multinomial{s11(60), dense([]float64{0.4, -1, 1.3, 0})}},
		{"N = 10⁴, −Inf logit", Multinomial{s11(1e4), dense([]float64{0, math.Inf(-1), -2, 1})}},
		{"extreme logits", Multinomial{s11(1000), dense([]float64{8, 0, -8})}},
	} {
		k := tc.d.Dim()
		x := mat.NewDense(n, k, nil)
		tc.d.Sample(x, newRand(21))
		var mean, vari mat.Dense
		tc.d.Mean(&mean)
		tc.d.Variance(&vari)
		total := tc.d.TotalCount.At(0, 0)
		sup := tc.d.Support()
		lp := tc.d.LogProb(nil, x)
		for i := range n {
			row := x.RawRowView(i)
			var s float64
			for _, v := range row {
				s += v
			}
			if s != total || !sup.Contains(row) || math.IsInf(lp[i], 0) {
				t.Errorf("%s: draw %d = %v (sum %v, log P %v) off the support", tc.name, i, row, s, lp[i])
				break
			}
		}
		for j := range k {
			xs := mat.Col(nil, j, x)
			var m, m2 float64
			for _, v := range xs {
				m += v
			}
			m /= float64(n)
			for _, v := range xs {
				m2 += (v - m) * (v - m)
			}
			m2 /= float64(n - 1)
			// The marginal is Binomial(N, p): its central fourth moment
			// is v(1 + 3(N − 2)pq), with v = Npq, which gives the standard
			// error of the sample variance even when the sample has no
			// spread (a class of probability 10⁻⁷).
			mu, v := mean.At(0, j), vari.At(0, j)
			mu4 := v * (1 + 3*(total-2)*v/total)
			if se := math.Sqrt(v / float64(n)); math.Abs(m-mu) > zSE*se+fpTol(n, mu) {
				t.Errorf("%s coordinate %d: sample mean %v, want %v ± %v", tc.name, j, m, mu, zSE*se)
			}
			if se := math.Sqrt(math.Max(mu4-v*v, 0) / float64(n)); math.Abs(m2-v) > zSE*se+fpTol(n, v) {
				t.Errorf("%s coordinate %d: sample variance %v, want %v ± %v", tc.name, j, m2, v, zSE*se)
			}
		}
		var s, s2 float64
		for _, v := range lp {
			s -= v
			s2 += v * v
		}
		mc := s / float64(n)
		se := math.Sqrt((s2/float64(n) - mc*mc) / float64(n))
		if h := tc.d.Entropy(nil)[0]; math.Abs(h-mc) > zSE*se+1e-12*math.Max(1, math.Abs(h)) {
			t.Errorf("%s: entropy %v, Monte Carlo %v ± %v", tc.name, h, mc, zSE*se)
		}
	}

	// Goodness of fit over the 15 events of N = 4, K = 3.
	d := Multinomial{s11(4), dense([]float64{0.4, -0.3, 0.8})}
	x := mat.NewDense(n, 3, nil)
	d.Sample(x, newRand(22))
	counts := map[[3]float64]float64{}
	for i := range n {
		counts[[3]float64(x.RawRowView(i))]++
	}
	var chi2 float64
	cells := 0
	compositions(4, 3, func(ev []float64) {
		e := float64(n) * math.Exp(d.LogProb(nil, dense(ev))[0])
		o := counts[[3]float64(ev)]
		chi2 += (o - e) * (o - e) / e
		cells++
	})
	if crit := (distuv.ChiSquared{K: float64(cells - 1)}).Quantile(0.999); chi2 > crit {
		t.Errorf("chi-squared %v over %d events, above the 0.1%% critical value %v", chi2, cells, crit)
	}
}

// TestMultinomialBatchedSamples draws one row from each of many members
// with different counts and logits, and checks the standardised residuals
// (x − mean)/sd: their mean is 0 and their mean square 1 within zSE
// standard errors, so each row comes from its own member.
func TestMultinomialBatchedSamples(t *testing.T) {
	n, k := 3000, 3
	rnd := newRand(23)
	tc, lg := mat.NewDense(n, 1, nil), mat.NewDense(n, k, nil)
	for i := range n {
		tc.Set(i, 0, float64(1+rnd.IntN(50)))
		for j := range k {
			lg.Set(i, j, 3*rnd.NormFloat64())
		}
	}
	d := Multinomial{tc, lg}
	x := mat.NewDense(n, k, nil)
	d.Sample(x, newRand(24))
	var mean, vari mat.Dense
	d.Mean(&mean)
	d.Variance(&vari)
	for j := range k {
		var s, s2, cnt float64
		for i := range n {
			if v := vari.At(i, j); v > 1e-3 {
				z := (x.At(i, j) - mean.At(i, j)) / math.Sqrt(v)
				s += z
				s2 += z * z
				cnt++
			}
		}
		// The mean of z has standard error 1/√m; the mean of z² is within
		// a few times √(2/m) of 1 for these moderately skewed counts.
		if m := s / cnt; math.Abs(m) > zSE/math.Sqrt(cnt) {
			t.Errorf("coordinate %d: mean residual %v over %v rows", j, m, cnt)
		}
		if m2 := s2 / cnt; math.Abs(m2-1) > 2*zSE*math.Sqrt(2/cnt) {
			t.Errorf("coordinate %d: mean squared residual %v over %v rows", j, m2, cnt)
		}
	}
}

// TestMultinomialLogProbVar checks that LogProbVar equals LogProb with
// broadcast parameters, and that an off-support row passes no gradient.
func TestMultinomialLogProbVar(t *testing.T) {
	x := dense([]float64{1, 2, 0}, []float64{0, 0, 3}, []float64{1, 1, 2})
	tp := ad.NewTape()
	l := tp.Var(1, 3, []float64{0.3, -0.2, 1})
	d := Multinomial{s11(3), l}
	v := d.LogProbVar(ad.FromDense(x))
	want := d.LogProb(nil, x)
	for i := range want {
		if v.Data[i] != want[i] {
			t.Errorf("row %d: LogProbVar %v, LogProb %v", i, v.Data[i], want[i])
		}
	}
	if !math.IsInf(want[2], -1) {
		t.Fatalf("row 2 sums to 4 ≠ 3: log P = %v", want[2])
	}
	tp.BackwardFrom(v, []float64{0, 0, 1})
	for j, g := range l.Grad() {
		if g != 0 {
			t.Errorf("off-support row: logit %d got gradient %v", j, g)
		}
	}
}

func TestMultinomialPanics(t *testing.T) {
	l := dense([]float64{0, 1, 2})
	for name, f := range map[string]func(){
		"nil logits":       func() { Multinomial{TotalCount: s11(2)}.Dim() },
		"two-column count": func() { Multinomial{dense([]float64{2, 3}), l}.Dim() },
		"fractional count": func() { Multinomial{s11(2.5), l}.Dim() },
		"negative count":   func() { Multinomial{s11(-1), l}.Len() },
		"rows do not match": func() {
			Multinomial{dense([]float64{1}, []float64{2}), dense([]float64{0, 1}, []float64{0, 1}, []float64{1, 1})}.Len()
		},
		"no finite logit": func() {
			Multinomial{s11(2), dense([]float64{math.Inf(-1), math.Inf(-1)})}.LogProb(nil, dense([]float64{1, 1}))
		},
		"wrong columns":         func() { Multinomial{s11(2), l}.LogProb(nil, dense([]float64{1, 1})) },
		"support of mixed N":    func() { Multinomial{dense([]float64{1}, []float64{2}), l}.Support() },
		"sample into wrong dst": func() { Multinomial{s11(2), l}.Sample(mat.NewDense(2, 2, nil), newRand(1)) },
	} {
		mustPanic(t, name, f)
	}
}

func ExampleMultinomial() {
	// Ten draws over three classes with probabilities 0.2, 0.3, 0.5.
	d := Multinomial{
		TotalCount: mat.NewDense(1, 1, []float64{10}),
		Logits:     mat.NewDense(1, 3, []float64{math.Log(0.2), math.Log(0.3), math.Log(0.5)}),
	}
	x := mat.NewDense(1, 3, []float64{2, 3, 5})
	fmt.Printf("P(2, 3, 5) = %.6f\n", math.Exp(d.LogProb(nil, x)[0]))
	var mean mat.Dense
	d.Mean(&mean)
	fmt.Printf("mean %.3g\n", mat.Formatted(&mean))
	// Output:
	// P(2, 3, 5) = 0.085050
	// mean [2  3  5]
}
