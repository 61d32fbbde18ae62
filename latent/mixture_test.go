package latent_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// gmShapes are the (K, D) combinations the GaussianMixture tests run on.
var gmShapes = []struct{ K, D int }{{1, 1}, {3, 1}, {3, 2}, {5, 4}, {2, 10}}

// componentLogProb returns log N(x; Means_k, diag(Stds_k)²) by distuv.
func componentLogProb(m latent.GaussianMixture, k int, x []float64) float64 {
	var s float64
	for j, v := range x {
		s += distuv.Normal{Mu: m.Means.At(k, j), Sigma: m.Stds.At(k, j)}.LogProb(v)
	}
	return s
}

func TestGaussianMixtureLogEvidence(t *testing.T) {
	for i, s := range gmShapes {
		t.Run(fmt.Sprintf("K=%d,D=%d", s.K, s.D), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(20, uint64(i)))
			m := latent.NewRandomGaussianMixture(s.K, s.D, rnd)
			for _, x := range testPoints(m, s.D, rnd)[:3] {
				// A direct sum of densities: no log-sum-exp, so the points
				// must not be too far out (draws from p(x)).
				var want float64
				for k, w := range m.Weights {
					p := w
					for j, v := range x {
						p *= distuv.Normal{Mu: m.Means.At(k, j), Sigma: m.Stds.At(k, j)}.Prob(v)
					}
					want += p
				}
				want = math.Log(want)
				if got := m.LogEvidence(x); !near(got, want, 1e-12) {
					t.Errorf("LogEvidence(%v) = %v, want %v", x, got, want)
				}
			}
			// Far out, where the densities underflow, log-sum-exp stays finite.
			far := make([]float64, s.D)
			for j := range far {
				far[j] = 200
			}
			if got := m.LogEvidence(far); math.IsInf(got, 0) || math.IsNaN(got) {
				t.Errorf("LogEvidence far out = %v, want a finite value", got)
			}
		})
	}
}

func TestGaussianMixtureLogLikelihood(t *testing.T) {
	rnd := rand.New(rand.NewPCG(21, 0))
	m := latent.NewRandomGaussianMixture(4, 3, rnd)
	x := testPoints(m, 3, rnd)[0]
	z := mat.NewDense(6, 1, []float64{0, 3, 1, 1, 2, 0})
	got := m.LogLikelihood(nil, x, z)
	for r := range got {
		k := int(z.At(r, 0))
		if want := componentLogProb(m, k, x); !near(got[r], want, 1e-12) {
			t.Errorf("row %d (k=%d): %v, want %v", r, k, got[r], want)
		}
	}
	for _, bad := range []float64{-1, 4, 0.5, math.NaN()} {
		t.Run(fmt.Sprintf("z=%v", bad), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic for an invalid component index")
				}
			}()
			m.LogLikelihood(nil, x, mat.NewDense(1, 1, []float64{bad}))
		})
	}
}

// TestGaussianMixturePosteriorOracle checks the posterior logits against
// Bayes' rule evaluated with distuv, without package dist.
func TestGaussianMixturePosteriorOracle(t *testing.T) {
	for i, s := range gmShapes {
		t.Run(fmt.Sprintf("K=%d,D=%d", s.K, s.D), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(22, uint64(i)))
			m := latent.NewRandomGaussianMixture(s.K, s.D, rnd)
			for _, x := range testPoints(m, s.D, rnd) {
				post := m.Posterior(x)
				logits := postLogits(t, post)
				ev := m.LogEvidence(x)
				var total float64
				for k, w := range m.Weights {
					want := math.Log(w) + componentLogProb(m, k, x) - ev
					if !near(logits[k], want, 1e-10) {
						t.Errorf("log p(k=%d|x) = %v, want %v", k, logits[k], want)
					}
					total += math.Exp(logits[k])
				}
				if !near(total, 1, 1e-12) {
					t.Errorf("posterior probabilities sum to %v, want 1", total)
				}
			}
		})
	}
}

// TestGaussianMixtureBayes checks log p(x, k) − log p(k|x) = log p(x) for every
// component through the model's Prior, Posterior and LogJoint.
func TestGaussianMixtureBayes(t *testing.T) {
	for i, s := range gmShapes {
		t.Run(fmt.Sprintf("K=%d,D=%d", s.K, s.D), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(23, uint64(i)))
			m := latent.NewRandomGaussianMixture(s.K, s.D, rnd)
			if p := m.Prior(); p.Dim() != 1 || p.Len() != 1 {
				t.Fatalf("prior has Dim %d, Len %d, want 1, 1", p.Dim(), p.Len())
			}
			z := mat.NewDense(s.K, 1, nil)
			for k := 0; k < s.K; k++ {
				z.Set(k, 0, float64(k))
			}
			for _, x := range testPoints(m, s.D, rnd) {
				joint := latent.LogJoint(nil, m, x, z)
				post := m.Posterior(x).LogProb(nil, z)
				ev := m.LogEvidence(x)
				for k := range joint {
					if got := joint[k] - post[k]; !near(got, ev, 1e-9) {
						t.Errorf("k=%d: log p(x,k) − log p(k|x) = %v, want log p(x) = %v", k, got, ev)
					}
				}
			}
		})
	}
}

