package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/ad"
)

// param is a parameter or value of a differentiable check: its shape, its
// values and the allowed range of random values.
type param struct {
	r, c   int
	lo, hi float64
	fixed  []float64 // values to use instead of random ones
}

// vjpCase builds a scalar-per-row output from Vars (params, then the
// value x if any) and checks its vector-Jacobian product against finite
// differences of the same function evaluated on constants.
type vjpCase struct {
	name string
	in   []param
	// noGrad lists inputs that are discrete (no derivative is checked).
	noGrad map[int]bool
	f      func(v []*ad.Var) *ad.Var
}

func lowerChol(d int) param {
	v := make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			v[i*d+j] = 0.3 * float64(i-j+1) / float64(d)
		}
		v[i*d+i] = 1 + 0.2*float64(i)
	}
	return param{r: d, c: d, fixed: v}
}

func vjpCases() []vjpCase {
	p := func(r, c int) param { return param{r: r, c: c, lo: -1.5, hi: 1.5} }
	cls := param{r: 3, c: 1, fixed: []float64{0, 3, 2}}
	unit := param{r: 3, c: 2, lo: 0, hi: 1}
	return []vjpCase{
		{"Normal n×d", []param{p(3, 2), p(3, 2), p(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return Normal{Loc: v[0], LogScale: v[1]}.LogProbVar(v[2])
		}},
		{"Normal 1×d LogScale", []param{p(3, 2), p(1, 2), p(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return Normal{Loc: v[0], LogScale: v[1]}.LogProbVar(v[2])
		}},
		{"Normal 1×d Loc, scalar LogScale", []param{p(1, 2), p(1, 1), p(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return Normal{Loc: v[0], LogScale: v[1]}.LogProbVar(v[2])
		}},
		{"StdNormal", []param{p(3, 2)}, nil, func(v []*ad.Var) *ad.Var { return StdNormal{D: 2}.LogProbVar(v[0]) }},
		{"Bernoulli n×d", []param{p(3, 2), unit}, nil, func(v []*ad.Var) *ad.Var { return Bernoulli{Logits: v[0]}.LogProbVar(v[1]) }},
		{"Bernoulli 1×d", []param{p(1, 2), unit}, nil, func(v []*ad.Var) *ad.Var { return Bernoulli{Logits: v[0]}.LogProbVar(v[1]) }},
		{"Categorical n×K", []param{p(3, 4), cls}, map[int]bool{1: true}, func(v []*ad.Var) *ad.Var {
			return Categorical{Logits: v[0]}.LogProbVar(v[1])
		}},
		{"Categorical 1×K", []param{p(1, 4), cls}, map[int]bool{1: true}, func(v []*ad.Var) *ad.Var {
			return Categorical{Logits: v[0]}.LogProbVar(v[1])
		}},
		{"MultivariateNormal", []param{p(1, 3), lowerChol(3), p(4, 3)}, nil, func(v []*ad.Var) *ad.Var {
			return MultivariateNormal{Loc: v[0], Chol: v[1]}.LogProbVar(v[2])
		}},
		{"MultivariateNormal batched", []param{p(4, 3), lowerChol(3), p(4, 3)}, nil, func(v []*ad.Var) *ad.Var {
			return MultivariateNormal{Loc: v[0], Chol: v[1]}.LogProbVar(v[2])
		}},
		{"KL MVN‖MVN batched", []param{p(2, 3), lowerChol(3), p(1, 3), lowerChol(3)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(MultivariateNormal{v[0], v[1]}, MultivariateNormal{v[2], v[3]})
		}},
		{"KL MVN‖StdNormal batched", []param{p(2, 3), lowerChol(3)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(MultivariateNormal{v[0], v[1]}, StdNormal{D: 3})
		}},
		{"KL Normal‖Normal", []param{p(3, 2), p(3, 2), p(1, 2), p(1, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(Normal{v[0], v[1]}, Normal{v[2], v[3]})
		}},
		{"KL Normal‖StdNormal", []param{p(3, 2), p(1, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(Normal{v[0], v[1]}, StdNormal{D: 2})
		}},
		{"KL StdNormal‖Normal", []param{p(3, 2), p(3, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(StdNormal{D: 2}, Normal{v[0], v[1]})
		}},
		{"KL MVN‖StdNormal", []param{p(1, 3), lowerChol(3)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(MultivariateNormal{v[0], v[1]}, StdNormal{D: 3})
		}},
		{"KL MVN‖MVN", []param{p(1, 3), lowerChol(3), p(1, 3), lowerChol(3)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(MultivariateNormal{v[0], v[1]}, MultivariateNormal{v[2], v[3]})
		}},
		{"KL Bernoulli‖Bernoulli", []param{p(3, 2), p(1, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(Bernoulli{v[0]}, Bernoulli{v[1]})
		}},
		{"KL Categorical‖Categorical", []param{p(3, 4), p(1, 4)}, nil, func(v []*ad.Var) *ad.Var {
			return mustKL(Categorical{v[0]}, Categorical{v[1]})
		}},
		{"Normal.RSampleVar", []param{p(3, 2), p(1, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return Normal{v[0], v[1]}.RSampleVar(3, rand.New(rand.NewPCG(5, 5)))
		}},
		{"MVN.RSampleVar", []param{p(1, 3), lowerChol(3)}, nil, func(v []*ad.Var) *ad.Var {
			return MultivariateNormal{v[0], v[1]}.RSampleVar(4, rand.New(rand.NewPCG(5, 5)))
		}},
	}
}

// bijectorVJPCases checks Forward, InverseVar and LogDetJacobian of every
// bijector of bijectorCases.
func bijectorVJPCases() []vjpCase {
	var out []vjpCase
	for _, bc := range bijectorCases() {
		b, du := bc.b, bc.du
		out = append(out,
			vjpCase{"Forward " + bc.name, []param{{r: 3, c: du, lo: -2, hi: 2}}, nil, func(v []*ad.Var) *ad.Var { return b.Forward(v[0]) }},
			vjpCase{"LogDetJacobian " + bc.name, []param{{r: 3, c: du, lo: -2, hi: 2}}, nil, func(v []*ad.Var) *ad.Var { return b.LogDetJacobian(v[0]) }},
			vjpCase{"InverseVar " + bc.name, []param{{r: 3, c: du, lo: -2, hi: 2}}, nil, func(v []*ad.Var) *ad.Var {
				// Differentiate the inverse at the constrained point Forward(u),
				// composed so that finite differences stay inside the support
				// (a simplex row perturbed off the simplex is still inverted).
				return b.InverseVar(b.Forward(v[0]))
			}},
		)
	}
	return out
}

func mustKL(p, q Distribution) *ad.Var {
	kl, err := KLVar(p, q)
	if err != nil {
		panic(err)
	}
	return kl
}

// TestLogProbVarVJP checks the adjoints of every differentiable
// log-density, KL divergence and reparameterised draw against central
// finite differences, for the value and every parameter.
func TestLogProbVarVJP(t *testing.T) {
	rnd := newRand(3)
	cases := append(append(vjpCases(), bijectorVJPCases()...), familyVJPCases()...)
	for _, tc := range append(cases, klVJPCases()...) {
		vals := make([][]float64, len(tc.in))
		for i, p := range tc.in {
			vals[i] = p.fixed
			if vals[i] == nil {
				vals[i] = make([]float64, p.r*p.c)
				for j := range vals[i] {
					vals[i][j] = p.lo + (p.hi-p.lo)*rnd.Float64()
				}
			}
		}
		eval := func(tp *ad.Tape) ([]*ad.Var, *ad.Var) {
			vs := make([]*ad.Var, len(tc.in))
			for i, p := range tc.in {
				if tp == nil || tc.noGrad[i] {
					vs[i] = ad.Const(p.r, p.c, append([]float64(nil), vals[i]...))
				} else {
					vs[i] = tp.Var(p.r, p.c, vals[i])
				}
			}
			return vs, tc.f(vs)
		}
		_, y0 := eval(nil)
		seed := make([]float64, len(y0.Data))
		for i := range seed {
			seed[i] = rnd.NormFloat64()
		}
		tp := ad.NewTape()
		vs, y := eval(tp)
		for i := range y.Data {
			if y.Data[i] != y0.Data[i] {
				t.Errorf("%s: value %v on a tape, %v off it", tc.name, y.Data[i], y0.Data[i])
			}
		}
		tp.BackwardFrom(y, seed)
		for i := range tc.in {
			if tc.noGrad[i] {
				continue
			}
			orig := vals[i]
			want := fd.Gradient(nil, func(p []float64) float64 {
				vals[i] = p
				_, y := eval(nil)
				vals[i] = orig
				var s float64
				for k, v := range y.Data {
					s += seed[k] * v
				}
				return s
			}, orig, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			got := vs[i].Grad()
			if got == nil {
				got = make([]float64, len(want))
			}
			for k := range want {
				if math.Abs(got[k]-want[k]) > 2e-6*math.Max(1, math.Abs(want[k])) {
					t.Errorf("%s: input %d, element %d: adjoint %.9g, finite differences %.9g", tc.name, i, k, got[k], want[k])
				}
			}
		}
	}
}

// TestLogProbVarMatchesLogProb checks that the recorded log-densities equal
// the numeric ones, including broadcast shapes.
func TestLogProbVarMatchesLogProb(t *testing.T) {
	x := dense([]float64{0.3, -1}, []float64{2, 0.1}, []float64{-0.7, 0.4})
	mvn, _ := NewMultivariateNormal([]float64{0.1, -0.2}, mat.NewSymDense(2, []float64{1.2, 0.3, 0.3, 0.8}))
	for _, d := range []Differentiable{
		Normal{Loc: dense([]float64{0.5, -0.5}), LogScale: dense([]float64{0.2}, []float64{-0.1}, []float64{0.3})},
		Normal{Loc: dense([]float64{1}), LogScale: dense([]float64{-0.4, 0.3})},
		StdNormal{D: 2},
		Bernoulli{Logits: dense([]float64{0.4, -2})},
		mvn,
	} {
		want := d.LogProb(nil, x)
		got := d.LogProbVar(ad.FromDense(x))
		for i := range want {
			if math.Abs(got.Data[i]-want[i]) > fpTol(8, math.Abs(want[i])) {
				t.Errorf("%T: row %d: LogProbVar %v, LogProb %v", d, i, got.Data[i], want[i])
			}
		}
	}
}

// TestNormalBroadcastOracle checks a Normal with a 1×d LogScale against
// K×d locations (the shapes that used to panic) against gonum's distuv.
func TestNormalBroadcastOracle(t *testing.T) {
	loc := dense([]float64{0, 1}, []float64{2, -1}, []float64{0.5, 0.5}, []float64{-3, 3})
	ls := dense([]float64{0.3, -0.2})
	x := dense([]float64{0.1, 0.2}, []float64{1, 1}, []float64{0, 0}, []float64{-2, 2})
	got := Normal{Loc: loc, LogScale: ls}.LogProb(nil, x)
	for i := range 4 {
		var want float64
		for j := range 2 {
			want += distuv.Normal{Mu: loc.At(i, j), Sigma: math.Exp(ls.At(0, j))}.LogProb(x.At(i, j))
		}
		if math.Abs(got[i]-want) > fpTol(6, math.Abs(want)) {
			t.Errorf("row %d: %v, distuv %v", i, got[i], want)
		}
	}
}

// TestDetach checks that a detached distribution passes no gradient to its
// parameters but still to its value.
func TestDetach(t *testing.T) {
	tp := ad.NewTape()
	loc, ls, x := tp.Var(1, 2, []float64{0, 1}), tp.Var(1, 2, []float64{0.1, 0.2}), tp.Var(1, 2, []float64{0.5, 0.5})
	d := Normal{Loc: loc, LogScale: ls}.Detach()
	tp.Backward(ad.Sum(d.LogProbVar(x)))
	if loc.Grad() != nil || ls.Grad() != nil {
		t.Errorf("detached parameters received gradients %v %v", loc.Grad(), ls.Grad())
	}
	if x.Grad() == nil {
		t.Error("the value received no gradient")
	}
}

func ExampleNormal_LogProbVar() {
	// The gradient of log N(x; μ, σ²) with respect to μ is (x − μ)/σ².
	tp := ad.NewTape()
	mu := tp.Var(1, 1, []float64{1})
	d := Normal{Loc: mu, LogScale: ad.Scalar(math.Log(2))}
	lp := d.LogProbVar(ad.Scalar(3))
	tp.Backward(lp)
	fmt.Printf("log p = %.4f, d/dμ = %.4f\n", lp.Scalar(), mu.Grad()[0])
	// Output: log p = -2.1121, d/dμ = 0.5000
}

// TestMultivariateNormalBatch checks a batch of means sharing one scale
// against one single-member distribution per row.
func TestMultivariateNormalBatch(t *testing.T) {
	cov := mat.NewSymDense(2, []float64{1.2, 0.3, 0.3, 0.8})
	single, _ := NewMultivariateNormal([]float64{0, 0}, cov)
	locs := dense([]float64{0.1, -0.2}, []float64{1, 2}, []float64{-3, 0.5})
	batch := MultivariateNormal{Loc: locs, Chol: single.Chol}
	x := dense([]float64{0.3, -1}, []float64{2, 0.1}, []float64{-0.7, 0.4})
	got := batch.LogProb(nil, x)
	klb, _ := KL(nil, batch, StdNormal{D: 2})
	for i := range 3 {
		m := MultivariateNormal{Loc: dense(locs.RawRowView(i)), Chol: single.Chol}
		want := m.LogProb(nil, dense(x.RawRowView(i)))[0]
		if math.Abs(got[i]-want) > 1e-14 {
			t.Errorf("row %d: %v, single member %v", i, got[i], want)
		}
		kl, _ := KL(nil, m, StdNormal{D: 2})
		if math.Abs(klb[i]-kl[0]) > 1e-14 {
			t.Errorf("KL row %d: %v, single member %v", i, klb[i], kl[0])
		}
	}
	if batch.Len() != 3 {
		t.Errorf("Len %d, want 3", batch.Len())
	}
}
