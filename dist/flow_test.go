package dist

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// randVar returns an r×c constant with N(0, std²) entries.
func randVar(rnd *rand.Rand, r, c int, std float64) *ad.Var {
	v := ad.Const(r, c, nil)
	for i := range v.Data {
		v.Data[i] = std * rnd.NormFloat64()
	}
	return v
}

func newPlanar(rnd *rand.Rand, d int) PlanarFlow {
	return PlanarFlow{U: randVar(rnd, 1, d, 1.5), W: randVar(rnd, 1, d, 1), B: randVar(rnd, 1, 1, 0.5)}
}

func newCoupling(rnd *rand.Rand, cond []int, d, h int) AffineCoupling {
	k, m := len(cond), d-len(cond)
	return AffineCoupling{Cond: cond, W1: randVar(rnd, k, h, 0.8), B1: randVar(rnd, 1, h, 0.3), W2: randVar(rnd, h, 2*m, 0.5), B2: randVar(rnd, 1, 2*m, 0.3)}
}

func newIAF(rnd *rand.Rand, d, h, c int, reverse bool) IAF {
	f := IAF{W1: randVar(rnd, d, h, 0.8), B1: randVar(rnd, 1, h, 0.3), W2: randVar(rnd, h, 2*d, 0.6), B2: randVar(rnd, 1, 2*d, 0.5), Reverse: reverse}
	if c > 0 {
		f.Context, f.WC = randVar(rnd, 1, c, 1), randVar(rnd, c, h, 0.5)
	}
	return f
}

// flowCases are the flows checked, with their dimension.
func flowCases() []struct {
	name string
	b    Bijector
	d    int
} {
	rnd := newRand(11)
	// A planar flow whose raw U breaks wᵀu > −1: û must restore it.
	bad := PlanarFlow{U: ad.Row([]float64{-3, -2}), W: ad.Row([]float64{1, 1}), B: ad.Scalar(0.2)}
	return []struct {
		name string
		b    Bijector
		d    int
	}{
		{"Planar d=1", newPlanar(rnd, 1), 1},
		{"Planar d=3", newPlanar(rnd, 3), 3},
		{"Planar wᵀu < −1", bad, 2},
		{"Coupling first", newCoupling(rnd, []int{0}, 2, 4), 2},
		{"Coupling odd", newCoupling(rnd, []int{3, 1}, 5, 3), 5},
		{"IAF d=1", newIAF(rnd, 1, 3, 0, false), 1},
		{"IAF d=4", newIAF(rnd, 4, 6, 0, false), 4},
		{"IAF d=4 reversed", newIAF(rnd, 4, 6, 0, true), 4},
		{"IAF d=3 context", newIAF(rnd, 3, 5, 2, false), 3},
		{"Planar∘IAF∘Coupling", ComposeTransform{newPlanar(rnd, 3), newIAF(rnd, 3, 4, 0, true), newCoupling(rnd, []int{1}, 3, 3)}, 3},
	}
}

// TestFlows checks every flow: Inverse and InverseVar invert Forward, and
// LogDetJacobian matches the log-determinant of the finite-difference
// Jacobian (gonum diff/fd) row by row. For the IAF it also checks that
// the Jacobian is triangular in the flow's order (the MADE masks).
func TestFlows(t *testing.T) {
	rnd := newRand(7)
	for _, tc := range flowCases() {
		const n = 5
		u := randVar(rnd, n, tc.d, 2)
		x := tc.b.Forward(u)
		if x.R != n || x.C != tc.d || tc.b.ForwardDim(tc.d) != tc.d || tc.b.InverseDim(tc.d) != tc.d {
			t.Fatalf("%s: Forward gives %d×%d", tc.name, x.R, x.C)
		}
		back := tc.b.Inverse(x.Dense())
		backVar := tc.b.InverseVar(x)
		ld := tc.b.LogDetJacobian(u)
		if ld.R != n || ld.C != 1 {
			t.Fatalf("%s: LogDetJacobian is %d×%d, want %d×1", tc.name, ld.R, ld.C, n)
		}
		for i := range n {
			for j := range tc.d {
				want := u.Data[i*tc.d+j]
				tol := 1e-9 * math.Max(1, math.Abs(want))
				if math.Abs(back.At(i, j)-want) > tol || math.Abs(backVar.At(i, j)-want) > tol {
					t.Errorf("%s: row %d: Inverse %v / InverseVar %v, want %v", tc.name, i, back.At(i, j), backVar.At(i, j), want)
				}
			}
			jac := mat.NewDense(tc.d, tc.d, nil)
			fd.Jacobian(jac, func(y, v []float64) {
				copy(y, tc.b.Forward(ad.Const(1, tc.d, append([]float64(nil), v...))).Data)
			}, u.Data[i*tc.d:(i+1)*tc.d], &fd.JacobianSettings{Formula: fd.Central})
			var lu mat.LU
			lu.Factorize(jac)
			want, _ := lu.LogDet()
			if got := ld.Data[i]; math.IsNaN(got) || math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: row %d: LogDetJacobian %v, finite differences %v", tc.name, i, got, want)
			}
			if f, ok := tc.b.(IAF); ok {
				for a := range tc.d {
					for b := range tc.d {
						// Output a may depend on input b only if b comes first.
						before := b < a
						if f.Reverse {
							before = b > a
						}
						if !before && a != b && math.Abs(jac.At(a, b)) > 1e-8 {
							t.Errorf("%s: ∂y_%d/∂z_%d = %v, want 0 (autoregressive)", tc.name, a, b, jac.At(a, b))
						}
					}
				}
			}
		}
	}
}

