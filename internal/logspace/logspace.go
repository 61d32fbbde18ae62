// Package logspace holds the numerically stable scalar functions that the
// rest of vitool uses to stay in log space: softplus, sigmoid, log-sigmoid,
// log(1 - e^x), and log-sum-exp over slices.
package logspace

import "math"

// Softplus returns log(1 + e^x) to full relative precision for every x,
// without overflow: it is max(x, 0) + log1p(e^{−|x|}), with log1p computed
// by Kahan's trick log(u)·y/(u − 1), u = 1 + y, which needs one Exp and one
// Log and is faster than math.Log1p.
func Softplus(x float64) float64 {
	y := math.Exp(-math.Abs(x))
	u := 1 + y
	lp := y
	if u != 1 {
		lp = math.Log(u) * y / (u - 1)
	}
	return math.Max(x, 0) + lp
}

// Sigmoid returns σ(x) = 1/(1 + e^−x) without overflow: for x < 0 it is
// e^x/(1 + e^x).
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// LogSigmoid returns log σ(x) = -softplus(-x).
func LogSigmoid(x float64) float64 { return -Softplus(-x) }

// Log1mExp returns log(1 - e^x) for x ≤ 0, choosing between log1p and expm1
// as in Mächler (2012), "Accurately Computing log(1 − exp(−|a|))".
// It returns NaN for x > 0 and -Inf for x == 0.
func Log1mExp(x float64) float64 {
	switch {
	case x > 0 || math.IsNaN(x):
		return math.NaN()
	case x > -math.Ln2:
		return math.Log(-math.Expm1(x))
	default:
		return math.Log1p(-math.Exp(x))
	}
}

// LogSumExp returns log Σ exp(xs[i]). It returns -Inf for an empty slice or a
// slice of -Inf values, +Inf if any element is +Inf, and NaN if any is NaN.
func LogSumExp(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		if math.IsNaN(x) {
			return math.NaN()
		}
		if x > m {
			m = x
		}
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, x := range xs {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// LogMeanExp returns log((1/n) Σ exp(xs[i])) for n = len(xs). It panics if xs
// is empty.
func LogMeanExp(xs []float64) float64 {
	if len(xs) == 0 {
		panic("logspace: LogMeanExp of empty slice")
	}
	return LogSumExp(xs) - math.Log(float64(len(xs)))
}
