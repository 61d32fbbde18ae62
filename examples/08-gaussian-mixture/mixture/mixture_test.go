package mixture

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/ppl"
)

// randomStore returns a store with every parameter of m drawn from rnd:
// logits and guide biases N(0, 1), means N(0, 2²), log σ uniform on
// [−0.7, 0.3] and guide weights N(0, 1.5²).
func randomStore(m Mixture, rnd *rand.Rand) *ppl.ParamStore {
	fill := func(r, c int, scale, shift float64) *mat.Dense {
		d := mat.NewDense(r, c, nil)
		for i := range r {
			for j := range c {
				d.Set(i, j, shift+scale*rnd.NormFloat64())
			}
		}
		return d
	}
	s := ppl.NewParamStore(0)
	for _, p := range []struct {
		name string
		v    *mat.Dense
	}{
		{ParamLogits, fill(1, m.C, 1, 0)},
		{ParamMeans, fill(m.C, Dim, 2, 0)},
		{ParamScale, mat.NewDense(1, 1, []float64{math.Exp(-0.7 + rnd.Float64())})},
		{ParamGuideW, fill(m.C, Dim, 1.5, 0)},
		{ParamGuideB, fill(1, m.C, 1, 0)},
	} {
		if err := s.Set(p.name, p.v, Constraint(p.name)); err != nil {
			panic(err)
		}
	}
	return s
}

// flat returns the parameters' stored (unconstrained) values, or gradients,
// in the order of ParamNames, each row-major.
func flat(get func(string) *mat.Dense) []float64 {
	var out []float64
	for _, n := range ParamNames() {
		out = append(out, mat.DenseCopyOf(get(n)).RawMatrix().Data...)
	}
	return out
}

// setFlat writes v into the stored (unconstrained) values of the
// parameters of store, in the order of flat.
func setFlat(store *ppl.ParamStore, v []float64) {
	off := 0
	for _, n := range ParamNames() {
		u := store.Unconstrained(n)
		r, c := u.Dims()
		u.Copy(mat.NewDense(r, c, v[off:off+r*c]))
		off += r * c
	}
}

// x1 returns a data point as the 1×2 data of Model and Guide.
func x1(x []float64) *mat.Dense { return mat.NewDense(1, len(x), x) }

// TestELBOGradient checks the closed-form gradient of the enumerated ELBO
// against central finite differences of ExactELBO, at the initial and at
// random parameters, for points in the middle of the data, far out, and
// where one class is nearly impossible under the guide.
func TestELBOGradient(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name  string
		m     Mixture
		store func(Mixture) *ppl.ParamStore
		x     []float64
	}{
		{"initial/origin", Mixture{C: 3}, initStore, []float64{0, 0}},
		{"initial/far", Mixture{C: 3}, initStore, []float64{4, -3}},
		{"random/C=3", Mixture{C: 3}, func(m Mixture) *ppl.ParamStore { return randomStore(m, rnd) }, []float64{0.5, -1.2}},
		{"random/C=5", Mixture{C: 5}, func(m Mixture) *ppl.ParamStore { return randomStore(m, rnd) }, []float64{-2, 1}},
		{"random/C=1", Mixture{C: 1}, func(m Mixture) *ppl.ParamStore { return randomStore(m, rnd) }, []float64{1, 1}},
		{"random/peaked", Mixture{C: 3}, func(m Mixture) *ppl.ParamStore { return randomStore(m, rnd) }, []float64{6, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := tc.store(tc.m)
			theta := flat(store.Unconstrained)
			_, g := tc.m.ELBOGradient(store, tc.x)
			got := flat(func(n string) *mat.Dense { return g[n] })
			work := store.Clone()
			want := fd.Gradient(nil, func(v []float64) float64 {
				setFlat(work, v)
				return tc.m.ExactELBO(work, tc.x)
			}, theta, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			for i := range want {
				// Central differences with step h: truncation O(h²) and
				// rounding O(ε|f|/h) ≈ 1e-9.
				if math.Abs(got[i]-want[i]) > 1e-6*(1+math.Abs(want[i])) {
					t.Errorf("gradient[%d] = %.10g, finite differences %.10g", i, got[i], want[i])
				}
			}
		})
	}
}

