package dist

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// bijectorCases are the bijectors checked, with the unconstrained
// dimension used and the columns of x that are its free coordinates (nil:
// all of them).
func bijectorCases() []struct {
	name string
	b    Bijector
	du   int
	free []int
} {
	return []struct {
		name string
		b    Bijector
		du   int
		free []int
	}{
		{"Identity", Identity{}, 3, nil},
		{"Exp", ExpTransform{}, 3, nil},
		{"Exp shifted", ExpTransform{Lo: -2}, 2, nil},
		{"Softplus", SoftplusTransform{Lo: 1}, 3, nil},
		{"Sigmoid", SigmoidTransform{Lo: -1, Hi: 3}, 3, nil},
		{"StickBreaking K=2", StickBreakingTransform{}, 1, []int{0}},
		{"StickBreaking K=4", StickBreakingTransform{}, 3, []int{0, 1, 2}},
		{"LowerCholesky k=1", LowerCholeskyTransform{}, 1, nil},
		{"LowerCholesky k=3", LowerCholeskyTransform{}, 6, []int{0, 3, 4, 6, 7, 8}},
		{"Ordered", OrderedTransform{}, 4, nil},
		{"Ordered d=1", OrderedTransform{}, 1, nil},
		{"Affine", AffineTransform{Loc: dense([]float64{1, -2, 0.5}), Scale: dense([]float64{2, -0.5, 3})}, 3, nil},
		{"Compose", ComposeTransform{AffineTransform{Loc: ad.Scalar(0.5), Scale: ad.Scalar(2)}, ExpTransform{}}, 2, nil},
	}
}

// TestBijectors checks every bijector: Forward lands in the codomain,
// Inverse and InverseVar invert it, and LogDetJacobian matches the log
// determinant of the Jacobian of u ↦ (free coordinates of x) computed by
// finite differences (gonum diff/fd).
func TestBijectors(t *testing.T) {
	rnd := newRand(7)
	for _, tc := range bijectorCases() {
		const n = 4
		u := ad.Const(n, tc.du, nil)
		for i := range u.Data {
			u.Data[i] = 3 * rnd.NormFloat64()
		}
		x := tc.b.Forward(u)
		d := tc.b.ForwardDim(tc.du)
		if x.R != n || x.C != d || tc.b.InverseDim(d) != tc.du {
			t.Fatalf("%s: Forward gives %d×%d, ForwardDim %d, InverseDim %d", tc.name, x.R, x.C, d, tc.b.InverseDim(d))
		}
		xr := x.Dense()
		back := tc.b.Inverse(xr)
		backVar := tc.b.InverseVar(x)
		ld := tc.b.LogDetJacobian(u)
		free := tc.free
		if free == nil {
			for j := range d {
				free = append(free, j)
			}
		}
		for i := range n {
			if !tc.b.Codomain().Contains(xr.RawRowView(i)) {
				t.Errorf("%s: row %v is not in %v", tc.name, xr.RawRowView(i), tc.b.Codomain())
			}
			for j := range tc.du {
				want := u.Data[i*tc.du+j]
				if math.Abs(back.At(i, j)-want) > 1e-9*math.Max(1, math.Abs(want)) || math.Abs(backVar.At(i, j)-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("%s: row %d: Inverse %v / InverseVar %v, want %v", tc.name, i, back.At(i, j), backVar.At(i, j), want)
				}
			}
			jac := mat.NewDense(tc.du, tc.du, nil)
			fd.Jacobian(jac, func(y, v []float64) {
				out := tc.b.Forward(ad.Const(1, tc.du, append([]float64(nil), v...)))
				for k, f := range free {
					y[k] = out.Data[f]
				}
			}, u.Data[i*tc.du:(i+1)*tc.du], &fd.JacobianSettings{Formula: fd.Central})
			var lu mat.LU
			lu.Factorize(jac)
			want, _ := lu.LogDet()
			if got := ld.Data[i]; math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: row %d: LogDetJacobian %v, finite differences %v", tc.name, i, got, want)
			}
		}
	}
}

