package ppl

import (
	"math"
	"testing"
)

// guideGradVariance returns the total variance (summed over the guide's
// parameters) of n gradient estimates for the objective obj, the guide being
// the optimal mean-field q of the linear-Gaussian test model moved by delta,
// and their signal-to-noise ratio |mean| / √(total variance).
func guideGradVariance(t *testing.T, delta float64, obj Objective, n int) (variance, snr float64) {
	t.Helper()
	lg, x := testLG(4, 2, 0.7, 3)
	model, guide := lgModel(lg), paramGuide(offsetMeanField(lg, x, delta))
	samples, _ := gradientDraws(t, model, guide, NewParamStore(0), row(x), obj, n, 11, "q.loc", "q.log_scale")
	m, _, v := moments(samples)
	var norm2 float64
	for i := range v {
		variance += v[i]
		norm2 += m[i] * m[i]
	}
	return variance, math.Sqrt(norm2 / variance)
}

// TestGradientVarianceTable measures the variance reduction of STL (against
// the standard reparameterisation gradient of the ELBO, as the guide
// approaches the optimum) and of DReG (against the standard IWAE gradient,
// as K grows) on the linear-Gaussian model. docs/benchmarks.md records its
// output. The estimators' unbiasedness is checked in grad_test.go; here the
// checks are the variance orderings that theory predicts: STL below the
// standard estimator near the optimum, DReG below the standard IWAE gradient,
// and the signal-to-noise ratio of the standard IWAE gradient falling as K
// grows (Rainforth et al. 2018), DReG's staying above it.
func TestGradientVarianceTable(t *testing.T) {
	if testing.Short() {
		t.Skip("a measurement: 10⁴ gradients")
	}
	const n = 1000
	t.Log("ELBO, K = 1: total guide-gradient variance against the distance δ from the mean-field optimum")
	t.Log("     δ   standard        STL    ratio")
	for _, delta := range []float64{0.5, 0.2, 0.05, 0.01} {
		std, _ := guideGradVariance(t, delta, Objective{K: 1}, n)
		stl, _ := guideGradVariance(t, delta, Objective{K: 1, Estimator: STL}, n)
		t.Logf("%6.2f %10.4g %10.4g %8.3g", delta, std, stl, std/stl)
		if delta <= 0.05 && !(stl < std) {
			t.Errorf("δ = %v: STL variance %v not below the standard %v", delta, stl, std)
		}
	}
	t.Log("IWAE-K at δ = 0.2: total guide-gradient variance and signal-to-noise ratio against K")
	t.Log("     K   standard       DReG    ratio   SNR standard  SNR DReG")
	prev := math.Inf(1)
	for _, k := range []int{2, 8, 32, 128} {
		std, snrStd := guideGradVariance(t, 0.2, Objective{Bound: BoundIWAE, K: k}, n)
		dreg, snrDReG := guideGradVariance(t, 0.2, Objective{Bound: BoundIWAE, K: k, Estimator: DReG}, n)
		t.Logf("%6d %10.4g %10.4g %8.3g %14.3g %9.3g", k, std, dreg, std/dreg, snrStd, snrDReG)
		if !(dreg < std) || !(snrDReG > snrStd) {
			t.Errorf("K = %d: DReG variance %v, SNR %v; standard %v, %v", k, dreg, snrDReG, std, snrStd)
		}
		if !(snrStd < prev) {
			t.Errorf("K = %d: the standard IWAE gradient's SNR rose from %v to %v", k, prev, snrStd)
		}
		prev = snrStd
	}
}
