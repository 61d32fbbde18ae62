package mc

import (
	"math"
	"slices"
)

// ParetoKHat returns the Pareto k̂ diagnostic of the importance weights
// w_i = exp(logw[i]), as in Pareto smoothed importance sampling (Vehtari,
// Simpson, Gelman, Yao and Gabry, 2015; revised 2024).
//
// With S = len(logw) and M = ⌈min(S/5, 3√S)⌉, the weights above the
// (M+1)-th largest one (the threshold u) are taken as the tail. A generalised
// Pareto distribution is fitted to the exceedances w − u with the empirical
// Bayes estimator of Zhang and Stephens (2009), and its shape k is shrunk
// towards 0.5 by the weakly informative prior adjustment
// k̂ = (M·k + 10·0.5)/(M + 10). The log-weights are shifted by their maximum
// first, so any finite scale works.
//
// k̂ estimates how many moments the weights have (about 1/k̂): below 0.5 the
// variance is finite and the central limit theorem applies; between 0.5 and
// 0.7 importance sampling still converges, slowly; above 0.7 the estimate is
// unreliable. Bounded weights give k̂ < 0.
//
// ParetoKHat returns NaN when k̂ is undefined: if logw holds a NaN or +Inf,
// if every weight is zero, or if the tail holds fewer than five weights
// strictly above the threshold (fewer than about 25 samples, or heavily tied
// weights). logw is not modified.
func ParetoKHat(logw []float64) float64 {
	s := len(logw)
	if s == 0 {
		return math.NaN()
	}
	for _, v := range logw {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			return math.NaN()
		}
	}
	n := min(tailLen(s)+1, s)
	top := make([]float64, s)
	copy(top, logw)
	slices.Sort(top)
	return khatFromTop(top[s-n:])
}

// tailLen returns the PSIS tail length M = ⌈min(S/5, 3√S)⌉ for S samples.
func tailLen(s int) int {
	f := float64(s)
	return int(math.Ceil(math.Min(0.2*f, 3*math.Sqrt(f))))
}

// logTiny is the log of the smallest positive normal float64, the lowest
// threshold allowed (relative to the largest log-weight).
var logTiny = math.Log(0x1p-1022)

// khatFromTop returns k̂ given the M+1 largest log-weights of the sample in
// ascending order, none NaN or +Inf. top[0] is the threshold.
func khatFromTop(top []float64) float64 {
	if len(top) < 6 {
		return math.NaN()
	}
	mx := top[len(top)-1]
	if math.IsInf(mx, -1) {
		return math.NaN()
	}
	cut := math.Max(top[0]-mx, logTiny)
	ecut := math.Exp(cut)
	y := make([]float64, 0, len(top)-1)
	for _, v := range top[1:] {
		if d := v - mx; d > cut {
			y = append(y, math.Exp(d)-ecut)
		}
	}
	if len(y) <= 4 {
		return math.NaN()
	}
	return gpdShape(y)
}

// gpdShape returns the Zhang–Stephens (2009) empirical Bayes estimate of the
// shape k of a generalised Pareto distribution with location 0 fitted to the
// positive sample x, sorted in ascending order, followed by the weakly
// informative prior adjustment (n·k + 10·0.5)/(n + 10). The sign of k is the
// usual one (k > 0 for heavy tails), the negative of Zhang and Stephens'.
//
// Zhang and Stephens parameterise the GPD by θ = −k/σ. For fixed θ the
// likelihood is maximised by k(θ) = mean log(1 − θ x_i), giving the profile
// log-likelihood ℓ(θ) = n (log(−θ/k(θ)) − k(θ) − 1). θ̂ is the posterior mean
// over a grid of m = 30 + ⌊√n⌋ points θ_j = 1/x_(n) + (1 − √(m/(j − ½)))/(3 x_(q)),
// with x_(q) the first quartile, weighted by exp ℓ(θ_j) (all θ_j < 1/x_(n), so
// the logarithms are defined); then k̂ = k(θ̂).
func gpdShape(x []float64) float64 {
	n := len(x)
	nf := float64(n)
	m := 30 + int(math.Sqrt(nf))
	xq := x[int(nf/4+0.5)-1]
	xmax := x[n-1]
	theta := make([]float64, m)
	ll := make([]float64, m)
	kOf := func(th float64) float64 {
		var s float64
		for _, v := range x {
			s += math.Log1p(-th * v)
		}
		return s / nf
	}
	lmax := math.Inf(-1)
	for j := range m {
		th := 1/xmax + (1-math.Sqrt(float64(m)/(float64(j+1)-0.5)))/(3*xq)
		k := kOf(th)
		l := nf * (math.Log(-th/k) - k - 1)
		if math.IsNaN(l) {
			l = math.Inf(-1)
		}
		theta[j], ll[j] = th, l
		lmax = math.Max(lmax, l)
	}
	if math.IsInf(lmax, 0) {
		return math.NaN()
	}
	// Normalised weights exp(ℓ_j)/Σ exp(ℓ_i); drop the negligible ones and
	// renormalise, as the reference implementations do.
	var z float64
	for j := range ll {
		ll[j] = math.Exp(ll[j] - lmax)
		z += ll[j]
	}
	var num, den float64
	for j, w := range ll {
		w /= z
		if w < 10*0x1p-52 {
			continue
		}
		num += w * theta[j]
		den += w
	}
	k := kOf(num / den)
	return (nf*k + 10*0.5) / (nf + 10)
}
