package ppl

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
)

// TestProposalSampleLogProb checks the guide seen as a proposal: its
// SampleLogProb draws the rows of Sample from the same seed, leaves the
// generator as Sample leaves it, and gives log-densities equal to LogProb
// of the rows (a replay, through the flows' inverses and the automatic
// guides' inverse bijections) to 1e-9, for a mean-field guide, flow guides
// with weights moved away from their initial values, and the automatic
// guides of a model with constrained sites.
func TestProposalSampleLogProb(t *testing.T) {
	type tc struct {
		name  string
		model Model
		x     mat.Matrix
		guide func(*ParamStore) Guide
	}
	banana := row([]float64{1})
	fixed := func(g Guide) func(*ParamStore) Guide { return func(*ParamStore) Guide { return g } }
	cases := []tc{
		{"mean-field", bananaModel, banana, fixed(meanFieldGuide)},
		{"planar", bananaModel, banana, fixed(flowGuide("planar", 3, 0))},
		{"coupling", bananaModel, banana, fixed(flowGuide("coupling", 2, 4))},
		{"iaf", bananaModel, banana, fixed(flowGuide("iaf", 2, 4))},
	}
	autos := autoGuides(t, constrainedModel, constrainedX)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range autos {
			if !yield(k) {
				return
			}
		}
	}) {
		cases = append(cases, tc{name, constrainedModel, constrainedX, autos[name]})
	}
	for i, c := range cases {
		store := NewParamStore(uint64(i))
		_, q, err := adapt(c.model, c.guide(store), store, c.x)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		perturb(t, store, uint64(i))
		s, ok := q.(dist.SampleLogProber)
		if !ok {
			t.Fatalf("%s: the proposal is not a dist.SampleLogProber", c.name)
		}
		const n = 6
		want := mat.NewDense(n, q.Dim(), nil)
		r1 := rand.New(rand.NewPCG(9, uint64(i)))
		q.Sample(want, r1)
		wantLP := q.LogProb(nil, want)
		got := mat.NewDense(n, q.Dim(), nil)
		r2 := rand.New(rand.NewPCG(9, uint64(i)))
		lp := s.SampleLogProb(got, make([]float64, n), r2)
		if !mat.Equal(got, want) {
			t.Errorf("%s: rows differ from Sample's", c.name)
		}
		if r1.Uint64() != r2.Uint64() {
			t.Errorf("%s: the generator is not left as Sample leaves it", c.name)
		}
		for k, v := range lp {
			if math.IsNaN(v) || math.Abs(v-wantLP[k]) > 1e-9*math.Max(1, math.Abs(wantLP[k])) {
				t.Errorf("%s: row %d: log-density %v, LogProb %v", c.name, k, v, wantLP[k])
			}
		}
	}
}

// perturb adds N(0, 0.3²) noise to every unconstrained parameter of
// store, moving zero-initialised flow weights off the identity.
func perturb(t *testing.T, store *ParamStore, seed uint64) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 77))
	for _, name := range store.Names() {
		if store.Constraint(name) != nil {
			continue
		}
		u := mat.DenseCopyOf(store.Get(name))
		u.Apply(func(_, _ int, v float64) float64 { return v + 0.3*rnd.NormFloat64() }, u)
		if err := store.Set(name, u, nil); err != nil {
			t.Fatal(err)
		}
	}
}
