package dist

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// Bijector is a differentiable bijection x = f(u) from unconstrained rows u
// (n×du, any real values) onto rows x (n×d) of a support, with the
// log-absolute-determinant of its Jacobian. It is how a continuous latent
// variable with a constrained support is fitted in unconstrained space:
// a guide draws u, the model sees f(u), and the density of f(u) is the
// density of u minus LogDetJacobian(u) (see TransformedDistribution).
//
// A bijector may change the dimension of a row (StickBreakingTransform
// maps K−1 coordinates onto the K of a simplex; LowerCholeskyTransform
// maps k(k+1)/2 onto the k² of a k×k matrix); LogDetJacobian is then the
// log-volume factor of the map onto the d_u free coordinates of x (the first
// K−1 of a simplex row, the lower triangle of a Cholesky factor), the
// convention of Stan and Pyro.
//
// The methods panic if the number of columns is not a valid dimension
// (ForwardDim and InverseDim say which are). Inverse and InverseVar
// assume that x lies in the support; values outside it give NaN or ±Inf.
type Bijector interface {
	// Forward returns f(u) row by row, differentiable with respect to u
	// (and to any parameter of the bijector given as an *ad.Var).
	Forward(u *ad.Var) *ad.Var
	// Inverse returns f⁻¹(x) row by row as numbers.
	Inverse(x *mat.Dense) *mat.Dense
	// InverseVar returns f⁻¹(x) row by row, differentiable with respect
	// to x.
	InverseVar(x *ad.Var) *ad.Var
	// LogDetJacobian returns log |det ∂f(u_i)/∂u_i| for each row u_i of u
	// as an n×1 Var, differentiable with respect to u.
	LogDetJacobian(u *ad.Var) *ad.Var
	// ForwardDim returns the number of columns d of f(u) for du columns
	// of u, panicking if du is not valid.
	ForwardDim(du int) int
	// InverseDim returns the number of unconstrained columns du for rows
	// of d columns in the support, panicking if d is not valid.
	InverseDim(d int) int
	// Codomain returns the support f maps onto.
	Codomain() Support
}

// ErrNoBijection is returned (wrapped) by BijectTo for a support with no
// registered bijection, such as a discrete one.
var ErrNoBijection = errors.New("dist: no bijection from unconstrained space")

var (
	bijectMu    sync.RWMutex
	bijectTable = map[SupportKind]func(Support) Bijector{
		KindReal:          func(Support) Bijector { return Identity{} },
		KindGreaterThan:   func(s Support) Bijector { return ExpTransform{Lo: s.Lo} },
		KindInterval:      func(s Support) Bijector { return SigmoidTransform{Lo: s.Lo, Hi: s.Hi} },
		KindSimplex:       func(Support) Bijector { return StickBreakingTransform{} },
		KindLowerCholesky: func(Support) Bijector { return LowerCholeskyTransform{} },
		KindOrdered:       func(Support) Bijector { return OrderedTransform{} },
	}
)

// BijectTo returns the registered bijection from unconstrained space onto
// s, like Pyro's biject_to:
//
//	real            Identity
//	positive        ExpTransform{}            x = exp(u)
//	greater_than(a) ExpTransform{Lo: a}       x = a + exp(u)
//	interval(a, b)  SigmoidTransform{a, b}    x = a + (b − a)·σ(u)
//	simplex         StickBreakingTransform    K−1 → K columns
//	lower_cholesky  LowerCholeskyTransform    k(k+1)/2 → k² columns, exp on the diagonal
//	ordered_vector  OrderedTransform          x_1 = u_1, x_j = x_{j−1} + exp(u_j)
//
// It returns an error wrapping ErrNoBijection, naming the support, for a
// discrete support (integers, boolean) or any kind with no registration.
// RegisterBijectTo replaces an entry (for instance SoftplusTransform for
// positive supports). BijectTo is safe for concurrent use.
func BijectTo(s Support) (Bijector, error) {
	bijectMu.RLock()
	fn, ok := bijectTable[s.Kind]
	bijectMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w onto the support %v", ErrNoBijection, s)
	}
	return fn(s), nil
}

