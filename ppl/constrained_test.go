package ppl

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/vi"
)

// noSupport hides the Support and RSampleVar methods of a distribution: a
// user's continuous prior that declares no support and is not
// reparameterisable (which automatic guides used to reject).
type noSupport struct{ dist.Differentiable }

func (n noSupport) Detach() dist.Differentiable { return noSupport{n.Differentiable.Detach()} }

// constrainedModel has a site of every kind of continuous support: real (a
// custom prior declaring none), positive, unit interval, a 3-simplex, and
// a positive site in a plate of 2 members; it observes x (2×3) given them.
func constrainedModel(t *Tracer, x *ad.Var) {
	m := t.Sample("m", noSupport{dist.Normal{Loc: ad.Scalar(0), LogScale: ad.Scalar(0)}})
	s := t.Sample("s", dist.HalfCauchy{Scale: ad.Scalar(2)})
	p := t.Sample("p", dist.Beta{Concentration1: ad.Scalar(2), Concentration0: ad.Scalar(3)})
	w := t.Sample("w", dist.Dirichlet{Concentration: ad.Row([]float64{1, 2, 3})})
	t.Plate("rows", 2, func(pl *Plate) {
		r := t.Sample("r", dist.Gamma{Concentration: ad.Scalar(2), Rate: ad.Scalar(1)})
		loc := pl.Expand(ad.Add(ad.Add(m, ad.Scale(w, 2)), p))
		t.Observe("x", dist.Normal{Loc: ad.Mul(loc, r), LogScale: pl.Expand(ad.Log(s))}, pl.Data(x))
	})
}

var constrainedX = mat.NewDense(2, 3, []float64{0.5, 1.2, 2.0, 0.1, 0.9, 1.5})