func initStore(m Mixture) *ppl.ParamStore {
	s := ppl.NewParamStore(0)
	m.Init(s)
	return s
}

// TestTraceMatchesEnumeration checks that Model and Guide, run by package
// ppl, score every particle as the enumeration does: the log-weight of a
// particle with class c is log p(x, c) − log q(c|x), with log p(x, c) from
// latent.GaussianMixture; and that ExactELBO is the q-weighted mean of those
// log-weights and at most Exact.
func TestTraceMatchesEnumeration(t *testing.T) {
	rnd := rand.New(rand.NewPCG(2, 1))
	m := Mixture{C: 4}
	for trial := range 5 {
		store := randomStore(m, rnd)
		x := []float64{2 * rnd.NormFloat64(), 2 * rnd.NormFloat64()}
		lw, g, _, err := ppl.LogWeights(m.Model, m.Guide, store, x1(x), 64, rand.New(rand.NewPCG(3, uint64(trial))))
		if err != nil {
			t.Fatal(err)
		}
		gm := m.Gaussian(store)
		z := mat.NewDense(m.C, 1, []float64{0, 1, 2, 3})
		lj := latent.LogJoint(nil, gm, x, z)
		_, q := m.Posterior(store, x)
		cs := g.Site("c").Value
		for k, v := range lw {
			c := int(cs.At(k, 0))
			if want := lj[c] - math.Log(q[c]); math.Abs(v-want) > 1e-12*(1+math.Abs(want)) {
				t.Errorf("trial %d, particle %d (class %d): log-weight %.15g, enumeration %.15g", trial, k, c, v, want)
			}
		}
		var elbo float64
		for c := range q {
			elbo += q[c] * (lj[c] - math.Log(q[c]))
		}
		if got := m.ExactELBO(store, x); math.Abs(got-elbo) > 1e-12*(1+math.Abs(elbo)) {
			t.Errorf("trial %d: ExactELBO %.15g, Σ q (log p − log q) = %.15g", trial, got, elbo)
		}
		if lpx := m.Exact(store, x); !(elbo <= lpx+1e-12) || math.Abs(lpx-floats.LogSumExp(lj)) > 1e-12*(1+math.Abs(lpx)) {
			t.Errorf("trial %d: Exact %.15g, log-sum-exp of the joints %.15g, ELBO %.15g", trial, lpx, floats.LogSumExp(lj), elbo)
		}
	}
}

// TestPlateMatchesPoints checks the vectorised plate: Model and Guide run on
// N points at once (one site "c" of K·N rows, row k·N + i for particle k
// and point i) give every particle the log-weight Σ_i log p(x_i, c_ki) −
// log q(c_ki|x_i) of the per-point enumeration.
func TestPlateMatchesPoints(t *testing.T) {
	rnd := rand.New(rand.NewPCG(6, 1))
	m := Mixture{C: 3}
	const n, k = 7, 16
	store := randomStore(m, rnd)
	x := mat.NewDense(n, Dim, nil)
	for i := range n {
		x.Set(i, 0, 2*rnd.NormFloat64())
		x.Set(i, 1, 2*rnd.NormFloat64())
	}
	lw, g, _, err := ppl.LogWeights(m.Model, m.Guide, store, x, k, rand.New(rand.NewPCG(6, 2)))
	if err != nil {
		t.Fatal(err)
	}
	cs := g.Site("c").Value
	if r, c := cs.Dims(); r != k*n || c != 1 {
		t.Fatalf("site c is %d×%d, want %d×1", r, c, k*n)
	}
	gm := m.Gaussian(store)
	for p := range k {
		var want float64
		for i := range n {
			xi := x.RawRowView(i)
			c := int(cs.At(p*n+i, 0))
			lj := latent.LogJoint(nil, gm, xi, mat.NewDense(1, 1, []float64{float64(c)}))[0]
			_, q := m.Posterior(store, xi)
			want += lj - math.Log(q[c])
		}
		if math.Abs(lw[p]-want) > 1e-10*(1+math.Abs(want)) {
			t.Errorf("particle %d: log-weight %.15g, per-point sum %.15g", p, lw[p], want)
		}
	}
}