// RegisterBijectTo makes BijectTo return fn(s) for every support s of the
// given kind, replacing the earlier registration. It panics if fn is nil.
func RegisterBijectTo(kind SupportKind, fn func(Support) Bijector) {
	if fn == nil {
		panic("dist: RegisterBijectTo: nil function")
	}
	bijectMu.Lock()
	defer bijectMu.Unlock()
	bijectTable[kind] = fn
}

// zeroRows returns an n×1 constant zero.
func zeroRows(n int) *ad.Var { return ad.Const(n, 1, nil) }

// mapDense applies f elementwise to a copy of x.
func mapDense(x *mat.Dense, f func(float64) float64) *mat.Dense {
	out := mat.DenseCopyOf(x)
	raw := out.RawMatrix()
	for i := range raw.Rows {
		row := rowOf(raw, i)
		for j, v := range row {
			row[j] = f(v)
		}
	}
	return out
}

func checkCols(name string, c int) {
	if c < 1 {
		panic(fmt.Sprintf("dist: %s: %d columns", name, c))
	}
}

// Identity is the identity bijection of Real.
type Identity struct{}

// Forward returns u.
func (Identity) Forward(u *ad.Var) *ad.Var { return u }

// Inverse returns a copy of x.
func (Identity) Inverse(x *mat.Dense) *mat.Dense { return mat.DenseCopyOf(x) }

// InverseVar returns x.
func (Identity) InverseVar(x *ad.Var) *ad.Var { return x }

// LogDetJacobian returns zeros.
func (Identity) LogDetJacobian(u *ad.Var) *ad.Var { return zeroRows(u.R) }

// ForwardDim returns du.
func (Identity) ForwardDim(du int) int { checkCols("Identity", du); return du }

// InverseDim returns d.
func (Identity) InverseDim(d int) int { checkCols("Identity", d); return d }

// Codomain returns Real.
func (Identity) Codomain() Support { return Real }

// ExpTransform is x = Lo + exp(u) per coordinate, onto GreaterThan(Lo):
// log |det J| = Σ_j u_j.
type ExpTransform struct{ Lo float64 }

// Forward returns Lo + exp(u).
func (t ExpTransform) Forward(u *ad.Var) *ad.Var { return ad.Shift(ad.Exp(u), t.Lo) }

// Inverse returns log(x − Lo).
func (t ExpTransform) Inverse(x *mat.Dense) *mat.Dense {
	return mapDense(x, func(v float64) float64 { return math.Log(v - t.Lo) })
}

// InverseVar returns log(x − Lo).
func (t ExpTransform) InverseVar(x *ad.Var) *ad.Var { return ad.Log(ad.Shift(x, -t.Lo)) }

// LogDetJacobian returns Σ_j u_j per row.
func (t ExpTransform) LogDetJacobian(u *ad.Var) *ad.Var { return ad.SumRows(u) }

// ForwardDim returns du.
func (t ExpTransform) ForwardDim(du int) int { checkCols("ExpTransform", du); return du }

// InverseDim returns d.
func (t ExpTransform) InverseDim(d int) int { checkCols("ExpTransform", d); return d }

// Codomain returns GreaterThan(Lo).
func (t ExpTransform) Codomain() Support { return GreaterThan(t.Lo) }

// SoftplusTransform is x = Lo + log(1 + exp(u)) per coordinate, onto
// GreaterThan(Lo): log |det J| = Σ_j log σ(u_j). It grows linearly rather
// than exponentially, which some optimisations prefer to ExpTransform.
type SoftplusTransform struct{ Lo float64 }

// Forward returns Lo + softplus(u).
func (t SoftplusTransform) Forward(u *ad.Var) *ad.Var { return ad.Shift(ad.Softplus(u), t.Lo) }

// softplusInv is log(eʸ − 1) = y + log(1 − e⁻ʸ), stable for small and
// large y.
func softplusInv(y float64) float64 { return y + math.Log(-math.Expm1(-y)) }

// Inverse returns softplus⁻¹(x − Lo).
func (t SoftplusTransform) Inverse(x *mat.Dense) *mat.Dense {
	return mapDense(x, func(v float64) float64 { return softplusInv(v - t.Lo) })
}

