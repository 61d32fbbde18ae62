package mixture_test

import (
	"fmt"

	"github.com/vitool/vitool/examples/08-gaussian-mixture/mixture"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// Fit the mixture to its default data by SVI with score-function gradients
// for the discrete site c, then compare the ELBO with the exact log p(x),
// both computed by summing over the three classes.
func Example() {
	ds, err := mixture.Data()
	if err != nil {
		fmt.Println(err)
		return
	}
	m := mixture.Mixture{C: mixture.Components}
	store := ppl.NewParamStore(1)
	// All 300 points as one 300×2 matrix; each step visits 32 of them.
	_, err = ppl.SVI(m.Model, m.Guide, store, ds.Dense(), ppl.SVIConfig{
		Objective: ppl.Objective{K: 4, Subsample: 32}, // ELBO, Standard estimator
		Steps:     400,
		Schedule:  vi.CosineDecay{Initial: 0.05, Min: 0.001, Steps: 400},
		Seed:      1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	data := mixture.Points(ds)
	var logPX, elbo float64
	for _, x := range data {
		logPX += m.Exact(store, x) / float64(len(data))
		elbo += m.ExactELBO(store, x) / float64(len(data))
	}
	fmt.Printf("mean log p(x) = %.3f, mean ELBO = %.3f\n", logPX, elbo)
	gm := m.Gaussian(store)
	fmt.Printf("σ = %.2f\n", gm.Stds.At(0, 0))
	// Output:
	// mean log p(x) = -3.416, mean ELBO = -3.417
	// σ = 0.82
}

// At the initial parameters the guide is the exact posterior of the
// initial model, so the ELBO equals log p(x).
func ExampleMixture_ExactELBO() {
	m := mixture.Mixture{C: 3}
	store := ppl.NewParamStore(0)
	m.Init(store)
	x := []float64{0.5, -0.2}
	fmt.Printf("log p(x) = %.6f\nELBO     = %.6f\n", m.Exact(store, x), m.ExactELBO(store, x))
	// Output:
	// log p(x) = -2.406055
	// ELBO     = -2.406055
}
