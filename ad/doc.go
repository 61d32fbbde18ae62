// Package ad is reverse-mode automatic differentiation over float64
// matrices, recorded by running ordinary Go code (define-by-run).
//
// A Tape records operations on Vars. Leaves created with Tape.Var are the
// inputs whose gradients are wanted (parameters, reparameterised draws);
// constants (Const, Scalar, FromDense, or any Var on no tape) take part in
// the computation but receive no gradient. Every operation of this package
// takes Vars and returns a new Var: when an input is on a tape, the
// operation is recorded on that tape with its vector-Jacobian product;
// otherwise it only computes the value, so the same code evaluates and
// differentiates. Tape.Backward then walks the record once in reverse and
// accumulates the adjoint of every Var that the output depends on.
//
//	tp := ad.NewTape()
//	w := tp.Var(1, 2, []float64{0.5, -1})     // a parameter
//	x := ad.Const(3, 2, data)                  // three observations
//	y := ad.Sum(ad.Square(ad.Sub(x, w)))       // 1×1; w broadcasts over rows
//	tp.Backward(y)
//	_ = w.Grad()                               // ∂y/∂w, length 2
//
// # Shapes and broadcasting
//
// A Var is an R×C row-major matrix; a row vector is 1×C and a scalar 1×1.
// Elementwise binary operations broadcast as NumPy does in two dimensions:
// along each axis the sizes must be equal or one of them 1, so that a 1×D
// parameter combines with a K×D matrix of particles and a scalar with
// anything. Incompatible shapes are programmer errors: the operation panics
// with a *ShapeError naming the operation and both shapes, which callers
// such as package ppl recover and report as errors.
//
// # Cost
//
// An operation costs its arithmetic plus one small allocation for the
// result and its record, about a hundred nanoseconds, so a model of a few
// dozen operations on small matrices is differentiated in microseconds and
// the cost of a gradient is a small constant multiple of the cost of the
// forward computation, independent of the number of parameters. Work that
// is better done by another engine (a neural network compiled by gorgonia)
// joins the tape as one operation through Custom.
//
// A Tape and its Vars are used by one goroutine at a time.
package ad
