package ppl_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// A two-latent regression written as a model function: z ~ N(0, I₂) and
// x_j ~ N(z₀ + z₁ t_j, 0.5²) at five points t_j. The particles are
// vectorised by the library: z is K×2, and the design matrix, a constant,
// broadcasts. A full-rank automatic guide is fitted by SVI and the model's
// evidence is estimated by importance sampling with the fitted guide.
func Example() {
	design := ad.Const(2, 5, []float64{
		1, 1, 1, 1, 1, // intercept
		-1, -0.5, 0, 0.5, 1, // t_j
	})
	model := func(t *ppl.Tracer, x *ad.Var) {
		z := t.Sample("z", dist.StdNormal{D: 2}) // K×2, one row per particle
		t.Observe("x", dist.Normal{Loc: ad.MatMul(z, design), LogScale: ad.Scalar(math.Log(0.5))}, x)
	}
	x := ad.Row([]float64{-0.9, -0.2, 0.4, 1.1, 1.4})

	store := ppl.NewParamStore(1)
	guide, err := ppl.AutoMultivariateNormal(model, store, x)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := ppl.SVI(model, guide, store, x, ppl.SVIConfig{
		Objective: ppl.Objective{K: 4, Estimator: ppl.STL},
		Steps:     2000,
		Adam:      vi.AdamConfig{LR: 0.02},
		Seed:      1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("last ELBO estimate: %.3f\n", res.Value)
	loc := store.Get("auto.loc").RawRowView(0)
	fmt.Printf("posterior mean: intercept %.3f, slope %.3f\n", loc[0], loc[1])

	est, err := ppl.Importance(model, guide, store, x, 10000, mc.Config{Seed: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("log p(x) ≈ %.3f ± %.3f, k̂ < 0.7: %v\n", est.LogPX, est.StdErr, est.KHat < 0.7)
	// The exact posterior mean is (1.8·4/21, 2.95·4/11) = (0.343, 1.073).

	// Output:
	// last ELBO estimate: -4.647
	// posterior mean: intercept 0.343, slope 1.073
	// log p(x) ≈ -4.647 ± 0.000, k̂ < 0.7: true
}

// A model with a global mean and a local latent per data point, vectorised
// over a plate of 1,000 points of which each gradient visits 50: the sites
// in the plate have K·50 rows, and their log-densities are scaled by
// 1000/50 so that the ELBO stays unbiased.
func ExampleTracer_Plate() {
	model := func(t *ppl.Tracer, x *ad.Var) {
		mu := t.Sample("mu", dist.Normal{Loc: ad.Scalar(0), LogScale: ad.Scalar(math.Log(10))})
		t.Plate("data", x.R, func(p *ppl.Plate) {
			z := t.Sample("z", dist.Normal{Loc: p.Expand(mu), LogScale: ad.Scalar(0)})
			t.Observe("x", dist.Normal{Loc: z, LogScale: ad.Scalar(math.Log(0.5))}, p.Data(x))
		})
	}
	x := ad.Const(1000, 1, nil)
	for i := range x.Data {
		x.Data[i] = 3 + float64(i%7-3)
	}
	store := ppl.NewParamStore(1)
	guide, _ := ppl.AutoNormal(model, store, x)
	_, err := ppl.SVI(model, guide, store, x, ppl.SVIConfig{
		Objective: ppl.Objective{K: 1, Subsample: 50},
		Steps:     3000, Adam: vi.AdamConfig{LR: 0.05}, Seed: 1,
		Schedule: vi.CosineDecay{Initial: 0.05, Min: 0.001, Steps: 3000},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The exact posterior mean of μ is 1000·3/(1000 + 1.25/100) ≈ 3.
	fmt.Printf("q(μ) mean %.1f; %d local means\n", store.Get("auto.mu.loc").At(0, 0), store.Get("auto.z.loc").RawMatrix().Rows)
	// Output: q(μ) mean 3.0; 1000 local means
}

// Gradient returns an unbiased estimate of the gradient of the objective
// with respect to every parameter, by one run of guide and model and one
// backward pass: here the ELBO of a Normal guide for a Normal posterior.
func ExampleGradient() {
	model := func(t *ppl.Tracer, x *ad.Var) {
		z := t.Sample("z", dist.StdNormal{D: 1})
		t.Observe("x", dist.Normal{Loc: z, LogScale: ad.Scalar(0)}, x)
	}
	guide := func(t *ppl.Tracer, x *ad.Var) {
		t.Sample("z", dist.Normal{Loc: t.Param("m", ppl.Zeros(1, 1)), LogScale: t.Param("s", ppl.Zeros(1, 1))})
	}
	store := ppl.NewParamStore(1)
	x := ad.Scalar(2)
	var gm float64
	const n = 2000
	for i := range n {
		_, g, err := ppl.Gradient(model, guide, store, x, ppl.Objective{K: 1}, rand.New(rand.NewPCG(uint64(i), 0)))
		if err != nil {
			fmt.Println(err)
			return
		}
		gm += g["m"].At(0, 0) / n
	}
	// At m = 0, s = 0 the ELBO's derivative in m is x − 2m = 2.
	fmt.Printf("mean ∂ELBO/∂m over %d draws: %.1f\n", n, gm)
	// Output: mean ∂ELBO/∂m over 2000 draws: 2.0
}
