package ppl

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
)

// TestMisuse checks that each kind of misuse gives its error, naming the
// site.
func TestMisuse(t *testing.T) {
	std := dist.StdNormal{D: 2}
	obs := func(t *Tracer, x *ad.Var) { t.Observe("x", dist.StdNormal{D: 1}, x) }
	goodModel := func(t *Tracer, x *ad.Var) { t.Sample("z", std); obs(t, x) }
	goodGuide := func(t *Tracer, x *ad.Var) { t.Sample("z", std) }
	for _, tc := range []struct {
		name  string
		model Model
		guide Guide
		want  error
		site  string
	}{
		{"guide site the model lacks", goodModel,
			func(t *Tracer, x *ad.Var) { t.Sample("z", std); t.Sample("extra", std) }, ErrUnmatchedGuideSite, "extra"},
		{"model latent the guide lacks",
			func(t *Tracer, x *ad.Var) { t.Sample("z", std); t.Sample("w", std); obs(t, x) }, goodGuide, ErrMissingLatent, "w"},
		{"observed twice",
			func(t *Tracer, x *ad.Var) { t.Sample("z", std); obs(t, x); obs(t, x) }, goodGuide, ErrDuplicateSite, "x"},
		{"observed value of the wrong length",
			func(t *Tracer, x *ad.Var) { t.Sample("z", std); t.Observe("x", dist.StdNormal{D: 3}, x) }, goodGuide, ErrShape, "x"},
		{"guide value of the wrong shape",
			func(t *Tracer, x *ad.Var) { t.Sample("z", dist.StdNormal{D: 3}); obs(t, x) }, goodGuide, ErrShape, "z"},
		{"guide samples an observed site", goodModel,
			func(t *Tracer, x *ad.Var) { t.Sample("z", std); t.Sample("x", dist.StdNormal{D: 1}) }, ErrUnmatchedGuideSite, "x"},
		{"guide observes", goodModel,
			func(t *Tracer, x *ad.Var) { t.Sample("z", std); t.Observe("y", dist.StdNormal{D: 1}, x) }, ErrUnmatchedGuideSite, "y"},
		{"batch size other than K",
			func(t *Tracer, x *ad.Var) {
				t.Sample("z", std)
				t.Observe("x", dist.Normal{Loc: ad.Const(3, 1, nil), LogScale: ad.Const(3, 1, nil)}, x)
			}, goodGuide, ErrShape, "x"},
		{"parameters that do not broadcast",
			func(t *Tracer, x *ad.Var) {
				t.Sample("z", std)
				t.Observe("x", dist.Normal{Loc: ad.Const(2, 1, nil), LogScale: ad.Const(1, 3, nil)}, x)
			}, goodGuide, ErrShape, "x"},
		{"operation on incompatible shapes",
			func(t *Tracer, x *ad.Var) {
				z := t.Sample("z", std)
				t.Observe("x", dist.Normal{Loc: ad.Add(z, ad.Const(1, 3, nil)), LogScale: ad.Scalar(0)}, x)
			}, goodGuide, ErrShape, "z"},
		{"parameter read with another constraint", goodModel,
			func(t *Tracer, x *ad.Var) {
				t.Param("p", Fill(1, 2, 1))
				t.Sample("z", std)
				t.Param("p", nil, Positive)
			}, ErrStructure, "p"},
		{"panic in user code", func(t *Tracer, x *ad.Var) {
			t.Sample("z", std)
			var s []int
			_ = s[3]
		}, goodGuide, ErrPanic, "z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := LogWeights(tc.model, tc.guide, NewParamStore(0), row([]float64{0.5}), 2, rand.New(rand.NewPCG(1, 1)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), `"`+tc.site+`"`) {
				t.Errorf("error %q does not name site %q", err, tc.site)
			}
			// The evidence estimators and SVI report the same error.
			if _, err := Importance(tc.model, tc.guide, NewParamStore(0), row([]float64{0.5}), 10, mcConfig()); !errors.Is(err, tc.want) {
				t.Errorf("Importance: error %v, want %v", err, tc.want)
			}
		})
	}
}

