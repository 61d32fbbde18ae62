package ad

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// MatMul returns the matrix product a·b of an r×k and a k×c Var.
func MatMul(a, b *Var) *Var {
	if a.C != b.R {
		panic(shapeError("MatMul", "columns of the first must equal rows of the second", a, b))
	}
	out := Const(a.R, b.C, nil)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, a.RawMatrix(), b.RawMatrix(), 0, out.RawMatrix())
	return record(out, func() {
		g := out.RawMatrix()
		g.Data = out.grad
		if needs(a) {
			ga := a.RawMatrix()
			ga.Data = a.gradBuf()
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, g, b.RawMatrix(), 1, ga)
		}
		if needs(b) {
			gb := b.RawMatrix()
			gb.Data = b.gradBuf()
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, a.RawMatrix(), g, 1, gb)
		}
	}, a, b)
}

// Transpose returns vᵀ.
func Transpose(v *Var) *Var {
	out := Const(v.C, v.R, nil)
	for i := range v.R {
		for j := range v.C {
			out.Data[j*v.R+i] = v.Data[i*v.C+j]
		}
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i := range v.R {
			for j := range v.C {
				gv[i*v.C+j] += out.grad[j*v.R+i]
			}
		}
	}, v)
}

// Reshape returns v's values as an r×c Var (row-major order unchanged). It
// panics if r·c differs from v's size.
func Reshape(v *Var, r, c int) *Var {
	if r*c != len(v.Data) || r < 1 || c < 1 {
		panic(shapeError("Reshape", fmt.Sprintf("cannot hold it as %d×%d", r, c), v))
	}
	out := &Var{R: r, C: c, Data: v.Data}
	return record(out, func() {
		gv := v.gradBuf()
		for i, g := range out.grad {
			gv[i] += g
		}
	}, v)
}

// Sum returns the 1×1 sum of v's elements.
func Sum(v *Var) *Var {
	var s float64
	for _, x := range v.Data {
		s += x
	}
	out := Scalar(s)
	return record(out, func() {
		gv, g := v.gradBuf(), out.grad[0]
		for i := range gv {
			gv[i] += g
		}
	}, v)
}

// Mean returns the 1×1 mean of v's elements.
func Mean(v *Var) *Var { return Scale(Sum(v), 1/float64(len(v.Data))) }

// SumRows returns the R×1 column of row sums of v (a sum over columns, as
// a log-density sums over the coordinates of each row).
func SumRows(v *Var) *Var {
	out := Const(v.R, 1, nil)
	for i := range v.R {
		var s float64
		for _, x := range v.Data[i*v.C : (i+1)*v.C] {
			s += x
		}
		out.Data[i] = s
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i, g := range out.grad {
			row := gv[i*v.C : (i+1)*v.C]
			for j := range row {
				row[j] += g
			}
		}
	}, v)
}

// SumCols returns the 1×C row of column sums of v (a sum over rows).
func SumCols(v *Var) *Var {
	out := Const(1, v.C, nil)
	for i := range v.R {
		for j, x := range v.Data[i*v.C : (i+1)*v.C] {
			out.Data[j] += x
		}
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i := range v.R {
			row := gv[i*v.C : (i+1)*v.C]
			for j, g := range out.grad {
				row[j] += g
			}
		}
	}, v)
}

// LogSumExp returns the 1×1 log Σ exp(v) over all elements, computed
// stably. It is −Inf when every element is −Inf.
func LogSumExp(v *Var) *Var {
	m := math.Inf(-1)
	for _, x := range v.Data {
		m = math.Max(m, x)
	}
	var s float64
	if !math.IsInf(m, 0) {
		for _, x := range v.Data {
			s += math.Exp(x - m)
		}
		s = m + math.Log(s)
	} else {
		s = m
	}
	out := Scalar(s)
	return record(out, func() {
		gv, g := v.gradBuf(), out.grad[0]
		if math.IsInf(s, 0) {
			return
		}
		for i, x := range v.Data {
			gv[i] += g * math.Exp(x-s)
		}
	}, v)
}

// LogSumExpRows returns the R×1 column of log Σ_j exp(v_ij), computed
// stably row by row.
func LogSumExpRows(v *Var) *Var {
	out := Const(v.R, 1, nil)
	for i := range v.R {
		row := v.Data[i*v.C : (i+1)*v.C]
		m := math.Inf(-1)
		for _, x := range row {
			m = math.Max(m, x)
		}
		if math.IsInf(m, 0) {
			out.Data[i] = m
			continue
		}
		var s float64
		for _, x := range row {
			s += math.Exp(x - m)
		}
		out.Data[i] = m + math.Log(s)
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i, g := range out.grad {
			s := out.Data[i]
			if math.IsInf(s, 0) {
				continue
			}
			for j, x := range v.Data[i*v.C : (i+1)*v.C] {
				gv[i*v.C+j] += g * math.Exp(x-s)
			}
		}
	}, v)
}

