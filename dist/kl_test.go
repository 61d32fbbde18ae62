package dist

import (
	"github.com/vitool/vitool/ad"

	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
	"gonum.org/v1/gonum/stat/distuv"
)

func mustMVN(t *testing.T, mu []float64, cov *mat.SymDense) MultivariateNormal {
	t.Helper()
	m, err := NewMultivariateNormal(mu, cov)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestKLAgainstMonteCarlo checks every registered pair, with broadcast and
// batched members, against the Monte Carlo estimate within zSE of its own
// standard error.
func TestKLAgainstMonteCarlo(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 5000
	}
	nb := Normal{dense([]float64{0.5, -1}, []float64{0, 0}, []float64{2, 1}), dense([]float64{0.2, -0.5}, []float64{0, 0}, []float64{-1, 0.7})}
	n1 := Normal{dense([]float64{0.1, 0.3}), dense([]float64{-0.2, 0.4})}
	q := mustMVN(t, []float64{0.2, -0.1, 0.4}, mat.NewSymDense(3, []float64{1.5, 0.3, 0, 0.3, 0.8, -0.2, 0, -0.2, 1.1}))
	p := mustMVN(t, []float64{1, -2, 0.5}, testCov())
	for _, tc := range []struct {
		name string
		p, q Distribution
	}{
		{"Normal‖Normal batched‖broadcast", nb, n1},
		{"Normal‖Normal broadcast‖batched", n1, nb},
		{"Normal‖Normal batched‖batched", nb, Normal{nb.LogScale, nb.Loc}},
		{"Normal‖StdNormal", nb, StdNormal{2}},
		{"StdNormal‖Normal", StdNormal{2}, nb},
		{"StdNormal‖StdNormal", StdNormal{2}, StdNormal{2}},
		{"MultivariateNormal‖StdNormal", p, StdNormal{3}},
		{"MultivariateNormal‖MultivariateNormal", p, q},
		{"Bernoulli‖Bernoulli", Bernoulli{dense([]float64{0.3, -2, 4}, []float64{1, 1, -1})}, Bernoulli{dense([]float64{0, 1, 2})}},
		{"Categorical‖Categorical", Categorical{dense([]float64{0.5, -1, 2, math.Inf(-1)}, []float64{0, 0, 0, 0})}, Categorical{dense([]float64{1, 0, -1, 0.5}, []float64{2, 1, 0, -1})}},
	} {
		got, err := KL(nil, tc.p, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		est, se := KLMonteCarloSE(nil, nil, tc.p, tc.q, n, newRand(21))
		if len(got) != len(est) {
			t.Fatalf("%s: lengths %d and %d", tc.name, len(got), len(est))
		}
		for i := range got {
			if math.IsNaN(got[i]) || got[i] < 0 || math.Abs(got[i]-est[i]) > zSE*se[i]+fpTol(4, got[i]) {
				t.Errorf("%s member %d: analytic %v, Monte Carlo %v ± %v", tc.name, i, got[i], est[i], zSE*se[i])
			}
		}
		// KLMonteCarlo draws the same values as KLMonteCarloSE.
		if plain := KLMonteCarlo(nil, tc.p, tc.q, n, newRand(21)); plain[0] != est[0] {
			t.Errorf("%s: KLMonteCarlo %v, KLMonteCarloSE %v", tc.name, plain[0], est[0])
		}
		// KLDivergence takes the analytic path.
		if kd := KLDivergence(nil, tc.p, tc.q, 1, newRand(1)); kd[0] != got[0] {
			t.Errorf("%s: KLDivergence %v, KL %v", tc.name, kd[0], got[0])
		}
	}
}

// TestKLOracles compares the Gaussian KLs with gonum's closed forms.
func TestKLOracles(t *testing.T) {
	p := mustMVN(t, []float64{1, -2, 0.5}, testCov())
	qCov := mat.NewSymDense(3, []float64{1.5, 0.3, 0, 0.3, 0.8, -0.2, 0, -0.2, 1.1})
	q := mustMVN(t, []float64{0.2, -0.1, 0.4}, qCov)
	rp, _ := distmv.NewNormal(p.Mean(), testCov(), nil)
	rq, _ := distmv.NewNormal(q.Mean(), qCov, nil)
	got, _ := KL(nil, p, q)
	if want := (distmv.KullbackLeibler{}).DistNormal(rp, rq); math.Abs(got[0]-want) > fpTol(27, want+3) {
		t.Errorf("MVN‖MVN: %v, want %v", got[0], want)
	}
	got, _ = KL(nil, q, q)
	if math.Abs(got[0]) > fpTol(27, 3) {
		t.Errorf("KL(q‖q) = %v", got[0])
	}

	a := Normal{dense([]float64{0.3, -4}), dense([]float64{-0.7, 1.2})}
	b := Normal{dense([]float64{1, 2}), dense([]float64{0.4, -0.1})}
	got, _ = KL(nil, a, b)
	var want float64
	for j := 0; j < 2; j++ {
		want += (distuv.KullbackLeibler{}).DistNormal(
			distuv.Normal{Mu: a.Loc.At(0, j), Sigma: math.Exp(a.LogScale.At(0, j))},
			distuv.Normal{Mu: b.Loc.At(0, j), Sigma: math.Exp(b.LogScale.At(0, j))})
	}
	if math.Abs(got[0]-want) > fpTol(16, want+2) {
		t.Errorf("Normal‖Normal: %v, want %v", got[0], want)
	}
	// A diagonal Normal as a MultivariateNormal gives the same KL to N(0, I).
	am := mustMVN(t, []float64{0.3, -4}, mat.NewSymDense(2, []float64{math.Exp(-1.4), 0, 0, math.Exp(2.4)}))
	k1, _ := KL(nil, a, StdNormal{2})
	k2, _ := KL(nil, am, StdNormal{2})
	if math.Abs(k1[0]-k2[0]) > fpTol(16, k1[0]+2) {
		t.Errorf("Normal‖StdNormal %v, MultivariateNormal‖StdNormal %v", k1[0], k2[0])
	}
	// Nearly equal Normals: the expm1 form keeps relative accuracy.
	c := Normal{dense([]float64{0}), dense([]float64{1e-9})}
	k, _ := KL(nil, c, StdNormal{1})
	// KL = (e^{2δ} − 1 − 2δ)/2 = δ² + O(δ³) for δ = 1e-9; rounding expm1(2δ)
	// costs a few ε·2δ in absolute terms, which the naive form would turn
	// into an error of order ε itself.
	const delta = 1e-9
	if want := delta * delta; math.Abs(k[0]-want) > 4*machEps*2*delta+delta*want {
		t.Errorf("KL of nearly equal Normals %v, want ≈ δ² = %v", k[0], want)
	}
}

func TestKLNotRegistered(t *testing.T) {
	n := Normal{dense([]float64{0.3, -1, 0.5}), dense([]float64{-0.2, 0.1, 0.3})}
	_, err := KL(nil, n, Bernoulli{dense([]float64{0, 0, 0})})
	if !errors.Is(err, ErrNoKL) || !strings.Contains(err.Error(), "dist.Normal") || !strings.Contains(err.Error(), "dist.Bernoulli") {
		t.Errorf("error %v, want ErrNoKL naming both types", err)
	}
	// Normal‖MultivariateNormal is not registered: KLDivergence falls back to
	// Monte Carlo, which must agree with the analytic MultivariateNormal pair.
	q := mustMVN(t, []float64{0.2, -0.1, 0.4}, mat.NewSymDense(3, []float64{1.5, 0.3, 0, 0.3, 0.8, -0.2, 0, -0.2, 1.1}))
	const draws = 4000
	got := KLDivergence(nil, n, q, draws, newRand(3))
	if mc := KLMonteCarlo(nil, n, q, draws, newRand(3)); got[0] != mc[0] {
		t.Errorf("KLDivergence %v, KLMonteCarlo %v", got[0], mc[0])
	}
	nm := mustMVN(t, []float64{0.3, -1, 0.5}, mat.NewSymDense(3, []float64{math.Exp(-0.4), 0, 0, 0, math.Exp(0.2), 0, 0, 0, math.Exp(0.6)}))
	want, _ := KL(nil, nm, q)
	_, se := KLMonteCarloSE(nil, nil, n, q, draws, newRand(3))
	if math.Abs(got[0]-want[0]) > zSE*se[0] {
		t.Errorf("Monte Carlo fallback %v, analytic %v ± %v", got[0], want[0], zSE*se[0])
	}
}

// shiftedStd is a test-only type for RegisterKL.
type shiftedStd struct{ StdNormal }

func TestRegisterKL(t *testing.T) {
	RegisterKL(func(p shiftedStd, q StdNormal) *ad.Var { return ad.Scalar(42) })
	got, err := KL(make([]float64, 1), shiftedStd{StdNormal{2}}, StdNormal{2})
	if err != nil || got[0] != 42 {
		t.Errorf("registered KL: %v, %v", got, err)
	}
	mustPanic(t, "interface type", func() {
		RegisterKL(func(p Distribution, q StdNormal) *ad.Var { return nil })
	})
	mustPanic(t, "nil function", func() { RegisterKL[StdNormal, StdNormal](nil) })
	nb := Normal{dense([]float64{0}, []float64{0}), dense([]float64{0}, []float64{0})}
	n3 := Normal{dense([]float64{0}, []float64{0}, []float64{0}), dense([]float64{0}, []float64{0}, []float64{0})}
	mustPanic(t, "batch sizes", func() { KL(nil, nb, n3) })
	mustPanic(t, "dims", func() { KL(nil, nb, StdNormal{2}) })
	mustPanic(t, "dst length", func() { KL(make([]float64, 3), nb, StdNormal{1}) })
	mustPanic(t, "categorical classes", func() { KL(nil, Categorical{dense([]float64{0, 0})}, Categorical{dense([]float64{0, 0, 0})}) })
	mustPanic(t, "n < 1", func() { KLMonteCarlo(nil, nb, nb, 0, newRand(1)) })
	mustPanic(t, "n < 2 with SE", func() { KLMonteCarloSE(nil, nil, nb, nb, 1, newRand(1)) })
}