// TestShapeErrors checks that data of the wrong width is an error naming
// the site, not a panic, in the model and in the guide.
func TestShapeErrors(t *testing.T) {
	m := Mixture{C: 3}
	x := mat.NewDense(4, 3, nil)
	_, err := ppl.RunModel(m.Model, ppl.NewParamStore(0), x, 2, rand.New(rand.NewPCG(1, 1)))
	if !errors.Is(err, ppl.ErrShape) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("model on 3-column data: %v, want ErrShape naming site \"x\"", err)
	}
	_, err = ppl.RunGuide(m.Guide, ppl.NewParamStore(0), x, 2, rand.New(rand.NewPCG(1, 1)))
	if !errors.Is(err, ppl.ErrShape) {
		t.Errorf("guide on 3-column data: %v, want ErrShape", err)
	}
	t.Logf("guide: %v", err)
}

// TestGuideContainsPosterior checks the claim of the package documentation:
// with W_c = μ_c/σ² and b_c = log π_c − |μ_c|²/(2σ²) the guide is the exact
// posterior, and the ELBO equals log p(x).
func TestGuideContainsPosterior(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 1))
	m := Mixture{C: 3}
	for trial := range 5 {
		store := randomStore(m, rnd)
		gm := m.Gaussian(store)
		s2 := gm.Stds.At(0, 0) * gm.Stds.At(0, 0)
		w, b := mat.NewDense(m.C, Dim, nil), mat.NewDense(1, m.C, nil)
		for c := range m.C {
			mu := gm.Means.RawRowView(c)
			w.Set(c, 0, mu[0]/s2)
			w.Set(c, 1, mu[1]/s2)
			b.Set(0, c, math.Log(gm.Weights[c])-(mu[0]*mu[0]+mu[1]*mu[1])/(2*s2))
		}
		if err := store.Set(ParamGuideW, w, nil); err != nil {
			t.Fatal(err)
		}
		if err := store.Set(ParamGuideB, b, nil); err != nil {
			t.Fatal(err)
		}
		x := []float64{3 * rnd.NormFloat64(), 3 * rnd.NormFloat64()}
		p, q := m.Posterior(store, x)
		for c := range p {
			if math.Abs(p[c]-q[c]) > 1e-12 {
				t.Errorf("trial %d: p(c=%d|x) = %.15g, q = %.15g", trial, c, p[c], q[c])
			}
		}
		if e, l := m.ExactELBO(store, x), m.Exact(store, x); math.Abs(e-l) > 1e-12*(1+math.Abs(l)) {
			t.Errorf("trial %d: ELBO %.15g, log p(x) %.15g; want equal", trial, e, l)
		}
	}
}

