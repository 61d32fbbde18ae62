package ppl

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
)

// TestMisuse checks that each kind of misuse gives its error, naming the
// site.
func TestMisuse(t *testing.T) {
	std := dist.StdNormal{D: 2}
	obs := func(t *Tracer, x []float64) { t.Observe("x", dist.StdNormal{D: 1}, x) }
	goodModel := func(t *Tracer, x []float64) { t.Sample("z", std); obs(t, x) }
	goodGuide := func(t *Tracer, x []float64) { t.Sample("z", std) }
	for _, tc := range []struct {
		name  string
		model Model
		guide Guide
		want  error
		site  string
	}{
		{"guide site the model lacks", goodModel,
			func(t *Tracer, x []float64) { t.Sample("z", std); t.Sample("extra", std) }, ErrUnmatchedGuideSite, "extra"},
		{"model latent the guide lacks",
			func(t *Tracer, x []float64) { t.Sample("z", std); t.Sample("w", std); obs(t, x) }, goodGuide, ErrMissingLatent, "w"},
		{"observed twice",
			func(t *Tracer, x []float64) { t.Sample("z", std); obs(t, x); obs(t, x) }, goodGuide, ErrDuplicateSite, "x"},
		{"observed value of the wrong length",
			func(t *Tracer, x []float64) { t.Sample("z", std); t.Observe("x", dist.StdNormal{D: 3}, x) }, goodGuide, ErrShape, "x"},
		{"guide value of the wrong shape",
			func(t *Tracer, x []float64) { t.Sample("z", dist.StdNormal{D: 3}); obs(t, x) }, goodGuide, ErrShape, "z"},
		{"guide samples an observed site", goodModel,
			func(t *Tracer, x []float64) { t.Sample("z", std); t.Sample("x", dist.StdNormal{D: 1}) }, ErrUnmatchedGuideSite, "x"},
		{"guide observes", goodModel,
			func(t *Tracer, x []float64) { t.Sample("z", std); t.Observe("y", dist.StdNormal{D: 1}, x) }, ErrUnmatchedGuideSite, "y"},
		{"batch size other than K",
			func(t *Tracer, x []float64) {
				t.Sample("z", std)
				t.Observe("x", dist.Normal{Loc: mat.NewDense(3, 1, nil), LogScale: mat.NewDense(3, 1, nil)}, x)
			}, goodGuide, ErrShape, "x"},
		{"parameter re-registered with another shape", goodModel,
			func(t *Tracer, x []float64) {
				t.Param("p", mat.NewDense(1, 2, nil))
				t.Param("p", mat.NewDense(2, 2, nil))
				t.Sample("z", std)
			}, ErrShape, "p"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := LogWeights(tc.model, tc.guide, NewParamStore(), []float64{0.5}, 2, rand.New(rand.NewPCG(1, 1)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), `"`+tc.site+`"`) {
				t.Errorf("error %q does not name site %q", err, tc.site)
			}
			// The evidence estimators report the same error.
			if _, err := Importance(tc.model, tc.guide, NewParamStore(), []float64{0.5}, 10, mcConfig()); !errors.Is(err, tc.want) {
				t.Errorf("Importance: error %v, want %v", err, tc.want)
			}
		})
	}
}

// TestTraceRecordsSites checks the recorded values, kinds and log-densities.
func TestTraceRecordsSites(t *testing.T) {
	lg, x := testLG(3, 2, 0.5, 2)
	q := lg.MeanField(x)
	logw, g, m, err := LogWeights(lgModel(lg), fixedGuide(q), NewParamStore(), x, 4, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	gz, mz := g.Site("z"), m.Site("z")
	if gz.Kind != Latent || !gz.Reparam || gz.Eps == nil || m.Site("x").Kind != Observed {
		t.Fatalf("unexpected sites: guide z %+v, model x %+v", gz, m.Site("x"))
	}
	if !mat.Equal(gz.Value, mz.Value) {
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

// TestParamStoreSaveLoad round-trips parameters through safetensors and
// checks the shape-mismatch error.
func TestParamStoreSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "params.safetensors")
	s := NewParamStore()
	s.Set("b", mat.NewDense(1, 3, []float64{1, 2, 3}))
	s.Set("a", mat.NewDense(2, 2, []float64{math.Pi, -1e-300, 4, 5}))
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	r := NewParamStore()
	if err := r.Load(path); err != nil {
		t.Fatal(err)
	}
	if got := r.Names(); len(got) != 2 || got[0] != "b" || got[1] != "a" {
		t.Errorf("names %v, want [b a]", got)
	}
	for _, n := range s.Names() {
		if !mat.Equal(r.Get(n), s.Get(n)) {
			t.Errorf("%s: loaded %v, saved %v", n, mat.Formatted(r.Get(n)), mat.Formatted(s.Get(n)))
		}
	}
	bad := NewParamStore()
	bad.Set("a", mat.NewDense(1, 4, nil))
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
