package latent

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// LogJointGrad stores log p(x, z_i) in dst[i] and its gradient with respect
// to z_i, ∇_z log p(x, z) = −z + Wᵀ(x − b − W z)/σ², in row i of grad, for
// every row z_i of z, and returns dst (allocated if nil). It is the
// gradient that Hamiltonian Monte Carlo needs (mc.GradModel). The residuals
// of all rows come from one matrix product into pooled scratch memory; it is
// safe for concurrent use. It panics if len(x) != D, z does not have d
// columns, or dst or grad does not have one row per row of z (grad n×d).
func (m LinearGaussian) LogJointGrad(dst []float64, grad *mat.Dense, x []float64, z mat.Matrix) []float64 {
	D, d := m.W.Dims()
	if len(x) != D || len(m.B) != D {
		panic(fmt.Sprintf("latent: LinearGaussian.LogJointGrad len(x)=%d, want %d", len(x), D))
	}
	n, c := z.Dims()
	if c != d {
		panic(fmt.Sprintf("latent: LinearGaussian.LogJointGrad z has %d columns, want %d", c, d))
	}
	if dst == nil {
		dst = make([]float64, n)
	}
	if gr, gc := grad.Dims(); len(dst) != n || gr != n || gc != d {
		panic(fmt.Sprintf("latent: LinearGaussian.LogJointGrad dst has %d values and grad is %d×%d, want %d and %d×%d", len(dst), gr, gc, n, n, d))
	}

	// res = x − b − Z Wᵀ, row by row.
	res := densePool.Get().(*mat.Dense)
	res.Mul(z, m.W.T())
	raw := res.RawMatrix()
	s2 := m.NoiseStd * m.NoiseStd
	c0 := -0.5*float64(D)*math.Log(2*math.Pi*s2) - 0.5*float64(d)*math.Log(2*math.Pi)
	for i := range n {
		row := raw.Data[i*raw.Stride : i*raw.Stride+D]
		var ss float64
		for j, v := range row {
			e := x[j] - m.B[j] - v
			row[j] = e / s2
			ss += e * e
		}
		var zz float64
		for k := range d {
			v := z.At(i, k)
			zz += v * v
		}
		dst[i] = c0 - 0.5*ss/s2 - 0.5*zz
	}
	// grad = res W / σ² − Z.
	grad.Mul(res, m.W)
	for i := range n {
		g := grad.RawRowView(i)
		for k := range g {
			g[k] -= z.At(i, k)
		}
	}
	res.Reset()
	densePool.Put(res)
	return dst
}
