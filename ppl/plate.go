package ppl

import (
	"fmt"
	"slices"

	"github.com/vitool/vitool/ad"
)

// Plate is a vectorised set of N conditionally independent members, such as
// the points of a data set, opened by Tracer.Plate. A run visits all N
// members or, when the objective subsamples (Objective.Subsample = b < N),
// b of them drawn without replacement; the log-densities of the plate's
// sites are then scaled by N/b so that the objective stays an unbiased
// estimate over all N (Pyro's plate with subsampling).
//
// The sites sampled and observed in the plate's body are vectorised over the
// visited members: a site's value has K·B rows for K particles and B visited
// members, row k·B + b belonging to particle k and member Idx[b]. Data rows
// of the visited members are selected with Data, and a value outside the
// plate (one row per particle) is lifted to the plate's rows with Expand.
type Plate struct {
	// Name is the plate's name, N its size.
	Name string
	N    int
	// Idx are the visited members, in increasing order.
	Idx []int
	// Scale is N/B, the factor of the plate's log-densities.
	Scale float64
	k     int
}

// B returns the number of visited members.
func (p *Plate) B() int { return len(p.Idx) }

// Data returns the rows of x (N rows, one per member) of the visited
// members, repeated for every particle: a (K·B)×C constant, row k·B + b
// holding row Idx[b] of x. It fails with ErrShape if x does not have N rows.
func (p *Plate) Data(x *ad.Var) *ad.Var {
	if x.R != p.N {
		fail(ErrShape, "plate %q has %d members but the data have %d rows", p.Name, p.N, x.R)
	}
	return ad.Tile(ad.Rows(x, p.Idx), p.k)
}

// Expand lifts a value with one row per particle (K×C, or 1×C shared by all
// particles) to the plate's rows: row k·B + b is row k of v.
func (p *Plate) Expand(v *ad.Var) *ad.Var {
	switch v.R {
	case 1:
		return ad.Tile(v, p.k*p.B())
	case p.k:
		return ad.Repeat(v, p.B())
	}
	fail(ErrShape, "plate %q: Expand of a value with %d rows, want 1 or K = %d", p.Name, v.R, p.k)
	return nil
}

// Gather returns the rows of a per-member matrix m (N×C, such as a
// parameter with one row per member) of the visited members, repeated for
// every particle, like Data but differentiable with respect to m.
func (p *Plate) Gather(m *ad.Var) *ad.Var { return p.Data(m) }

// Plate opens the plate name of n members and runs body with the tracer in
// it: the sites that body samples and observes are vectorised over the
// visited members (see Plate). Site names are not changed. A guide must open
// every plate that its model subsamples, so that both visit the same
// members. Plates do not nest, and a plate name is opened once per run.
func (t *Tracer) Plate(name string, n int, body func(p *Plate)) {
	switch {
	case t.plate != nil:
		fail(ErrStructure, "plate %q opened inside plate %q: plates do not nest", name, t.plate.Name)
	case n < 1:
		fail(ErrShape, "plate %q has %d members, want at least 1", name, n)
	}
	if _, dup := t.trace.Plates[name]; dup {
		fail(ErrDuplicateSite, "plate %q opened twice", name)
	}
	visit := t.members(name, n)
	p := &Plate{Name: name, N: n, Idx: visit, Scale: float64(n) / float64(len(visit)), k: t.trace.K}
	t.trace.Plates[name] = p
	if body == nil {
		return
	}
	t.plate = p
	defer func() { t.plate = nil }()
	body(p)
}

// members returns the members of plate name (of size n) that this run
// visits: those of the run it replays, or a subsample drawn from rnd, or all.
func (t *Tracer) members(name string, n int) []int {
	if t.replay != nil {
		if rec, ok := t.replay.Plates[name]; ok {
			if rec.N != n {
				fail(ErrShape, "plate %q has %d members, %d in the run it replays", name, n, rec.N)
			}
			return rec.Idx
		}
	}
	b := t.subsample
	if b == 0 || b >= n {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all
	}
	if t.mode != modeSample || t.rnd == nil {
		fail(ErrStructure, "plate %q is subsampled but the run it replays did not open it (a guide must open every subsampled plate of its model, with a nil body if it has no sites there)", name)
	}
	// Floyd's algorithm: b distinct members in O(b).
	chosen := make(map[int]bool, b)
	out := make([]int, 0, b)
	for j := n - b; j < n; j++ {
		v := t.rnd.IntN(j + 1)
		if chosen[v] {
			v = j
		}
		chosen[v] = true
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// checkPlates reports a plate that the guide trace g opened with a subsample
// but the model trace m did not open, or opened with another size.
func checkPlates(g, m *Trace) error {
	for name, gp := range g.Plates {
		mp, ok := m.Plates[name]
		if !ok {
			if gp.B() < gp.N {
				return errorf(ErrStructure, "the guide subsamples plate %q, which the model does not open", name)
			}
			continue
		}
		if mp.N != gp.N {
			return errorf(ErrShape, "plate %q has %d members in the guide, %d in the model", name, gp.N, mp.N)
		}
	}
	return nil
}

func errorf(base error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{base}, args...)...)
}
