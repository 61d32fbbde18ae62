package ppl

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/internal/logspace"
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
)

// Objective describes what Gradient estimates.
type Objective struct {
	Bound     Bound
	Estimator Estimator
	// K is the number of particles (≥ 1; the baselines need K ≥ 2).
	K int
	// AnalyticKL replaces log p(z) − log q(z) of every latent site whose
	// model and guide distributions have a closed-form KL divergence in
	// package dist by −KL(q‖p) (BoundELBO with Standard only).
	AnalyticKL bool
	// Baseline, if not nil, replaces the leave-one-out baseline of the
	// score-function terms of discrete guide sites (see Baseline).
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
	// noise. Every discrete guide site must be a dist.Enumerator, with at
	// most MaxEnumeration combinations in all.
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
	case o.Estimator < Standard || o.Estimator > DReG:
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
// to them, each with its parameter's shape.
type Grads map[string]*mat.Dense

// Gradient draws K particles from the guide with rnd, and returns the
// estimate of the objective (to be maximised) and its estimated gradient with
// respect to every parameter that model or guide read with Tracer.Param.
//
// Derivatives are central finite differences with common random numbers (see
// the package documentation): the estimate is, to O(h²), the estimator named
// by obj.Estimator. Gradient returns an error for an invalid objective, for
// misuse in model or guide, and, wrapping ErrNotReparameterizable, for a
// discrete guide site under STL or DReG.
func Gradient(model Model, guide Guide, store *ParamStore, x []float64, obj Objective, rnd *rand.Rand) (float64, Grads, error) {
	if err := obj.Validate(); err != nil {
		return math.NaN(), nil, err
	}
	var g0 *Trace
	var err error
	if obj.Enumerate {
		g0, err = runEnumerated(guide, store, x, obj.K, rnd, obj.Subsample)
	} else {
		g0, err = runGuide(guide, store, x, obj.K, rnd, obj.Subsample)
	}
	if err != nil {
		return math.NaN(), nil, err
	}
	m0, err := Replay(model, store, x, g0)
	if err != nil {
		return math.NaN(), nil, err
	}
	if obj.Estimator == STL || obj.Estimator == DReG {
		for _, s := range g0.Sites {
			if !s.Reparam {
				return math.NaN(), nil, fmt.Errorf("%w: guide site %q (%T) under the %s estimator", ErrNotReparameterizable, s.Name, s.Dist, estName(obj.Estimator))
			}
		}
	}
	inGuide := map[string]bool{}
	for _, n := range g0.Params {
		inGuide[n] = true
	}
	if obj.Estimator == DReG {
		for _, n := range m0.Params {
			if inGuide[n] {
				return math.NaN(), nil, fmt.Errorf("ppl: DReG: parameter %q is used by both model and guide", n)
			}
		}
	}
	f0 := terms(g0, m0, obj.AnalyticKL)
	k := g0.K

	// Per-particle weights of the pathwise (A), score (S) and stopped (T)
	// derivatives, and the value.
	var value float64
	var wA, wT []float64
	wS := make([]float64, k)
	// Rao-Blackwellisation: under the ELBO, the score of a discrete guide
	// site in a plate member is weighted by that member's terms alone (wM).
	rb := obj.Bound == BoundELBO && !obj.Enumerate
	wM := map[string][]float64{}
	switch {
	case obj.Enumerate:
		// The value is (1/K) Σ_p q(c_p) f_p over the K·combos particles p,
		// and its derivative (1/K) Σ_p q(c_p) (∂f_p + f_p ∂log q(c_p)).
		wA = make([]float64, k)
		lq0, _ := discreteLogQ(g0, false)
		for p, lq := range lq0 {
			q := math.Exp(lq) / float64(obj.K)
			if q == 0 {
				continue // an impossible combination, whatever f_p is
			}
			value += q * f0[p]
			wA[p] = q
			wS[p] = q * f0[p]
		}
		wT = wA
	case obj.Bound == BoundELBO:
		value = mean(f0)
		wA = constSlice(k, 1/float64(k))
		wT = wA
		for i := range wS {
			b := 0.0
			switch {
			case obj.Baseline != nil:
				b = obj.Baseline.Value(x)
			case !obj.NoBaseline && k > 1:
				b = (value*float64(k) - f0[i]) / float64(k-1)
			}
			wS[i] = (f0[i] - b) / float64(k)
		}
		_, members := discreteLogQ(g0, rb)
		for key := range members {
			fm := memberTerms(g0, m0, key)
			w := make([]float64, k)
			var sum float64
			for _, v := range fm {
				sum += v
			}
			for i, v := range fm {
				b := 0.0
				if !obj.NoBaseline && k > 1 {
					b = (sum - v) / float64(k-1)
				}
				w[i] = (v - b) / float64(k)
			}
			wM[key] = w
		}
	case obj.Bound == BoundIWAE:
		value = logspace.LogSumExp(f0) - math.Log(float64(k))
		wA = make([]float64, k)
		wT = make([]float64, k)
		for i, v := range f0 {
			wA[i] = math.Exp(v - value - math.Log(float64(k)))
			wT[i] = wA[i] * wA[i]
		}
		for i := range wS {
			b := 0.0
			switch {
			case obj.Baseline != nil:
				b = obj.Baseline.Value(x)
			case !obj.NoBaseline && k > 1:
				b = vimcoBaseline(f0, i)
			}
			wS[i] = value - b
		}
	}

	// Sum the members' score terms in a fixed order: the same seed gives the
	// same bits.
	memberKeys := slices.Sorted(maps.Keys(wM))
	grads := Grads{}
	names := append(slices.Clone(g0.Params), m0.Params...)
	for _, name := range names {
		if grads[name] != nil {
			continue
		}
		p := store.Get(name)
		r, c := p.Dims()
		gr := mat.NewDense(r, c, nil)
		grads[name] = gr
		raw := p.RawMatrix()
		guideParam := inGuide[name]
		for i := range r {
			for j := range c {
				ptr := &raw.Data[i*raw.Stride+j]
				d, err := derivs(model, guide, store, x, g0, ptr, guideParam, obj, rb)
				if err != nil {
					return math.NaN(), nil, fmt.Errorf("parameter %q: %w", name, err)
				}
				wt := wT
				if obj.Estimator == DReG && !guideParam {
					wt = wA
				}
				var s float64
				for q := range k {
					if obj.Estimator == STL || obj.Estimator == DReG {
						s += wt[q] * d.t[q]
					} else if wA[q] != 0 || wS[q] != 0 {
						// A particle of weight zero (an impossible
						// enumerated combination) may have a NaN derivative.
						s += wA[q]*d.a[q] + wS[q]*d.s[q]
					}
				}
				for _, key := range memberKeys {
					w := wM[key]
					for q, v := range d.m[key] {
						s += w[q] * v
					}
				}
				gr.Set(i, j, s)
			}
		}
	}
	return value, grads, nil
}

func estName(e Estimator) string {
	switch e {
	case STL:
		return "STL"
	case DReG:
		return "DReG"
	}
	return "Standard"
}

// derivative holds the per-particle derivatives with respect to one scalar
// parameter: a of the log-weight terms (discrete values fixed), s of the
// discrete guide sites' log-density (outside plate members when
// Rao-Blackwellising), m of the discrete guide sites' log-density in each
// plate member, t of the log-weights with the guide's density evaluated at
// fixed parameters (STL and DReG).
type derivative struct {
	a, s, t []float64
	m       map[string][]float64
}

// derivs computes the central differences for the scalar parameter *ptr.
func derivs(model Model, guide Guide, store *ParamStore, x []float64, g0 *Trace, ptr *float64, guideParam bool, obj Objective, rb bool) (derivative, error) {
	theta := *ptr
	h := 1e-5 * math.Max(1, math.Abs(theta))
	stopped := obj.Estimator == STL || obj.Estimator == DReG
	var f, s, t [2][]float64
	var sm [2]map[string][]float64
	for side, sign := range []float64{1, -1} {
		*ptr = theta + sign*h
		g := g0
		var err error
		if guideParam {
			g, err = rescoreGuide(guide, store, x, g0, modeNoise)
			if err != nil {
				*ptr = theta
				return derivative{}, err
			}
		}
		m, err := Replay(model, store, x, g)
		if err != nil {
			*ptr = theta
			return derivative{}, err
		}
		// terms may compute KL divergences from the distributions, which
		// read the parameters: evaluate before restoring θ.
		f[side] = terms(g, m, obj.AnalyticKL)
		*ptr = theta
		s[side], sm[side] = discreteLogQ(g, rb)
		if stopped {
			gs := g0
			if guideParam {
				gs, err = rescoreGuide(guide, store, x, g, modeReplay)
				if err != nil {
					return derivative{}, err
				}
			}
			t[side] = logWeights(gs, m)
		}
	}
	var d derivative
	d.a = diff(f[0], f[1], h)
	d.s = diff(s[0], s[1], h)
	if len(sm[0]) > 0 {
		d.m = make(map[string][]float64, len(sm[0]))
		for key, plus := range sm[0] {
			d.m[key] = diff(plus, sm[1][key], h)
		}
	}
	if stopped {
		d.t = diff(t[0], t[1], h)
	}
	return d, nil
}

func diff(p, m []float64, h float64) []float64 {
	out := make([]float64, len(p))
	for i := range p {
		out[i] = (p[i] - m[i]) / (2 * h)
	}
	return out
}

// terms returns the per-particle integrand of the objective: the log-weights,
// with the latent sites' log p − log q replaced by −KL(q‖p) where it is
// analytic and analyticKL is set.
func terms(g, m *Trace, analyticKL bool) []float64 {
	f := logWeights(g, m)
	if !analyticKL {
		return f
	}
	for _, gs := range g.Sites {
		if gs.Kind != Latent || gs.Dist == nil {
			continue
		}
		ms := m.Site(gs.Name)
		if ms == nil || ms.Dist == nil {
			continue
		}
		if gn, mn := gs.Dist.Len(), ms.Dist.Len(); gn != 1 && mn != 1 && gn != mn {
			continue
		}
		kl, err := dist.KL(nil, gs.Dist, ms.Dist)
		if err != nil {
			continue
		}
		for i := range f {
			v := kl[0]
			if len(kl) > 1 {
				v = kl[i]
			}
			f[i] += -v*gs.Scale - ms.LogProb[i] + gs.LogProb[i]
		}
	}
	return f
}

// discreteLogQ sums the log-densities of the guide's non-reparameterisable
// sites per particle: with byMember, those in plate members per member
// ("plate[i]" → sums) and the others in global; without, all in global.
func discreteLogQ(g *Trace, byMember bool) (global []float64, members map[string][]float64) {
	global = make([]float64, g.K)
	for _, s := range g.Sites {
		if s.Reparam || s.Dist == nil {
			continue
		}
		dst := global
		if key := s.group(); byMember && key != "" {
			if members == nil {
				members = map[string][]float64{}
			}
			if members[key] == nil {
				members[key] = make([]float64, g.K)
			}
			dst = members[key]
		}
		for i, v := range s.LogProb {
			dst[i] += v
		}
	}
	return global, members
}

// memberTerms returns the per-particle log-weight terms of plate member key:
// the log-densities of the model's sites in it minus those of the guide's.
func memberTerms(g, m *Trace, key string) []float64 {
	out := make([]float64, g.K)
	for _, s := range m.Sites {
		if s.group() == key {
			for i, v := range s.LogProb {
				out[i] += v
			}
		}
	}
	for _, s := range g.Sites {
		if s.group() == key {
			for i, v := range s.LogProb {
				out[i] -= v
			}
		}
	}
	return out
}

// vimcoBaseline is the VIMCO baseline of Mnih and Rezende (2016) for
// particle i: the log-mean-weight with log w_i replaced by the mean of the
// other log-weights.
func vimcoBaseline(f []float64, i int) float64 {
	k := len(f)
	var s float64
	for j, v := range f {
		if j != i {
			s += v
		}
	}
	g := slices.Clone(f)
	g[i] = s / float64(k-1)
	return logspace.LogSumExp(g) - math.Log(float64(k))
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func constSlice(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
