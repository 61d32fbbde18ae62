package dist

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// discreteCases are the count families with their oracles: gonum's distuv
// for Poisson and Binomial, closed forms for Geometric and NegativeBinomial
// (as a Gamma–Poisson mixture its mass is Γ(k + r)/(k! Γ(r)) pᵏ(1 − p)ʳ).
func discreteCases() []scalarCase {
	var cs []scalarCase
	ks := []float64{0, 1, 3, 10, 100, 2.5, -1}
	for _, l := range []float64{0.5, 4, 1e-3, 250, 1e5} {
		o := distuv.Poisson{Lambda: l}
		cs = append(cs, scalarCase{fmt.Sprintf("Poisson(%v)", l), Poisson{s11(l)}, o.LogProb, nil, l, l, math.NaN(), ks, false})
	}
	for _, th := range [][2]float64{{10, 0}, {1, 2}, {50, -3}, {1000, 8}, {30, -30}} {
		p := sigmoid(th[1])
		o := distuv.Binomial{N: th[0], P: p}
		cs = append(cs, scalarCase{fmt.Sprintf("Binomial(%v, logit %v)", th[0], th[1]), Binomial{s11(th[0]), s11(th[1])},
			o.LogProb, nil, o.Mean(), th[0] * p * sigmoid(-th[1]), math.NaN(), []float64{0, 1, 5, 10, 11, 0.5}, false})
	}
	for _, l := range []float64{0, 2, -3, 30, -8} {
		// 1 − p computed as σ(−l): 1 − σ(l) would cancel for large l.
		p, q := sigmoid(l), sigmoid(-l)
		cs = append(cs, scalarCase{fmt.Sprintf("Geometric(logit %v)", l), Geometric{s11(l)},
			func(k float64) float64 {
				if k < 0 || k != math.Floor(k) {
					return math.Inf(-1)
				}
				return k*math.Log(q) + math.Log(p)
			}, nil, q / p, q / (p * p), (-q*math.Log(q) - p*math.Log(p)) / p, ks, false})
	}
	for _, th := range [][2]float64{{3, 0}, {0.5, 1}, {20, -2}, {1e3, 0.1}} {
		r, p, q := th[0], sigmoid(th[1]), sigmoid(-th[1])
		cs = append(cs, scalarCase{fmt.Sprintf("NegativeBinomial(%v, logit %v)", r, th[1]), NegativeBinomial{s11(r), s11(th[1])},
			func(k float64) float64 {
				if k < 0 || k != math.Floor(k) {
					return math.Inf(-1)
				}
				return lgamma(k+r) - lgamma(k+1) - lgamma(r) + k*math.Log(p) + r*math.Log(q)
			}, nil, r * p / q, r * p / (q * q), math.NaN(), ks, false})
	}
	return cs
}
