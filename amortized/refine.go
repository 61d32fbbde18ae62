package amortized

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// RefineConfig configures VAE.Refine.
type RefineConfig struct {
	// Steps is the number of Adam steps (≥ 1).
	Steps int
	// Objective is the objective and gradient estimator of each step; the
	// zero value means reweighted wake-sleep with 8 particles
	// (ppl.Objective{Bound: ppl.BoundIWAE, K: 8, Estimator: ppl.RWS}),
	// whose wake phase descends KL(p(z|x)‖q) and so widens q over the
	// posterior's mass, as an importance-sampling proposal needs.
	Objective ppl.Objective
	// LR is Adam's learning rate (0: 0.01).
	LR float64
	// Seed determines every draw (see ppl.SVIConfig.Seed).
	Seed uint64
	// Callback, if not nil, is called after every step (see
	// ppl.SVIConfig.Callback); an error stops the refinement.
	Callback func(step int, value float64) error
}

// DefaultRefineObjective is the objective of RefineConfig's zero value.
var DefaultRefineObjective = ppl.Objective{Bound: ppl.BoundIWAE, K: 8, Estimator: ppl.RWS}

// Names of the refined base Gaussian's parameters in Refine's store.
const (
	refineLoc      = "refine.loc"
	refineLogScale = "refine.log_scale"
)

// Refine returns q(z|x) for a single x refined for that x: the encoder's
// base Gaussian N(μ(x), σ²(x)) is the starting point, its μ and log σ are
// fitted to this x by cfg.Steps steps of stochastic variational inference
// while the decoder (and an IAF encoder's flow steps and context) stay as
// trained, and the result has the form of Proposal(x): a dist.Normal, or
// the encoder's flow over the refined Normal. Refinement closes the
// amortisation gap, the part of KL(q‖p(z|x)) that comes from one network
// serving every x (Cremer, Li & Duvenaud 2018; semi-amortised inference,
// Kim et al. 2018), which is what makes the encoder's importance weights
// heavy-tailed. The model is left unchanged, and calls may run
// concurrently. Refine returns an error for an invalid configuration, a
// non-finite objective, or an error from cfg.Callback; it panics if
// len(x) != D.
func (v *VAE) Refine(x []float64, cfg RefineConfig) (dist.Distribution, error) {
	if len(x) != v.Config.DataDim {
		panic(fmt.Sprintf("amortized: Refine got len(x) = %d, want %d", len(x), v.Config.DataDim))
	}
	if cfg.Steps < 1 {
		return nil, fmt.Errorf("amortized: Refine: %d steps, want ≥ 1", cfg.Steps)
	}
	obj := cfg.Objective
	if obj == (ppl.Objective{}) {
		obj = DefaultRefineObjective
	}
	lr := cfg.LR
	if lr == 0 {
		lr = 0.01
	}
	L := v.Config.Latent
	enc := v.apply(encoderPrefix, v.Encoder, ad.Row(slices.Clone(x)))
	loc := ad.SliceCols(enc, 0, L).Dense()
	logScale := ad.SliceCols(enc, L, 2*L).Dense()
	logScale.Scale(0.5, logScale)
	var ctx *ad.Var
	if v.Config.Flow == FlowIAF {
		ctx = ad.SliceCols(enc, 2*L, enc.C)
	}
	store := v.Store.Clone()
	guide := func(t *ppl.Tracer, _ *ad.Var) {
		k := t.Particles()
		l := t.Param(refineLoc, ppl.Value(loc))
		s := t.Param(refineLogScale, ppl.Value(logScale))
		q := v.refined(l, s, ctx, k, func(s namedSpec) *ad.Var {
			return t.Param(s.name, ppl.Zeros(s.spec.Rows, s.spec.Cols))
		})
		t.Plate("data", 1, func(*ppl.Plate) { t.Sample("z", q) })
	}
	_, err := ppl.SVI(v.Model(), guide, store, mat.NewDense(1, len(x), slices.Clone(x)), ppl.SVIConfig{
		Objective: obj, Steps: cfg.Steps, Adam: vi.AdamConfig{LR: lr}, Seed: cfg.Seed,
		Callback: cfg.Callback, Params: []string{refineLoc, refineLogScale},
	})
	if err != nil {
		return nil, fmt.Errorf("amortized: Refine: %w", err)
	}
	return v.refined(ad.FromDense(store.Get(refineLoc)), ad.FromDense(store.Get(refineLogScale)), ctx, 1,
		func(s namedSpec) *ad.Var { return ad.FromDense(v.Store.Get(s.name)) }), nil
}

// refined returns q(z|x) for k particles: the base Gaussian
// N(loc, exp(logScale)²) and, for an IAF encoder, the flow steps
// conditioned on the context ctx (nil without a flow).
func (v *VAE) refined(loc, logScale, ctx *ad.Var, k int, param func(namedSpec) *ad.Var) dist.Differentiable {
	base := dist.Normal{Loc: ad.Tile(loc, k), LogScale: ad.Tile(logScale, k)}
	if ctx == nil {
		return base
	}
	return v.withFlow(base, ad.Tile(ctx, k), param)
}
