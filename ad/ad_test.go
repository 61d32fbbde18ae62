package ad_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/vitool/vitool/ad"
)

// shape is an operand's rows and columns, and a domain for its values.
type shape struct {
	r, c     int
	lo, hi   float64
	constant bool
}

func sh(r, c int) shape { return shape{r: r, c: c, lo: -2, hi: 2} }

func pos(r, c int) shape { return shape{r: r, c: c, lo: 0.3, hi: 3} }

// opCase is one operation checked against finite differences.
type opCase struct {
	name string
	in   []shape
	f    func(v []*ad.Var) *ad.Var
}

func unaryCase(name string, s shape, f func(*ad.Var) *ad.Var) opCase {
	return opCase{name, []shape{s}, func(v []*ad.Var) *ad.Var { return f(v[0]) }}
}

func binaryCases(name string, f func(a, b *ad.Var) *ad.Var, lo, hi float64) []opCase {
	var out []opCase
	for _, p := range [][2]shape{
		{sh(3, 4), sh(3, 4)}, {sh(3, 4), sh(1, 4)}, {sh(1, 4), sh(3, 4)},
		{sh(3, 4), sh(1, 1)}, {sh(1, 1), sh(3, 4)}, {sh(3, 1), sh(1, 4)}, {sh(3, 4), sh(3, 1)},
	} {
		for i := range p {
			p[i].lo, p[i].hi = lo, hi
		}
		out = append(out, opCase{name, p[:], func(v []*ad.Var) *ad.Var { return f(v[0], v[1]) }})
	}
	return out
}

func allCases() []opCase {
	cases := []opCase{
		unaryCase("Neg", sh(2, 3), ad.Neg),
		unaryCase("Scale", sh(2, 3), func(v *ad.Var) *ad.Var { return ad.Scale(v, -2.5) }),
		unaryCase("Shift", sh(2, 3), func(v *ad.Var) *ad.Var { return ad.Shift(v, 1.5) }),
		unaryCase("Exp", sh(2, 3), ad.Exp),
		unaryCase("Expm1", sh(2, 3), ad.Expm1),
		unaryCase("Diag", sh(3, 3), ad.Diag),
		{"SolveLower", []shape{{r: 3, c: 3, lo: 1, hi: 2}, sh(3, 2)}, func(v []*ad.Var) *ad.Var { return ad.SolveLower(v[0], v[1]) }},
		unaryCase("Log", pos(2, 3), ad.Log),
		unaryCase("Log1p", pos(2, 3), ad.Log1p),
		unaryCase("Square", sh(2, 3), ad.Square),
		unaryCase("Sqrt", pos(2, 3), ad.Sqrt),
		unaryCase("Tanh", sh(2, 3), ad.Tanh),
		unaryCase("Sigmoid", sh(2, 3), ad.Sigmoid),
		unaryCase("Softplus", sh(2, 3), ad.Softplus),
		unaryCase("LogSigmoid", sh(2, 3), ad.LogSigmoid),
		unaryCase("Lgamma", pos(2, 3), ad.Lgamma),
		unaryCase("Digamma", pos(2, 3), ad.Digamma),
		unaryCase("Transpose", sh(2, 3), ad.Transpose),
		unaryCase("Reshape", sh(2, 3), func(v *ad.Var) *ad.Var { return ad.Reshape(v, 3, 2) }),
		unaryCase("Sum", sh(2, 3), ad.Sum),
		unaryCase("Mean", sh(2, 3), ad.Mean),
		unaryCase("SumRows", sh(2, 3), ad.SumRows),
		unaryCase("SumCols", sh(2, 3), ad.SumCols),
		unaryCase("LogSumExp", sh(2, 3), ad.LogSumExp),
		unaryCase("LogSumExpRows", sh(2, 3), ad.LogSumExpRows),
		unaryCase("SliceCols", sh(2, 5), func(v *ad.Var) *ad.Var { return ad.SliceCols(v, 1, 4) }),
		unaryCase("Rows", sh(4, 3), func(v *ad.Var) *ad.Var { return ad.Rows(v, []int{2, 0, 2}) }),
		unaryCase("Tile", sh(2, 3), func(v *ad.Var) *ad.Var { return ad.Tile(v, 3) }),
		unaryCase("Repeat", sh(2, 3), func(v *ad.Var) *ad.Var { return ad.Repeat(v, 3) }),
		{"MatMul", []shape{sh(3, 4), sh(4, 2)}, func(v []*ad.Var) *ad.Var { return ad.MatMul(v[0], v[1]) }},
		{"ConcatCols", []shape{sh(3, 1), sh(3, 2), sh(3, 3)}, func(v []*ad.Var) *ad.Var { return ad.ConcatCols(v...) }},
		unaryCase("Abs", sh(2, 3), ad.Abs),
		unaryCase("CumSumCols", sh(2, 4), ad.CumSumCols),
		unaryCase("Cols", sh(2, 4), func(v *ad.Var) *ad.Var { return ad.Cols(v, []int{3, -1, 0, 3}) }),
		{"MatMul with a constant", []shape{sh(3, 4), {r: 4, c: 2, lo: -1, hi: 1, constant: true}},
			func(v []*ad.Var) *ad.Var { return ad.MatMul(v[0], v[1]) }},
	}
	cases = append(cases, binaryCases("Add", ad.Add, -2, 2)...)
	cases = append(cases, binaryCases("Sub", ad.Sub, -2, 2)...)
	cases = append(cases, binaryCases("Mul", ad.Mul, -2, 2)...)
	cases = append(cases, binaryCases("Div", ad.Div, 0.5, 2)...)
	return cases
}

