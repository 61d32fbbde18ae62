package ad

import (
	"fmt"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Var is a value in a differentiable computation: an R×C matrix stored
// row-major in Data. A Var on a tape (see Tape.Var) receives an adjoint
// during Tape.Backward; a Var on no tape is a constant.
//
// Data may be read freely. It must not be modified while the Var is used by
// a recorded computation, except for leaves between runs (a parameter
// updated by an optimiser before the next forward pass).
type Var struct {
	R, C int
	Data []float64
	grad []float64
	tape *Tape
}

var _ mat.Matrix = (*Var)(nil)

// Dims returns R and C (mat.Matrix).
func (v *Var) Dims() (r, c int) { return v.R, v.C }

// At returns element (i, j) (mat.Matrix).
func (v *Var) At(i, j int) float64 {
	if uint(i) >= uint(v.R) || uint(j) >= uint(v.C) {
		panic(mat.ErrIndexOutOfRange)
	}
	return v.Data[i*v.C+j]
}

// T returns the transpose view of v (mat.Matrix); it is not recorded.
func (v *Var) T() mat.Matrix { return mat.Transpose{Matrix: v} }

// RawMatrix returns v's data as a blas64.General sharing Data.
func (v *Var) RawMatrix() blas64.General {
	return blas64.General{Rows: v.R, Cols: v.C, Stride: v.C, Data: v.Data}
}

// Dense returns a *mat.Dense sharing v's data.
func (v *Var) Dense() *mat.Dense { return mat.NewDense(v.R, v.C, v.Data) }

// Tape returns the tape v is recorded on, or nil for a constant.
func (v *Var) Tape() *Tape { return v.tape }

// Grad returns the adjoint of v accumulated by the last Backward, with v's
// shape and layout, or nil if v is a constant or Backward did not reach it.
// The slice belongs to v.
func (v *Var) Grad() []float64 { return v.grad }

// Scalar returns the value of a 1×1 Var. It panics for other shapes.
func (v *Var) Scalar() float64 {
	if v.R != 1 || v.C != 1 {
		panic(&ShapeError{Op: "Scalar", Shapes: [][2]int{{v.R, v.C}}})
	}
	return v.Data[0]
}

// gradBuf returns v's adjoint, allocating a zero one on first use.
func (v *Var) gradBuf() []float64 {
	if v.grad == nil {
		v.grad = make([]float64, len(v.Data))
	}
	return v.grad
}

// ShapeError is the panic value of an operation given incompatible shapes.
type ShapeError struct {
	// Op names the operation.
	Op string
	// Shapes are the operands' shapes, rows then columns.
	Shapes [][2]int
	// Detail adds what was expected, if anything.
	Detail string
}

func (e *ShapeError) Error() string {
	s := "ad: " + e.Op + ": incompatible shapes"
	for i, sh := range e.Shapes {
		if i > 0 {
			s += " and"
		}
		s += fmt.Sprintf(" %d×%d", sh[0], sh[1])
	}
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

func shapeError(op, detail string, vs ...*Var) *ShapeError {
	e := &ShapeError{Op: op, Detail: detail}
	for _, v := range vs {
		e.Shapes = append(e.Shapes, [2]int{v.R, v.C})
	}
	return e
}

// Tape records differentiable operations in the order they run.
// The zero value is ready to use.
type Tape struct {
	ops []op
}

// op is one recorded operation: back propagates out's adjoint to its
// inputs.
type op struct {
	out  *Var
	back func()
}

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{} }

// Var returns a leaf on t holding a copy of data (zeros if data is nil):
// a value whose gradient Backward computes. It panics if data has a length
// other than r·c or if r or c is not positive.
func (t *Tape) Var(r, c int, data []float64) *Var {
	v := Const(r, c, data)
	if data != nil {
		v.Data = append([]float64(nil), data...)
	}
	v.tape = t
	return v
}

// Watch returns a leaf on t that shares the data of v (a constant or a Var
// of another tape): the gradient with respect to v's values.
func (t *Tape) Watch(v *Var) *Var {
	return &Var{R: v.R, C: v.C, Data: v.Data, tape: t}
}

// Len returns the number of recorded operations.
func (t *Tape) Len() int { return len(t.ops) }

// Backward sets the adjoint of the 1×1 Var y to 1 and propagates it to
// every Var of y's tape that y depends on. Adjoints accumulate over calls
// unless ZeroGrad is called between them. It panics if y is not 1×1.
func (t *Tape) Backward(y *Var) {
	if y.R != 1 || y.C != 1 {
		panic(shapeError("Backward", "want a 1×1 output", y))
	}
	t.BackwardFrom(y, []float64{1})
}

// BackwardFrom adds seed to the adjoint of y and propagates it, for vector
// outputs (a vector-Jacobian product seedᵀ·∂y/∂θ). It panics if seed does
// not have y's size. A y that is not on t propagates nothing.
func (t *Tape) BackwardFrom(y *Var, seed []float64) {
	if len(seed) != len(y.Data) {
		panic(fmt.Sprintf("ad: BackwardFrom: seed has %d values, y has %d", len(seed), len(y.Data)))
	}
	if y.tape != t {
		return
	}
	g := y.gradBuf()
	for i, s := range seed {
		g[i] += s
	}
	for i := len(t.ops) - 1; i >= 0; i-- {
		if o := t.ops[i]; o.out.grad != nil {
			o.back()
		}
	}
}

// ZeroGrad clears the adjoints of every recorded output and of the leaves
// given, so that Backward can run again on the same record.
func (t *Tape) ZeroGrad(leaves ...*Var) {
	for _, o := range t.ops {
		o.out.grad = nil
	}
	for _, v := range leaves {
		v.grad = nil
	}
}

// record appends an operation producing out to the tape of the first
// recorded input, or marks out as a constant when no input is recorded. It
// panics if the inputs are recorded on different tapes.
func record(out *Var, back func(), ins ...*Var) *Var {
	var t *Tape
	for _, in := range ins {
		if in.tape == nil {
			continue
		}
		if t != nil && in.tape != t {
			panic("ad: operands recorded on different tapes")
		}
		t = in.tape
	}
	if t == nil {
		return out
	}
	out.tape = t
	t.ops = append(t.ops, op{out: out, back: back})
	return out
}

// needs reports whether v wants an adjoint.
func needs(v *Var) bool { return v.tape != nil }

// Const returns a constant r×c Var backed by data (not copied; zeros if
// data is nil). It panics if data has a length other than r·c or if r or c
// is not positive.
func Const(r, c int, data []float64) *Var {
	if r < 1 || c < 1 {
		panic(fmt.Sprintf("ad: shape %d×%d is not positive", r, c))
	}
	if data == nil {
		data = make([]float64, r*c)
	} else if len(data) != r*c {
		panic(fmt.Sprintf("ad: %d values for a %d×%d Var", len(data), r, c))
	}
	return &Var{R: r, C: c, Data: data}
}

// Scalar returns a constant 1×1 Var.
func Scalar(v float64) *Var { return Const(1, 1, []float64{v}) }

// Full returns a constant r×c Var with every element v.
func Full(r, c int, v float64) *Var {
	x := Const(r, c, nil)
	for i := range x.Data {
		x.Data[i] = v
	}
	return x
}

// Row returns a constant 1×len(v) Var backed by v.
func Row(v []float64) *Var { return Const(1, len(v), v) }

// Col returns a constant len(v)×1 Var backed by v.
func Col(v []float64) *Var { return Const(len(v), 1, v) }

// FromDense returns a constant Var with m's values, sharing m's data when
// its rows are contiguous and copying otherwise.
func FromDense(m *mat.Dense) *Var {
	raw := m.RawMatrix()
	if raw.Stride == raw.Cols {
		return Const(raw.Rows, raw.Cols, raw.Data[:raw.Rows*raw.Cols])
	}
	return Const(raw.Rows, raw.Cols, mat.DenseCopyOf(m).RawMatrix().Data)
}

// Lift returns m as a Var: m itself if it is a *Var, otherwise a constant
// with m's values (sharing a contiguous *mat.Dense's data).
func Lift(m mat.Matrix) *Var {
	switch m := m.(type) {
	case *Var:
		return m
	case *mat.Dense:
		return FromDense(m)
	}
	return FromDense(mat.DenseCopyOf(m))
}

// Detach returns a constant sharing v's data: the same value with the
// gradient stopped.
func Detach(v *Var) *Var { return &Var{R: v.R, C: v.C, Data: v.Data} }

// Custom records an operation computed outside this package. data (r×c,
// not copied) is its value, ins its inputs, and backward, called during
// Backward with the adjoint g of the result, must add the adjoint of input
// i to grads[i], which is nil for an input that needs none. Custom is how
// fused log-densities and compiled neural networks join a tape.
func Custom(r, c int, data []float64, ins []*Var, backward func(g []float64, grads [][]float64)) *Var {
	out := Const(r, c, data)
	return record(out, func() {
		grads := make([][]float64, len(ins))
		for i, in := range ins {
			if needs(in) {
				grads[i] = in.gradBuf()
			}
		}
		backward(out.grad, grads)
	}, ins...)
}
