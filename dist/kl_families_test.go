package dist

import (
	"math"
	"testing"

	"github.com/vitool/vitool/ad"
)

// TestKLFamiliesAgainstMonteCarlo checks the analytic KL of every new pair,
// with batched and broadcast members and scalar parameters broadcast over
// coordinates, against its Monte Carlo estimate within zSE standard errors.
func TestKLFamiliesAgainstMonteCarlo(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 5000
	}
	for _, tc := range []struct {
		name string
		p, q Distribution
	}{
		{"Gamma‖Gamma", Gamma{dense([]float64{0.5, 3}, []float64{2, 8}), s11(1.5)}, Gamma{dense([]float64{1, 2}), dense([]float64{0.7, 3})}},
		{"Gamma‖Gamma broadcast‖batched", Gamma{dense([]float64{2, 0.5}), s11(1)}, Gamma{dense([]float64{1, 2}, []float64{4, 0.5}), s11(2)}},
		{"Beta‖Beta", Beta{dense([]float64{0.5, 3}, []float64{2, 8}), s11(1.5)}, Beta{dense([]float64{1, 2}), dense([]float64{0.7, 3})}},
		{"Dirichlet‖Dirichlet", Dirichlet{dense([]float64{0.5, 3, 1}, []float64{2, 8, 4})}, Dirichlet{dense([]float64{1, 2, 0.7})}},
		{"Dirichlet‖Dirichlet broadcast‖batched", Dirichlet{dense([]float64{2, 2, 2})}, Dirichlet{dense([]float64{1, 2, 0.7}, []float64{5, 1, 3})}},
		{"Exponential‖Exponential", Exponential{dense([]float64{0.5, 3}, []float64{2, 8})}, Exponential{dense([]float64{1, 2})}},
		{"Poisson‖Poisson", Poisson{dense([]float64{0.5, 3}, []float64{20, 8})}, Poisson{dense([]float64{1, 12})}},
		{"LogNormal‖LogNormal", LogNormal{dense([]float64{0.5, -1}), s11(0.7)}, LogNormal{s11(0), dense([]float64{1, 2})}},
	} {
		got, err := KL(nil, tc.p, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		est, se := KLMonteCarloSE(nil, nil, tc.p, tc.q, n, newRand(21))
		if len(got) != len(est) {
			t.Fatalf("%s: %d members, Monte Carlo %d", tc.name, len(got), len(est))
		}
		for i := range got {
			if math.IsNaN(got[i]) || got[i] < 0 || math.Abs(got[i]-est[i]) > zSE*se[i]+fpTol(8, got[i]) {
				t.Errorf("%s member %d: analytic %v, Monte Carlo %v ± %v", tc.name, i, got[i], est[i], zSE*se[i])
			}
		}
		if self, _ := KL(nil, tc.p, tc.p); math.Abs(self[0]) > 1e-12 {
			t.Errorf("%s: KL(p‖p) = %v", tc.name, self[0])
		}
	}
}

// klVJPCases checks the adjoints of the new KL pairs.
func klVJPCases() []vjpCase {
	pos := func(r, c int) param { return param{r: r, c: c, lo: 0.5, hi: 3} }
	re := func(r, c int) param { return param{r: r, c: c, lo: -1, hi: 1} }
	return []vjpCase{
		{"KL Gamma‖Gamma", []param{pos(3, 2), pos(1, 1), pos(1, 2), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(Gamma{v[0], v[1]}, Gamma{v[2], v[3]})
		}},
		{"KL Beta‖Beta", []param{pos(3, 2), pos(1, 2), pos(1, 1), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(Beta{v[0], v[1]}, Beta{v[2], v[3]})
		}},
		{"KL Dirichlet‖Dirichlet", []param{pos(3, 3), pos(1, 3)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(Dirichlet{v[0]}, Dirichlet{v[1]})
		}},
		{"KL Exponential‖Exponential", []param{pos(1, 2), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(Exponential{v[0]}, Exponential{v[1]})
		}},
		{"KL Poisson‖Poisson", []param{pos(3, 2), pos(1, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(Poisson{v[0]}, Poisson{v[1]})
		}},
		{"TransformedDistribution stick-breaking", []param{re(1, 2), re(3, 2), {r: 3, c: 3, fixed: []float64{0.2, 0.3, 0.5, 0.1, 0.1, 0.8, 0.6, 0.3, 0.1}}}, nil, func(v []*ad.Var) *ad.Var {
			return TransformedDistribution{Base: Normal{v[0], v[1]}, Transform: StickBreakingTransform{}}.LogProbVar(v[2])
		}},
		{"TransformedDistribution affine∘exp", []param{re(1, 2), re(3, 2), pos(1, 1), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return TransformedDistribution{Base: Normal{v[0], v[1]}, Transform: ComposeTransform{ExpTransform{}, AffineTransform{Loc: ad.Scalar(0), Scale: v[2]}}}.LogProbVar(v[3])
		}},
		{"KL LogNormal‖LogNormal", []param{re(3, 2), pos(1, 2), re(1, 1), pos(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(LogNormal{v[0], v[1]}, LogNormal{v[2], v[3]})
		}},
	}
}