// InverseVar returns softplus⁻¹(x − Lo) = y + log(−expm1(−y)), y = x − Lo.
func (t SoftplusTransform) InverseVar(x *ad.Var) *ad.Var {
	y := ad.Shift(x, -t.Lo)
	return ad.Add(y, ad.Log(ad.Neg(ad.Expm1(ad.Neg(y)))))
}

// LogDetJacobian returns Σ_j log σ(u_j) per row.
func (t SoftplusTransform) LogDetJacobian(u *ad.Var) *ad.Var { return ad.SumRows(ad.LogSigmoid(u)) }

// ForwardDim returns du.
func (t SoftplusTransform) ForwardDim(du int) int { checkCols("SoftplusTransform", du); return du }

// InverseDim returns d.
func (t SoftplusTransform) InverseDim(d int) int { checkCols("SoftplusTransform", d); return d }

// Codomain returns GreaterThan(Lo).
func (t SoftplusTransform) Codomain() Support { return GreaterThan(t.Lo) }

// SigmoidTransform is x = Lo + (Hi − Lo)·σ(u) per coordinate, onto
// Interval(Lo, Hi): log |det J| = Σ_j log(Hi − Lo) + log σ(u_j) + log σ(−u_j).
// The zero value is not valid; Hi must exceed Lo.
type SigmoidTransform struct{ Lo, Hi float64 }

func (t SigmoidTransform) check() float64 {
	if !(t.Lo < t.Hi) || math.IsInf(t.Hi-t.Lo, 0) {
		panic(fmt.Sprintf("dist: SigmoidTransform{%v, %v}: want finite Lo < Hi", t.Lo, t.Hi))
	}
	return t.Hi - t.Lo
}

// Forward returns Lo + (Hi − Lo)·σ(u).
func (t SigmoidTransform) Forward(u *ad.Var) *ad.Var {
	return ad.Shift(ad.Scale(ad.Sigmoid(u), t.check()), t.Lo)
}

// Inverse returns log(x − Lo) − log(Hi − x).
func (t SigmoidTransform) Inverse(x *mat.Dense) *mat.Dense {
	t.check()
	return mapDense(x, func(v float64) float64 { return math.Log(v-t.Lo) - math.Log(t.Hi-v) })
}

// InverseVar returns log(x − Lo) − log(Hi − x).
func (t SigmoidTransform) InverseVar(x *ad.Var) *ad.Var {
	t.check()
	return ad.Sub(ad.Log(ad.Shift(x, -t.Lo)), ad.Log(ad.Shift(ad.Neg(x), t.Hi)))
}

// LogDetJacobian returns Σ_j log(Hi − Lo) + log σ(u_j) + log σ(−u_j) per row.
func (t SigmoidTransform) LogDetJacobian(u *ad.Var) *ad.Var {
	w := t.check()
	s := ad.Add(ad.LogSigmoid(u), ad.LogSigmoid(ad.Neg(u)))
	return ad.Shift(ad.SumRows(s), float64(u.C)*math.Log(w))
}

// ForwardDim returns du.
func (t SigmoidTransform) ForwardDim(du int) int { checkCols("SigmoidTransform", du); return du }

// InverseDim returns d.
func (t SigmoidTransform) InverseDim(d int) int { checkCols("SigmoidTransform", d); return d }

// Codomain returns Interval(Lo, Hi).
func (t SigmoidTransform) Codomain() Support { t.check(); return Interval(t.Lo, t.Hi) }

// StickBreakingTransform maps K−1 unconstrained coordinates onto the
// K-simplex by breaking a stick: with z_j = σ(u_j − log(K − j)) (j = 1 … K−1;
// the offset sends u = 0 to the centre (1/K, …, 1/K)) and r_j = 1 − Σ_{l<j} x_l
// the stick left, x_j = z_j·r_j and x_K = r_K. Its log |det J| with respect
// to (x_1, …, x_{K−1}) is Σ_j log z_j + log(1 − z_j) + log r_j. Everything is
// computed in log space, so coordinates far below 1 keep their relative
// accuracy.
type StickBreakingTransform struct{}

// offsets returns the row log(K − j), j = 1 … K−1.
func stickOffsets(km1 int) *ad.Var {
	off := make([]float64, km1)
	for j := range off {
		off[j] = math.Log(float64(km1 - j))
	}
	return ad.Row(off)
}