func TestBijectTo(t *testing.T) {
	for _, tc := range []struct {
		s    Support
		want Bijector
	}{
		{Real, Identity{}},
		{Positive, ExpTransform{}},
		{GreaterThan(3), ExpTransform{Lo: 3}},
		{UnitInterval, SigmoidTransform{Lo: 0, Hi: 1}},
		{Interval(-1, 2), SigmoidTransform{Lo: -1, Hi: 2}},
		{Simplex, StickBreakingTransform{}},
		{LowerCholesky, LowerCholeskyTransform{}},
		{Ordered, OrderedTransform{}},
	} {
		b, err := BijectTo(tc.s)
		if err != nil || b != tc.want {
			t.Errorf("BijectTo(%v) = %v, %v; want %v", tc.s, b, err, tc.want)
		}
		if b != nil && b.Codomain() != tc.s {
			t.Errorf("BijectTo(%v).Codomain() = %v", tc.s, b.Codomain())
		}
	}
	for _, s := range []Support{Boolean, NonNegativeInteger, IntegerInterval(0, 4)} {
		_, err := BijectTo(s)
		if !errors.Is(err, ErrNoBijection) || !strings.Contains(err.Error(), s.String()) {
			t.Errorf("BijectTo(%v): error %v, want ErrNoBijection naming the support", s, err)
		}
	}
	// Registration replaces the default.
	RegisterBijectTo(KindGreaterThan, func(s Support) Bijector { return SoftplusTransform{Lo: s.Lo} })
	b, _ := BijectTo(Positive)
	RegisterBijectTo(KindGreaterThan, func(s Support) Bijector { return ExpTransform{Lo: s.Lo} })
	if b != (SoftplusTransform{}) {
		t.Errorf("after RegisterBijectTo: %v", b)
	}
	mustPanic(t, "nil", func() { RegisterBijectTo(KindReal, nil) })
}

func TestSupport(t *testing.T) {
	for _, tc := range []struct {
		s    Support
		name string
		in   [][]float64
		out  [][]float64
	}{
		{Real, "real", [][]float64{{-1e300, 0}}, [][]float64{{math.NaN()}}},
		{Positive, "positive", [][]float64{{1e-300, 2}}, [][]float64{{0}, {-1}}},
		{GreaterThan(-1.5), "greater_than(-1.5)", [][]float64{{-1}}, [][]float64{{-1.5}}},
		{UnitInterval, "unit_interval", [][]float64{{0.5, 1e-10}}, [][]float64{{1.5}}},
		{Interval(2, 3), "interval(2, 3)", [][]float64{{2.5}}, [][]float64{{1}}},
		{Simplex, "simplex", [][]float64{{0.25, 0.75}, {1}}, [][]float64{{0.5, 0.6}, {-0.1, 1.1}}},
		{LowerCholesky, "lower_cholesky", [][]float64{{1, 0, -3, 2}}, [][]float64{{1, 0.1, 0, 1}, {1, 0, 0, 0}, {1, 2}}},
		{Ordered, "ordered_vector", [][]float64{{-1, 0, 5}}, [][]float64{{1, 1}}},
		{NonNegativeInteger, "nonnegative_integer", [][]float64{{0, 7}}, [][]float64{{-1}, {0.5}, {math.Inf(1)}}},
		{IntegerInterval(0, 3), "integer_interval(0, 3)", [][]float64{{0, 3}}, [][]float64{{4}}},
		{Boolean, "boolean", [][]float64{{0, 1}}, [][]float64{{0.5}}},
	} {
		if tc.s.String() != tc.name {
			t.Errorf("String() = %q, want %q", tc.s.String(), tc.name)
		}
		for _, x := range tc.in {
			if !tc.s.Contains(x) {
				t.Errorf("%v does not contain %v", tc.s, x)
			}
		}
		for _, x := range tc.out {
			if tc.s.Contains(x) {
				t.Errorf("%v contains %v", tc.s, x)
			}
		}
	}
	if !Boolean.Discrete() || Positive.Discrete() || !Simplex.RowWise() || Positive.RowWise() {
		t.Error("Discrete or RowWise wrong")
	}
	mustPanic(t, "Interval", func() { Interval(1, 1) })
	mustPanic(t, "IntegerInterval", func() { IntegerInterval(2, 1) })
}
