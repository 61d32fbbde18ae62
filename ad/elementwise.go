package ad

import (
	"math"

	"gonum.org/v1/gonum/mathext"

	"github.com/vitool/vitool/internal/logspace"
)

// broadcastDim returns the size of one axis of a broadcast, or −1 when the
// sizes are incompatible.
func broadcastDim(a, b int) int {
	switch {
	case a == b || b == 1:
		return a
	case a == 1:
		return b
	}
	return -1
}

// layout is how an operand of shape r×c is read in a broadcast to R×C:
// element (i, j) is at i·rs + j·cs.
type layout struct{ rs, cs int }

func layoutOf(v *Var) layout {
	l := layout{rs: v.C, cs: 1}
	if v.R == 1 {
		l.rs = 0
	}
	if v.C == 1 {
		l.cs = 0
	}
	return l
}

// unbroadcast returns the shape of the broadcast of a and b, panicking with
// a *ShapeError naming op when they are incompatible.
func broadcastShape(op string, a, b *Var) (r, c int) {
	r, c = broadcastDim(a.R, b.R), broadcastDim(a.C, b.C)
	if r < 0 || c < 0 {
		panic(shapeError(op, "sizes must match or be 1 along each axis", a, b))
	}
	return r, c
}

// binary records z = f(a, b) elementwise with broadcasting; da and db give
// ∂z/∂a and ∂z/∂b from (a, b, z).
func binary(name string, a, b *Var, f func(x, y float64) float64, da, db func(x, y, z float64) float64) *Var {
	r, c := broadcastShape(name, a, b)
	out := Const(r, c, nil)
	la, lb := layoutOf(a), layoutOf(b)
	if la == lb && a.R == r && a.C == c {
		for i, x := range a.Data {
			out.Data[i] = f(x, b.Data[i])
		}
	} else {
		for i := range r {
			o := out.Data[i*c : (i+1)*c]
			ia, ib := i*la.rs, i*lb.rs
			for j := range o {
				o[j] = f(a.Data[ia+j*la.cs], b.Data[ib+j*lb.cs])
			}
		}
	}
	return record(out, func() {
		var ga, gb []float64
		if needs(a) {
			ga = a.gradBuf()
		}
		if needs(b) {
			gb = b.gradBuf()
		}
		g := out.grad
		for i := range r {
			ia, ib := i*la.rs, i*lb.rs
			for j := range c {
				k := i*c + j
				pa, pb := ia+j*la.cs, ib+j*lb.cs
				x, y, z := a.Data[pa], b.Data[pb], out.Data[k]
				if ga != nil {
					ga[pa] += g[k] * da(x, y, z)
				}
				if gb != nil {
					gb[pb] += g[k] * db(x, y, z)
				}
			}
		}
	}, a, b)
}

// Add returns a + b elementwise, broadcasting.
func Add(a, b *Var) *Var {
	return binary("Add", a, b, func(x, y float64) float64 { return x + y },
		func(_, _, _ float64) float64 { return 1 }, func(_, _, _ float64) float64 { return 1 })
}

// Sub returns a − b elementwise, broadcasting.
func Sub(a, b *Var) *Var {
	return binary("Sub", a, b, func(x, y float64) float64 { return x - y },
		func(_, _, _ float64) float64 { return 1 }, func(_, _, _ float64) float64 { return -1 })
}

// Mul returns a ⊙ b elementwise, broadcasting.
func Mul(a, b *Var) *Var {
	return binary("Mul", a, b, func(x, y float64) float64 { return x * y },
		func(_, y, _ float64) float64 { return y }, func(x, _, _ float64) float64 { return x })
}

// Div returns a ⊘ b elementwise, broadcasting.
func Div(a, b *Var) *Var {
	return binary("Div", a, b, func(x, y float64) float64 { return x / y },
		func(_, y, _ float64) float64 { return 1 / y }, func(_, y, z float64) float64 { return -z / y })
}

