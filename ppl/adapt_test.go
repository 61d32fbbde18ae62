package ppl

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/mc"
)

// TestEstimatorsEqualBuiltins checks that the adapted model and guide give the
// numbers of the built-in LinearGaussian with the same proposal and seed.
func TestEstimatorsEqualBuiltins(t *testing.T) {
	lg, x := testLG(5, 3, 0.5, 1)
	q := lg.MeanField(x)
	store := NewParamStore(0)
	model, guide := lgModel(lg), fixedGuide(q)
	cfg := mc.Config{Seed: 7, ChunkSize: 256}
	const k = 2000
	type run func() (mc.Estimate, error)
	for _, tc := range []struct {
		name      string
		got, want run
	}{
		{"is", func() (mc.Estimate, error) { return Importance(model, guide, store, row(x), k, cfg) },
			func() (mc.Estimate, error) { return mc.Importance(lg, q, x, k, cfg) }},
		{"prior", func() (mc.Estimate, error) { return Prior(model, store, row(x), k, cfg) },
			func() (mc.Estimate, error) { return mc.Prior(lg, x, k, cfg) }},
		{"elbo", func() (mc.Estimate, error) { return ELBO(model, guide, store, row(x), k, cfg) },
			func() (mc.Estimate, error) { return mc.ELBO(lg, q, x, k, cfg) }},
		{"iwae", func() (mc.Estimate, error) { return IWAE(model, guide, store, row(x), 16, 50, cfg) },
			func() (mc.Estimate, error) { return mc.IWAE(lg, q, x, 16, 50, cfg) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.got()
			if err != nil {
				t.Fatal(err)
			}
			want, err := tc.want()
			if err != nil {
				t.Fatal(err)
			}
			const tol = 1e-9
			for _, f := range []struct {
				name string
				g, w float64
			}{{"LogPX", got.LogPX, want.LogPX}, {"StdErr", got.StdErr, want.StdErr}, {"ESS", got.ESS, want.ESS}, {"KHat", got.KHat, want.KHat}} {
				if math.IsNaN(f.w) && math.IsNaN(f.g) {
					continue
				}
				if math.Abs(f.g-f.w) > tol*math.Max(1, math.Abs(f.w)) {
					t.Errorf("%s = %v, built-in %v", f.name, f.g, f.w)
				}
			}
			if got.Samples != want.Samples {
				t.Errorf("Samples = %d, want %d", got.Samples, want.Samples)
			}
		})
	}
	// Sanity: the IS estimate with the mean-field proposal is near log p(x).
	est, err := Importance(model, guide, store, row(x), k, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(est.LogPX - lg.LogEvidence(x)); d > 5*est.StdErr {
		t.Errorf("IS estimate %v, exact %v (stderr %v)", est.LogPX, lg.LogEvidence(x), est.StdErr)
	}
}

// TestDiscreteEqualsBuiltin checks a model with a discrete latent site
// against latent.GaussianMixture with the same categorical proposal.
func TestDiscreteEqualsBuiltin(t *testing.T) {
	gm := testMixture()
	x := []float64{0.4, 0.3}
	store := NewParamStore(0)
	store.Set("q.logits", mat.NewDense(1, 3, []float64{0.2, -0.1, 0.3}), nil)
	cfg := mc.Config{Seed: 3, ChunkSize: 128}
	got, err := Importance(mixtureModel(gm), catGuide(3), store, row(x), 1000, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := mc.Importance(gm, dist.Categorical{Logits: store.Get("q.logits")}, x, 1000, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.LogPX-want.LogPX) > 1e-12 || math.Abs(got.ESS-want.ESS) > 1e-9 {
		t.Errorf("ppl: %+v\nbuilt-in: %+v", got, want)
	}
	if d := math.Abs(got.LogPX - gm.LogEvidence(x)); d > 5*got.StdErr {
		t.Errorf("estimate %v ± %v, exact %v", got.LogPX, got.StdErr, gm.LogEvidence(x))
	}
}

// TestAdapterErrorsReturned checks that a failure deep inside the
// estimators (a shape error that only some particles reach) comes back as
// an error, not a panic, from every estimator.
func TestAdapterErrorsReturned(t *testing.T) {
	model := func(t *Tracer, x *ad.Var) {
		z := t.Sample("z", dist.StdNormal{D: 1})
		ls := ad.Scalar(0)
		for _, v := range z.Data {
			if v > 2 {
				ls = ad.Row([]float64{0, 0, 0})
			}
		}
		t.Observe("x", dist.Normal{Loc: z, LogScale: ls}, x)
	}
	guide := func(t *Tracer, x *ad.Var) { t.Sample("z", dist.StdNormal{D: 1}) }
	x := row([]float64{0.5})
	cfg := mc.Config{Seed: 1, Workers: 2, ChunkSize: 64}
	for name, run := range map[string]func() error{
		"prior":      func() error { _, err := Prior(model, NewParamStore(0), x, 1000, cfg); return err },
		"importance": func() error { _, err := Importance(model, guide, NewParamStore(0), x, 1000, cfg); return err },
		"elbo":       func() error { _, err := ELBO(model, guide, NewParamStore(0), x, 1000, cfg); return err },
		"iwae":       func() error { _, err := IWAE(model, guide, NewParamStore(0), x, 100, 10, cfg); return err },
	} {
		if err := run(); !errors.Is(err, ErrShape) {
			t.Errorf("%s: error %v, want one wrapping ErrShape", name, err)
		}
	}
}
