package ppl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
)

// AutoInitScale is the initial standard deviation of the automatic guides;
// their initial means are zero.
const AutoInitScale = 0.1

// AuxSiteName is the name of the auxiliary site that holds the joint draw of
// AutoMultivariateNormal.
const AuxSiteName = "auto._latent"

// slot is one latent site of a model as an automatic guide sees it: its
// dimension and its plate's name and size ("" and 1 outside plates).
type slot struct {
	name      string
	dim       int
	plate     string
	n         int
	off, cols int // its block of columns in the concatenated latent row
	// bij maps the site's unconstrained coordinates (udim per member) onto
	// its support (nil when the layout is not for a continuous guide);
	// uoff and ucols are its block in the concatenated unconstrained row.
	bij         dist.Bijector
	udim        int
	uoff, ucols int
}

// identity reports whether the slot's bijector is the identity.
func (s slot) identity() bool { _, ok := s.bij.(dist.Identity); return ok || s.bij == nil }

// latentSlots traces model once (one particle, every plate member) and
// returns its latent sites in order; with continuous, every one must have
// a continuous support, and each slot gets the bijection onto it.
func latentSlots(who string, model Model, store *ParamStore, x mat.Matrix, continuous bool) ([]slot, error) {
	tr, err := RunModel(model, store, x, 1, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	var out []slot
	off, uoff := 0, 0
	for _, s := range tr.Sites {
		if s.Kind != Latent {
			continue
		}
		sl := slot{name: s.Name, dim: s.Value.C, n: 1, off: off, udim: s.Value.C}
		if s.Plate != nil {
			sl.plate, sl.n = s.Plate.Name, s.Plate.N
		}
		if continuous {
			if sl.bij, sl.udim, err = siteBijector(who, s); err != nil {
				return nil, err
			}
		}
		sl.cols = sl.dim * sl.n
		sl.uoff, sl.ucols = uoff, sl.udim*sl.n
		off += sl.cols
		uoff += sl.ucols
		out = append(out, sl)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s: the model has no latent site", ErrStructure, who)
	}
	return out, nil
}

// siteBijector returns the bijection from unconstrained space onto the
// support of the model site s, like Pyro's biject_to, and the number of
// unconstrained columns. A distribution that declares no support
// (dist.Supporter) is taken to be continuous on the reals unless it is a
// dist.Enumerator. It returns an error wrapping ErrNotReparameterizable,
// naming the site and its support, for a discrete site.
func siteBijector(who string, s *Site) (b dist.Bijector, udim int, err error) {
	sup, declared, err := supportOf(s.Dist)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %s: model site %q: %v", ErrNotReparameterizable, who, s.Name, err)
	}
	if !declared {
		if _, ok := s.Dist.(dist.Enumerator); ok {
			return nil, 0, fmt.Errorf("%w: %s covers continuous sites only; model site %q is a discrete %T (enumerate it, or write its guide by hand)", ErrNotReparameterizable, who, s.Name, s.Dist)
		}
		return dist.Identity{}, s.Value.C, nil
	}
	if sup.Discrete() {
		return nil, 0, fmt.Errorf("%w: %s covers continuous sites only; model site %q is a %T with the discrete support %v (enumerate it, or write its guide by hand)", ErrNotReparameterizable, who, s.Name, s.Dist, sup)
	}
	if b, err = dist.BijectTo(sup); err != nil {
		return nil, 0, fmt.Errorf("%w: %s: model site %q: %v", ErrNotReparameterizable, who, s.Name, err)
	}
	defer func() {
		if r := recover(); r != nil {
			b, udim, err = nil, 0, fmt.Errorf("%w: %s: model site %q has %d columns, which its support %v cannot have: %v", ErrShape, who, s.Name, s.Value.C, sup, r)
		}
	}()
	return b, b.InverseDim(s.Value.C), nil
}

// supportOf returns the declared support of d, reporting false if d
// declares none, and an error if its Support method panics (a Uniform
// whose bounds differ between coordinates).
func supportOf(d dist.Distribution) (s dist.Support, declared bool, err error) {
	sp, ok := d.(dist.Supporter)
	if !ok {
		return dist.Support{}, false, nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("its support: %v", r)
		}
	}()
	return sp.Support(), true, nil
}

func layoutDim(l []slot) int {
	last := l[len(l)-1]
	return last.off + last.cols
}

// unconstrainedDim returns the number of columns of the concatenated
// unconstrained row of a continuous layout.
func unconstrainedDim(l []slot) int {
	last := l[len(l)-1]
	return last.uoff + last.ucols
}

// byPlate runs f for the slots outside plates, then opens each plate once
// and runs f for its slots inside it.
func byPlate(t *Tracer, layout []slot, f func(s slot, p *Plate)) {
	var plates []slot
	seen := map[string]bool{}
	for _, s := range layout {
		if s.plate == "" {
			f(s, nil)
		} else if !seen[s.plate] {
			seen[s.plate] = true
			plates = append(plates, s)
		}
	}
	for _, ps := range plates {
		t.Plate(ps.plate, ps.n, func(p *Plate) {
			for _, s := range layout {
				if s.plate == ps.plate {
					f(s, p)
				}
			}
		})
	}
}