// unary records y = f(x) elementwise; df gives ∂y/∂x from (x, y).
func unary(v *Var, f func(float64) float64, df func(x, y float64) float64) *Var {
	out := Const(v.R, v.C, nil)
	for i, x := range v.Data {
		out.Data[i] = f(x)
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i, g := range out.grad {
			if g != 0 {
				gv[i] += g * df(v.Data[i], out.Data[i])
			}
		}
	}, v)
}

// Neg returns −v.
func Neg(v *Var) *Var { return Scale(v, -1) }

// Scale returns c·v for a constant c.
func Scale(v *Var, c float64) *Var {
	return unary(v, func(x float64) float64 { return c * x }, func(_, _ float64) float64 { return c })
}

// Shift returns v + c for a constant c.
func Shift(v *Var, c float64) *Var {
	return unary(v, func(x float64) float64 { return x + c }, func(_, _ float64) float64 { return 1 })
}

// Exp returns eᵛ elementwise.
func Exp(v *Var) *Var {
	return unary(v, math.Exp, func(_, y float64) float64 { return y })
}

// Expm1 returns eᵛ − 1 elementwise, accurate near 0.
func Expm1(v *Var) *Var {
	return unary(v, math.Expm1, func(_, y float64) float64 { return y + 1 })
}

// Log returns log v elementwise.
func Log(v *Var) *Var {
	return unary(v, math.Log, func(x, _ float64) float64 { return 1 / x })
}

// Log1p returns log(1 + v) elementwise.
func Log1p(v *Var) *Var {
	return unary(v, math.Log1p, func(x, _ float64) float64 { return 1 / (1 + x) })
}

// Square returns v² elementwise.
func Square(v *Var) *Var {
	return unary(v, func(x float64) float64 { return x * x }, func(x, _ float64) float64 { return 2 * x })
}

// Sqrt returns √v elementwise.
func Sqrt(v *Var) *Var {
	return unary(v, math.Sqrt, func(_, y float64) float64 { return 0.5 / y })
}

// Tanh returns tanh v elementwise.
func Tanh(v *Var) *Var {
	return unary(v, math.Tanh, func(_, y float64) float64 { return 1 - y*y })
}

// Sigmoid returns 1/(1 + e⁻ᵛ) elementwise.
func Sigmoid(v *Var) *Var {
	return unary(v, logspace.Sigmoid, func(_, y float64) float64 { return y * (1 - y) })
}

// Softplus returns log(1 + eᵛ) elementwise, computed stably.
func Softplus(v *Var) *Var {
	return unary(v, logspace.Softplus, func(x, _ float64) float64 { return logspace.Sigmoid(x) })
}

// LogSigmoid returns log σ(v) = −softplus(−v) elementwise, computed stably.
func LogSigmoid(v *Var) *Var {
	return unary(v, logspace.LogSigmoid, func(x, _ float64) float64 { return logspace.Sigmoid(-x) })
}

// Lgamma returns log |Γ(v)| elementwise.
func Lgamma(v *Var) *Var {
	return unary(v, func(x float64) float64 { l, _ := math.Lgamma(x); return l },
		func(x, _ float64) float64 { return mathext.Digamma(x) })
}

// Digamma returns ψ(v) = d log Γ(v)/dv elementwise.
func Digamma(v *Var) *Var {
	return unary(v, mathext.Digamma, func(x, _ float64) float64 { return Trigamma(x) })
}

// Trigamma returns ψ′(x), the derivative of the digamma function, as the
// Hurwitz zeta function ζ(2, x) for x > 0 and by the reflection formula
// otherwise.
func Trigamma(x float64) float64 {
	if x > 0 {
		return mathext.Zeta(2, x)
	}
	if x == math.Floor(x) {
		return math.Inf(1)
	}
	s := math.Pi / math.Sin(math.Pi*x)
	return -Trigamma(1-x) + s*s
}
