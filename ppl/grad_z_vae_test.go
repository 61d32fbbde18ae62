package ppl_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
)

// TestAsGradModelVAE checks ∇_z log p(x, z) of a VAE's ppl model (its
// decoder network on the tape) against finite differences and its value
// against the VAE's own LogLikelihood and prior, for both likelihoods. The
// networks run in float32 (package nn), so the differences take a step of
// 1e-2, whose truncation and rounding errors are both near 1e-4.
func TestAsGradModelVAE(t *testing.T) {
	for _, lik := range []amortized.Likelihood{amortized.Bernoulli, amortized.Gaussian} {
		t.Run(lik.String(), func(t *testing.T) {
			cfg := amortized.VAEConfig{DataDim: 12, Latent: 3, Hidden: []int{7}, Activation: amortized.Tanh, Likelihood: lik, LogSigma: -0.5}
			rnd := rand.New(rand.NewPCG(1, 2))
			vae, err := amortized.NewVAE(cfg, rnd)
			if err != nil {
				t.Fatal(err)
			}
			xs := mat.NewDense(1, cfg.DataDim, nil)
			vae.SampleData(xs, rnd)
			x := xs.RawRowView(0)
			g, err := ppl.AsGradModel(vae.Model(), vae.Store, xs)
			if err != nil {
				t.Fatal(err)
			}
			var _ mc.GradModel = g
			z := mat.NewDense(2, 3, []float64{0.3, -1.2, 0.5, 1.5, 0.2, -0.4})
			grad := mat.NewDense(2, 3, nil)
			got := g.LogJointGrad(nil, grad, x, z)
			want := latent.LogJoint(nil, vae, x, z)
			for i := range 2 {
				if math.Abs(got[i]-want[i]) > 1e-9*math.Max(1, math.Abs(want[i])) {
					t.Errorf("row %d: log p(x,z) = %v, the VAE gives %v", i, got[i], want[i])
				}
				fdg := fd.Gradient(nil, func(v []float64) float64 {
					return latent.LogJoint(nil, vae, x, mat.NewDense(1, 3, v))[0]
				}, mat.Row(nil, i, z), &fd.Settings{Formula: fd.Central, Step: 1e-2})
				for k := range 3 {
					if d := math.Abs(grad.At(i, k) - fdg[k]); d > 2e-3*math.Max(1, math.Abs(fdg[k])) {
						t.Errorf("row %d: ∂/∂z_%d = %v, finite differences give %v", i, k, grad.At(i, k), fdg[k])
					}
				}
			}
		})
	}
}
