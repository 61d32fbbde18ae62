package ppl

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
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
	Positive = Constrain(dist.Positive)
	// UnitInterval is (0, 1), through the logistic sigmoid.
	UnitInterval = Constrain(dist.UnitInterval)
	// Simplex is the probability simplex of each row (positive values
	// summing to 1), through stick-breaking: a row of d − 1 unconstrained
	// values gives d probabilities, as Pyro's StickBreakingTransform.
	Simplex = Constrain(dist.Simplex)
	// Ordered is the set of rows with increasing values.
	Ordered = Constrain(dist.Ordered)
	// LowerCholesky is the set of square lower-triangular matrices with a
	// positive diagonal (Cholesky factors), for a whole matrix parameter:
	// the strict lower triangle of u, with exp of u's diagonal on the
	// diagonal.
	LowerCholesky Constraint = lowerCholesky{}
)

// Interval returns the constraint (lo, hi), through x = lo + (hi − lo)·σ(u).
// It panics unless lo < hi are finite.
func Interval(lo, hi float64) Constraint {
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		panic(fmt.Sprintf("ppl: Interval(%v, %v): want finite lo < hi", lo, hi))
	}
	return Constrain(dist.Interval(lo, hi))
}

// Constrain returns the row-wise constraint of a continuous support of
// package dist, through its bijection dist.BijectTo: each row of the
// stored value is an unconstrained vector. It panics for a support with no
// bijection (a discrete one).
func Constrain(s dist.Support) Constraint {
	b, err := dist.BijectTo(s)
	if err != nil {
		panic(err)
	}
	return support{s: s, b: b}
}

// support is a dist.Support with its bijection.
type support struct {
	s dist.Support
	b dist.Bijector
}

func (c support) Forward(u *ad.Var) *ad.Var { return c.b.Forward(u) }
func (c support) String() string            { return c.s.String() }
func (c support) Inverse(x *mat.Dense) (*mat.Dense, error) {
	r, _ := x.Dims()
	for i := range r {
		if row := x.RawRowView(i); !c.s.Contains(row) {
			return nil, fmt.Errorf("row %d %v is outside the %v support", i, row, c.s)
		}
	}
	u := c.b.Inverse(x)
	for i := range r {
		for _, v := range u.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("row %d %v lies on the boundary of the %v support", i, x.RawRowView(i), c.s)
			}
		}
	}
	return u, nil
}

func constraintName(c Constraint) string { return c.String() }

// constraintByName returns the constraint a saved name denotes, or nil.
func constraintByName(name string) Constraint {
	for _, c := range []Constraint{Positive, UnitInterval, Simplex, Ordered, LowerCholesky} {
		if c.String() == name {
			return c
		}
	}
	if s, ok := strings.CutPrefix(name, "interval("); ok {
		if a, b, ok := strings.Cut(strings.TrimSuffix(s, ")"), ","); ok {
			lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
			hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
			if err1 == nil && err2 == nil && lo < hi {
				return Interval(lo, hi)
			}
		}
	}
	return nil
}

type lowerCholesky struct{}

func (lowerCholesky) String() string { return "lower_cholesky_matrix" }

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