// Forward returns the K-simplex rows of the n×(K−1) rows u.
func (StickBreakingTransform) Forward(u *ad.Var) *ad.Var {
	logX, _ := stickBreak(u)
	return ad.Exp(logX)
}

// stickBreak returns log x (n×K) and log r (n×K−1 of the stick left before
// each break) and the logits t = u − offsets.
func stickBreak(u *ad.Var) (logX, logDet *ad.Var) {
	t := ad.Sub(u, stickOffsets(u.C))
	logZ, log1mZ := ad.LogSigmoid(t), ad.LogSigmoid(ad.Neg(t))
	// log r_j for j = 1 … K: 0, then running sums of log(1 − z).
	logR := ad.ConcatCols(zeroRows(u.R), ad.CumSumCols(log1mZ))
	logX = ad.Add(logR, ad.ConcatCols(logZ, zeroRows(u.R)))
	logDet = ad.SumRows(ad.Add(ad.Add(logZ, log1mZ), ad.SliceCols(logR, 0, u.C)))
	return logX, logDet
}

// Inverse returns u_j = log x_j − log(Σ_{l>j} x_l) + log(K − j).
func (t StickBreakingTransform) Inverse(x *mat.Dense) *mat.Dense {
	return t.InverseVar(ad.FromDense(x)).Dense()
}

// InverseVar returns u_j = log x_j − log(Σ_{l>j} x_l) + log(K − j), the tail
// sums taken directly so that they keep their relative accuracy.
func (StickBreakingTransform) InverseVar(x *ad.Var) *ad.Var {
	k := x.C
	if k < 2 {
		panic(fmt.Sprintf("dist: StickBreakingTransform: %d columns, want a simplex of K ≥ 2", k))
	}
	rev := make([]int, k)
	for j := range rev {
		rev[j] = k - 1 - j
	}
	// tail[j] = Σ_{l ≥ j} x_l, via a running sum of the reversed row.
	tail := ad.Cols(ad.CumSumCols(ad.Cols(x, rev)), rev)
	return ad.Add(ad.Sub(ad.Log(ad.SliceCols(x, 0, k-1)), ad.Log(ad.SliceCols(tail, 1, k))), stickOffsets(k-1))
}

// LogDetJacobian returns Σ_j log z_j + log(1 − z_j) + log r_j per row.
func (StickBreakingTransform) LogDetJacobian(u *ad.Var) *ad.Var {
	_, ld := stickBreak(u)
	return ld
}

// ForwardDim returns du + 1.
func (StickBreakingTransform) ForwardDim(du int) int {
	checkCols("StickBreakingTransform", du)
	return du + 1
}

// InverseDim returns d − 1; it panics for d < 2.
func (StickBreakingTransform) InverseDim(d int) int {
	if d < 2 {
		panic(fmt.Sprintf("dist: StickBreakingTransform: %d columns, want a simplex of K ≥ 2", d))
	}
	return d - 1
}

// Codomain returns Simplex.
func (StickBreakingTransform) Codomain() Support { return Simplex }

// LowerCholeskyTransform maps k(k+1)/2 unconstrained coordinates, the
// lower triangle of a k×k matrix row by row (u = (L₁₁, L₂₁, L₂₂, L₃₁, …)),
// onto a lower-triangular matrix with positive diagonal stored row-major in
// k² columns, taking exp of the diagonal entries: log |det J| is the sum of
// the diagonal u's.
type LowerCholeskyTransform struct{}

// triK returns k with k(k+1)/2 = du, or panics.
func triK(du int) int {
	k := int((math.Sqrt(float64(8*du+1)) - 1) / 2)
	for k*(k+1)/2 < du {
		k++
	}
	if du < 1 || k*(k+1)/2 != du {
		panic(fmt.Sprintf("dist: LowerCholeskyTransform: %d unconstrained columns, want k(k+1)/2", du))
	}
	return k
}

// choleskyIndex returns, for a k×k matrix, the column of u feeding each of
// the k² entries (−1 above the diagonal) and a 1×du mask of the diagonal.
func choleskyIndex(k int) (idx []int, diag *ad.Var) {
	idx = make([]int, k*k)
	du := k * (k + 1) / 2
	diag = ad.Const(1, du, nil)
	p := 0
	for i := range k {
		for j := range k {
			idx[i*k+j] = -1
			if j <= i {
				idx[i*k+j] = p
				if j == i {
					diag.Data[p] = 1
				}
				p++
			}
		}
	}
	return idx, diag
}