// TestBroadcastScaleAgainstParticles checks the case that used to panic in
// an SVI worker: a 1×D log-scale against K×D locations.
func TestBroadcastScaleAgainstParticles(t *testing.T) {
	model := func(t *Tracer, x *ad.Var) {
		z := t.Sample("z", dist.StdNormal{D: 2})
		t.Observe("x", dist.Normal{Loc: z, LogScale: ad.Row([]float64{-1, 0.5})}, x)
	}
	guide := func(t *Tracer, x *ad.Var) {
		t.Sample("z", dist.Normal{Loc: t.Param("m", Zeros(1, 2)), LogScale: t.Param("s", Zeros(1, 2))})
	}
	if _, err := SVI(model, guide, NewParamStore(0), row([]float64{0.3, -0.2}), SVIConfig{Objective: Objective{K: 4}, Steps: 3}); err != nil {
		t.Fatal(err)
	}
}

// TestTraceRecordsSites checks the recorded values, kinds and log-densities.
func TestTraceRecordsSites(t *testing.T) {
	lg, x := testLG(3, 2, 0.5, 2)
	q := lg.MeanField(x)
	logw, g, m, err := LogWeights(lgModel(lg), fixedGuide(q), NewParamStore(0), row(x), 4, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	gz, mz := g.Site("z"), m.Site("z")
	if gz.Kind != Latent || !gz.Reparam || m.Site("x").Kind != Observed {
		t.Fatalf("unexpected sites: guide z %+v, model x %+v", gz, m.Site("x"))
	}
	if gz.Value != mz.Value {
		t.Error("model did not replay the guide's value")
	}
	lq := q.LogProb(nil, gz.Value)
	lp := make([]float64, 4)
	lg.LogLikelihood(lp, x, gz.Value)
	prior := lg.Prior().LogProb(nil, gz.Value)
	for i := range logw {
		want := lp[i] + prior[i] - lq[i]
		if math.Abs(logw[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("logw[%d] = %v, want %v", i, logw[i], want)
		}
	}
}

// TestParamStoreSaveLoad round-trips parameters, constrained ones included,
// through safetensors and checks the shape-mismatch error.
func TestParamStoreSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "params.safetensors")
	s := NewParamStore(0)
	s.Set("b", mat.NewDense(1, 3, []float64{1, 2, 3}), nil)
	s.Set("a", mat.NewDense(2, 2, []float64{math.Pi, -1e-300, 4, 5}), nil)
	if err := s.Set("p", mat.NewDense(1, 3, []float64{0.2, 0.3, 0.5}), Simplex); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	r := NewParamStore(0)
	if err := r.Load(path); err != nil {
		t.Fatal(err)
	}
	if got := r.Names(); len(got) != 3 || got[0] != "b" || got[1] != "a" || got[2] != "p" {
		t.Errorf("names %v, want [b a p]", got)
	}
	for _, n := range s.Names() {
		if !mat.EqualApprox(r.Get(n), s.Get(n), 1e-15) {
			t.Errorf("%s: loaded %v, saved %v", n, mat.Formatted(r.Get(n)), mat.Formatted(s.Get(n)))
		}
	}
	bad := NewParamStore(0)
	bad.Set("a", mat.NewDense(1, 4, nil), nil)
	if err := bad.Load(path); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("Load into a store with another shape: error %v, want ErrShape naming \"a\"", err)
	}
	if bad.Get("b") != nil {
		t.Error("failed Load changed the store")
	}
	if err := r.Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load of a missing file: no error")
	}
}

// TestConstraints checks each constraint's inverse, that Forward lands in
// the support, and the errors for values outside it.
func TestConstraints(t *testing.T) {
	for _, tc := range []struct {
		c    Constraint
		x    *mat.Dense
		bad  *mat.Dense
		test func(*mat.Dense) bool
	}{
		{Positive, mat.NewDense(1, 2, []float64{0.5, 3}), mat.NewDense(1, 1, []float64{-1}), func(m *mat.Dense) bool { return mat.Min(m) > 0 }},
		{Interval(-1, 2), mat.NewDense(1, 2, []float64{-0.5, 1.9}), mat.NewDense(1, 1, []float64{2}), func(m *mat.Dense) bool { return mat.Min(m) > -1 && mat.Max(m) < 2 }},
		{Simplex, mat.NewDense(2, 3, []float64{0.2, 0.3, 0.5, 0.6, 0.3, 0.1}), mat.NewDense(1, 2, []float64{0.5, 0.6}), func(m *mat.Dense) bool {
			r, _ := m.Dims()
			for i := range r {
				if math.Abs(mat.Sum(m.RowView(i))-1) > 1e-12 || mat.Min(m) <= 0 {
					return false
				}
			}
			return true
		}},
		{LowerCholesky, mat.NewDense(2, 2, []float64{1.5, 0, -0.3, 0.2}), mat.NewDense(2, 2, []float64{1, 1, 0, 1}), func(m *mat.Dense) bool {
			return m.At(0, 1) == 0 && m.At(0, 0) > 0 && m.At(1, 1) > 0
		}},
	} {
		u, err := tc.c.Inverse(tc.x)
		if err != nil {
			t.Fatalf("%v: %v", tc.c, err)
		}
		back := tc.c.Forward(ad.FromDense(u)).Dense()
		if !mat.EqualApprox(back, tc.x, 1e-12) {
			t.Errorf("%v: Forward(Inverse(x)) = %v, want %v", tc.c, mat.Formatted(back), mat.Formatted(tc.x))
		}
		r, c := u.Dims()
		rnd := rand.New(rand.NewPCG(1, 1))
		for range 20 {
			v := mat.NewDense(r, c, nil)
			v.Apply(func(int, int, float64) float64 { return 3 * rnd.NormFloat64() }, v)
			if y := tc.c.Forward(ad.FromDense(v)).Dense(); !tc.test(y) {
				t.Errorf("%v: Forward(%v) = %v is outside the support", tc.c, mat.Formatted(v), mat.Formatted(y))
			}
		}
		if _, err := tc.c.Inverse(tc.bad); err == nil {
			t.Errorf("%v: Inverse accepted %v", tc.c, mat.Formatted(tc.bad))
		}
		if constraintByName(tc.c.String()) == nil {
			t.Errorf("%v: name %q is not parsed back", tc.c, tc.c.String())
		}
	}
}

