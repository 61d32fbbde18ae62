package ppl

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
)

// Bound selects the variational objective.
type Bound int

const (
	// BoundELBO is the evidence lower bound E_q[log p(x,z) − log q(z)],
	// estimated by the mean of K log-weights.
	BoundELBO Bound = iota
	// BoundIWAE is the importance-weighted bound
	// E[log (1/K) Σ_k p(x,z_k)/q(z_k)] of Burda et al. (2016), estimated from
	// one draw of K particles.
	BoundIWAE
)

// Estimator selects the gradient estimator.
type Estimator int

const (
	// Standard is the reparameterisation gradient for continuous sites plus
	// a score-function term with a baseline for discrete guide sites.
	Standard Estimator = iota
	// STL is sticking the landing (Roeder et al. 2017), for BoundELBO only;
	// every guide site must be reparameterisable.
	STL
	// DReG is the doubly reparameterised gradient (Tucker et al. 2018), for
	// BoundIWAE only; every guide site must be reparameterisable, and no
	// parameter may be shared by model and guide.
	DReG
	// RWS is reweighted wake-sleep (Bornschein & Bengio 2015), for
	// BoundIWAE with K ≥ 2: the model's gradient is the IWAE gradient, and
	// the guide's is the wake-phase update, the gradient of
	// E_{p(z|x)}[log q(z)] = −KL(p(z|x)‖q) + const estimated with the
	// normalised importance weights, in the doubly reparameterised form of
	// Tucker et al. (2018). The guide then covers the posterior's mass
	// rather than seeking one mode, which suits it as an importance
	// sampling proposal. Every guide site must be reparameterisable, and no
	// parameter may be shared by model and guide.
	RWS
)

// String returns "standard", "stl", "dreg" or "rws".
func (e Estimator) String() string {
	switch e {
	case Standard:
		return "standard"
	case STL:
		return "stl"
	case DReG:
		return "dreg"
	case RWS:
		return "rws"
	}
	return fmt.Sprintf("Estimator(%d)", int(e))
}

// Objective describes what Gradient estimates.
type Objective struct {
	Bound     Bound
	Estimator Estimator
	// K is the number of particles (≥ 1; the leave-one-out baselines need
	// K ≥ 2).
	K int
	// AnalyticKL replaces log p(z) − log q(z) of every latent site whose
	// model and guide distributions have a closed-form KL divergence in
	// package dist by −KL(q‖p) (BoundELBO with Standard only).
	AnalyticKL bool
	// Baseline, if not nil, replaces the leave-one-out baseline of the
	// score-function terms of discrete guide sites outside plates (see
	// Baseline).
	Baseline Baseline
	// NoBaseline turns off the baselines of the score-function terms of
	// discrete guide sites (for comparison: it increases their variance).
	NoBaseline bool
	// Subsample is the number of members that each plate visits per
	// gradient (0: all; see Tracer.Plate), for BoundELBO only: the sites of
	// the visited members are scaled to stand for all of them.
	Subsample int
	// Enumerate sums over the joint values of the guide's discrete sites
	// instead of sampling them (BoundELBO with Standard only): each of the K
	// particles is run once per combination, weighted by its probability
	// under the guide, so the discrete sites contribute no score-function
	// noise. Every discrete guide site must be a dist.Enumerator outside
	// plates, with at most MaxEnumeration combinations in all.
	Enumerate bool
}

// Validate returns an error for an unsupported combination of fields.
func (o Objective) Validate() error {
	switch {
	case o.K < 1:
		return fmt.Errorf("ppl: objective with K = %d particles, want K ≥ 1", o.K)
	case o.Bound != BoundELBO && o.Bound != BoundIWAE:
		return fmt.Errorf("ppl: unknown bound %d", o.Bound)
	case o.Estimator == STL && o.Bound != BoundELBO:
		return errors.New("ppl: the STL estimator is for the ELBO (use DReG for IWAE)")
	case o.Estimator == DReG && o.Bound != BoundIWAE:
		return errors.New("ppl: the DReG estimator is for the IWAE bound (use STL for the ELBO)")
	case o.Estimator == RWS && o.Bound != BoundIWAE:
		return errors.New("ppl: the RWS estimator is for the IWAE bound")
	case o.Estimator == RWS && o.K < 2:
		return fmt.Errorf("ppl: the RWS estimator needs K ≥ 2 particles, got %d (with one, the wake-phase gradient is zero)", o.K)
	case o.Estimator < Standard || o.Estimator > RWS:
		return fmt.Errorf("ppl: unknown estimator %d", o.Estimator)
	case o.AnalyticKL && (o.Bound != BoundELBO || o.Estimator != Standard):
		return errors.New("ppl: AnalyticKL needs the ELBO with the Standard estimator")
	case o.Enumerate && (o.Bound != BoundELBO || o.Estimator != Standard || o.AnalyticKL):
		return errors.New("ppl: Enumerate needs the ELBO with the Standard estimator, without AnalyticKL")
	case o.Baseline != nil && o.NoBaseline:
		return errors.New("ppl: both a Baseline and NoBaseline")
	case o.Subsample < 0:
		return fmt.Errorf("ppl: Subsample = %d, want 0 (all members) or a positive count", o.Subsample)
	case o.Subsample > 0 && o.Bound != BoundELBO:
		return errors.New("ppl: plate subsampling needs the ELBO (a subsampled IWAE bound is biased)")
	}
	return nil
}

