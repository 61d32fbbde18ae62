package ppl

import (
	"errors"
	"fmt"
	"math"

	"github.com/vitool/vitool/dist"
)

// ErrSupport: a guide's distribution at a site puts mass outside the
// support of the model's distribution there (a Normal guide for a Beta
// site), so that the model's log-density of some draws is −Inf or NaN.
var ErrSupport = errors.New("ppl: guide support does not match the model's")

// checkSupports reports the first latent site whose guide distribution's
// support does not lie within its model distribution's support. Sites
// whose distributions do not both declare a support (dist.Supporter), and
// the latent sites of the automatic joint guides (which carry no
// distribution of their own), are not checked.
func checkSupports(g, m *Trace) error {
	for _, ms := range m.Sites {
		if ms.Kind != Latent || ms.Dist == nil {
			continue
		}
		gs := g.Site(ms.Name)
		if gs == nil || gs.Dist == nil {
			continue
		}
		gsup, gok, gerr := supportOf(gs.Dist)
		msup, mok, merr := supportOf(ms.Dist)
		if !gok || !mok || gerr != nil || merr != nil {
			continue
		}
		if !within(gsup, msup) {
			return fmt.Errorf("%w: site %q: the guide's %T has support %v, the model's %T has support %v (fit a constrained site with ppl.AutoNormal, or draw it through dist.TransformedDistribution with dist.BijectTo(%v))",
				ErrSupport, ms.Name, gs.Dist, gsup, ms.Dist, msup, msup)
		}
	}
	return nil
}

// within reports whether the support g is a subset of m: equal supports;
// a continuous support within the reals or within a wider interval or
// half-line; a narrower integer range.
func within(g, m dist.Support) bool {
	if g == m {
		return true
	}
	if g.Discrete() != m.Discrete() {
		return false
	}
	if g.Discrete() {
		lo, hi := g.Lo, g.Hi
		if g.Kind == dist.KindBoolean {
			lo, hi = 0, 1
		}
		mlo, mhi := m.Lo, m.Hi
		if m.Kind == dist.KindBoolean {
			mlo, mhi = 0, 1
		}
		return lo >= mlo && hi <= mhi
	}
	// The coordinatewise bounds of g, when it has them.
	inf := math.Inf(1)
	var lo, hi float64
	switch g.Kind {
	case dist.KindGreaterThan:
		lo, hi = g.Lo, inf
	case dist.KindInterval:
		lo, hi = g.Lo, g.Hi
	case dist.KindSimplex:
		lo, hi = 0, 1
	default:
		lo, hi = -inf, inf
	}
	switch m.Kind {
	case dist.KindReal:
		return true
	case dist.KindGreaterThan:
		return lo >= m.Lo
	case dist.KindInterval:
		return lo >= m.Lo && hi <= m.Hi
	}
	return false
}