// autoGuides builds each automatic guide for model.
func autoGuides(t *testing.T, model Model, x mat.Matrix) map[string]func(*ParamStore) Guide {
	t.Helper()
	mk := func(f func(Model, *ParamStore, mat.Matrix) (Guide, error)) func(*ParamStore) Guide {
		return func(s *ParamStore) Guide {
			g, err := f(model, s, x)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
	}
	return map[string]func(*ParamStore) Guide{
		"AutoNormal":             mk(AutoNormal),
		"AutoMultivariateNormal": mk(AutoMultivariateNormal),
		"AutoLowRank(1)": mk(func(m Model, s *ParamStore, x mat.Matrix) (Guide, error) {
			return AutoLowRankMultivariateNormal(m, s, x, 1)
		}),
	}
}

// TestAutoGuidesConstrainedSites fits every automatic guide to a model
// with a site of every continuous support for a few steps, then checks
// that every draw lies in its site's support, that the guide's log-density
// of its own draws (computed from the unconstrained draw) equals the
// density of the same values re-scored through the inverse bijections
// (which checks the Jacobian terms, including the simplex's K−1 → K), and
// that the per-site parameters have the unconstrained dimensions.
func TestAutoGuidesConstrainedSites(t *testing.T) {
	supports := map[string]dist.Support{"s": dist.Positive, "p": dist.UnitInterval, "w": dist.Simplex, "r": dist.Positive}
	for name, mk := range autoGuides(t, constrainedModel, constrainedX) {
		store := NewParamStore(1)
		guide := mk(store)
		if _, err := SVI(constrainedModel, guide, store, constrainedX, SVIConfig{
			Objective: Objective{K: 4}, Steps: 100, Adam: vi.AdamConfig{LR: 0.02}, Seed: 1,
		}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		const k = 50
		g, err := RunGuide(guide, store, constrainedX, k, rand.New(rand.NewPCG(2, 0)))
		if err != nil {
			t.Fatal(err)
		}
		for site, sup := range supports {
			v := g.Site(site).Value
			for i := range v.R {
				if row := v.Data[i*v.C : (i+1)*v.C]; !sup.Contains(row) {
					t.Errorf("%s: site %q draw %v is not in %v", name, site, row, sup)
				}
			}
		}
		m, q, err := adapt(constrainedModel, guide, store, constrainedX)
		if err != nil {
			t.Fatal(err)
		}
		z := mat.NewDense(k, m.LatentDim(), nil)
		flatten(z, g, m.(*modelAdapter).layout)
		rescored := q.LogProb(nil, z)
		own := g.LogProb().Data
		for i := range own {
			if math.Abs(own[i]-rescored[i]) > 1e-8*math.Max(1, math.Abs(own[i])) {
				t.Errorf("%s: particle %d: log q %v from the draw, %v re-scored", name, i, own[i], rescored[i])
			}
		}
	}
	store := NewParamStore(1)
	if _, err := AutoNormal(constrainedModel, store, constrainedX); err != nil {
		t.Fatal(err)
	}
	g, _ := AutoNormal(constrainedModel, store, constrainedX)
	if _, err := RunGuide(g, store, constrainedX, 1, rand.New(rand.NewPCG(0, 0))); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][2]int{"auto.w.loc": {1, 2}, "auto.r.loc": {2, 1}, "auto.m.log_scale": {1, 1}} {
		if r, c := store.Get(name).Dims(); r != want[0] || c != want[1] {
			t.Errorf("%s is %d×%d, want %d×%d", name, r, c, want[0], want[1])
		}
	}
}

// TestAutoGuideConstrainedDensity checks the guides' densities at a
// positive and a unit-interval site in closed form: a log-normal, and a
// logit-normal log N(logit x; μ, σ) − log x − log(1 − x). The joint guides
// are set to the same independent Gaussian (a diagonal scale_tril; a zero
// cov_factor), so their densities must equal the mean-field one.
func TestAutoGuideConstrainedDensity(t *testing.T) {
	model := func(t *Tracer, x *ad.Var) {
		t.Sample("s", dist.HalfCauchy{Scale: ad.Scalar(1)})
		t.Sample("p", dist.Beta{Concentration1: ad.Scalar(2), Concentration0: ad.Scalar(2)})
	}
	x := row([]float64{0})
	mu, ls := []float64{0.3, -1.2}, []float64{-0.5, 0.4}
	one := func(v float64) *mat.Dense { return mat.NewDense(1, 1, []float64{v}) }
	set := map[string]func(*ParamStore) error{
		"AutoNormal": func(s *ParamStore) error {
			return errors.Join(s.Set("auto.s.loc", one(mu[0]), nil), s.Set("auto.s.log_scale", one(ls[0]), nil),
				s.Set("auto.p.loc", one(mu[1]), nil), s.Set("auto.p.log_scale", one(ls[1]), nil))
		},
		"AutoMultivariateNormal": func(s *ParamStore) error {
			l := mat.NewDense(2, 2, []float64{math.Exp(ls[0]), 0, 0, math.Exp(ls[1])})
			return errors.Join(s.Set("auto.loc", mat.NewDense(1, 2, mu), nil), s.Set("auto.scale_tril", l, LowerCholesky))
		},
		"AutoLowRank(1)": func(s *ParamStore) error {
			sc := mat.NewDense(1, 2, []float64{math.Exp(ls[0]), math.Exp(ls[1])})
			return errors.Join(s.Set("auto.loc", mat.NewDense(1, 2, mu), nil), s.Set("auto.scale", sc, Positive),
				s.Set("auto.cov_factor", mat.NewDense(2, 1, nil), nil))
		},
	}
	for name, mk := range autoGuides(t, model, x) {
		store := NewParamStore(0)
		if err := set[name](store); err != nil {
			t.Fatal(err)
		}
		guide := mk(store)
		g, err := RunGuide(guide, store, x, 20, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sv, pv := g.Site("s").Value, g.Site("p").Value
		lnS := dist.LogNormal{Loc: ad.Scalar(mu[0]), Scale: ad.Scalar(math.Exp(ls[0]))}.LogProb(nil, sv)
		lq := g.LogProb().Data
		for i := range 20 {
			p := pv.Data[i]
			logit := math.Log(p) - math.Log1p(-p)
			lnP := dist.Normal{Loc: ad.Scalar(mu[1]), LogScale: ad.Scalar(ls[1])}.LogProb(nil, ad.Scalar(logit))[0] - math.Log(p) - math.Log1p(-p)
			if want := lnS[i] + lnP; math.Abs(lq[i]-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: particle %d: log q %v, closed form %v", name, i, lq[i], want)
			}
		}
	}
}

// TestAutoLowRankRecoversPosterior fits the rank-1 guide by SVI with STL
// (the learning rate annealed from 0.05 to 1e-4) to a posterior that lies in its family, N(μ₀, w wᵀ + diag(D₀)) in four
// dimensions (a model with that prior and no observation, whose evidence is
// 1), and checks that it recovers the mean and covariance and that its
// ELBO reaches log p(x) = 0. (With rank r = d the parameters are not
// identified — W can rotate and trade variance with the diagonal — and Adam
// wanders along the optimum, so the family is tested where it is identified.)
func TestAutoLowRankRecoversPosterior(t *testing.T) {
	mu0 := []float64{1, -1, 0.5, 2}
	target := dist.LowRankMultivariateNormal{
		Loc:       mat.NewDense(1, 4, mu0),
		CovFactor: mat.NewDense(4, 1, []float64{1, -0.5, 0.8, 0.3}),
		CovDiag:   mat.NewDense(1, 4, []float64{0.2, 0.5, 0.3, 0.4}),
	}
	prior, err := dist.NewMultivariateNormal(mu0, target.Covariance())
	if err != nil {
		t.Fatal(err)
	}
	model := func(t *Tracer, x *ad.Var) { t.Sample("z", prior) }
	x := row([]float64{0})
	store := NewParamStore(0)
	guide, err := AutoLowRankMultivariateNormal(model, store, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	steps := 3000
	if testing.Short() {
		steps = 1500
	}
	if _, err := SVI(model, guide, store, x, SVIConfig{
		Objective: Objective{K: 4, Estimator: STL}, Steps: steps,
		Schedule: vi.CosineDecay{Initial: 0.05, Min: 1e-4, Steps: steps}, Seed: 1,
	}); err != nil {
		t.Fatal(err)
	}
	scale := store.Get("auto.scale")
	sq := mat.NewDense(1, 4, nil)
	sq.MulElem(scale, scale)
	q := dist.LowRankMultivariateNormal{Loc: store.Get("auto.loc"), CovFactor: store.Get("auto.cov_factor"), CovDiag: sq}
	cov, want := q.Covariance(), target.Covariance()
	var maxErr float64
	for i := range 4 {
		maxErr = math.Max(maxErr, math.Abs(q.Loc.At(0, i)-mu0[i]))
		for j := range 4 {
			maxErr = math.Max(maxErr, math.Abs(cov.At(i, j)-want.At(i, j)))
		}
	}
	t.Logf("rank-1 guide after %d steps: max |error| in mean and covariance %.2g", steps, maxErr)
	if maxErr > 1e-6 {
		t.Errorf("posterior recovery error %v > 1e-6", maxErr)
	}
	est, err := ELBO(model, guide, store, x, 4096, mc.Config{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ELBO %.3g ± %.2g, log p(x) 0", est.LogPX, est.StdErr)
	if est.LogPX > 4*est.StdErr || est.LogPX < -1e-6 {
		t.Errorf("ELBO %v ± %v, want 0", est.LogPX, est.StdErr)
	}
}

// betaBernoulli is a coin with a Beta(2, 2) prior on its bias, observed
// flipping x (one flip per row).
func betaBernoulli(t *Tracer, x *ad.Var) {
	p := t.Sample("p", dist.Beta{Concentration1: ad.Scalar(2), Concentration0: ad.Scalar(2)})
	logit := ad.Sub(ad.Log(p), ad.Log1p(ad.Neg(p)))
	t.Plate("flips", x.R, func(pl *Plate) {
		t.Observe("x", dist.Bernoulli{Logits: pl.Expand(logit)}, pl.Data(x))
	})
}

// TestSupportMismatch checks that a Normal guide for a Beta site is
// reported, naming the site and both supports, by every runner, and that
// guides whose support lies within the model's are accepted.
func TestSupportMismatch(t *testing.T) {
	x := col([]float64{1, 0, 1, 1})
	normal := func(t *Tracer, x *ad.Var) {
		t.Sample("p", dist.Normal{Loc: t.Param("q.loc", Fill(1, 1, 0.5)), LogScale: ad.Scalar(-2)})
	}
	runs := map[string]func(Guide, *ParamStore) error{
		"Gradient": func(g Guide, s *ParamStore) error {
			_, _, err := Gradient(betaBernoulli, g, s, x, Objective{K: 2}, rand.New(rand.NewPCG(1, 1)))
			return err
		},
		"LogWeights": func(g Guide, s *ParamStore) error {
			_, _, _, err := LogWeights(betaBernoulli, g, s, x, 2, rand.New(rand.NewPCG(1, 1)))
			return err
		},
		"SVI": func(g Guide, s *ParamStore) error {
			_, err := SVI(betaBernoulli, g, s, x, SVIConfig{Steps: 3, Seed: 1})
			return err
		},
		"Importance": func(g Guide, s *ParamStore) error {
			_, err := Importance(betaBernoulli, g, s, x, 16, mcConfig())
			return err
		},
	}
	for name, run := range runs {
		err := run(normal, NewParamStore(0))
		if !errors.Is(err, ErrSupport) {
			t.Errorf("%s: error %v, want ErrSupport", name, err)
			continue
		}
		for _, want := range []string{`"p"`, "support real", "support unit_interval", "dist.Normal", "dist.Beta"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not mention %s", name, err, want)
			}
		}
	}
	good := map[string]Guide{
		"Beta guide": func(t *Tracer, x *ad.Var) {
			t.Sample("p", dist.Beta{Concentration1: t.Param("q.a", Fill(1, 1, 3), Positive), Concentration0: ad.Scalar(2)})
		},
		"Uniform(0.2, 0.9) guide": func(t *Tracer, x *ad.Var) {
			t.Sample("p", dist.Uniform{Low: t.Param("q.lo", Fill(1, 1, 0.2)), High: ad.Scalar(0.9)})
		},
	}
	for name, g := range good {
		for rn, run := range runs {
			if err := run(g, NewParamStore(0)); err != nil {
				t.Errorf("%s, %s: %v", name, rn, err)
			}
		}
	}
}

// TestWithin checks the subset relation between supports.
func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		g, m dist.Support
		want bool
	}{
		{dist.Real, dist.Real, true},
		{dist.Positive, dist.Real, true},
		{dist.Real, dist.Positive, false},
		{dist.UnitInterval, dist.Positive, true},
		{dist.Interval(-1, 1), dist.Positive, false},
		{dist.GreaterThan(1), dist.Positive, true},
		{dist.Positive, dist.GreaterThan(1), false},
		{dist.Interval(0.2, 0.5), dist.UnitInterval, true},
		{dist.Positive, dist.UnitInterval, false},
		{dist.Simplex, dist.UnitInterval, true},
		{dist.UnitInterval, dist.Simplex, false},
		{dist.Ordered, dist.Real, true},
		{dist.Real, dist.Ordered, false},
		{dist.LowerCholesky, dist.LowerCholesky, true},
		{dist.Boolean, dist.NonNegativeInteger, true},
		{dist.IntegerInterval(0, 5), dist.Boolean, false},
		{dist.NonNegativeInteger, dist.Real, false},
		{dist.Real, dist.NonNegativeInteger, false},
	} {
		if got := within(tc.g, tc.m); got != tc.want {
			t.Errorf("within(%v, %v) = %v, want %v", tc.g, tc.m, got, tc.want)
		}
	}
}

// TestAutoGuideDiscreteError checks that the automatic guides name the
// discrete site and its support.
func TestAutoGuideDiscreteError(t *testing.T) {
	model := func(t *Tracer, x *ad.Var) {
		t.Sample("rate", dist.Gamma{Concentration: ad.Scalar(2), Rate: ad.Scalar(1)})
		t.Sample("n", dist.Poisson{Rate: ad.Scalar(3)})
	}
	for name, auto := range map[string]func(Model, *ParamStore, mat.Matrix) (Guide, error){
		"AutoNormal": AutoNormal, "AutoMultivariateNormal": AutoMultivariateNormal,
		"AutoLowRank": func(m Model, s *ParamStore, x mat.Matrix) (Guide, error) {
			return AutoLowRankMultivariateNormal(m, s, x, 1)
		},
	} {
		_, err := auto(model, NewParamStore(0), row([]float64{0}))
		if !errors.Is(err, ErrNotReparameterizable) || !strings.Contains(err.Error(), `"n"`) || !strings.Contains(err.Error(), "nonnegative_integer") {
			t.Errorf("%s: error %v, want ErrNotReparameterizable naming site \"n\" and its support", name, err)
		}
	}
}
