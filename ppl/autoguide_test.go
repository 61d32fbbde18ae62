package ppl

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/vi"
)

// TestAutoMultivariateNormalRecoversPosterior fits the full-rank auto guide
// to the linear-Gaussian model by SVI with STL (whose gradient vanishes at
// the exact posterior) and checks that it recovers the posterior mean and
// covariance and that its ELBO reaches log p(x).
func TestAutoMultivariateNormalRecoversPosterior(t *testing.T) {
	lg, x := testLG(5, 3, 0.5, 11)
	store := NewParamStore(0)
	model := lgModel(lg)
	guide, err := AutoMultivariateNormal(model, store, row(x))
	if err != nil {
		t.Fatal(err)
	}
	steps := 3000
	if testing.Short() {
		steps = 1500
	}
	_, err = SVI(model, guide, store, row(x), SVIConfig{
		Objective: Objective{K: 4, Estimator: STL},
		Steps:     steps,
		Adam:      vi.AdamConfig{LR: 0.02},
		Seed:      1,
	})
	if err != nil {
		t.Fatal(err)
	}
	post := lg.PosteriorNormal(x)
	loc := store.Get("auto.loc").RawRowView(0)
	l := store.Get("auto.scale_tril")
	var cov mat.Dense
	cov.Mul(l, l.T())
	var maxErr float64
	for i := range loc {
		maxErr = math.Max(maxErr, math.Abs(loc[i]-post.Loc.At(0, i)))
		for j := range loc {
			maxErr = math.Max(maxErr, math.Abs(cov.At(i, j)-post.Covariance().At(i, j)))
		}
	}
	t.Logf("full-rank guide after %d steps: max |error| in mean and covariance %.2g", steps, maxErr)
	if maxErr > 1e-4 {
		t.Errorf("posterior recovery error %v > 1e-4", maxErr)
	}
	// The ELBO of the fitted guide equals log p(x): every log-weight is
	// log p(x) up to the fit error, so the estimate's standard error is tiny.
	est, err := ELBO(model, guide, store, row(x), 4096, mc.Config{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	exact := lg.LogEvidence(x)
	t.Logf("ELBO %.6f ± %.2g, log p(x) %.6f", est.LogPX, est.StdErr, exact)
	if gap := exact - est.LogPX; gap < -4*est.StdErr || gap > 1e-6 {
		t.Errorf("ELBO %v ± %v, log p(x) %v: gap %v", est.LogPX, est.StdErr, exact, gap)
	}
}

// TestAutoNormalRecoversMeanField fits the mean-field auto guide and checks
// it against the optimal mean-field approximation in closed form.
func TestAutoNormalRecoversMeanField(t *testing.T) {
	lg, x := testLG(5, 3, 0.5, 11)
	store := NewParamStore(0)
	model := lgModel(lg)
	guide, err := AutoNormal(model, store, row(x))
	if err != nil {
		t.Fatal(err)
	}
	steps := 1500
	// A large learning rate to get there, a small one to settle.
	for i, lr := range []float64{0.02, 0.002} {
		if _, err := SVI(model, guide, store, row(x), SVIConfig{
			Objective: Objective{K: 16, Estimator: STL},
			Steps:     steps,
			Adam:      vi.AdamConfig{LR: lr},
			Seed:      uint64(3 + i),
		}); err != nil {
			t.Fatal(err)
		}
	}
	want := lg.MeanField(x)
	// STL's gradient does not vanish at the mean-field optimum: the error
	// is the optimiser's noise floor, which the learning rate sets.
	var maxErr float64
	for j := range 3 {
		maxErr = math.Max(maxErr, math.Abs(store.Get("auto.z.loc").At(0, j)-want.Loc.At(0, j)))
		maxErr = math.Max(maxErr, math.Abs(store.Get("auto.z.log_scale").At(0, j)-want.LogScale.At(0, j)))
	}
	t.Logf("mean-field guide after 2×%d steps: max |error| in loc and log-scale %.2g", steps, maxErr)
	if maxErr > 0.01 {
		t.Errorf("mean-field recovery error %v > 0.01", maxErr)
	}
}

// TestAutoNormalLocalLatents fits AutoNormal to the hierarchical model,
// whose local latents lie in a plate (one row of parameters per member),
// with subsampling, and checks that it approaches the best mean-field
// ELBO in closed form.
func TestAutoNormalLocalLatents(t *testing.T) {
	n := len(hierX)
	store := NewParamStore(0)
	guide, err := AutoNormal(hierModel, store, col(hierX))
	if err != nil {
		t.Fatal(err)
	}
	for i, lr := range []float64{0.02, 0.002} {
		if _, err := SVI(hierModel, guide, store, col(hierX), SVIConfig{
			Objective: Objective{K: 4, Subsample: 4}, Steps: 2000, Adam: vi.AdamConfig{LR: lr}, Seed: uint64(2 + i),
		}); err != nil {
			t.Fatal(err)
		}
	}
	th := []float64{store.Get("auto.mu.loc").At(0, 0), store.Get("auto.mu.log_scale").At(0, 0)}
	th = append(th, store.Get("auto.z.loc").RawMatrix().Data...)
	th = append(th, store.Get("auto.z.log_scale").RawMatrix().Data...)
	got := hierELBO(hierX, th)
	// The best mean-field guide, by full-batch SVI with exact-ish steps.
	best := hierStore(hierParams(n), n)
	for _, lr := range []float64{0.05, 0.005} {
		SVI(hierModel, hierGuide, best, col(hierX), SVIConfig{Objective: Objective{K: 8}, Steps: 1500, Adam: vi.AdamConfig{LR: lr}, Seed: 1})
	}
	bt := []float64{best.Get("q.m").At(0, 0), best.Get("q.s").At(0, 0)}
	bt = append(bt, best.Get("q.a").RawMatrix().Data...)
	bt = append(bt, best.Get("q.b").RawMatrix().Data...)
	t.Logf("AutoNormal on a plate: ELBO %.4f, best mean-field %.4f", got, hierELBO(hierX, bt))
	if gap := hierELBO(hierX, bt) - got; gap > 0.02 {
		t.Errorf("AutoNormal ELBO %v is %v below the best mean-field", got, gap)
	}
}

// TestAutoGuideRejectsDiscrete checks the error for a model with a discrete
// latent site.
func TestAutoGuideRejectsDiscrete(t *testing.T) {
	model := mixtureModel(testMixture())
	for name, auto := range map[string]func(Model, *ParamStore, mat.Matrix) (Guide, error){
		"normal": AutoNormal, "mvn": AutoMultivariateNormal,
	} {
		if _, err := auto(model, NewParamStore(0), row([]float64{0, 0})); !errors.Is(err, ErrNotReparameterizable) {
			t.Errorf("%s: error %v, want ErrNotReparameterizable", name, err)
		}
	}
}