// TestFlowPanics checks that wrong shapes are reported by name.
func TestFlowPanics(t *testing.T) {
	rnd := newRand(1)
	u := randVar(rnd, 2, 3, 1)
	mustPanic(t, "Planar columns", func() { newPlanar(rnd, 2).Forward(u) })
	mustPanic(t, "Coupling columns", func() { newCoupling(rnd, []int{0}, 2, 3).Forward(u) })
	mustPanic(t, "Coupling repeated", func() {
		c := newCoupling(rnd, []int{0, 0}, 3, 3)
		c.Forward(u)
	})
	mustPanic(t, "IAF columns", func() { newIAF(rnd, 2, 3, 0, false).Forward(u) })
	mustPanic(t, "IAF context", func() {
		f := newIAF(rnd, 3, 3, 2, false)
		f.WC = nil
		f.Forward(u)
	})
	mustPanic(t, "IAF context rows", func() {
		f := newIAF(rnd, 3, 3, 2, false)
		f.Context = randVar(rnd, 4, 2, 1)
		f.Forward(u)
	})
}

// flowVJPCases checks the adjoints of every flow's Forward,
// LogDetJacobian and InverseVar with respect to the input and every
// parameter.
func flowVJPCases() []vjpCase {
	re := func(r, c int) param { return param{r: r, c: c, lo: -1.2, hi: 1.2} }
	planar := func(v []*ad.Var) PlanarFlow { return PlanarFlow{U: v[0], W: v[1], B: v[2]} }
	planarIn := []param{re(1, 3), re(1, 3), re(1, 1), re(4, 3)}
	coupling := func(v []*ad.Var) AffineCoupling {
		return AffineCoupling{Cond: []int{2}, W1: v[0], B1: v[1], W2: v[2], B2: v[3]}
	}
	couplingIn := []param{re(1, 4), re(1, 4), re(4, 4), re(1, 4), re(4, 3)}
	iaf := func(v []*ad.Var) IAF {
		return IAF{W1: v[0], B1: v[1], W2: v[2], B2: v[3], Context: v[4], WC: v[5], Reverse: true}
	}
	iafIn := []param{re(3, 5), re(1, 5), re(5, 6), re(1, 6), re(4, 2), re(2, 5), re(4, 3)}
	return []vjpCase{
		{"PlanarFlow.Forward", planarIn, nil, func(v []*ad.Var) *ad.Var { return planar(v).Forward(v[3]) }},
		{"PlanarFlow.LogDetJacobian", planarIn, nil, func(v []*ad.Var) *ad.Var { return planar(v).LogDetJacobian(v[3]) }},
		{"PlanarFlow.InverseVar", planarIn, nil, func(v []*ad.Var) *ad.Var { return planar(v).InverseVar(v[3]) }},
		{"AffineCoupling.Forward", couplingIn, nil, func(v []*ad.Var) *ad.Var { return coupling(v).Forward(v[4]) }},
		{"AffineCoupling.LogDetJacobian", couplingIn, nil, func(v []*ad.Var) *ad.Var { return coupling(v).LogDetJacobian(v[4]) }},
		{"AffineCoupling.InverseVar", couplingIn, nil, func(v []*ad.Var) *ad.Var { return coupling(v).InverseVar(v[4]) }},
		{"IAF.Forward", iafIn, nil, func(v []*ad.Var) *ad.Var { return iaf(v).Forward(v[6]) }},
		{"IAF.LogDetJacobian", iafIn, nil, func(v []*ad.Var) *ad.Var { return iaf(v).LogDetJacobian(v[6]) }},
		{"IAF.InverseVar", iafIn, nil, func(v []*ad.Var) *ad.Var { return iaf(v).InverseVar(v[6]) }},
		{"FlowDistribution.LogProbVar", append(append([]param(nil), planarIn[:3]...), re(1, 3), re(1, 3), re(4, 3)), nil, func(v []*ad.Var) *ad.Var {
			return NewFlowDistribution(Normal{Loc: v[3], LogScale: v[4]}, planar(v)).LogProbVar(v[5])
		}},
		{"FlowDistribution.LogProbVar of its draw", append(append([]param(nil), iafIn[:6]...), re(1, 3), re(1, 3)), nil, func(v []*ad.Var) *ad.Var {
			q := NewFlowDistribution(Normal{Loc: v[6], LogScale: v[7]}, ComposeTransform{iaf(v), IAF{W1: v[0], B1: v[1], W2: v[2], B2: v[3]}})
			return q.LogProbVar(q.RSampleVar(4, newRand(8)))
		}},
	}
}

