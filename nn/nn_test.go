package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/vitool/vitool/ad"
)

// newParams returns Vars initialised by m's initialisers from seed, on tp
// (constants if tp is nil).
func newParams(m MLP, tp *ad.Tape, seed uint64) []*ad.Var {
	rnd := rand.New(rand.NewPCG(seed, 7))
	var ps []*ad.Var
	for _, s := range m.Params() {
		data := make([]float64, s.Rows*s.Cols)
		s.Init(data, rnd)
		if tp != nil {
			ps = append(ps, tp.Var(s.Rows, s.Cols, data))
		} else {
			ps = append(ps, ad.Const(s.Rows, s.Cols, data))
		}
	}
	return ps
}

func randData(rnd *rand.Rand, n int, scale float64) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = scale * rnd.NormFloat64()
	}
	return d
}

// tapeForward is the MLP written with package ad's operations in float64:
// the reference the compiled programs are compared with.
func tapeForward(m MLP, x *ad.Var, params []*ad.Var) *ad.Var {
	h := x
	for l := range m.Layers() {
		h = ad.Add(ad.MatMul(h, ad.Transpose(params[2*l])), params[2*l+1])
		if l == m.Layers()-1 {
			break
		}
		switch m.Act {
		case Tanh:
			h = ad.Tanh(h)
		case Softplus:
			h = ad.Softplus(h)
		case ReLU:
			mask := make([]float64, len(h.Data))
			for i, v := range h.Data {
				if v > 0 {
					mask[i] = 1
				}
			}
			h = ad.Mul(h, ad.Const(h.R, h.C, mask))
		}
	}
	return h
}

type forwardFunc func(m MLP, x *ad.Var, params []*ad.Var) *ad.Var

// problem is a network with an input, a fixed output weighting c and the
// scalar objective Σ c ⊙ MLP(x), applied twice (to x and to x+1, with the
// same parameters) so that programs are shared between calls on one tape.
type problem struct {
	m    MLP
	rows int
	x    []float64
	p    [][]float64
	c    []float64
}

func newProblem(m MLP, rows int, seed uint64) problem {
	rnd := rand.New(rand.NewPCG(seed, 1))
	pr := problem{m: m, rows: rows, x: randData(rnd, rows*m.In(), 1), c: randData(rnd, rows*m.Out(), 1)}
	for _, v := range newParams(m, nil, seed) {
		pr.p = append(pr.p, v.Data)
	}
	return pr
}

// objective evaluates the objective with f, x and params on tp (or
// constants if tp is nil), returning it and the Vars.
func (pr problem) objective(f forwardFunc, tp *ad.Tape, xs []float64, ps [][]float64) (*ad.Var, *ad.Var, []*ad.Var) {
	mk := func(r, c int, d []float64) *ad.Var {
		if tp == nil {
			return ad.Const(r, c, d)
		}
		return tp.Var(r, c, d)
	}
	x := mk(pr.rows, pr.m.In(), xs)
	var params []*ad.Var
	for i, s := range pr.m.Params() {
		params = append(params, mk(s.Rows, s.Cols, ps[i]))
	}
	c := ad.Const(pr.rows, pr.m.Out(), pr.c)
	y1 := ad.Sum(ad.Mul(f(pr.m, x, params), c))
	y2 := ad.Sum(ad.Mul(f(pr.m, ad.Shift(x, 1), params), c))
	return ad.Add(y1, ad.Scale(y2, 0.5)), x, params
}

// gradient returns the objective's value and its gradient (x's, then each
// parameter's) computed by f on a tape.
func (pr problem) gradient(f forwardFunc) (float64, [][]float64) {
	tp := ad.NewTape()
	y, x, params := pr.objective(f, tp, pr.x, pr.p)
	tp.Backward(y)
	g := [][]float64{x.Grad()}
	for _, p := range params {
		g = append(g, p.Grad())
	}
	return y.Scalar(), g
}

