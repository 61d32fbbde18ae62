package mc_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// ExampleImportance estimates log p(x) for a probabilistic-PCA model with the
// mean-field proposal, and compares it with the exact value and the ELBO.
func ExampleImportance() {
	rnd := rand.New(rand.NewPCG(1, 1))
	m := latent.NewRandomLinearGaussian(8, 2, 0.5, rnd)
	xm := mat.NewDense(1, 8, nil)
	m.SampleData(xm, rnd)
	x := xm.RawRowView(0)

	q := m.MeanField(x)
	cfg := mc.Config{Seed: 42}
	est, err := mc.Importance(m, q, x, 100_000, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	elbo, err := mc.ELBO(m, q, x, 100_000, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	exact := m.LogEvidence(x)
	fmt.Printf("exact log p(x)  %.2f\n", exact)
	fmt.Printf("importance      %.2f (within 4 standard errors: %t)\n", est.LogPX, math.Abs(est.LogPX-exact) < 4*est.StdErr)
	fmt.Printf("ELBO            %.2f\n", elbo.LogPX)
	fmt.Printf("k̂ below 0.7:    %t\n", est.KHat < 0.7)
	// Output:
	// exact log p(x)  -8.27
	// importance      -8.27 (within 4 standard errors: true)
	// ELBO            -8.28
	// k̂ below 0.7:    true
}

// ExampleDeriveSeed gives each data point and method its own seed, so that
// estimates are independent yet reproducible.
func ExampleDeriveSeed() {
	const seed = 2024
	const (
		methodPrior = iota
		methodIWAE
	)
	for point := range uint64(2) {
		fmt.Printf("point %d: prior seed %#x, IWAE seed %#x\n", point,
			mc.DeriveSeed(seed, point, methodPrior), mc.DeriveSeed(seed, point, methodIWAE))
	}
	// Output:
	// point 0: prior seed 0xe381ffc8dcc19664, IWAE seed 0x83f59bc2629ed694
	// point 1: prior seed 0x5df30f3be5231ad, IWAE seed 0x9f62db5754cf9723
}