// TestFlowVJP checks flowVJPCases against central finite differences, as
// TestLogProbVarVJP does for the distributions.
func TestFlowVJP(t *testing.T) {
	rnd := newRand(3)
	for _, tc := range flowVJPCases() {
		vals := make([][]float64, len(tc.in))
		for i, p := range tc.in {
			vals[i] = make([]float64, p.r*p.c)
			for j := range vals[i] {
				vals[i][j] = p.lo + (p.hi-p.lo)*rnd.Float64()
			}
		}
		eval := func(tp *ad.Tape) ([]*ad.Var, *ad.Var) {
			vs := make([]*ad.Var, len(tc.in))
			for i, p := range tc.in {
				if tp == nil {
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
			if math.Abs(y.Data[i]-y0.Data[i]) > 1e-12*math.Max(1, math.Abs(y0.Data[i])) {
				t.Errorf("%s: value %v on a tape, %v off it", tc.name, y.Data[i], y0.Data[i])
			}
		}
		tp.BackwardFrom(y, seed)
		for i := range tc.in {
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

// TestFlowDistribution checks that the cached log-density of a draw equals
// the one computed through the inverse, that LogProb agrees, and that the
// density of a planar flow over a 1-D normal integrates to one
// (trapezoidal quadrature on a wide grid).
func TestFlowDistribution(t *testing.T) {
	rnd := newRand(5)
	for _, tc := range flowCases() {
		base := Normal{Loc: randVar(rnd, 1, tc.d, 0.5), LogScale: randVar(rnd, 1, tc.d, 0.3)}
		q := NewFlowDistribution(base, tc.b)
		x := q.RSampleVar(6, newRand(9))
		cached := q.LogProbVar(x)
		viaInverse := q.LogProbVar(ad.FromDense(x.Dense()))
		numeric := q.LogProb(nil, x.Dense())
		for i := range cached.Data {
			if d := math.Abs(cached.Data[i] - viaInverse.Data[i]); d > 1e-8*math.Max(1, math.Abs(cached.Data[i])) || math.Abs(numeric[i]-cached.Data[i]) > 1e-8*math.Max(1, math.Abs(cached.Data[i])) {
				t.Errorf("%s: row %d: cached %v, through the inverse %v, LogProb %v", tc.name, i, cached.Data[i], viaInverse.Data[i], numeric[i])
			}
		}
	}
	q := NewFlowDistribution(Normal{Loc: ad.Scalar(0.3), LogScale: ad.Scalar(0.2)},
		ComposeTransform{newPlanar(rnd, 1), newPlanar(rnd, 1), newIAF(rnd, 1, 2, 0, false)})
	const lo, hi, m = -25.0, 25.0, 20001
	h := (hi - lo) / (m - 1)
	grid := mat.NewDense(m, 1, nil)
	for i := range m {
		grid.Set(i, 0, lo+float64(i)*h)
	}
	lp := q.LogProb(nil, grid)
	var total float64
	for i, v := range lp {
		w := h
		if i == 0 || i == m-1 {
			w = h / 2
		}
		total += w * math.Exp(v)
	}
	if math.Abs(total-1) > 1e-6 {
		t.Errorf("a 1-D planar/IAF flow density integrates to %v, want 1", total)
	}
}