var testMLPs = []struct {
	m    MLP
	rows int
}{
	{MLP{Sizes: []int{3, 5, 4, 2}, Act: Tanh}, 4},
	{MLP{Sizes: []int{3, 5, 4, 2}, Act: ReLU}, 4},
	{MLP{Sizes: []int{3, 5, 4, 2}, Act: Softplus}, 4},
	{MLP{Sizes: []int{3, 5, 4, 2}, Act: Identity}, 4},
	{MLP{Sizes: []int{2, 3}, Act: Tanh}, 3},
	{MLP{Sizes: []int{1, 1}, Act: Tanh}, 1},
	{MLP{Sizes: []int{2, 6, 1}, Act: Tanh}, 1},
	{MLP{Sizes: []int{1, 4, 3}, Act: Softplus}, 5},
	{MLP{Sizes: []int{4, 1, 3}, Act: ReLU}, 2},
}

// TestVJPFiniteDifferences checks the float64 programs' adjoints of the
// input and of every parameter against central finite differences.
func TestVJPFiniteDifferences(t *testing.T) {
	for _, tc := range testMLPs {
		t.Run(fmt.Sprintf("%v-%v-rows%d", tc.m.Sizes, tc.m.Act, tc.rows), func(t *testing.T) {
			pr := newProblem(tc.m, tc.rows, 3)
			_, got := pr.gradient(forward[float64])
			// Flatten x and the parameters into one vector for fd.
			var theta []float64
			var lens []int
			for _, s := range append([][]float64{pr.x}, pr.p...) {
				theta = append(theta, s...)
				lens = append(lens, len(s))
			}
			unflat := func(v []float64) ([]float64, [][]float64) {
				var parts [][]float64
				for _, n := range lens {
					parts = append(parts, v[:n])
					v = v[n:]
				}
				return parts[0], parts[1:]
			}
			want := fd.Gradient(nil, func(v []float64) float64 {
				xs, ps := unflat(v)
				y, _, _ := pr.objective(forward[float64], nil, xs, ps)
				return y.Scalar()
			}, theta, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			k := 0
			for i, g := range got {
				for j, v := range g {
					if w := want[k]; math.Abs(v-w) > 1e-6*(1+math.Abs(w)) {
						t.Errorf("input %d element %d: adjoint %.10g, finite differences %.10g", i, j, v, w)
					}
					k++
				}
			}
		})
	}
}

// TestMatchesTape checks the compiled programs against the same network
// written with package ad's operations: to float64 rounding for the
// float64 programs, and for the float32 programs (Forward) within a
// bound derived from float32 rounding.
func TestMatchesTape(t *testing.T) {
	const u32 = 0x1p-24 // float32 unit roundoff
	for _, tc := range append(testMLPs, struct {
		m    MLP
		rows int
	}{MLP{Sizes: []int{20, 64, 64, 30}, Act: Tanh}, 50}) {
		t.Run(fmt.Sprintf("%v-%v-rows%d", tc.m.Sizes, tc.m.Act, tc.rows), func(t *testing.T) {
			pr := newProblem(tc.m, tc.rows, 5)
			yRef, gRef := pr.gradient(tapeForward)
			// Every value flows through at most depth products with inner
			// dimension at most k; rounding the inputs and each product
			// contributes a relative error of about (k+1)·u per layer, in
			// the forward and backward passes (γ_k of the classical bound
			// on dot products), relative to the sum of absolute terms,
			// which is bounded here by the largest magnitude.
			k := 0
			for _, s := range tc.m.Sizes {
				k = max(k, s)
			}
			depth := 2 * (tc.m.Layers() + 1)
			rel32 := float64(depth*(k+1)) * u32
			for _, c := range []struct {
				name string
				f    forwardFunc
				rel  float64
			}{
				{"float64", forward[float64], 1e-12},
				{"float32", MLP.Forward, rel32},
			} {
				y, g := pr.gradient(c.f)
				scale := 0.0
				for _, s := range gRef {
					for _, v := range s {
						scale = max(scale, math.Abs(v))
					}
				}
				if math.Abs(y-yRef) > c.rel*(1+math.Abs(yRef)) {
					t.Errorf("%s: objective %.10g, tape %.10g", c.name, y, yRef)
				}
				for i := range g {
					for j, v := range g[i] {
						if w := gRef[i][j]; math.Abs(v-w) > c.rel*(1+scale) {
							t.Errorf("%s: input %d element %d: adjoint %.10g, tape %.10g", c.name, i, j, v, w)
						}
					}
				}
			}
		})
	}
}

// TestFloat32Rounds checks that Forward computes in float32: its error
// against float64 is far above float64 rounding (the test of the bound in
// TestMatchesTape could otherwise not fail for the right reason).
func TestFloat32Rounds(t *testing.T) {
	pr := newProblem(MLP{Sizes: []int{20, 64, 64, 30}, Act: Tanh}, 50, 5)
	y64, _ := pr.gradient(forward[float64])
	y32, _ := pr.gradient(MLP.Forward)
	if d := math.Abs(y32 - y64); d < 1e-10*math.Abs(y64) {
		t.Errorf("float32 objective %.17g is within %g of float64 %.17g", y32, d, y64)
	}
}

func TestConstantsRecordNothing(t *testing.T) {
	m := MLP{Sizes: []int{3, 4, 2}, Act: Tanh}
	x := ad.Const(2, 3, []float64{1, 2, 3, 4, 5, 6})
	out := m.Forward(x, newParams(m, nil, 1))
	if out.Tape() != nil || out.R != 2 || out.C != 2 {
		t.Errorf("constant inputs gave a %d×%d output on tape %p", out.R, out.C, out.Tape())
	}
	// Only the parameters on the tape get adjoints; x stays a constant.
	tp := ad.NewTape()
	params := newParams(m, tp, 1)
	tp.Backward(ad.Sum(m.Forward(x, params)))
	if x.Grad() != nil {
		t.Errorf("constant input got an adjoint")
	}
	for i, p := range params {
		if p.Grad() == nil {
			t.Errorf("parameter %d got no adjoint", i)
		}
	}
}

func TestParams(t *testing.T) {
	m := MLP{Sizes: []int{784, 200, 50}, Act: Tanh}
	want := []struct {
		name       string
		rows, cols int
	}{{"0.weight", 200, 784}, {"0.bias", 1, 200}, {"2.weight", 50, 200}, {"2.bias", 1, 50}}
	ps := m.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d parameters, want %d", len(ps), len(want))
	}
	draw := func(seed uint64) [][]float64 {
		rnd := rand.New(rand.NewPCG(seed, 0))
		var out [][]float64
		for _, s := range ps {
			d := make([]float64, s.Rows*s.Cols)
			s.Init(d, rnd)
			out = append(out, d)
		}
		return out
	}
	a, b, c := draw(1), draw(1), draw(2)
	for i, s := range ps {
		w := want[i]
		if s.Name != w.name || s.Rows != w.rows || s.Cols != w.cols {
			t.Errorf("parameter %d is %s %d×%d, want %s %d×%d", i, s.Name, s.Rows, s.Cols, w.name, w.rows, w.cols)
		}
		// PyTorch's nn.Linear default: U(−1/√in, 1/√in) for both.
		bound := 1 / math.Sqrt(float64(m.Sizes[i/2]))
		var sum, sq float64
		for j, v := range a[i] {
			if math.Abs(v) > bound {
				t.Fatalf("%s[%d] = %g outside ±%g", s.Name, j, v, bound)
			}
			if v != b[i][j] {
				t.Fatalf("%s[%d]: %g and %g from the same seed", s.Name, j, v, b[i][j])
			}
			sum += v
			sq += v * v
		}
		if equal(a[i], c[i]) {
			t.Errorf("%s: seeds 1 and 2 drew the same values", s.Name)
		}
		// Mean 0 and variance bound²/3 within 5 standard errors.
		n := float64(len(a[i]))
		mean, vr := sum/n, sq/n
		if se := bound / math.Sqrt(3*n); math.Abs(mean) > 5*se {
			t.Errorf("%s: mean %g, want 0 ± %g", s.Name, mean, 5*se)
		}
		// Var(v²) = b⁴/5 − b⁴/9 = 4b⁴/45.
		if se := math.Sqrt(4/45.0/n) * bound * bound; math.Abs(vr-bound*bound/3) > 5*se {
			t.Errorf("%s: mean square %g, want %g ± %g", s.Name, vr, bound*bound/3, 5*se)
		}
	}
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestShapeErrors(t *testing.T) {
	m := MLP{Sizes: []int{3, 4, 2}, Act: Tanh}
	good := func() []*ad.Var { return newParams(m, nil, 1) }
	x := ad.Const(5, 3, nil)
	for _, tc := range []struct {
		name   string
		x      *ad.Var
		params func() []*ad.Var
		shape  bool     // want an *ad.ShapeError
		want   []string // in the message
	}{
		{"input", ad.Const(5, 4, nil), good, true, []string{"layer 0 (0.weight)", "5×4", "4×3"}},
		{"count", x, func() []*ad.Var { return good()[:3] }, false, []string{"takes 4 parameters", "got 3"}},
		{"weight", x, func() []*ad.Var { p := good(); p[2] = ad.Const(4, 2, nil); return p }, true,
			[]string{"layer 1 (2.weight)", "4×2", "2×4"}},
		{"bias", x, func() []*ad.Var { p := good(); p[1] = ad.Const(4, 1, nil); return p }, true,
			[]string{"layer 0 (0.bias)", "4×1", "1×4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				err, ok := r.(error)
				if !ok {
					t.Fatalf("panic value %v (%T), want an error", r, r)
				}
				var se *ad.ShapeError
				if errors.As(err, &se) != tc.shape {
					t.Errorf("panic %T, want a shape error: %v", err, tc.shape)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("message %q lacks %q", err, w)
					}
				}
			}()
			m.Forward(tc.x, tc.params())
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		m    MLP
		want string
	}{
		{MLP{Sizes: []int{3, 2}, Act: Tanh}, ""},
		{MLP{Sizes: []int{3}, Act: Tanh}, "at least an input and an output"},
		{MLP{Sizes: []int{3, 0, 2}, Act: Tanh}, "not positive"},
		{MLP{Sizes: []int{3, 2}, Act: Activation(9)}, "unknown activation Activation(9)"},
	} {
		err := tc.m.Validate()
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.m, err, tc.want)
		}
	}
}