// AutoNormal returns a mean-field Gaussian guide for every latent site of
// model, like Pyro's AutoNormal. Each site is fitted in unconstrained
// space and mapped onto its support by dist.BijectTo (Pyro's biject_to):
// for a site with support s and bijection b = BijectTo(s), the guide draws
// u from a diagonal Normal with parameters "auto.<s>.loc" and
// "auto.<s>.log_scale" (1×du each, or N×du for a site in a plate of N
// members, one row per member; du = b.InverseDim(Dim), which is Dim but
// for a simplex, K−1, and a Cholesky factor; means 0 and standard
// deviations AutoInitScale at first) and samples the site as
// dist.TransformedDistribution{Base: that Normal, Transform: b}, whose
// log-density is log q(u) − log |det J_b(u)|. A real site is drawn from
// the Normal itself. A distribution that declares no support (no Support
// method) is taken as real unless it is a dist.Enumerator.
//
// The model is traced once at x to find its sites; AutoNormal returns an
// error wrapping ErrNotReparameterizable, naming the site and its support,
// if one is discrete, and any error of that run. The guide opens the
// model's plates, so it follows their subsampling.
func AutoNormal(model Model, store *ParamStore, x mat.Matrix) (Guide, error) {
	layout, err := latentSlots("AutoNormal", model, store, x, true)
	if err != nil {
		return nil, err
	}
	return func(t *Tracer, x *ad.Var) {
		byPlate(t, layout, func(s slot, p *Plate) {
			loc := t.Param("auto."+s.name+".loc", Zeros(s.n, s.udim))
			ls := t.Param("auto."+s.name+".log_scale", Fill(s.n, s.udim, math.Log(AutoInitScale)))
			if p != nil {
				loc, ls = p.Gather(loc), p.Gather(ls)
			}
			base := dist.Normal{Loc: loc, LogScale: ls}
			if s.identity() {
				t.Sample(s.name, base)
				return
			}
			t.Sample(s.name, newCachedTransform(base, s.bij))
		})
	}, nil
}

// cachedTransform is a TransformedDistribution that remembers the
// unconstrained draw behind its last reparameterised sample, as Pyro's
// transforms with cache_size=1: the log-density of that sample is taken
// from u directly instead of from Transform⁻¹(x), which loses accuracy
// where the bijection saturates (a sigmoid near 0 or 1).
type cachedTransform struct {
	dist.TransformedDistribution
	cache *transformCache
}

type transformCache struct{ x, u *ad.Var }

var _ dist.Reparameterizer = cachedTransform{}

func newCachedTransform(base dist.Differentiable, b dist.Bijector) cachedTransform {
	return cachedTransform{TransformedDistribution: dist.TransformedDistribution{Base: base, Transform: b}, cache: &transformCache{}}
}

// RSampleVar returns Transform.Forward(u) for u drawn from Base, and
// remembers u.
func (c cachedTransform) RSampleVar(n int, rnd *rand.Rand) *ad.Var {
	u := c.Base.(dist.Reparameterizer).RSampleVar(n, rnd)
	x := c.Transform.Forward(u)
	c.cache.x, c.cache.u = x, u
	return x
}

// LogProbVar returns log p_Base(u) − log |det J(u)|, with u the remembered
// draw when x is the last sample and Transform⁻¹(x) otherwise.
func (c cachedTransform) LogProbVar(x *ad.Var) *ad.Var {
	if x == c.cache.x && x != nil {
		u := c.cache.u
		return ad.Sub(c.Base.LogProbVar(u), c.Transform.LogDetJacobian(u))
	}
	return c.TransformedDistribution.LogProbVar(x)
}

// Detach returns the distribution with Base's gradients stopped, sharing
// the cache.
func (c cachedTransform) Detach() dist.Differentiable {
	return cachedTransform{TransformedDistribution: c.TransformedDistribution.Detach().(dist.TransformedDistribution), cache: c.cache}
}

// AutoMultivariateNormal returns a full-rank Gaussian guide over the
// concatenation u of every latent site of model in unconstrained space, in
// the order the model samples them (a site in a plate of N members
// contributes its N rows side by side), like Pyro's
// AutoMultivariateNormal: u ~ N(μ, L Lᵀ) with μ the 1×d parameter
// "auto.loc" and L the d×d parameter "auto.scale_tril", constrained to
// LowerCholesky. The joint draw is recorded as the auxiliary site
// AuxSiteName; each latent site takes its block of columns, mapped onto
// its support by dist.BijectTo as in AutoNormal, and carries −log |det J|
// of that map as its log-density, so that the guide's density is that of
// the constrained values. Its errors are those of AutoNormal; it does not
// support subsampled plates.
func AutoMultivariateNormal(model Model, store *ParamStore, x mat.Matrix) (Guide, error) {
	layout, err := latentSlots("AutoMultivariateNormal", model, store, x, true)
	if err != nil {
		return nil, err
	}
	d := unconstrainedDim(layout)
	return func(t *Tracer, x *ad.Var) {
		loc := t.Param("auto.loc", Zeros(1, d))
		l := t.Param("auto.scale_tril", func(*rand.Rand) *mat.Dense {
			m := mat.NewDense(d, d, nil)
			for i := range d {
				m.Set(i, i, AutoInitScale)
			}
			return m
		}, LowerCholesky)
		t.joint(AuxSiteName, dist.MultivariateNormal{Loc: loc, Chol: l}, layout)
	}, nil
}

