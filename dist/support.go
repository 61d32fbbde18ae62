package dist

import (
	"fmt"
	"math"
	"strconv"
)

// SupportKind is the kind of a Support: the shape of the set of values a
// distribution puts its mass on.
type SupportKind int

// The kinds of support. Real, GreaterThan, Interval, IntegerInterval and
// Boolean constrain each coordinate of a row separately; Simplex,
// LowerCholesky and Ordered constrain a row as a whole.
const (
	// KindReal is every real number, coordinate by coordinate.
	KindReal SupportKind = iota
	// KindGreaterThan is (Lo, ∞) per coordinate; Positive is Lo = 0.
	KindGreaterThan
	// KindInterval is the open interval (Lo, Hi) per coordinate (closed for
	// the distributions whose density is finite at an end).
	KindInterval
	// KindSimplex is the rows of non-negative numbers that sum to 1.
	KindSimplex
	// KindLowerCholesky is the rows holding a k×k lower-triangular matrix
	// with a positive diagonal, row-major (k² columns).
	KindLowerCholesky
	// KindOrdered is the rows whose coordinates strictly increase.
	KindOrdered
	// KindIntegerInterval is the integers in [Lo, Hi] per coordinate; Hi
	// may be +Inf (NonNegativeInteger).
	KindIntegerInterval
	// KindBoolean is {0, 1} per coordinate.
	KindBoolean
)

// Support is the set of values of a distribution, a constraint in Pyro's
// terms. Supports are comparable values: Interval(0, 1) == UnitInterval.
// BijectTo maps a continuous support to a bijection from unconstrained
// space.
type Support struct {
	Kind SupportKind
	// Lo and Hi are the bounds of GreaterThan (Lo), Interval and
	// IntegerInterval; zero otherwise.
	Lo, Hi float64
}

// The supports without parameters, and the common bounded ones.
var (
	// Real is every real vector.
	Real = Support{Kind: KindReal}
	// Positive is (0, ∞) per coordinate.
	Positive = Support{Kind: KindGreaterThan}
	// UnitInterval is (0, 1) per coordinate.
	UnitInterval = Support{Kind: KindInterval, Hi: 1}
	// Simplex is the probability vectors: non-negative rows summing to 1.
	Simplex = Support{Kind: KindSimplex}
	// LowerCholesky is the k×k lower-triangular matrices with a positive
	// diagonal, one per row in row-major order.
	LowerCholesky = Support{Kind: KindLowerCholesky}
	// Ordered is the strictly increasing vectors.
	Ordered = Support{Kind: KindOrdered}
	// NonNegativeInteger is {0, 1, 2, …} per coordinate.
	NonNegativeInteger = Support{Kind: KindIntegerInterval, Hi: math.Inf(1)}
	// Boolean is {0, 1} per coordinate.
	Boolean = Support{Kind: KindBoolean}
)

// GreaterThan returns the support (lo, ∞) per coordinate.
func GreaterThan(lo float64) Support { return Support{Kind: KindGreaterThan, Lo: lo} }

// Interval returns the support (lo, hi) per coordinate. It panics unless
// lo < hi.
func Interval(lo, hi float64) Support {
	if !(lo < hi) {
		panic(fmt.Sprintf("dist: Interval(%v, %v): want lo < hi", lo, hi))
	}
	return Support{Kind: KindInterval, Lo: lo, Hi: hi}
}

// IntegerInterval returns the integers in [lo, hi] per coordinate (hi may
// be +Inf). It panics unless lo ≤ hi.
func IntegerInterval(lo, hi float64) Support {
	if !(lo <= hi) {
		panic(fmt.Sprintf("dist: IntegerInterval(%v, %v): want lo ≤ hi", lo, hi))
	}
	return Support{Kind: KindIntegerInterval, Lo: lo, Hi: hi}
}

// Discrete reports whether the support is a set of integers (Boolean or an
// IntegerInterval): no bijection from unconstrained space exists.
func (s Support) Discrete() bool {
	return s.Kind == KindIntegerInterval || s.Kind == KindBoolean
}

// RowWise reports whether the support constrains a row as a whole
// (Simplex, LowerCholesky, Ordered) rather than each coordinate.
func (s Support) RowWise() bool {
	return s.Kind == KindSimplex || s.Kind == KindLowerCholesky || s.Kind == KindOrdered
}

// String returns the support in Pyro's notation: "real", "positive",
// "greater_than(2)", "interval(0, 3)", "unit_interval", "simplex",
// "lower_cholesky", "ordered_vector", "integer_interval(0, 5)",
// "nonnegative_integer", "boolean".
func (s Support) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch s.Kind {
	case KindReal:
		return "real"
	case KindGreaterThan:
		if s.Lo == 0 {
			return "positive"
		}
		return "greater_than(" + f(s.Lo) + ")"
	case KindInterval:
		if s == UnitInterval {
			return "unit_interval"
		}
		return "interval(" + f(s.Lo) + ", " + f(s.Hi) + ")"
	case KindSimplex:
		return "simplex"
	case KindLowerCholesky:
		return "lower_cholesky"
	case KindOrdered:
		return "ordered_vector"
	case KindIntegerInterval:
		if s.Lo == 0 && math.IsInf(s.Hi, 1) {
			return "nonnegative_integer"
		}
		return "integer_interval(" + f(s.Lo) + ", " + f(s.Hi) + ")"
	case KindBoolean:
		return "boolean"
	}
	return fmt.Sprintf("SupportKind(%d)", int(s.Kind))
}

// simplexTol is the tolerance of Contains for a row of a simplex to sum to
// one, relative to the number of coordinates.
const simplexTol = 1e-12

// Contains reports whether the row x lies in the support. A Simplex row
// must sum to 1 within 1e-12 per coordinate; a LowerCholesky row must have
// a square number of columns. NaN is in no support.
func (s Support) Contains(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) {
			return false
		}
	}
	switch s.Kind {
	case KindReal:
		return true
	case KindGreaterThan:
		for _, v := range x {
			if !(v > s.Lo) {
				return false
			}
		}
		return true
	case KindInterval:
		for _, v := range x {
			if !(v >= s.Lo && v <= s.Hi) {
				return false
			}
		}
		return true
	case KindSimplex:
		var sum float64
		for _, v := range x {
			if v < 0 {
				return false
			}
			sum += v
		}
		return math.Abs(sum-1) <= simplexTol*float64(len(x))
	case KindLowerCholesky:
		k := isqrt(len(x))
		if k < 0 {
			return false
		}
		for i := range k {
			for j := range k {
				v := x[i*k+j]
				if (j > i && v != 0) || (j == i && !(v > 0)) || math.IsInf(v, 0) {
					return false
				}
			}
		}
		return true
	case KindOrdered:
		for j := 1; j < len(x); j++ {
			if !(x[j] > x[j-1]) {
				return false
			}
		}
		return true
	case KindIntegerInterval:
		for _, v := range x {
			if v != math.Floor(v) || v < s.Lo || v > s.Hi || math.IsInf(v, 0) {
				return false
			}
		}
		return true
	case KindBoolean:
		for _, v := range x {
			if v != 0 && v != 1 {
				return false
			}
		}
		return true
	}
	return false
}

// isqrt returns k with k·k = n, or −1 if n is not a perfect square.
func isqrt(n int) int {
	k := int(math.Sqrt(float64(n)) + 0.5)
	if k*k != n {
		return -1
	}
	return k
}

// Supporter is a distribution that declares its support.
type Supporter interface {
	// Support returns the set of values of one event.
	Support() Support
}