// Grads maps parameter names to the gradient of the objective with respect
// to their stored (unconstrained) values, each with its parameter's shape.
type Grads map[string]*mat.Dense

// Gradient draws K particles from the guide with rnd, and returns the
// estimate of the objective (to be maximised) and its estimated gradient with
// respect to every parameter that model or guide read with Tracer.Param.
//
// Gradient runs guide and model once on a tape of package ad, builds a
// surrogate objective whose gradient is the estimator named by
// obj.Estimator (see the package documentation), and differentiates it in
// reverse mode: the cost is a small constant multiple of one forward run,
// whatever the number of parameters. It returns an error for an invalid
// objective, for misuse or a shape mismatch in model or guide, for a
// discrete guide site under STL, DReG or RWS (wrapping ErrNotReparameterizable),
// and for a log-density that is not finite, naming the site.
func Gradient(model Model, guide Guide, store *ParamStore, x mat.Matrix, obj Objective, rnd *rand.Rand) (float64, Grads, error) {
	r, err := GradientTraces(model, guide, store, x, obj, rnd)
	return r.Value, r.Grads, err
}

// GradientResult is what GradientTraces returns: the estimate, the
// gradient, and the traces of the guide and the model it came from.
type GradientResult struct {
	Value        float64
	Grads        Grads
	Guide, Model *Trace
}

// GradientTraces is Gradient that also returns the traces, for reading
// the sites' values and log-densities (as Unscaled does) without running
// the model again. On error the Value is NaN.
func GradientTraces(model Model, guide Guide, store *ParamStore, x mat.Matrix, obj Objective, rnd *rand.Rand) (GradientResult, error) {
	res := GradientResult{Value: math.NaN()}
	sess, g, m, tm, err := run(model, guide, store, x, obj, rnd, true)
	if err != nil {
		return res, err
	}
	value, surrogate := surrogateOf(tm, g, m, obj, g.x)
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return res, fmt.Errorf("%w: the objective is %v", ErrNotFinite, value)
	}
	return GradientResult{Value: value, Grads: differentiate(sess, g, m, surrogate), Guide: g, Model: m}, nil
}

// Evaluate returns the estimate of the objective from K particles drawn
// with rnd, as Gradient does, without recording anything for
// differentiation: a test-set ELBO, say.
func Evaluate(model Model, guide Guide, store *ParamStore, x mat.Matrix, obj Objective, rnd *rand.Rand) (float64, error) {
	_, g, m, tm, err := run(model, guide, store, x, obj, rnd, false)
	if err != nil {
		return math.NaN(), err
	}
	value, _ := surrogateOf(tm, g, m, obj, g.x)
	return value, nil
}

// Unscaled returns the estimate of obj's bound from the traces of a guide
// and of the model replayed on it, with every Tracer.Scale taken as 1 (the
// ELBO or IWAE bound of a model trained with a KL weight β ≠ 1), and with
// AnalyticKL as obj says.
func Unscaled(g, m *Trace, obj Objective) float64 {
	tm := collect(g, m, obj.AnalyticKL, false, true)
	value, _ := surrogateOf(tm, g, m, Objective{Bound: obj.Bound, K: obj.K, AnalyticKL: obj.AnalyticKL, NoBaseline: true}, g.x)
	return value
}