// Forward returns the k×k lower-triangular rows.
func (LowerCholeskyTransform) Forward(u *ad.Var) *ad.Var {
	idx, diag := choleskyIndex(triK(u.C))
	// u off the diagonal, exp(u) on it.
	off := ad.Shift(ad.Neg(diag), 1)
	v := ad.Add(ad.Mul(u, off), ad.Mul(ad.Exp(u), diag))
	return ad.Cols(v, idx)
}

// Inverse returns the lower triangles with log of the diagonal.
func (t LowerCholeskyTransform) Inverse(x *mat.Dense) *mat.Dense {
	return t.InverseVar(ad.FromDense(x)).Dense()
}

// InverseVar returns the lower triangles with log of the diagonal.
func (t LowerCholeskyTransform) InverseVar(x *ad.Var) *ad.Var {
	k := t.InverseDim(x.C)
	k = triK(k)
	idx, diag := choleskyIndex(k)
	var pick []int
	for p, q := range idx {
		if q >= 0 {
			pick = append(pick, p)
		}
	}
	v := ad.Cols(x, pick)
	// log on the diagonal; 1 is added off the diagonal so that the log
	// there is finite and then masked away.
	off := ad.Shift(ad.Neg(diag), 1)
	return ad.Add(ad.Mul(v, off), ad.Mul(ad.Log(ad.Add(ad.Mul(v, diag), off)), diag))
}

// LogDetJacobian returns the sum of the diagonal u's per row.
func (LowerCholeskyTransform) LogDetJacobian(u *ad.Var) *ad.Var {
	_, diag := choleskyIndex(triK(u.C))
	return ad.SumRows(ad.Mul(u, diag))
}

// ForwardDim returns k² for du = k(k+1)/2.
func (LowerCholeskyTransform) ForwardDim(du int) int { k := triK(du); return k * k }

// InverseDim returns k(k+1)/2 for d = k².
func (LowerCholeskyTransform) InverseDim(d int) int {
	k := isqrt(d)
	if d < 1 || k < 0 {
		panic(fmt.Sprintf("dist: LowerCholeskyTransform: %d columns, want k² for a k×k matrix", d))
	}
	return k * (k + 1) / 2
}

// Codomain returns LowerCholesky.
func (LowerCholeskyTransform) Codomain() Support { return LowerCholesky }

// OrderedTransform maps R^d onto the strictly increasing vectors:
// x_1 = u_1 and x_j = x_{j−1} + exp(u_j), so log |det J| = Σ_{j≥2} u_j.
type OrderedTransform struct{}

func orderedMask(d int) *ad.Var {
	m := ad.Full(1, d, 1)
	m.Data[0] = 0
	return m
}

// Forward returns the running sums of (u_1, exp(u_2), …, exp(u_d)).
func (OrderedTransform) Forward(u *ad.Var) *ad.Var {
	m := orderedMask(u.C)
	inc := ad.Add(ad.Mul(u, ad.Shift(ad.Neg(m), 1)), ad.Mul(ad.Exp(u), m))
	return ad.CumSumCols(inc)
}

// Inverse returns (x_1, log(x_2 − x_1), …).
func (t OrderedTransform) Inverse(x *mat.Dense) *mat.Dense {
	return t.InverseVar(ad.FromDense(x)).Dense()
}

// InverseVar returns (x_1, log(x_2 − x_1), …).
func (OrderedTransform) InverseVar(x *ad.Var) *ad.Var {
	if x.C == 1 {
		return x
	}
	d := ad.Sub(ad.SliceCols(x, 1, x.C), ad.SliceCols(x, 0, x.C-1))
	return ad.ConcatCols(ad.SliceCols(x, 0, 1), ad.Log(d))
}

// LogDetJacobian returns Σ_{j≥2} u_j per row.
func (OrderedTransform) LogDetJacobian(u *ad.Var) *ad.Var {
	return ad.SumRows(ad.Mul(u, orderedMask(u.C)))
}

