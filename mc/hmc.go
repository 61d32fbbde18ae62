package mc

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// GradModel is a latent-variable model whose log-joint density can be
// differentiated with respect to the latents, as Hamiltonian Monte Carlo
// (and so AIS) needs. latent.LinearGaussian implements it analytically;
// ppl.AsGradModel adapts any ppl model with continuous latents (a VAE's
// among them) through reverse-mode differentiation.
type GradModel interface {
	latent.Model
	// LogJointGrad stores log p(x, z_i) in dst[i] and ∇_z log p(x, z_i) in
	// row i of grad for every row z_i of z, and returns dst (allocated if
	// nil). grad must be n×LatentDim() for n rows of z and must not share
	// memory with z. It panics on shape mismatches, like LogLikelihood.
	LogJointGrad(dst []float64, grad *mat.Dense, x []float64, z mat.Matrix) []float64
}

// gradDensity evaluates a start distribution's log-density and its
// gradient with respect to the value.
type gradDensity func(dst []float64, grad *mat.Dense, z *mat.Dense)

// startDensity returns the log-density-and-gradient of q: in closed form
// for dist.StdNormal, through a tape of package ad for any other
// dist.Differentiable. It returns an error for a distribution that is not
// differentiable.
func startDensity(q dist.Distribution) (gradDensity, error) {
	switch q := q.(type) {
	case dist.StdNormal:
		return func(dst []float64, grad *mat.Dense, z *mat.Dense) {
			q.LogProb(dst, z)
			grad.Scale(-1, z)
		}, nil
	case dist.Differentiable:
		return func(dst []float64, grad *mat.Dense, z *mat.Dense) {
			n, d := z.Dims()
			tp := ad.NewTape()
			zv := tp.Var(n, d, denseData(z))
			lp := q.LogProbVar(zv)
			tp.Backward(ad.Sum(lp))
			copy(dst, lp.Data)
			gz := zv.Grad()
			for i := range n {
				row := grad.RawRowView(i)
				if gz == nil {
					clear(row)
				} else {
					copy(row, gz[i*d:(i+1)*d])
				}
			}
		}, nil
	}
	return nil, fmt.Errorf("mc: %s: the start distribution %T is not differentiable (it must implement dist.Differentiable)", MethodAIS, q)
}

// denseData returns the values of z row by row (a copy).
func denseData(z *mat.Dense) []float64 {
	n, d := z.Dims()
	out := make([]float64, 0, n*d)
	for i := range n {
		out = append(out, z.RawRowView(i)...)
	}
	return out
}

// annealed is the geometric path between a start density q and the
// unnormalised posterior p(x, z):
//
//	log π_β(z) = (1 − β) log q(z) + β log p(x, z).
type annealed struct {
	m  GradModel
	q  gradDensity
	x  []float64
	qd dist.Distribution
}

// state is a block of n chains: positions and the cached values and
// gradients of both ends of the path at them.
type state struct {
	z      *mat.Dense
	lq, lj []float64
	gq, gj *mat.Dense
}

func newState(n, d int) *state {
	return &state{
		z:  mat.NewDense(n, d, nil),
		lq: make([]float64, n), lj: make([]float64, n),
		gq: mat.NewDense(n, d, nil), gj: mat.NewDense(n, d, nil),
	}
}

// eval fills the cached values and gradients at s.z.
func (a *annealed) eval(s *state) {
	a.m.LogJointGrad(s.lj, s.gj, a.x, s.z)
	a.q(s.lq, s.gq, s.z)
}

// logPi returns log π_β of chain i.
func (s *state) logPi(i int, beta float64) float64 {
	lq, lj := s.lq[i], s.lj[i]
	switch beta {
	case 0:
		return lq
	case 1:
		return lj
	}
	return (1-beta)*lq + beta*lj
}

// copyRow copies chain i of src into s.
func (s *state) copyRow(i int, src *state) {
	copy(s.z.RawRowView(i), src.z.RawRowView(i))
	copy(s.gq.RawRowView(i), src.gq.RawRowView(i))
	copy(s.gj.RawRowView(i), src.gj.RawRowView(i))
	s.lq[i], s.lj[i] = src.lq[i], src.lj[i]
}

// hmc is a Hamiltonian Monte Carlo kernel with an identity mass matrix,
// applied to a block of chains at once; it owns the proposal buffers.
type hmc struct {
	a        *annealed
	leapfrog int
	prop     *state
	p        *mat.Dense
	h0       []float64
}

func newHMC(a *annealed, leapfrog, n, d int) *hmc {
	return &hmc{a: a, leapfrog: leapfrog, prop: newState(n, d), p: mat.NewDense(n, d, nil), h0: make([]float64, n)}
}

// kick adds step·∇ log π_β(z) to the momenta, row by row.
func kick(p *mat.Dense, s *state, beta, step float64) {
	n, _ := p.Dims()
	for i := range n {
		pr, gq, gj := p.RawRowView(i), s.gq.RawRowView(i), s.gj.RawRowView(i)
		for k := range pr {
			pr[k] += step * ((1-beta)*gq[k] + beta*gj[k])
		}
	}
}

// transition applies one HMC transition that leaves π_β invariant to every
// chain of cur: momenta p ~ N(0, I) drawn row by row from rnd, L leapfrog
// steps of size eps, then one uniform per chain for the Metropolis test
// (in that order). Chains whose proposal has a NaN or infinite energy are
// rejected. It returns the sum over chains of the acceptance probabilities
// min(1, exp(H₀ − H₁)).
func (h *hmc) transition(cur *state, beta, eps float64, rnd *rand.Rand) float64 {
	n, _ := cur.z.Dims()
	prop := h.prop
	raw := h.p.RawMatrix()
	for i := range n {
		row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		var kin float64
		for k := range row {
			v := rnd.NormFloat64()
			row[k] = v
			kin += v * v
		}
		h.h0[i] = -cur.logPi(i, beta) + 0.5*kin
	}
	prop.z.Copy(cur.z)
	kick(h.p, cur, beta, eps/2)
	for l := range h.leapfrog {
		drift(prop.z, h.p, eps)
		h.a.eval(prop)
		if l < h.leapfrog-1 {
			kick(h.p, prop, beta, eps)
		} else {
			kick(h.p, prop, beta, eps/2)
		}
	}
	var acc float64
	for i := range n {
		row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		var kin float64
		for _, v := range row {
			kin += v * v
		}
		h1 := -prop.logPi(i, beta) + 0.5*kin
		u := rnd.Float64()
		dh := h.h0[i] - h1
		if math.IsNaN(h1) || math.IsInf(h1, 0) || math.IsNaN(dh) {
			continue
		}
		a := math.Min(1, math.Exp(dh))
		acc += a
		if u < a {
			cur.copyRow(i, prop)
		}
	}
	return acc
}

// drift adds step·p to the positions z, row by row.
func drift(z, p *mat.Dense, step float64) {
	n, _ := z.Dims()
	for i := range n {
		zr, pr := z.RawRowView(i), p.RawRowView(i)
		for k := range zr {
			zr[k] += step * pr[k]
		}
	}
}
