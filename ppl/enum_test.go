package ppl

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
)

// TestEnumerateExactForDiscreteGuide checks that with a purely discrete
// guide, the enumerated ELBO and its gradient are exact: equal to the
// closed-form sums over the classes, whatever the seed.
func TestEnumerateExactForDiscreteGuide(t *testing.T) {
	gm := testMixture()
	x := []float64{0.4, 0.3}
	logits := []float64{0.3, -0.2, 0.1}
	exact := fd.Gradient(nil, func(l []float64) float64 { return enumELBO(gm, x, l) }, logits, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	store := NewParamStore(0)
	store.Set("q.logits", row(logits), nil)
	for seed := range uint64(3) {
		v, g, err := Gradient(mixtureModel(gm), catGuide(3), store, row(x), Objective{K: 1, Enumerate: true}, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if want := enumELBO(gm, x, logits); math.Abs(v-want) > 1e-12 {
			t.Errorf("seed %d: ELBO %v, exact %v", seed, v, want)
		}
		// The exact side is a central difference with step 1e-5: O(h²).
		for i, got := range flatGrad(g, "q.logits") {
			if math.Abs(got-exact[i]) > 1e-8 {
				t.Errorf("seed %d: gradient[%d] = %v, exact %v", seed, i, got, exact[i])
			}
		}
	}
}

// The mixed model: c ~ Categorical(π), z ~ N(0, 1), x ~ N(μ_c + z, σ²), with
// the guide q(c) q(z) = Categorical(logits) · N(m, e^{2s}).
var (
	mixedPi    = []float64{0.6, 0.4}
	mixedMu    = []float64{-1, 2}
	mixedSigma = 0.7
)

func mixedModel(t *Tracer, x *ad.Var) {
	c := t.Sample("c", dist.Categorical{Logits: ad.Row([]float64{math.Log(mixedPi[0]), math.Log(mixedPi[1])})})
	z := t.Sample("z", dist.StdNormal{D: 1})
	loc := ad.Add(ad.Rows(ad.Col(mixedMu), Classes(c)), z)
	t.Observe("x", dist.Normal{Loc: loc, LogScale: ad.Scalar(math.Log(mixedSigma))}, x)
}

func mixedGuide(t *Tracer, x *ad.Var) {
	t.Sample("c", dist.Categorical{Logits: t.Param("q.logits", Zeros(1, 2))})
	t.Sample("z", dist.Normal{Loc: t.Param("q.m", Zeros(1, 1)), LogScale: t.Param("q.s", Zeros(1, 1))})
}

// mixedELBO is the mixed model's ELBO in closed form at θ = (logits, m, s).
func mixedELBO(x float64, th []float64) float64 {
	l0, l1, m, s := th[0], th[1], th[2], th[3]
	lse := math.Log(math.Exp(l0) + math.Exp(l1))
	v := math.Exp(2 * s)
	// E_q(z)[log N(z; 0, 1) − log q(z)] = −(m² + v)/2 + ½ + s.
	elbo := -(m*m+v)/2 + 0.5 + s
	for c, l := range []float64{l0, l1} {
		lq := l - lse
		q := math.Exp(lq)
		r := x - mixedMu[c] - m
		lik := -0.5*math.Log(2*math.Pi*mixedSigma*mixedSigma) - (r*r+v)/(2*mixedSigma*mixedSigma)
		elbo += q * (math.Log(mixedPi[c]) - lq + lik)
	}
	return elbo
}

// TestEnumerateUnbiasedWithContinuousSites checks the enumerated gradient of
// a guide with a discrete and a continuous site against the exact gradient
// (within 4 standard errors), and that its variance is below the
// score-function estimator's with as many particles.
func TestEnumerateUnbiasedWithContinuousSites(t *testing.T) {
	x := []float64{0.8}
	th := []float64{0.2, -0.1, 0.3, -0.4}
	exact := fd.Gradient(nil, func(v []float64) float64 { return mixedELBO(x[0], v) }, th, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	const n = 400
	total := map[bool]float64{}
	for _, enum := range []bool{true, false} {
		store := NewParamStore(0)
		store.Set("q.logits", row(th[:2]), nil)
		store.Set("q.m", row(th[2:3]), nil)
		store.Set("q.s", row(th[3:]), nil)
		obj := Objective{K: 2, Enumerate: true}
		if !enum {
			obj = Objective{K: 4} // the same number of particles: 2 per class
		}
		grads, vals := gradientDraws(t, mixedModel, mixedGuide, store, row(x), obj, n, 9, "q.logits", "q.m", "q.s")
		total[enum] = checkUnbiased(t, fmt.Sprintf("enumerate %v", enum), grads, exact)
		if m, s := meanSE(vals); math.Abs(m-mixedELBO(x[0], th)) > 4*s {
			t.Errorf("enumerate %v: ELBO %v ± %v, exact %v", enum, m, s, mixedELBO(x[0], th))
		}
	}
	t.Logf("gradient variance with 4 particles: score function with baseline %.4g, enumeration %.4g", total[false], total[true])
	if !(total[true] < total[false]) {
		t.Errorf("enumeration variance %v not below the score function's %v", total[true], total[false])
	}
}

// opaque hides every capability of a distribution but Differentiable.
type opaque struct{ dist.Differentiable }

func TestEnumerateErrors(t *testing.T) {
	x := row([]float64{0.8})
	for _, tc := range []struct {
		name  string
		guide Guide
		obj   Objective
		want  error
	}{
		{"IWAE", mixedGuide, Objective{K: 2, Bound: BoundIWAE, Enumerate: true}, nil},
		{"analytic KL", mixedGuide, Objective{K: 2, AnalyticKL: true, Enumerate: true}, nil},
		{"not an enumerator", func(t *Tracer, x *ad.Var) {
			t.Sample("c", opaque{dist.Categorical{Logits: ad.Const(1, 2, nil)}})
			t.Sample("z", dist.StdNormal{D: 1})
		}, Objective{K: 1, Enumerate: true}, ErrNotEnumerable},
		{"too many combinations", func(t *Tracer, x *ad.Var) {
			t.Sample("c", dist.Categorical{Logits: ad.Const(1, 2, nil)})
			t.Sample("b", dist.Bernoulli{Logits: ad.Const(1, 16, nil)})
		}, Objective{K: 1, Enumerate: true}, ErrNotEnumerable},
	} {
		_, _, err := Gradient(mixedModel, tc.guide, NewParamStore(0), x, tc.obj, rand.New(rand.NewPCG(1, 1)))
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
	}
}