// TestParamLazyInit checks that initialisers run once, draw from a stream
// fixed by the store's seed and the name, and are not needed afterwards.
func TestParamLazyInit(t *testing.T) {
	calls := 0
	init := func(rnd *rand.Rand) *mat.Dense {
		calls++
		return mat.NewDense(1, 1, []float64{rnd.Float64()})
	}
	guide := func(t *Tracer, x *ad.Var) {
		t.Param("a", init)
		t.Param("b", Normal(1, 1, 1))
		t.Sample("z", dist.StdNormal{D: 1})
	}
	s1 := NewParamStore(7)
	for range 3 {
		if _, err := RunGuide(guide, s1, row([]float64{0}), 1, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("initialiser called %d times, want once", calls)
	}
	// Another store with the same seed, first reading b then a, gets the
	// same values: the streams depend on the names, not the order.
	s2 := NewParamStore(7)
	RunGuide(func(t *Tracer, x *ad.Var) {
		t.Param("b", Normal(1, 1, 1))
		t.Param("a", init)
		t.Sample("z", dist.StdNormal{D: 1})
	}, s2, row([]float64{0}), 1, rand.New(rand.NewPCG(1, 1)))
	for _, n := range []string{"a", "b"} {
		if s1.Get(n).At(0, 0) != s2.Get(n).At(0, 0) {
			t.Errorf("%s: %v and %v under the same seed", n, s1.Get(n).At(0, 0), s2.Get(n).At(0, 0))
		}
	}
	if s3 := NewParamStore(8); func() float64 {
		RunGuide(guide, s3, row([]float64{0}), 1, rand.New(rand.NewPCG(1, 1)))
		return s3.Get("b").At(0, 0)
	}() == s1.Get("b").At(0, 0) {
		t.Error("another seed gave the same initial value")
	}
}

func TestObjectiveStrings(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want Objective
	}{
		{"elbo", Objective{K: 1, AnalyticKL: true}},
		{"elbo:4", Objective{K: 4, AnalyticKL: true}},
		{"elbo-sampled", Objective{K: 1}},
		{"elbo-sampled:3+stl", Objective{K: 3, Estimator: STL}},
		{"iwae-5", Objective{Bound: BoundIWAE, K: 5}},
		{"iwae-8+dreg", Objective{Bound: BoundIWAE, K: 8, Estimator: DReG}},
		{"iwae-5+rws", Objective{Bound: BoundIWAE, K: 5, Estimator: RWS}},
	} {
		got, err := ParseObjective(tc.s)
		if err != nil || got != tc.want {
			t.Errorf("ParseObjective(%q) = %+v, %v; want %+v", tc.s, got, err, tc.want)
		}
		if got.String() != tc.s {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), tc.s)
		}
	}
	for _, bad := range []string{"", "elbo:0", "iwae", "iwae-0", "iwae-2:3", "kl", "iwae-4+stl", "elbo+dreg", "elbo+x", "elbo:4+rws", "iwae-1+rws"} {
		if _, err := ParseObjective(bad); err == nil {
			t.Errorf("ParseObjective(%q): no error", bad)
		}
	}
}
