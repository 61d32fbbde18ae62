package dist

import (
	"fmt"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// coordwise is a distribution whose log-density is a sum over coordinates,
// log p(x_i) = Σ_j f(x_ij; θ_ij), with every parameter matrix broadcast to
// the batch: each is 1×1, 1×d, n×1 or n×d.
type coordwise struct {
	name   string
	params []mat.Matrix
	// f is the log-density of one coordinate given the parameters th.
	f func(x float64, th []float64) float64
	// grad stores ∂f/∂θ_k in gth[k] and returns ∂f/∂x (0 for a discrete
	// coordinate).
	grad func(x float64, th, gth []float64) float64
}

// shape returns the batch size n and event dimension d implied by the
// parameters, panicking with a message naming the family when they do not
// broadcast.
func (c coordwise) shape() (n, d int) {
	n, d = 1, 1
	for _, p := range c.params {
		if p == nil {
			panic(fmt.Sprintf("dist: %s: nil parameter", c.name))
		}
		r, cc := p.Dims()
		if r == 0 || cc == 0 {
			panic(fmt.Sprintf("dist: %s: empty parameter", c.name))
		}
		n, d = broadcastSize(c.name, n, r, "rows"), broadcastSize(c.name, d, cc, "columns")
	}
	return n, d
}

func broadcastSize(name string, a, b int, axis string) int {
	switch {
	case a == b || b == 1:
		return a
	case a == 1:
		return b
	}
	panic(fmt.Sprintf("dist: %s: parameters have %d and %d %s; want equal sizes or 1", name, a, b, axis))
}

// validate is shape as an error.
func (c coordwise) validate() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	c.shape()
	return nil
}

// view is a parameter read with broadcasting: element (i, j) of the batch is
// data[i·rs + j·cs].
type view struct {
	data   []float64
	rs, cs int
}

func viewOf(m mat.Matrix) view {
	g := rawOf(m)
	v := view{data: g.Data, rs: g.Stride, cs: 1}
	if g.Rows == 1 {
		v.rs = 0
	}
	if g.Cols == 1 {
		v.cs = 0
	}
	return v
}

func (c coordwise) views() []view {
	vs := make([]view, len(c.params))
	for k, p := range c.params {
		vs[k] = viewOf(p)
	}
	return vs
}

// logProb implements LogProber for the family.
func (c coordwise) logProb(dst []float64, x mat.Matrix) []float64 {
	n, d := c.shape()
	xr, dst := checkLogProbArgs(c.name, dst, x, n, d)
	c.eval(dst, xr, c.views())
	return dst
}

// eval stores the row sums of f in dst.
func (c coordwise) eval(dst []float64, xr blas64.General, vs []view) {
	th := make([]float64, len(vs))
	for i := range dst {
		var s float64
		for j, xv := range rowOf(xr, i) {
			for k, v := range vs {
				th[k] = v.data[i*v.rs+j*v.cs]
			}
			s += c.f(xv, th)
		}
		dst[i] = s
	}
}

// logProbVar records the N×1 log-densities of the rows of x on the tape of
// x or of the parameters that are *ad.Var on a tape.
func (c coordwise) logProbVar(x *ad.Var) *ad.Var {
	n, d := c.shape()
	xr, out := checkLogProbArgs(c.name, nil, x, n, d)
	vs := c.views()
	c.eval(out, xr, vs)
	ins := []*ad.Var{x}
	for _, p := range c.params {
		ins = append(ins, ad.Lift(p))
	}
	return ad.Custom(len(out), 1, out, ins, func(g []float64, grads [][]float64) {
		th, gth := make([]float64, len(vs)), make([]float64, len(vs))
		gx, gp := grads[0], grads[1:]
		for i, gi := range g {
			if gi == 0 {
				continue
			}
			for j, xv := range x.Data[i*d : (i+1)*d] {
				for k, v := range vs {
					th[k] = v.data[i*v.rs+j*v.cs]
				}
				dx := c.grad(xv, th, gth)
				if gx != nil {
					gx[i*d+j] += gi * dx
				}
				for k, v := range vs {
					if gp[k] != nil {
						gp[k][i*v.rs+j*v.cs] += gi * gth[k]
					}
				}
			}
		}
	})
}

// detachAll returns the parameters with the gradients of *ad.Var ones
// stopped.
func detachAll(ps ...mat.Matrix) []mat.Matrix {
	out := make([]mat.Matrix, len(ps))
	for i, p := range ps {
		if v, ok := p.(*ad.Var); ok {
			out[i] = ad.Detach(v)
		} else {
			out[i] = p
		}
	}
	return out
}
