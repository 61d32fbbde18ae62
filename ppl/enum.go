package ppl

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

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
// ErrNotEnumerable, for a discrete site that is not a dist.Enumerator and
// for more than MaxEnumeration combinations.
func planEnumeration(guide Guide, store *ParamStore, x []float64) (*enumPlan, error) {
	tr, err := RunGuide(guide, store, x, 1, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	plan := &enumPlan{sites: map[string]enumSite{}, combos: 1}
	for _, s := range tr.Sites {
		if s.Reparam || s.Dist == nil {
			continue
		}
		e, ok := s.Dist.(dist.Enumerator)
		if !ok {
			return nil, fmt.Errorf("%w: guide site %q is a %T, which does not list its values (dist.Enumerator)", ErrNotEnumerable, s.Name, s.Dist)
		}
		n := e.Support()
		if plan.combos > MaxEnumeration/n {
			return nil, fmt.Errorf("%w: the discrete guide sites up to %q have more than %d joint values", ErrNotEnumerable, s.Name, MaxEnumeration)
		}
		plan.sites[s.Name] = enumSite{stride: plan.combos, n: n}
		plan.combos *= n
	}
	return plan, nil
}

// fill sets the rows of dst, the value of discrete site name drawn from d,
// to the site's events for each particle's combination.
func (p *enumPlan) fill(dst *mat.Dense, name string, d dist.Distribution) {
	site, ok := p.sites[name]
	e, isEnum := d.(dist.Enumerator)
	if !ok || !isEnum || e.Support() != site.n {
		fail(ErrStructure, "discrete guide site %q differs from the run that planned its enumeration", name)
	}
	r, _ := dst.Dims()
	for i := range r {
		e.Event(dst.RawRowView(i), (i%p.combos)/site.stride%site.n)
	}
}

// runEnumerated runs guide on k particles per joint value of its discrete
// sites (see Objective.Enumerate), drawing its continuous sites from rnd.
func runEnumerated(guide Guide, store *ParamStore, x []float64, k int, rnd *rand.Rand, subsample int) (*Trace, error) {
	plan, err := planEnumeration(guide, store, x)
	if err != nil {
		return nil, err
	}
	t := newTracer(k*plan.combos, modeSample, rnd, store, nil)
	t.guide = true
	t.enum = plan
	t.subsample = subsample
	return t.run(guide, x)
}