// AutoLowRankMultivariateNormal is AutoMultivariateNormal with a
// covariance of rank r plus a diagonal, like Pyro's
// AutoLowRankMultivariateNormal: u ~ N(μ, W Wᵀ + diag(σ²)) with μ the 1×d
// parameter "auto.loc", W the d×r parameter "auto.cov_factor" and σ the 1×d
// parameter "auto.scale", constrained Positive (dist.LowRankMultivariateNormal).
// It has d(r + 2) parameters instead of the d(d + 3)/2 of the full-rank
// guide, and a density that costs O(d r²). At first σ = AutoInitScale and
// W is drawn from N(0, AutoInitScale²/r) with the store's stream for the
// name. It panics if rank < 1; its errors are those of AutoNormal.
func AutoLowRankMultivariateNormal(model Model, store *ParamStore, x mat.Matrix, rank int) (Guide, error) {
	if rank < 1 {
		panic(fmt.Sprintf("ppl: AutoLowRankMultivariateNormal: rank %d < 1", rank))
	}
	layout, err := latentSlots("AutoLowRankMultivariateNormal", model, store, x, true)
	if err != nil {
		return nil, err
	}
	d := unconstrainedDim(layout)
	return func(t *Tracer, x *ad.Var) {
		loc := t.Param("auto.loc", Zeros(1, d))
		w := t.Param("auto.cov_factor", Normal(d, rank, AutoInitScale/math.Sqrt(float64(rank))))
		scale := t.Param("auto.scale", Fill(1, d, AutoInitScale), Positive)
		t.joint(AuxSiteName, dist.LowRankMultivariateNormal{Loc: loc, CovFactor: w, CovDiag: ad.Square(scale)}, layout)
	}, nil
}

// joint draws (or replays) the auxiliary site aux, the unconstrained
// concatenated latent row, from d and splits its value into the latent
// sites of layout, each mapped onto its support; a site's log-density is
// −log |det J| of its map (0 for a real site).
func (t *Tracer) joint(aux string, d dist.Reparameterizer, layout []slot) {
	k := t.trace.K
	dim := t.checkDist(aux, d, k)
	s := &Site{Name: aux, Kind: Auxiliary, Dist: d, Reparam: true}
	guard(aux, func() {
		switch {
		case t.mode == modeSample:
			s.Value = d.RSampleVar(k, t.rnd)
		case t.replay.Site(aux) != nil:
			s.Value = t.replay.Site(aux).Value
		default:
			s.Value = t.assemble(layout, dim)
		}
		s.LogProb = d.LogProbVar(s.Value)
	})
	t.add(s)
	byPlate(t, layout, func(sl slot, p *Plate) {
		if p != nil && p.B() != p.N {
			fail(ErrStructure, "an automatic joint guide cannot subsample plate %q", p.Name)
		}
		u := ad.SliceCols(s.Value, sl.uoff, sl.uoff+sl.ucols)
		if p != nil {
			u = ad.Reshape(u, k*p.N, sl.udim)
		}
		site := &Site{Name: sl.name, Kind: Latent, Value: u, LogProb: ad.Const(1, 1, nil), Reparam: true, Plate: p}
		if !sl.identity() {
			guard(sl.name, func() {
				site.Value = sl.bij.Forward(u)
				site.LogProb = ad.Neg(sl.bij.LogDetJacobian(u))
			})
		}
		t.add(site)
	})
}

// assemble builds the joint unconstrained value from the latent sites of
// the replay trace (a guide re-scored on values given per site), mapping
// each back from its support.
func (t *Tracer) assemble(layout []slot, dim int) *ad.Var {
	k := t.trace.K
	parts := make([]*ad.Var, len(layout))
	for i, sl := range layout {
		src := t.replay.Site(sl.name)
		if src == nil {
			fail(ErrStructure, "guide site %q is not in the trace it replays", sl.name)
		}
		if len(src.Value.Data) != k*sl.cols {
			fail(ErrShape, "site %q has %d values, want %d×%d", sl.name, len(src.Value.Data), k, sl.cols)
		}
		v := src.Value
		if !sl.identity() {
			v = sl.bij.InverseVar(ad.Reshape(v, k*sl.n, sl.dim))
		}
		parts[i] = ad.Reshape(v, k, sl.ucols)
	}
	v := ad.ConcatCols(parts...)
	if v.C != dim {
		fail(ErrShape, "the latent sites have %d unconstrained columns, the joint distribution %d", v.C, dim)
	}
	return v
}