// ForwardDim returns du.
func (OrderedTransform) ForwardDim(du int) int { checkCols("OrderedTransform", du); return du }

// InverseDim returns d.
func (OrderedTransform) InverseDim(d int) int { checkCols("OrderedTransform", d); return d }

// Codomain returns Ordered.
func (OrderedTransform) Codomain() Support { return Ordered }

// AffineTransform is x = Loc + Scale·u per coordinate, onto Real, with Loc
// and Scale broadcast against the rows of u (each 1×1, 1×d, n×1 or n×d; a
// *mat.Dense or an *ad.Var to learn them): log |det J| = Σ_j log |Scale_j|.
// Scale must not be zero.
type AffineTransform struct {
	Loc, Scale mat.Matrix
}

// Forward returns Loc + Scale·u.
func (t AffineTransform) Forward(u *ad.Var) *ad.Var {
	return ad.Add(ad.Lift(t.Loc), ad.Mul(ad.Lift(t.Scale), u))
}

// Inverse returns (x − Loc)/Scale.
func (t AffineTransform) Inverse(x *mat.Dense) *mat.Dense {
	return ad.Detach(t.InverseVar(ad.FromDense(x))).Dense()
}

// InverseVar returns (x − Loc)/Scale.
func (t AffineTransform) InverseVar(x *ad.Var) *ad.Var {
	return ad.Div(ad.Sub(x, ad.Lift(t.Loc)), ad.Lift(t.Scale))
}

// LogDetJacobian returns Σ_j log |Scale_j| per row.
func (t AffineTransform) LogDetJacobian(u *ad.Var) *ad.Var {
	return ad.SumRows(ad.Add(ad.Log(ad.Abs(ad.Lift(t.Scale))), ad.Const(u.R, u.C, nil)))
}

// ForwardDim returns du.
func (t AffineTransform) ForwardDim(du int) int { checkCols("AffineTransform", du); return du }

// InverseDim returns d.
func (t AffineTransform) InverseDim(d int) int { checkCols("AffineTransform", d); return d }

// Codomain returns Real.
func (t AffineTransform) Codomain() Support { return Real }

// ComposeTransform applies its bijectors in order: Forward(u) is
// b_k(…b_2(b_1(u))), and its log |det J| is the sum of theirs along the way.
// It panics if empty.
type ComposeTransform []Bijector

func (c ComposeTransform) check() {
	if len(c) == 0 {
		panic("dist: empty ComposeTransform")
	}
}

// Forward applies the bijectors in order.
func (c ComposeTransform) Forward(u *ad.Var) *ad.Var {
	c.check()
	for _, b := range c {
		u = b.Forward(u)
	}
	return u
}

// Inverse applies the inverses in reverse order.
func (c ComposeTransform) Inverse(x *mat.Dense) *mat.Dense {
	c.check()
	for i := len(c) - 1; i >= 0; i-- {
		x = c[i].Inverse(x)
	}
	return x
}

// InverseVar applies the inverses in reverse order.
func (c ComposeTransform) InverseVar(x *ad.Var) *ad.Var {
	c.check()
	for i := len(c) - 1; i >= 0; i-- {
		x = c[i].InverseVar(x)
	}
	return x
}

// LogDetJacobian returns the sum of the bijectors' log-determinants, each
// at its own input.
func (c ComposeTransform) LogDetJacobian(u *ad.Var) *ad.Var {
	c.check()
	ld := zeroRows(u.R)
	for _, b := range c {
		ld = ad.Add(ld, b.LogDetJacobian(u))
		u = b.Forward(u)
	}
	return ld
}

// ForwardDim chains the bijectors' ForwardDim.
func (c ComposeTransform) ForwardDim(du int) int {
	c.check()
	for _, b := range c {
		du = b.ForwardDim(du)
	}
	return du
}

// InverseDim chains the bijectors' InverseDim in reverse order.
func (c ComposeTransform) InverseDim(d int) int {
	c.check()
	for i := len(c) - 1; i >= 0; i-- {
		d = c[i].InverseDim(d)
	}
	return d
}

// Codomain returns the codomain of the last bijector.
func (c ComposeTransform) Codomain() Support { c.check(); return c[len(c)-1].Codomain() }