// TestInitialValues checks that Model and Guide register the values of
// Init, that the initial means are distinct, and that the initial guide is
// the exact posterior of the initial model.
func TestInitialValues(t *testing.T) {
	for _, c := range []int{1, 2, 3, 6} {
		m := Mixture{C: c}
		store := ppl.NewParamStore(0)
		x := []float64{0.3, -0.4}
		if _, _, _, err := ppl.LogWeights(m.Model, m.Guide, store, x1(x), 2, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		want := initStore(m)
		if got := len(store.Names()); got != len(ParamNames()) {
			t.Errorf("C=%d: %d parameters registered, want %d", c, got, len(ParamNames()))
		}
		if !floats.Equal(flat(store.Get), flat(want.Get)) || !floats.Equal(flat(store.Unconstrained), flat(want.Unconstrained)) {
			t.Errorf("C=%d: registered values differ from Init's", c)
		}
		mu := m.InitialMeans()
		for i := range c {
			for j := range i {
				if d := math.Hypot(mu.At(i, 0)-mu.At(j, 0), mu.At(i, 1)-mu.At(j, 1)); d < 1e-9 {
					t.Errorf("C=%d: initial means %d and %d coincide", c, i, j)
				}
			}
		}
		if e, l := m.ExactELBO(store, x), m.Exact(store, x); math.Abs(e-l) > 1e-12 {
			t.Errorf("C=%d: initial ELBO %.15g, log p(x) %.15g: the initial guide is not the posterior", c, e, l)
		}
	}
}

// TestScoreFunctionUnbiased checks that ppl.Gradient's estimate of the
// ELBO's gradient (Standard: score function for c, with and without the
// leave-one-out baseline) has the exact gradient as its mean, at a point
// where every class has a sizeable probability, and that the baseline
// lowers the variance of the guide's gradient.
func TestScoreFunctionUnbiased(t *testing.T) {
	m := Mixture{C: 3}
	store := initStore(m)
	x := []float64{0.2, -0.3}
	_, g := m.ELBOGradient(store, x)
	exact := flat(func(n string) *mat.Dense { return g[n] })
	const seeds = 400
	guideVar := map[bool]float64{}
	for _, noBase := range []bool{false, true} {
		obj := ppl.Objective{K: 4, NoBaseline: noBase}
		samples := make([][]float64, seeds)
		for s := range samples {
			_, gs, err := ppl.Gradient(m.Model, m.Guide, store, x1(x), obj, rand.New(rand.NewPCG(5, uint64(s))))
			if err != nil {
				t.Fatal(err)
			}
			samples[s] = flat(func(n string) *mat.Dense { return gs[n] })
		}
		off := 0
		for _, n := range ParamNames() {
			r, c := store.Get(n).Dims()
			for i := off; i < off+r*c; i++ {
				var mean, m2 float64
				for _, s := range samples {
					mean += s[i] / seeds
				}
				for _, s := range samples {
					m2 += (s[i] - mean) * (s[i] - mean)
				}
				v := m2 / (seeds - 1)
				se := math.Sqrt(v / seeds)
				// 19 parameters × 2 settings: a |z| above 4.5 by chance has
				// probability 38 × 6.8e-6 ≈ 3e-4.
				if math.Abs(mean-exact[i]) > 4.5*se+1e-9 {
					t.Errorf("baseline %v, %s entry %d: mean %.6g ± %.2g, exact %.6g", !noBase, n, i-off, mean, se, exact[i])
				}
				if n == ParamGuideW || n == ParamGuideB {
					guideVar[noBase] += v
				}
			}
			off += r * c
		}
	}
	t.Logf("variance of the guide's gradient: %.4g with the baseline, %.4g without", guideVar[false], guideVar[true])
	if !(guideVar[false] < guideVar[true]/2) {
		t.Errorf("baseline variance %.4g, not below half of %.4g", guideVar[false], guideVar[true])
	}
}

// TestGaussianDefaults checks that Gaussian and Exact use the initial value
// of a parameter the store lacks.
func TestGaussianDefaults(t *testing.T) {
	m := Mixture{C: 3}
	x := []float64{1, 2}
	if got, want := m.Exact(ppl.NewParamStore(0), x), m.Exact(initStore(m), x); got != want {
		t.Errorf("Exact with an empty store %v, with the initial values %v", got, want)
	}
}

// TestPanics checks the programmer errors.
func TestPanics(t *testing.T) {
	store := ppl.NewParamStore(0)
	bad := ppl.NewParamStore(0)
	if err := bad.Set(ParamMeans, mat.NewDense(2, 2, nil), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"no components", func() { Mixture{}.InitialMeans() }},
		{"point of length 3", func() { Mixture{C: 3}.Exact(store, []float64{1, 2, 3}) }},
		{"means of the wrong shape", func() { Mixture{C: 3}.Gaussian(bad) }},
		{"guide on a point of length 1", func() { Mixture{C: 3}.ExactELBO(store, []float64{1}) }},
		{"unknown parameter", func() { Mixture{C: 3}.Initializer("mix.other") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.f()
		})
	}
}