func TestGaussianMixtureSampleData(t *testing.T) {
	n := 40000
	if testing.Short() {
		n = 10000
	}
	for i, s := range []struct{ K, D int }{{1, 2}, {3, 2}, {4, 3}} {
		t.Run(fmt.Sprintf("K=%d,D=%d", s.K, s.D), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(24, uint64(i)))
			m := latent.NewRandomGaussianMixture(s.K, s.D, rnd)
			// Mixture moments: mean Σ w_k μ_k, covariance
			// Σ w_k (diag(s_k²) + μ_k μ_kᵀ) − mean meanᵀ.
			mean := make([]float64, s.D)
			for k, w := range m.Weights {
				floats.AddScaled(mean, w, m.Means.RawRowView(k))
			}
			cov := mat.NewSymDense(s.D, nil)
			for j := 0; j < s.D; j++ {
				for l := j; l < s.D; l++ {
					var c float64
					for k, w := range m.Weights {
						c += w * m.Means.At(k, j) * m.Means.At(k, l)
						if j == l {
							c += w * m.Stds.At(k, j) * m.Stds.At(k, j)
						}
					}
					cov.SetSym(j, l, c-mean[j]*mean[l])
				}
			}
			xs := mat.NewDense(n, s.D, nil)
			m.SampleData(xs, rnd)
			checkMoments(t, xs, mean, cov, 4.5)
		})
	}
}

func TestGaussianMixtureValidate(t *testing.T) {
	good := func() latent.GaussianMixture {
		return latent.GaussianMixture{
			Weights: []float64{0.25, 0.75},
			Means:   mat.NewDense(2, 3, []float64{0, 1, 2, 3, 4, 5}),
			Stds:    mat.NewDense(2, 3, []float64{1, 1, 1, 2, 2, 2}),
		}
	}
	for _, tc := range []struct {
		name   string
		modify func(*latent.GaussianMixture)
		want   string
	}{
		{"valid", func(*latent.GaussianMixture) {}, ""},
		{"sum within tolerance", func(m *latent.GaussianMixture) { m.Weights[0] += 5e-10 }, ""},
		{"no weights", func(m *latent.GaussianMixture) { m.Weights = nil }, "no weights"},
		{"nil means", func(m *latent.GaussianMixture) { m.Means = nil }, "Means is empty"},
		{"nil stds", func(m *latent.GaussianMixture) { m.Stds = nil }, "Stds is empty"},
		{"three weights", func(m *latent.GaussianMixture) { m.Weights = []float64{0.2, 0.3, 0.5} }, "Means has 2 rows, want 3"},
		{"stds shape", func(m *latent.GaussianMixture) { m.Stds = mat.NewDense(2, 2, []float64{1, 1, 1, 1}) }, "Stds is 2×2, want 2×3"},
		{"zero weight", func(m *latent.GaussianMixture) { m.Weights = []float64{0, 1} }, "Weights[0] is 0"},
		{"NaN weight", func(m *latent.GaussianMixture) { m.Weights[1] = math.NaN() }, "Weights[1] is NaN"},
		{"sum", func(m *latent.GaussianMixture) { m.Weights[0] = 0.2 }, "Weights sum to 0.95"},
		{"Inf mean", func(m *latent.GaussianMixture) { m.Means.Set(1, 2, math.Inf(1)) }, "Means[1,2] is +Inf"},
		{"zero std", func(m *latent.GaussianMixture) { m.Stds.Set(0, 1, 0) }, "Stds[0,1] is 0"},
		{"NaN std", func(m *latent.GaussianMixture) { m.Stds.Set(1, 0, math.NaN()) }, "Stds[1,0] is NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.modify(&m)
			err := m.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestNewRandomGaussianMixture(t *testing.T) {
	a := latent.NewRandomGaussianMixture(6, 4, rand.New(rand.NewPCG(25, 0)))
	b := latent.NewRandomGaussianMixture(6, 4, rand.New(rand.NewPCG(25, 0)))
	if !floats.Equal(a.Weights, b.Weights) || !mat.Equal(a.Means, b.Means) || !mat.Equal(a.Stds, b.Stds) {
		t.Error("same seed gave different models")
	}
	if err := a.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	if lo, hi := mat.Min(a.Stds), mat.Max(a.Stds); lo < 0.5 || hi > 1.5 {
		t.Errorf("stds span [%v, %v], want within [0.5, 1.5]", lo, hi)
	}
}

// postLogits returns the logits of a one-member dist.Categorical.
func postLogits(t *testing.T, d dist.Distribution) []float64 {
	t.Helper()
	c, ok := d.(dist.Categorical)
	if !ok {
		t.Fatalf("posterior is a %T, want dist.Categorical", d)
	}
	if r, _ := c.Logits.Dims(); r != 1 {
		t.Fatalf("posterior has %d members, want 1", r)
	}
	return mat.Row(nil, 0, c.Logits)
}