// TestVJP checks every operation's vector-Jacobian product against central
// finite differences (gonum diff/fd) of a random linear functional of its
// output, for every operand and broadcast pattern.
func TestVJP(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tc := range allCases() {
		vals := make([][]float64, len(tc.in))
		for i, s := range tc.in {
			vals[i] = make([]float64, s.r*s.c)
			for j := range vals[i] {
				vals[i][j] = s.lo + (s.hi-s.lo)*rnd.Float64()
			}
		}
		// The seed: a random weight per output element.
		var seed []float64
		eval := func(tp *ad.Tape) ([]*ad.Var, *ad.Var) {
			vs := make([]*ad.Var, len(tc.in))
			for i, s := range tc.in {
				if s.constant || tp == nil {
					vs[i] = ad.Const(s.r, s.c, append([]float64(nil), vals[i]...))
				} else {
					vs[i] = tp.Var(s.r, s.c, vals[i])
				}
			}
			return vs, tc.f(vs)
		}
		_, y0 := eval(nil)
		seed = make([]float64, len(y0.Data))
		for i := range seed {
			seed[i] = rnd.NormFloat64()
		}
		tp := ad.NewTape()
		vs, y := eval(tp)
		tp.BackwardFrom(y, seed)
		for i, s := range tc.in {
			if s.constant {
				if vs[i].Grad() != nil {
					t.Errorf("%s: constant operand %d received a gradient", tc.name, i)
				}
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
			for k := range want {
				if math.Abs(got[k]-want[k]) > 1e-6*math.Max(1, math.Abs(want[k])) {
					t.Errorf("%s %v: operand %d, element %d: gradient %.10g, finite differences %.10g", tc.name, shapes(tc.in), i, k, got[k], want[k])
				}
			}
		}
	}
}

func shapes(in []shape) [][2]int {
	var out [][2]int
	for _, s := range in {
		out = append(out, [2]int{s.r, s.c})
	}
	return out
}

func TestShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"Add", func() { ad.Add(ad.Const(4, 2, nil), ad.Const(1, 3, nil)) }, "ad: Add: incompatible shapes 4×2 and 1×3 (sizes must match or be 1 along each axis)"},
		{"Mul rows", func() { ad.Mul(ad.Const(4, 2, nil), ad.Const(3, 2, nil)) }, "ad: Mul: incompatible shapes 4×2 and 3×2 (sizes must match or be 1 along each axis)"},
		{"MatMul", func() { ad.MatMul(ad.Const(2, 3, nil), ad.Const(2, 3, nil)) }, "ad: MatMul: incompatible shapes 2×3 and 2×3 (columns of the first must equal rows of the second)"},
		{"ConcatCols", func() { ad.ConcatCols(ad.Const(2, 3, nil), ad.Const(3, 3, nil)) }, "ad: ConcatCols: incompatible shapes 2×3 and 3×3 (every operand needs the same number of rows)"},
	} {
		func() {
			defer func() {
				r := recover()
				err, ok := r.(error)
				var se *ad.ShapeError
				if !ok || !errors.As(err, &se) {
					t.Fatalf("%s: recovered %v, want a *ad.ShapeError", tc.name, r)
				}
				if err.Error() != tc.want {
					t.Errorf("%s: %q, want %q", tc.name, err, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

func TestConstantsRecordNothing(t *testing.T) {
	tp := ad.NewTape()
	w := tp.Var(1, 2, []float64{1, 2})
	c := ad.Exp(ad.Const(1, 2, []float64{0, 1}))
	if c.Tape() != nil {
		t.Fatal("an operation on constants was recorded")
	}
	y := ad.Sum(ad.Mul(w, c))
	if tp.Len() != 2 {
		t.Errorf("tape holds %d operations, want 2 (Mul, Sum)", tp.Len())
	}
	tp.Backward(y)
	if g := w.Grad(); g[0] != 1 || math.Abs(g[1]-math.E) > 1e-15 {
		t.Errorf("gradient %v, want [1 e]", g)
	}
	// Detach stops the gradient.
	tp2 := ad.NewTape()
	v := tp2.Var(1, 1, []float64{3})
	y2 := ad.Mul(v, ad.Detach(v))
	tp2.Backward(y2)
	if g := v.Grad()[0]; g != 3 {
		t.Errorf("d(v·stop(v))/dv = %v, want 3", g)
	}
}

func TestCustom(t *testing.T) {
	tp := ad.NewTape()
	x := tp.Var(1, 3, []float64{1, 2, 3})
	// y = 2x, with a hand-written VJP.
	y := ad.Custom(1, 3, []float64{2, 4, 6}, []*ad.Var{x}, func(g []float64, grads [][]float64) {
		for i := range g {
			grads[0][i] += 2 * g[i]
		}
	})
	tp.Backward(ad.Sum(ad.Square(y)))
	for i, g := range x.Grad() {
		if want := 8 * x.Data[i]; g != want {
			t.Errorf("grad[%d] = %v, want %v", i, g, want)
		}
	}
}

func TestLogSumExpInfinite(t *testing.T) {
	tp := ad.NewTape()
	x := tp.Var(1, 2, []float64{math.Inf(-1), math.Inf(-1)})
	y := ad.LogSumExp(x)
	if !math.IsInf(y.Data[0], -1) {
		t.Fatalf("LogSumExp(−Inf, −Inf) = %v", y.Data[0])
	}
	tp.Backward(y)
	for _, g := range x.Grad() {
		if math.IsNaN(g) {
			t.Fatal("NaN gradient")
		}
	}
}

func TestTrigamma(t *testing.T) {
	// ψ′(1) = π²/6, ψ′(1/2) = π²/2, and the recurrence ψ′(x) = ψ′(x+1) + 1/x².
	for _, tc := range []struct{ x, want float64 }{{1, math.Pi * math.Pi / 6}, {0.5, math.Pi * math.Pi / 2}} {
		if got := ad.Trigamma(tc.x); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Trigamma(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	for _, x := range []float64{-2.5, -0.3, 0.7, 4.2} {
		if got, want := ad.Trigamma(x), ad.Trigamma(x+1)+1/(x*x); math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("Trigamma(%v) = %v, recurrence gives %v", x, got, want)
		}
	}
}
