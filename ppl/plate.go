package ppl

import (
	"fmt"
	"slices"
	"strconv"
)

// plateMember is the plate member a Tracer is running.
type plateMember struct {
	plate string
	i     int
	scale float64
}

func memberName(plate string, i int) string { return plate + "[" + strconv.Itoa(i) + "]" }

// qualify returns the name of site name in the current plate member:
// "name[i]" inside member i of a plate, name outside plates.
func (t *Tracer) qualify(name string) string {
	if t.member == nil {
		return name
	}
	return name + "[" + strconv.Itoa(t.member.i) + "]"
}

// Plate declares n conditionally independent members, such as the points of
// a data set, and runs body(i) for each member i that this run visits: all
// n, or, when the objective subsamples (Objective.Subsample = b < n), b
// members drawn without replacement, whose log-densities are then scaled by
// n/b so that the objective stays an unbiased estimate over all n (Pyro's
// plate with subsampling). The members are visited in increasing order.
//
// The sites of member i are named with the suffix "[i]": Sample("c", d) in
// member 3 is the site "c[3]", in the guide and in the model alike. The
// parameters that body reads are not renamed: a parameter per member is one
// matrix with a row per member, read at row i.
//
// A guide must open every plate that its model subsamples, so that both
// visit the same members; a guide with no sites in the plate passes a nil
// body. Plates do not nest, and a plate name is opened once per run. The
// score-function gradient of a discrete guide site in member i is weighted by
// the log-weight terms of member i alone (Rao-Blackwellisation), not by the
// whole log-weight, which keeps its variance from growing with n.
func (t *Tracer) Plate(name string, n int, body func(i int)) {
	switch {
	case t.member != nil:
		fail(ErrStructure, "plate %q opened inside plate %q: plates do not nest", name, t.member.plate)
	case n < 1:
		fail(ErrShape, "plate %q has %d members, want at least 1", name, n)
	}
	if _, dup := t.trace.Plates[name]; dup {
		fail(ErrDuplicateSite, "plate %q opened twice", name)
	}
	visit := t.members(name, n)
	t.trace.Plates[name] = PlateMembers{N: n, Visited: visit}
	if body == nil {
		return
	}
	scale := float64(n) / float64(len(visit))
	defer func() { t.member = nil }()
	for _, i := range visit {
		t.member = &plateMember{plate: name, i: i, scale: scale}
		body(i)
	}
}

// members returns the members of plate name (of size n) that this run
// visits: those of the run it replays, or a subsample drawn from rnd, or all.
func (t *Tracer) members(name string, n int) []int {
	if t.replay != nil {
		if rec, ok := t.replay.Plates[name]; ok {
			if rec.N != n {
				fail(ErrShape, "plate %q has %d members, %d in the run it replays", name, n, rec.N)
			}
			return rec.Visited
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
			if len(gp.Visited) < gp.N {
				return fmt.Errorf("%w: the guide subsamples plate %q, which the model does not open", ErrStructure, name)
			}
			continue
		}
		if mp.N != gp.N {
			return fmt.Errorf("%w: plate %q has %d members in the guide, %d in the model", ErrShape, name, gp.N, mp.N)
		}
	}
	return nil
}
