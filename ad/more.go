package ad

import (
	"fmt"
	"math"
)

// Abs returns |v| elementwise. Its derivative at 0 is taken as 0.
func Abs(v *Var) *Var {
	return unary(v, math.Abs, func(x, _ float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	})
}

// CumSumCols returns the running sums of each row of v along its columns:
// element (i, j) is Σ_{k ≤ j} v_ik.
func CumSumCols(v *Var) *Var {
	out := Const(v.R, v.C, nil)
	for i := range v.R {
		var s float64
		for j, x := range v.Data[i*v.C : (i+1)*v.C] {
			s += x
			out.Data[i*v.C+j] = s
		}
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i := range v.R {
			var s float64
			for j := v.C - 1; j >= 0; j-- {
				s += out.grad[i*v.C+j]
				gv[i*v.C+j] += s
			}
		}
	}, v)
}

// Cols returns the columns of v at the given indices, in order (a gather;
// indices may repeat); an index of −1 gives a column of zeros. It panics
// if idx is empty or an index is out of range.
func Cols(v *Var, idx []int) *Var {
	if len(idx) == 0 {
		panic(shapeError("Cols", "no indices", v))
	}
	for _, k := range idx {
		if k < -1 || k >= v.C {
			panic(shapeError("Cols", fmt.Sprintf("column index %d out of range", k), v))
		}
	}
	c := len(idx)
	out := Const(v.R, c, nil)
	for i := range v.R {
		for j, k := range idx {
			if k >= 0 {
				out.Data[i*c+j] = v.Data[i*v.C+k]
			}
		}
	}
	return record(out, func() {
		gv := v.gradBuf()
		for i := range v.R {
			for j, k := range idx {
				if k >= 0 {
					gv[i*v.C+k] += out.grad[i*c+j]
				}
			}
		}
	}, v)
}
