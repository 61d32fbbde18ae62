package ppl

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// Constraint is the support of a constrained parameter with a bijection
// from unconstrained space: the store keeps an unconstrained value u, and
// the model reads Forward(u), which lies in the support. Matrices are
// transformed row by row.
type Constraint interface {
	// Forward maps unconstrained values to the support, on the tape.
	Forward(u *ad.Var) *ad.Var
	// Inverse maps values in the support to unconstrained space, or
	// returns an error naming the first value outside the support.
	Inverse(x *mat.Dense) (*mat.Dense, error)
	// String names the constraint; it is saved with the parameter.
	String() string
}

// The constraints for parameters.
var (
	// Positive is (0, ∞), through x = exp(u).
	Positive Constraint = positive{}
	// UnitInterval is (0, 1), through the logistic sigmoid.
	UnitInterval Constraint = Interval(0, 1)
	// Simplex is the probability simplex of each row (positive values
	// summing to 1), through stick-breaking: a row of d − 1 unconstrained
	// values gives d probabilities, as Pyro's StickBreakingTransform.
	Simplex Constraint = simplex{}
	// LowerCholesky is the set of lower-triangular square matrices with a
	// positive diagonal (Cholesky factors): the strict lower triangle of u,
	// with exp of u's diagonal on the diagonal.
	LowerCholesky Constraint = lowerCholesky{}
)

// Interval returns the constraint (lo, hi), through x = lo + (hi − lo)·σ(u).
// It panics unless lo < hi are finite.
func Interval(lo, hi float64) Constraint {
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		panic(fmt.Sprintf("ppl: Interval(%v, %v): want finite lo < hi", lo, hi))
	}
	return interval{lo, hi}
}

func constraintName(c Constraint) string { return c.String() }

// constraintByName returns the constraint a saved name denotes, or nil.
func constraintByName(name string) Constraint {
	switch name {
	case "positive":
		return Positive
	case "simplex":
		return Simplex
	case "lower_cholesky":
		return LowerCholesky
	}
	if s, ok := strings.CutPrefix(name, "interval("); ok {
		if a, b, ok := strings.Cut(strings.TrimSuffix(s, ")"), ","); ok {
			lo, err1 := strconv.ParseFloat(a, 64)
			hi, err2 := strconv.ParseFloat(b, 64)
			if err1 == nil && err2 == nil && lo < hi {
				return interval{lo, hi}
			}
		}
	}
	return nil
}

type positive struct{}

func (positive) Forward(u *ad.Var) *ad.Var { return ad.Exp(u) }
func (positive) String() string            { return "positive" }
func (positive) Inverse(x *mat.Dense) (*mat.Dense, error) {
	return mapChecked(x, "positive", func(v float64) bool { return v > 0 && !math.IsInf(v, 1) }, math.Log)
}

type interval struct{ lo, hi float64 }

func (c interval) Forward(u *ad.Var) *ad.Var {
	return ad.Shift(ad.Scale(ad.Sigmoid(u), c.hi-c.lo), c.lo)
}
func (c interval) String() string {
	return "interval(" + strconv.FormatFloat(c.lo, 'g', -1, 64) + "," + strconv.FormatFloat(c.hi, 'g', -1, 64) + ")"
}
func (c interval) Inverse(x *mat.Dense) (*mat.Dense, error) {
	return mapChecked(x, c.String(), func(v float64) bool { return v > c.lo && v < c.hi }, func(v float64) float64 {
		p := (v - c.lo) / (c.hi - c.lo)
		return math.Log(p) - math.Log1p(-p)
	})
}

// mapChecked applies f to every element of x after checking it with in.
func mapChecked(x *mat.Dense, name string, in func(float64) bool, f func(float64) float64) (*mat.Dense, error) {
	r, c := x.Dims()
	out := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			v := x.At(i, j)
			if !in(v) {
				return nil, fmt.Errorf("value %v at [%d, %d] is outside the %s support", v, i, j, name)
			}
			out.Set(i, j, f(v))
		}
	}
	return out, nil
}

type simplex struct{}

func (simplex) String() string { return "simplex" }

// Forward breaks sticks: with K = d + 1 and z_i = σ(u_i − log(K − 1 − i)),
// x_i = z_i Π_{j<i}(1 − z_j) and x_{K−1} = Π_j (1 − z_j); u = 0 gives the
// uniform distribution.
func (simplex) Forward(u *ad.Var) *ad.Var {
	k := u.C + 1
	rest := ad.Const(u.R, 1, nil)
	for i := range rest.Data {
		rest.Data[i] = 1
	}
	cols := make([]*ad.Var, 0, k)
	for i := range u.C {
		z := ad.Sigmoid(ad.Shift(ad.SliceCols(u, i, i+1), -math.Log(float64(k-1-i))))
		cols = append(cols, ad.Mul(z, rest))
		rest = ad.Mul(rest, ad.Sub(ad.Scalar(1), z))
	}
	return ad.ConcatCols(append(cols, rest)...)
}

func (simplex) Inverse(x *mat.Dense) (*mat.Dense, error) {
	r, c := x.Dims()
	if c < 2 {
		return nil, fmt.Errorf("a simplex needs at least 2 columns, got %d", c)
	}
	out := mat.NewDense(r, c-1, nil)
	for i := range r {
		var sum float64
		for j := range c {
			v := x.At(i, j)
			if !(v > 0) {
				return nil, fmt.Errorf("value %v at [%d, %d] is outside the simplex support (want positive)", v, i, j)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 {
			return nil, fmt.Errorf("row %d sums to %v, outside the simplex support (want 1)", i, sum)
		}
		rest := 1.0
		for j := range c - 1 {
			z := x.At(i, j) / rest
			out.Set(i, j, math.Log(z)-math.Log1p(-z)+math.Log(float64(c-1-j)))
			rest -= x.At(i, j)
		}
	}
	return out, nil
}

type lowerCholesky struct{}

func (lowerCholesky) String() string { return "lower_cholesky" }

func (lowerCholesky) Forward(u *ad.Var) *ad.Var {
	if u.R != u.C {
		panic(&ad.ShapeError{Op: "LowerCholesky", Shapes: [][2]int{{u.R, u.C}}, Detail: "want a square matrix"})
	}
	strict, diag := ad.Const(u.R, u.C, nil), ad.Const(u.R, u.C, nil)
	for i := range u.R {
		for j := range i {
			strict.Data[i*u.C+j] = 1
		}
		diag.Data[i*u.C+i] = 1
	}
	return ad.Add(ad.Mul(u, strict), ad.Mul(ad.Exp(u), diag))
}

func (lowerCholesky) Inverse(x *mat.Dense) (*mat.Dense, error) {
	r, c := x.Dims()
	if r != c {
		return nil, fmt.Errorf("a Cholesky factor must be square, got %d×%d", r, c)
	}
	out := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			v := x.At(i, j)
			switch {
			case j > i && v != 0:
				return nil, fmt.Errorf("value %v at [%d, %d] is above the diagonal of a lower Cholesky factor", v, i, j)
			case j == i && !(v > 0):
				return nil, fmt.Errorf("diagonal value %v at [%d, %d] of a lower Cholesky factor is not positive", v, i, j)
			case j == i:
				out.Set(i, j, math.Log(v))
			case j < i:
				out.Set(i, j, v)
			}
		}
	}
	return out, nil
}
