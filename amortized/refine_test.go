package amortized

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/mc"
)

// TestRefine refines the proposal of untrained VAEs (whose encoders are
// far from the posterior), diagonal and IAF: the refined q must have a
// higher ELBO than the encoder's, by more than the estimates' standard
// errors, give by importance sampling the log p(x) that prior sampling
// gives (it is a normalised proposal of the same form as Proposal's), be
// the same for the same seed, and leave the model's parameters as they
// were.
func TestRefine(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  VAEConfig
	}{
		{"diagonal", VAEConfig{DataDim: 8, Latent: 2, Hidden: []int{6}, Activation: Tanh}},
		{"iaf", VAEConfig{DataDim: 8, Latent: 2, Hidden: []int{6}, Activation: Tanh, Flow: FlowIAF, FlowSteps: 2, FlowHidden: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(9, 0))
			v, err := NewVAE(tc.cfg, rnd)
			if err != nil {
				t.Fatal(err)
			}
			if tc.cfg.Flow == FlowIAF {
				randomiseFlow(v, rnd)
			}
			before := v.Store.Clone()
			x := []float64{1, 0, 1, 1, 0, 0, 1, 0}
			cfg := RefineConfig{Steps: 300, LR: 0.05, Seed: 4}
			q, err := v.Refine(x, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, isFlow := q.(dist.FlowDistribution); isFlow != (tc.cfg.Flow == FlowIAF) {
				t.Errorf("refined proposal %T for flow %v", q, tc.cfg.Flow)
			}
			for _, n := range v.Store.Names() {
				if !mat.Equal(v.Store.Get(n), before.Get(n)) {
					t.Errorf("parameter %q changed", n)
				}
			}
			again, err := v.Refine(x, cfg)
			if err != nil {
				t.Fatal(err)
			}
			z1, z2 := mat.NewDense(3, 2, nil), mat.NewDense(3, 2, nil)
			q.Sample(z1, rand.New(rand.NewPCG(1, 1)))
			again.Sample(z2, rand.New(rand.NewPCG(1, 1)))
			if !mat.Equal(z1, z2) {
				t.Error("two refinements with the same seed differ")
			}
			c := mc.Config{Seed: 5}
			elboEnc, _ := mc.ELBO(v, v.Proposal(x), x, 4000, c)
			elboRef, _ := mc.ELBO(v, q, x, 4000, c)
			isEnc, _ := mc.Importance(v, v.Proposal(x), x, 4000, c)
			isRef, _ := mc.Importance(v, q, x, 4000, c)
			t.Logf("ELBO %.4f ± %.4f → %.4f ± %.4f; IS %.4f ± %.4f (k̂ %.2f) → %.4f ± %.4f (k̂ %.2f)",
				elboEnc.LogPX, elboEnc.StdErr, elboRef.LogPX, elboRef.StdErr,
				isEnc.LogPX, isEnc.StdErr, isEnc.KHat, isRef.LogPX, isRef.StdErr, isRef.KHat)
			if !(elboRef.LogPX > elboEnc.LogPX+3*math.Hypot(elboEnc.StdErr, elboRef.StdErr)) {
				t.Errorf("refined ELBO %v not above the encoder's %v", elboRef.LogPX, elboEnc.LogPX)
			}
			// The reference log p(x): sampling the 2-D prior, whose weights are
			// bounded, rather than the encoder's IS, whose weights may be
			// heavy-tailed when the flow is far from the posterior.
			exact, _ := mc.Prior(v, x, 400000, c)
			t.Logf("prior sampling %.4f ± %.4f", exact.LogPX, exact.StdErr)
			if d := math.Abs(isRef.LogPX - exact.LogPX); d > 4*math.Hypot(exact.StdErr, isRef.StdErr) {
				t.Errorf("IS with the refined proposal %v, by prior sampling %v ± %v", isRef.LogPX, exact.LogPX, exact.StdErr)
			}
			if _, err := v.Refine(x, RefineConfig{}); err == nil {
				t.Error("Refine with 0 steps: no error")
			}
		})
	}
}

// ExampleVAE_Refine refines an (untrained) encoder's proposal for one image
// and compares the ELBO of the two proposals on the same draws' seed.
func ExampleVAE_Refine() {
	vae, err := NewVAE(VAEConfig{DataDim: 6, Latent: 2, Hidden: []int{8}, Activation: Tanh, Likelihood: Bernoulli}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	x := []float64{1, 1, 0, 0, 1, 0}
	q, err := vae.Refine(x, RefineConfig{Steps: 200, LR: 0.05, Seed: 1})
	if err != nil {
		panic(err)
	}
	before, _ := mc.ELBO(vae, vae.Proposal(x), x, 2000, mc.Config{Seed: 3})
	after, _ := mc.ELBO(vae, q, x, 2000, mc.Config{Seed: 3})
	fmt.Printf("%T, ELBO higher: %v\n", q, after.LogPX > before.LogPX)
	// Output:
	// dist.Normal, ELBO higher: true
}