// run runs guide and model for the objective, on a tape if tape is set,
// and decomposes the log-weights.
func run(model Model, guide Guide, store *ParamStore, x mat.Matrix, obj Objective, rnd *rand.Rand, tape bool) (*session, *Trace, *Trace, *terms, error) {
	if err := obj.Validate(); err != nil {
		return nil, nil, nil, nil, err
	}
	xv, err := data(x)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	sess := newSession(store, nil)
	if tape {
		sess.tape = ad.NewTape()
	}
	var g *Trace
	if obj.Enumerate {
		g, err = runEnumerated(guide, sess, xv, obj.K, rnd, obj.Subsample)
	} else {
		g, err = runGuide(guide, sess, xv, obj.K, rnd, obj.Subsample)
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	m, err := replay(model, sess, xv, g)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := checkEstimator(g, m, obj); err != nil {
		return nil, nil, nil, nil, err
	}
	tm := collect(g, m, obj.AnalyticKL, false, false)
	if !obj.Enumerate {
		if err := tm.finite(g, m); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	return sess, g, m, tm, nil
}

// checkEstimator reports a discrete guide site under STL, DReG or RWS, and
// a parameter shared by guide and model under DReG or RWS.
func checkEstimator(g, m *Trace, obj Objective) error {
	if obj.Estimator == Standard {
		return nil
	}
	for _, s := range g.Sites {
		if s.Kind == Latent && !s.Reparam {
			return fmt.Errorf("%w: guide site %q (%T) under the %s estimator", ErrNotReparameterizable, s.Name, s.Dist, obj.Estimator)
		}
	}
	if obj.Estimator == DReG || obj.Estimator == RWS {
		for _, n := range m.Params {
			if slices.Contains(g.Params, n) {
				return fmt.Errorf("ppl: %s: parameter %q is used by both model and guide", obj.Estimator, n)
			}
		}
	}
	return nil
}

// differentiate runs the backward passes of the surrogate and returns the
// gradients of every parameter read. DReG and RWS take the guide's
// parameters from their first surrogate and the model's from their second.
func differentiate(sess *session, g, m *Trace, surrogate []*ad.Var) Grads {
	names := slices.Clone(g.Params)
	for _, n := range m.Params {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	grads := Grads{}
	for pass, s := range surrogate {
		sess.tape.ZeroGrad(leaves(sess, names)...)
		sess.tape.Backward(s)
		for _, n := range names {
			if len(surrogate) == 2 && (pass == 0) != slices.Contains(g.Params, n) {
				continue
			}
			leaf := sess.params[n].leaf
			gr := mat.NewDense(leaf.R, leaf.C, nil)
			if lg := leaf.Grad(); lg != nil {
				copy(gr.RawMatrix().Data, lg)
			}
			grads[n] = gr
		}
	}
	return grads
}

func leaves(sess *session, names []string) []*ad.Var {
	out := make([]*ad.Var, len(names))
	for i, n := range names {
		out[i] = sess.params[n].leaf
	}
	return out
}

// terms is the decomposition of the per-particle log-weights of one run:
// the terms of sites outside plates, and per plate the terms of each member.
type terms struct {
	k int
	// glob is K×1 (or 1×1): model minus guide log-densities outside plates.
	glob *ad.Var
	// lqG is K×1: the log-density of the guide's discrete sites outside
	// plates (nil if there is none).
	lqG    *ad.Var
	plates []*plateTerms
	// outside reports a latent or auxiliary site outside plates.
	outside bool
}

// plateTerms are one plate's K×B member terms (unscaled) and the log-density
// of its discrete guide sites.
type plateTerms struct {
	p   *Plate
	loc *ad.Var
	lq  *ad.Var
}

// collect decomposes the log-weights of guide trace g and model trace m.
// With analyticKL, the latent sites with a closed-form KL contribute −KL;
// with stopped, the guide's densities are evaluated with its parameters'
// gradients stopped (STL, DReG and RWS); with unscaled, every site's Scale is
// taken as 1.
func collect(g, m *Trace, analyticKL, stopped, unscaled bool) *terms {
	tm := &terms{k: g.K, glob: ad.Const(g.K, 1, nil)}
	scale := func(s *Site) float64 {
		if unscaled {
			return 1
		}
		return s.Scale
	}
	skip := map[string]bool{}
	if analyticKL {
		for _, gs := range g.Sites {
			ms := m.Site(gs.Name)
			if gs.Kind != Latent || gs.Dist == nil || ms == nil || ms.Dist == nil {
				continue
			}
			if kl, ok := analytic(gs, ms); ok {
				tm.add(gs.Plate, ad.Scale(kl, -scale(gs)), 1)
				skip[gs.Name] = true
			}
		}
	}
	for _, s := range m.Sites {
		if !skip[s.Name] {
			tm.add(s.Plate, ad.Scale(s.LogProb, scale(s)), 1)
		}
		if s.Kind == Latent && s.Plate == nil {
			tm.outside = true
		}
	}
	for _, s := range g.Sites {
		if s.Kind == Auxiliary && s.Plate == nil {
			tm.outside = true
		}
		if skip[s.Name] {
			continue
		}
		lp := s.LogProb
		if stopped && s.Dist != nil {
			lp = s.Dist.Detach().LogProbVar(s.Value)
		}
		lp = ad.Scale(lp, scale(s))
		tm.add(s.Plate, lp, -1)
		if s.Kind == Latent && !s.Reparam && s.Dist != nil {
			tm.addDiscrete(s.Plate, s.LogProb)
		}
	}
	return tm
}

// analytic returns −log p + log q replaced: KL(q‖p) of the guide site gs
// against the model site ms, per row, if one is registered and the batch
// shapes agree.
func analytic(gs, ms *Site) (*ad.Var, bool) {
	if gn, mn := gs.Dist.Len(), ms.Dist.Len(); gn != 1 && mn != 1 && gn != mn {
		return nil, false
	}
	kl, err := dist.KLVar(gs.Dist, ms.Dist)
	return kl, err == nil
}

// reshape returns the K·B×1 (or 1×1) log-densities of plate p's sites as a
// K×B matrix (or 1×1).
func reshape(lp *ad.Var, k int) *ad.Var {
	if lp.R == 1 {
		return lp
	}
	return ad.Reshape(lp, k, lp.R/k)
}

func (tm *terms) plate(p *Plate) *plateTerms {
	for _, pt := range tm.plates {
		if pt.p.Name == p.Name {
			return pt
		}
	}
	pt := &plateTerms{p: p, loc: ad.Const(tm.k, p.B(), nil)}
	tm.plates = append(tm.plates, pt)
	return pt
}

// add adds sign·lp to the terms of plate p (nil: outside plates).
func (tm *terms) add(p *Plate, lp *ad.Var, sign float64) {
	if sign < 0 {
		lp = ad.Neg(lp)
	}
	if p == nil {
		tm.glob = ad.Add(tm.glob, lp)
		return
	}
	pt := tm.plate(p)
	pt.loc = ad.Add(pt.loc, reshape(lp, tm.k))
}

func (tm *terms) addDiscrete(p *Plate, lp *ad.Var) {
	if p == nil {
		if tm.lqG == nil {
			tm.lqG = ad.Const(tm.k, 1, nil)
		}
		tm.lqG = ad.Add(tm.lqG, lp)
		return
	}
	pt := tm.plate(p)
	if pt.lq == nil {
		pt.lq = ad.Const(tm.k, p.B(), nil)
	}
	pt.lq = ad.Add(pt.lq, reshape(lp, tm.k))
}

// total returns the K×1 log-weights: the global terms plus each plate's
// member terms summed and scaled.
func (tm *terms) total() *ad.Var {
	f := ad.Add(ad.Const(tm.k, 1, nil), tm.glob)
	for _, pt := range tm.plates {
		f = ad.Add(f, ad.Scale(ad.SumRows(pt.loc), pt.p.Scale))
	}
	return f
}

// perMember reports whether every latent site lies in one plate, so that
// the members are independent given the parameters: the IWAE bound, DReG
// and RWS are then taken per member and summed (K particles per member), as in
// a VAE trained by IWAE.
func (tm *terms) perMember() *plateTerms {
	if tm.outside || len(tm.plates) != 1 {
		return nil
	}
	return tm.plates[0]
}

// finite returns an error naming the first site whose log-density is not
// finite, when the log-weights are not.
func (tm *terms) finite(g, m *Trace) error {
	for _, v := range tm.total().Data {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			continue
		}
		for _, tr := range []*Trace{g, m} {
			for _, s := range tr.Sites {
				for _, lp := range s.LogProb.Data {
					if math.IsNaN(lp) || math.IsInf(lp, 0) {
						who := "model"
						if tr == g {
							who = "guide"
						}
						return fmt.Errorf("%w: the %s's log-density of site %q is %v under its %T: the guide's value may lie outside the model's support", ErrNotFinite, who, s.Name, lp, s.Dist)
					}
				}
			}
		}
		return fmt.Errorf("%w: a log-weight is %v", ErrNotFinite, v)
	}
	return nil
}