// ConcatCols returns the Vars side by side: every one must have the same
// number of rows.
func ConcatCols(vs ...*Var) *Var {
	if len(vs) == 0 {
		panic("ad: ConcatCols of nothing")
	}
	r, c := vs[0].R, 0
	for _, v := range vs {
		if v.R != r {
			panic(shapeError("ConcatCols", "every operand needs the same number of rows", vs...))
		}
		c += v.C
	}
	out := Const(r, c, nil)
	off := 0
	for _, v := range vs {
		for i := range r {
			copy(out.Data[i*c+off:i*c+off+v.C], v.Data[i*v.C:(i+1)*v.C])
		}
		off += v.C
	}
	return record(out, func() {
		off := 0
		for _, v := range vs {
			if needs(v) {
				gv := v.gradBuf()
				for i := range r {
					row := out.grad[i*c+off : i*c+off+v.C]
					for j, g := range row {
						gv[i*v.C+j] += g
					}
				}
			}
			off += v.C
		}
	}, vs...)
}

// SliceCols returns columns [from, to) of v.
func SliceCols(v *Var, from, to int) *Var {
	if from < 0 || to > v.C || from >= to {
		panic(shapeError("SliceCols", fmt.Sprintf("columns [%d, %d)", from, to), v))
	}
	c := to - from
	out := Const(v.R, c, nil)
	for i := range v.R {
		copy(out.Data[i*c:(i+1)*c], v.Data[i*v.C+from:i*v.C+to])
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i := range v.R {
			for j, g := range out.grad[i*c : (i+1)*c] {
				gv[i*v.C+from+j] += g
			}
		}
	}, v)
}

// Rows returns the rows of v at the given indices, in order (a gather;
// indices may repeat).
func Rows(v *Var, idx []int) *Var {
	if len(idx) == 0 {
		panic(shapeError("Rows", "no indices", v))
	}
	out := Const(len(idx), v.C, nil)
	for i, r := range idx {
		if r < 0 || r >= v.R {
			panic(shapeError("Rows", fmt.Sprintf("row index %d out of range", r), v))
		}
		copy(out.Data[i*v.C:(i+1)*v.C], v.Data[r*v.C:(r+1)*v.C])
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i, r := range idx {
			dst := gv[r*v.C : (r+1)*v.C]
			for j, g := range out.grad[i*v.C : (i+1)*v.C] {
				dst[j] += g
			}
		}
	}, v)
}

// Tile returns n copies of v stacked vertically (n·R rows): row q·R + i is
// row i of v.
func Tile(v *Var, n int) *Var {
	if n < 1 {
		panic(shapeError("Tile", fmt.Sprintf("%d copies", n), v))
	}
	if n == 1 {
		return v
	}
	out := Const(n*v.R, v.C, nil)
	for q := range n {
		copy(out.Data[q*len(v.Data):(q+1)*len(v.Data)], v.Data)
	}
	return record(out, func() {
		gv := v.gradBuf()
		for q := range n {
			for i, g := range out.grad[q*len(v.Data) : (q+1)*len(v.Data)] {
				gv[i] += g
			}
		}
	}, v)
}

// Repeat returns each row of v repeated n times in place (n·R rows): row
// i·n + q is row i of v.
func Repeat(v *Var, n int) *Var {
	if n < 1 {
		panic(shapeError("Repeat", fmt.Sprintf("%d copies", n), v))
	}
	if n == 1 {
		return v
	}
	out := Const(n*v.R, v.C, nil)
	for i := range v.R {
		for q := range n {
			copy(out.Data[(i*n+q)*v.C:(i*n+q+1)*v.C], v.Data[i*v.C:(i+1)*v.C])
		}
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i := range v.R {
			dst := gv[i*v.C : (i+1)*v.C]
			for q := range n {
				for j, g := range out.grad[(i*n+q)*v.C : (i*n+q+1)*v.C] {
					dst[j] += g
				}
			}
		}
	}, v)
}

// Diag returns the diagonal of the square Var v as a 1×n row.
func Diag(v *Var) *Var {
	if v.R != v.C {
		panic(shapeError("Diag", "want a square matrix", v))
	}
	out := Const(1, v.R, nil)
	for i := range v.R {
		out.Data[i] = v.Data[i*v.C+i]
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i, g := range out.grad {
			gv[i*v.C+i] += g
		}
	}, v)
}

// SolveLower returns X = L⁻¹B for a lower-triangular n×n L (its upper
// triangle is ignored) and an n×c B, by forward substitution. The adjoints
// are ∂B = L⁻ᵀG and ∂L = −lower(L⁻ᵀG Xᵀ).
func SolveLower(l, b *Var) *Var {
	if l.R != l.C || b.R != l.R {
		panic(shapeError("SolveLower", "want a square L with as many rows as B", l, b))
	}
	tri := blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: l.R, Stride: l.C, Data: l.Data}
	out := Const(b.R, b.C, append([]float64(nil), b.Data...))
	blas64.Trsm(blas.Left, blas.NoTrans, 1, tri, out.RawMatrix())
	return record(out, func() {
		// S = L⁻ᵀG.
		s := blas64.General{Rows: b.R, Cols: b.C, Stride: b.C, Data: append([]float64(nil), out.grad...)}
		blas64.Trsm(blas.Left, blas.Trans, 1, tri, s)
		if needs(b) {
			gb := b.gradBuf()
			for i, v := range s.Data {
				gb[i] += v
			}
		}
		if needs(l) {
			gl := l.gradBuf()
			n := l.R
			for i := range n {
				for j := 0; j <= i; j++ {
					var acc float64
					for k := range b.C {
						acc += s.Data[i*b.C+k] * out.Data[j*b.C+k]
					}
					gl[i*n+j] -= acc
				}
			}
		}
	}, l, b)
}