func TestParseActivation(t *testing.T) {
	for _, a := range []Activation{Tanh, ReLU, Softplus, Identity} {
		got, err := ParseActivation(a.String())
		if err != nil || got != a {
			t.Errorf("ParseActivation(%q) = %v, %v", a.String(), got, err)
		}
	}
	_, err := ParseActivation("sigmoid")
	if err == nil || err.Error() != `nn: activation "sigmoid": want tanh, relu, softplus or identity` {
		t.Errorf("error %v", err)
	}
}

// TestParallelBits runs forward and backward passes from several
// goroutines at once, with matrices large enough for gonum's parallel
// matrix product, and checks every result has the bits of a run with
// GOMAXPROCS 1.
func TestParallelBits(t *testing.T) {
	pr := newProblem(MLP{Sizes: []int{150, 256, 200, 130}, Act: Tanh}, 140, 9)
	prev := runtime.GOMAXPROCS(1)
	yRef, gRef := pr.gradient(MLP.Forward)
	runtime.GOMAXPROCS(max(prev, 4))
	defer runtime.GOMAXPROCS(prev)
	const workers = 4
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				y, g := pr.gradient(MLP.Forward)
				if math.Float64bits(y) != math.Float64bits(yRef) {
					errs[w] = fmt.Errorf("objective %v, want %v", y, yRef)
					return
				}
				for i := range g {
					for j := range g[i] {
						if math.Float64bits(g[i][j]) != math.Float64bits(gRef[i][j]) {
							errs[w] = fmt.Errorf("input %d element %d: %v, want %v", i, j, g[i][j], gRef[i][j])
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", w, err)
		}
	}
}
