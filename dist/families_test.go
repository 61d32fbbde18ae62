package dist

import (
	"fmt"
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// scalarCase is a one-coordinate family at one parameter point with its
// oracle: gonum's distuv where it has the family, closed forms otherwise.
type scalarCase struct {
	name string
	d    Distribution
	// logPDF, cdf, mean, variance, entropy are the oracle's; cdf may be nil
	// for a discrete family (the KS test is for continuous ones).
	logPDF            func(x float64) float64
	cdf               func(x float64) float64
	mean, vari, entro float64
	// xs are points at which the log-density is compared.
	xs []float64
	// noSample skips the sample checks, for parameters whose draws float64
	// cannot represent (a gamma with α = 0.001 has half its mass below
	// the smallest float64; a Beta(0.01, 0.02) puts a fifth of its mass
	// within 10⁻¹⁶ of 1, where draws round to exactly 1 and tie).
	noSample bool
}

func s11(v float64) *mat.Dense { return mat.NewDense(1, 1, []float64{v}) }

// halfNormalOracle etc. are closed forms for the families gonum lacks.
func cauchyOracle(mu, s float64) (func(float64) float64, func(float64) float64) {
	return func(x float64) float64 {
			z := (x - mu) / s
			return -math.Log(math.Pi*s) - math.Log1p(z*z)
		}, func(x float64) float64 {
			return 0.5 + math.Atan((x-mu)/s)/math.Pi
		}
}

// continuousCases returns the families over a grid of parameters, extreme
// ones included.
func continuousCases() []scalarCase {
	var cs []scalarCase
	xsPos := []float64{1e-8, 0.01, 0.3, 1, 2.5, 10, 1e3}
	xsReal := []float64{-1e3, -3, -0.5, 0, 0.7, 4, 1e4}
	for _, th := range [][2]float64{{0, 1}, {-3, 0.01}, {5, 20}, {0.5, 1e-3}} {
		o := distuv.LogNormal{Mu: th[0], Sigma: th[1]}
		cs = append(cs, scalarCase{fmt.Sprintf("LogNormal(%v, %v)", th[0], th[1]), LogNormal{s11(th[0]), s11(th[1])},
			o.LogProb, o.CDF, o.Mean(), o.Variance(), o.Entropy(), xsPos, false})
	}
	for _, s := range []float64{1, 1e-4, 300} {
		o := distuv.Normal{Mu: 0, Sigma: s}
		cs = append(cs, scalarCase{fmt.Sprintf("HalfNormal(%v)", s), HalfNormal{s11(s)},
			func(x float64) float64 { return o.LogProb(x) + math.Ln2 }, func(x float64) float64 { return 2*o.CDF(x) - 1 },
			s * math.Sqrt(2/math.Pi), s * s * (1 - 2/math.Pi), o.Entropy() - math.Ln2, xsPos, false})
	}
	for _, th := range [][2]float64{{0, 1}, {-2, 1e-3}, {10, 50}} {
		lp, cdf := cauchyOracle(th[0], th[1])
		cs = append(cs, scalarCase{fmt.Sprintf("Cauchy(%v, %v)", th[0], th[1]), Cauchy{s11(th[0]), s11(th[1])},
			lp, cdf, math.NaN(), math.Inf(1), math.Log(4 * math.Pi * th[1]), xsReal, false})
	}
	for _, s := range []float64{1, 1e-3, 25} {
		lp, cdf := cauchyOracle(0, s)
		cs = append(cs, scalarCase{fmt.Sprintf("HalfCauchy(%v)", s), HalfCauchy{s11(s)},
			func(x float64) float64 { return lp(x) + math.Ln2 }, func(x float64) float64 { return 2*cdf(x) - 1 },
			math.Inf(1), math.Inf(1), math.Log(2 * math.Pi * s), xsPos, false})
	}
	for _, th := range [][3]float64{{5, 0, 1}, {1, -1, 2}, {0.5, 0, 1e-2}, {4.5, 1e3, 1e3}, {60, 0, 1}} {
		o := distuv.StudentsT{Nu: th[0], Mu: th[1], Sigma: th[2]}
		m, v := math.NaN(), math.NaN()
		if th[0] > 1 {
			m = o.Mean()
			v = math.Inf(1)
		}
		if th[0] > 2 {
			v = o.Variance()
		}
		// distuv has no StudentsT entropy; the closed form is checked by
		// Monte Carlo in TestFamilySamples.
		cs = append(cs, scalarCase{fmt.Sprintf("StudentT(%v, %v, %v)", th[0], th[1], th[2]), StudentT{s11(th[0]), s11(th[1]), s11(th[2])},
			o.LogProb, o.CDF, m, v, math.NaN(), xsReal, false})
	}
	// distuv subtracts two log-gammas of about 6·10⁶ for ν = 10⁶, which
	// loses nine digits: the oracle is mpmath at 40 digits.
	big := StudentT{s11(1e6), s11(2), s11(3)}
	ref := map[float64]float64{-1e3: -52882.488191058269852, -3: -3.4064394206398577608, -0.5: -2.3647735207538905257,
		0: -2.2397734669344760774, 0.7: -2.1114400458354290489, 4: -2.2397734669344760774, 1e4: -1246881.4153170736154}
	cs = append(cs, scalarCase{"StudentT(1e6, 2, 3)", big, func(x float64) float64 { return ref[x] },
		distuv.StudentsT{Nu: 1e6, Mu: 2, Sigma: 3}.CDF, 2, 9 * 1e6 / (1e6 - 2), math.NaN(), []float64{-1e3, -3, -0.5, 0, 0.7, 4, 1e4}, false})
	for _, th := range [][2]float64{{0, 1}, {-5, 1e-3}, {100, 30}} {
		o := distuv.Laplace{Mu: th[0], Scale: th[1]}
		cs = append(cs, scalarCase{fmt.Sprintf("Laplace(%v, %v)", th[0], th[1]), Laplace{s11(th[0]), s11(th[1])},
			o.LogProb, o.CDF, o.Mean(), o.Variance(), o.Entropy(), xsReal, false})
	}
	for _, r := range []float64{1, 1e-3, 1e3} {
		o := distuv.Exponential{Rate: r}
		cs = append(cs, scalarCase{fmt.Sprintf("Exponential(%v)", r), Exponential{s11(r)},
			o.LogProb, o.CDF, o.Mean(), o.Variance(), o.Entropy(), xsPos, false})
	}
	for _, th := range [][2]float64{{1, 1}, {2.5, 0.5}, {0.05, 1}, {1e-3, 2}, {1e4, 1e2}, {0.5, 1e3}} {
		o := distuv.Gamma{Alpha: th[0], Beta: th[1]}
		cs = append(cs, scalarCase{fmt.Sprintf("Gamma(%v, %v)", th[0], th[1]), Gamma{s11(th[0]), s11(th[1])},
			o.LogProb, o.CDF, o.Mean(), o.Variance(), math.NaN(), xsPos, th[0] < 0.01})
	}
	for _, th := range [][2]float64{{5, 1}, {4.5, 0.5}, {0.3, 2}, {1e3, 1e3}} {
		o := distuv.InverseGamma{Alpha: th[0], Beta: th[1]}
		m, v := math.Inf(1), math.Inf(1)
		if th[0] > 1 {
			m = o.Mean()
		}
		if th[0] > 2 {
			v = o.Variance()
		}
		cs = append(cs, scalarCase{fmt.Sprintf("InverseGamma(%v, %v)", th[0], th[1]), InverseGamma{s11(th[0]), s11(th[1])},
			o.LogProb, o.CDF, m, v, math.NaN(), xsPos, false})
	}
	for _, th := range [][2]float64{{1, 1}, {2, 5}, {0.5, 0.5}, {0.2, 0.3}, {0.01, 0.02}, {1e3, 2e3}, {1e-3, 1e4}} {
		o := distuv.Beta{Alpha: th[0], Beta: th[1]}
		cs = append(cs, scalarCase{fmt.Sprintf("Beta(%v, %v)", th[0], th[1]), Beta{s11(th[0]), s11(th[1])},
			o.LogProb, o.CDF, o.Mean(), o.Variance(), o.Entropy(), []float64{1e-300, 1e-10, 0.01, 0.3, 0.5, 0.9, 1 - 1e-12}, th[0] < 0.1})
	}
	for _, th := range [][2]float64{{0, 1}, {-3, 5}, {1e3, 1e3 + 1e-3}} {
		o := distuv.Uniform{Min: th[0], Max: th[1]}
		cs = append(cs, scalarCase{fmt.Sprintf("Uniform(%v, %v)", th[0], th[1]), Uniform{s11(th[0]), s11(th[1])},
			o.LogProb, o.CDF, o.Mean(), o.Variance(), o.Entropy(), []float64{-4, 0, 0.5, 1, 2, 1e3 + 5e-4}, false})
	}
	return cs
}

// relClose reports whether got equals want within rel relative to
// max(1, |want|), with equal infinities equal.
func relClose(got, want, rel float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return got == want || (math.IsNaN(got) && math.IsNaN(want))
	}
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

// TestFamilyOracles compares log-densities, means, variances and entropies
// with gonum's distuv (or a closed form) over the parameter grid.
func TestFamilyOracles(t *testing.T) {
	for _, tc := range append(continuousCases(), discreteCases()...) {
		for _, x := range tc.xs {
			got := tc.d.LogProb(nil, s11(x))[0]
			if want := tc.logPDF(x); !relClose(got, want, 1e-12) {
				t.Errorf("%s: log p(%v) = %.17g, oracle %.17g", tc.name, x, got, want)
			}
		}
		var m, v mat.Dense
		if mv, ok := tc.d.(interface{ Mean(*mat.Dense) }); ok {
			mv.Mean(&m)
			if got := m.At(0, 0); !relClose(got, tc.mean, 1e-13) {
				t.Errorf("%s: mean %v, oracle %v", tc.name, got, tc.mean)
			}
		} else {
			t.Errorf("%s: no Mean", tc.name)
		}
		if vv, ok := tc.d.(interface{ Variance(*mat.Dense) }); ok {
			vv.Variance(&v)
			if got := v.At(0, 0); !relClose(got, tc.vari, 1e-12) {
				t.Errorf("%s: variance %v, oracle %v", tc.name, got, tc.vari)
			}
		} else {
			t.Errorf("%s: no Variance", tc.name)
		}
		if e, ok := tc.d.(Entropier); ok && !math.IsNaN(tc.entro) {
			if got := e.Entropy(nil)[0]; !relClose(got, tc.entro, 1e-12) {
				t.Errorf("%s: entropy %v, oracle %v", tc.name, got, tc.entro)
			}
		}
	}
}

// TestFamilySamples checks draws at fixed seeds: the sample mean and
// variance against the oracle's within zSE standard errors (estimated from
// the sample's own higher moments, so the grid's parameters with a finite
// variance also have a finite fourth moment), the entropy against −mean log p within
// zSE standard errors, and, for continuous families, the Kolmogorov–Smirnov
// statistic against the oracle's CDF below its 0.1% critical value
// 1.95/√n.
func TestFamilySamples(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 4000
	}
	for _, tc := range append(continuousCases(), discreteCases()...) {
		if tc.noSample {
			continue
		}
		x := mat.NewDense(n, 1, nil)
		tc.d.Sample(x, newRand(11))
		xs := append([]float64(nil), x.RawMatrix().Data...)
		if !math.IsInf(tc.vari, 0) && !math.IsNaN(tc.vari) {
			var m, m2, m4 float64
			for _, v := range xs {
				m += v
			}
			m /= float64(n)
			for _, v := range xs {
				d := (v - m) * (v - m)
				m2 += d
				m4 += d * d
			}
			m2 /= float64(n - 1)
			m4 /= float64(n)
			if se := math.Sqrt(tc.vari / float64(n)); math.Abs(m-tc.mean) > zSE*se {
				t.Errorf("%s: sample mean %v, want %v ± %v", tc.name, m, tc.mean, zSE*se)
			}
			if se := math.Sqrt(math.Max(m4-m2*m2, 0) / float64(n)); math.Abs(m2-tc.vari) > zSE*se+fpTol(n, tc.vari) {
				t.Errorf("%s: sample variance %v, want %v ± %v", tc.name, m2, tc.vari, zSE*se)
			}
		}
		// A sample with one distinct value (Binomial(30, σ(−30)) draws only
		// zeros) has no spread to estimate the entropy's error from: skip.
		if e, ok := tc.d.(Entropier); ok && !allEqual(xs) {
			lp := tc.d.LogProb(nil, x)
			var s, s2 float64
			for _, v := range lp {
				s -= v
				s2 += v * v
			}
			mean := s / float64(n)
			se := math.Sqrt((s2/float64(n) - mean*mean) / float64(n))
			if got := e.Entropy(nil)[0]; math.Abs(got-mean) > zSE*se+1e-12*math.Max(1, math.Abs(got)) {
				t.Errorf("%s: entropy %v, Monte Carlo %v ± %v", tc.name, got, mean, zSE*se)
			}
		}
		if tc.cdf != nil {
			sort.Float64s(xs)
			var ks float64
			for i, v := range xs {
				f := tc.cdf(v)
				ks = math.Max(ks, math.Max(math.Abs(f-float64(i)/float64(n)), math.Abs(float64(i+1)/float64(n)-f)))
			}
			if crit := 1.95 / math.Sqrt(float64(n)); ks > crit {
				t.Errorf("%s: Kolmogorov–Smirnov statistic %v above %v", tc.name, ks, crit)
			}
		}
		for i, v := range xs {
			if s, ok := tc.d.(Supporter); ok && !s.Support().Contains([]float64{v}) {
				t.Errorf("%s: draw %d = %v outside %v", tc.name, i, v, s.Support())
				break
			}
		}
	}
}

func allEqual(xs []float64) bool {
	for _, v := range xs {
		if v != xs[0] {
			return false
		}
	}
	return true
}
