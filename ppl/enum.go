package ppl

import (
	"fmt"
	"math/rand/v2"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
)

// MaxEnumeration is the largest number of joint values of a guide's discrete
// sites that Objective.Enumerate sums over.
const MaxEnumeration = 1 << 16

// enumSite is one discrete site's place in the enumeration: its value for
// combination m is event (m / stride) mod n.
type enumSite struct{ stride, n int }

// enumPlan enumerates the joint values of a guide's discrete sites. Particle
// p of a run with K·combos particles takes combination p mod combos.
type enumPlan struct {
	sites  map[string]enumSite
	combos int
}

// planEnumeration runs guide once on one particle and returns the plan for
// its discrete sites, in the order it draws them. It fails, wrapping
// ErrNotEnumerable, for a discrete site that is not a dist.Enumerator or
// lies in a plate, and for more than MaxEnumeration combinations.
func planEnumeration(guide Guide, store *ParamStore, x *ad.Var) (*enumPlan, error) {
	tr, err := runGuide(guide, newSession(store, nil), x, 1, rand.New(rand.NewPCG(0, 0)), 0)
	if err != nil {
		return nil, err
	}
	plan := &enumPlan{sites: map[string]enumSite{}, combos: 1}
	for _, s := range tr.Sites {
		if s.Reparam || s.Dist == nil || s.Kind != Latent {
			continue
		}
		e, ok := s.Dist.(dist.Enumerator)
		if !ok {
			return nil, fmt.Errorf("%w: guide site %q is a %T, which does not list its values (dist.Enumerator)", ErrNotEnumerable, s.Name, s.Dist)
		}
		if s.Plate != nil {
			return nil, fmt.Errorf("%w: guide site %q lies in plate %q; enumeration covers discrete sites outside plates", ErrNotEnumerable, s.Name, s.Plate.Name)
		}
		n := e.NumEvents()
		if plan.combos > MaxEnumeration/n {
			return nil, fmt.Errorf("%w: the discrete guide sites up to %q have more than %d joint values", ErrNotEnumerable, s.Name, MaxEnumeration)
		}
		plan.sites[s.Name] = enumSite{stride: plan.combos, n: n}
		plan.combos *= n
	}
	return plan, nil
}

// value returns the n rows of discrete site name drawn from d: each
// particle's combination's event.
func (p *enumPlan) value(name string, d dist.Distribution, n int) *ad.Var {
	site, ok := p.sites[name]
	e, isEnum := d.(dist.Enumerator)
	if !ok || !isEnum || e.NumEvents() != site.n {
		fail(ErrStructure, "discrete guide site %q differs from the run that planned its enumeration", name)
	}
	v := ad.Const(n, e.Dim(), nil)
	for i := range n {
		e.Event(v.Data[i*v.C:(i+1)*v.C], (i%p.combos)/site.stride%site.n)
	}
	return v
}

// runEnumerated runs guide on k particles per joint value of its discrete
// sites (see Objective.Enumerate), drawing its continuous sites from rnd.
func runEnumerated(guide Guide, sess *session, x *ad.Var, k int, rnd *rand.Rand, subsample int) (*Trace, error) {
	plan, err := planEnumeration(guide, sess.store, x)
	if err != nil {
		return nil, err
	}
	t := newTracer(k*plan.combos, modeSample, rnd, sess, nil)
	t.guide = true
	t.enum = plan
	t.subsample = subsample
	return t.run(guide, x)
}
