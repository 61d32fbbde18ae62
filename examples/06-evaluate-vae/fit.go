package main

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// Names of the per-image guide's parameters.
const (
	fitLoc      = "fit.loc"
	fitLogScale = "fit.logscale"
)

// fitPerImage fits a separate Gaussian q_i(z) = N(m_i, diag s_i²) to the
// posterior p(z|x_i) of every row x_i of x, under the VAE's own model
// (vae.Model()), by maximising the ELBO (analytic KL, particles samples per
// image and step) over (m_i, log s_i) only: the decoder's weights stay as
// trained. It starts from the encoder's q(z|x_i), so what it gains is the
// amortisation gap (Cremer et al. 2018). The images are fitted together (one
// plate), but the objective is a sum of per-image terms and Adam's steps are
// per coordinate, so each image's fit is its own.
//
// It returns the fitted Gaussians and the mean ELBO per image at every step
// (the estimate before the step's update).
func fitPerImage(vae *amortized.VAE, x *mat.Dense, steps, particles int, lr float64, seed uint64) ([]dist.Normal, []float64, error) {
	n, _ := x.Dims()
	L := vae.LatentDim()
	mu, lv := vae.Encode(x)
	lv.Scale(0.5, lv) // log σ

	// The model reads the decoder's weights from a copy of the VAE's store;
	// the guide adds its two n×L parameters to that copy.
	store := vae.Store.Clone()
	guide := func(t *ppl.Tracer, xv *ad.Var) {
		loc := t.Param(fitLoc, ppl.Value(mu))
		logScale := t.Param(fitLogScale, ppl.Value(lv))
		t.Plate("data", xv.R, func(p *ppl.Plate) {
			k := t.Particles()
			t.Sample("z", dist.Normal{Loc: ad.Tile(ad.Rows(loc, p.Idx), k), LogScale: ad.Tile(ad.Rows(logScale, p.Idx), k)})
		})
	}
	model := vae.Model()
	obj := ppl.Objective{K: particles, AnalyticKL: true}

	names := []string{fitLoc, fitLogScale}
	// A first run registers the guide's parameters.
	if _, _, err := ppl.Gradient(model, guide, store, x, obj, rand.New(rand.NewPCG(seed, 0))); err != nil {
		return nil, nil, fmt.Errorf("per-image fit: %w", err)
	}
	params := make([][]float64, len(names))
	grads := make([][]float64, len(names))
	lens := make([]int, len(names))
	for i, name := range names {
		params[i] = store.Unconstrained(name).RawMatrix().Data
		grads[i] = make([]float64, len(params[i]))
		lens[i] = len(params[i])
	}
	adam, err := vi.NewAdam[float64](vi.AdamConfig{LR: lr}, lens)
	if err != nil {
		return nil, nil, err
	}
	curve := make([]float64, 0, steps)
	for s := range steps {
		v, g, err := ppl.Gradient(model, guide, store, x, obj, rand.New(rand.NewPCG(seed, uint64(s)+1)))
		if err != nil {
			return nil, nil, fmt.Errorf("per-image fit, step %d: %w", s, err)
		}
		curve = append(curve, v/float64(n))
		for i, name := range names {
			for j, d := range g[name].RawMatrix().Data {
				grads[i][j] = -d // Adam minimises
			}
		}
		adam.Step(params, grads)
	}
	loc, logScale := store.Get(fitLoc), store.Get(fitLogScale)
	qs := make([]dist.Normal, n)
	for i := range qs {
		qs[i] = dist.Normal{
			Loc:      mat.NewDense(1, L, mat.Row(nil, i, loc)),
			LogScale: mat.NewDense(1, L, mat.Row(nil, i, logScale)),
		}
	}
	return qs, curve, nil
}
