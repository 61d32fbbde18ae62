package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/ad"
)

// TestMixtureMaximumLikelihood fits a two-component Gaussian mixture to
// draws of a known one by gradient ascent on Σ log p(x_i) through
// LogProbVar (Adam), then checks the EM fixed-point equations, which hold
// exactly at a stationary point of the likelihood and are computed here
// by hand from distuv: every weight equals the mean responsibility, every
// mean the responsibility-weighted mean, every variance the weighted
// variance. The residuals must be below 10⁻⁶ of the parameters' standard
// errors (σ/√(n w)), so the gradients lead to the maximum.
func TestMixtureMaximumLikelihood(t *testing.T) {
	const n = 500
	truth := MixtureSameFamily{Categorical{dense([]float64{math.Log(0.3), math.Log(0.7)})},
		Normal{dense([]float64{-2}, []float64{2}), dense([]float64{math.Log(0.5)}, []float64{0})}}
	x := mat.NewDense(n, 1, nil)
	truth.Sample(x, newRand(51))
	xv := ad.FromDense(x)

	steps := 1500
	if testing.Short() {
		steps = 500
	}
	theta := []float64{0, 0, -1, 1, 0, 0} // logits, locs, log scales
	m, v := make([]float64, 6), make([]float64, 6)
	for step := 1; step <= steps; step++ {
		tp := ad.NewTape()
		lw, loc, ls := tp.Var(1, 2, theta[0:2]), tp.Var(2, 1, theta[2:4]), tp.Var(2, 1, theta[4:6])
		ll := ad.Sum(MixtureSameFamily{Categorical{lw}, Normal{loc, ls}}.LogProbVar(xv))
		tp.Backward(ll)
		g := append(append(append([]float64(nil), lw.Grad()...), loc.Grad()...), ls.Grad()...)
		lr := 0.05 / math.Sqrt(float64(step)/100+1)
		for k := range theta {
			gk := g[k] / n
			m[k] = 0.9*m[k] + 0.1*gk
			v[k] = 0.999*v[k] + 0.001*gk*gk
			mh := m[k] / (1 - math.Pow(0.9, float64(step)))
			vh := v[k] / (1 - math.Pow(0.999, float64(step)))
			theta[k] += lr * mh / (math.Sqrt(vh) + 1e-12)
		}
	}
	// EM fixed point, by hand.
	z := math.Log(math.Exp(theta[0]) + math.Exp(theta[1]))
	w := []float64{math.Exp(theta[0] - z), math.Exp(theta[1] - z)}
	var r [2][]float64
	for c := range 2 {
		r[c] = make([]float64, n)
	}
	for i := range n {
		p := [2]float64{}
		for c := range 2 {
			p[c] = w[c] * distuv.Normal{Mu: theta[2+c], Sigma: math.Exp(theta[4+c])}.Prob(x.At(i, 0))
		}
		for c := range 2 {
			r[c][i] = p[c] / (p[0] + p[1])
		}
	}
	for c := range 2 {
		var nc, s1 float64
		for i := range n {
			nc += r[c][i]
			s1 += r[c][i] * x.At(i, 0)
		}
		mu := s1 / nc
		var s2 float64
		for i := range n {
			d := x.At(i, 0) - mu
			s2 += r[c][i] * d * d
		}
		sigma := math.Exp(theta[4+c])
		se := sigma / math.Sqrt(nc)
		rw := math.Abs(w[c]-nc/n) / math.Sqrt(w[c]*(1-w[c])/n)
		rm, rs := math.Abs(theta[2+c]-mu)/se, math.Abs(sigma-math.Sqrt(s2/nc))/se
		t.Logf("component %d: w %.4f, μ %.4f, σ %.4f; EM residuals in standard errors %.1e %.1e %.1e", c, w[c], theta[2+c], sigma, rw, rm, rs)
		if rw > 1e-6 || rm > 1e-6 || rs > 1e-6 {
			t.Errorf("component %d is not at the EM fixed point", c)
		}
	}
}
