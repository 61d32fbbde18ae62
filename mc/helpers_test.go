package mc

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
)

// diagNormal is a test-only diagonal Gaussian with one member, written with
// plain math and allocation-free, so that the engine can be tested without
// package dist's implementations.
type diagNormal struct {
	mu, sd []float64
}

var _ dist.Distribution = diagNormal{}

func (q diagNormal) Dim() int { return len(q.mu) }
func (q diagNormal) Len() int { return 1 }

func (q diagNormal) LogProb(dst []float64, x mat.Matrix) []float64 {
	r, c := x.Dims()
	if c != len(q.mu) || len(dst) != r {
		panic("diagNormal: shape")
	}
	for i := range dst {
		s := 0.0
		for j := range c {
			u := (x.At(i, j) - q.mu[j]) / q.sd[j]
			s -= 0.5*u*u + math.Log(q.sd[j]) + 0.5*math.Log(2*math.Pi)
		}
		dst[i] = s
	}
	return dst
}

func (q diagNormal) Sample(dst *mat.Dense, rnd *rand.Rand) {
	r, c := dst.Dims()
	for i := range r {
		for j := range c {
			dst.Set(i, j, q.mu[j]+q.sd[j]*rnd.NormFloat64())
		}
	}
}

// toyModel is z ~ N(0, I_d), x | z ~ N(z, σ² I_d): log p(x) and p(z|x) are
// known in closed form.
type toyModel struct {
	d     int
	sigma float64
}

func (m toyModel) Prior() dist.Distribution {
	mu, sd := make([]float64, m.d), make([]float64, m.d)
	for j := range sd {
		sd[j] = 1
	}
	return diagNormal{mu, sd}
}

func (m toyModel) LatentDim() int { return m.d }
func (m toyModel) DataDim() int   { return m.d }

func (m toyModel) LogLikelihood(dst, x []float64, z mat.Matrix) []float64 {
	r, _ := z.Dims()
	if dst == nil {
		dst = make([]float64, r)
	}
	for i := range dst {
		s := 0.0
		for j, xj := range x {
			u := (xj - z.At(i, j)) / m.sigma
			s -= 0.5*u*u + math.Log(m.sigma) + 0.5*math.Log(2*math.Pi)
		}
		dst[i] = s
	}
	return dst
}

// logEvidence returns log N(x; 0, (1+σ²) I).
func (m toyModel) logEvidence(x []float64) float64 {
	v := 1 + m.sigma*m.sigma
	s := 0.0
	for _, xj := range x {
		s -= 0.5*xj*xj/v + 0.5*math.Log(2*math.Pi*v)
	}
	return s
}

// posterior returns p(z|x) = N(x/(1+σ²), σ²/(1+σ²) I), scaled in standard
// deviation by c.
func (m toyModel) posterior(x []float64, c float64) diagNormal {
	v := 1 + m.sigma*m.sigma
	mu, sd := make([]float64, m.d), make([]float64, m.d)
	for j, xj := range x {
		mu[j] = xj / v
		sd[j] = c * m.sigma / math.Sqrt(v)
	}
	return diagNormal{mu, sd}
}

// elbo returns the exact ELBO of q = N(μ, diag s²) for the toy model.
func (m toyModel) elbo(x []float64, q diagNormal) float64 {
	var e float64
	s2 := m.sigma * m.sigma
	for j, xj := range x {
		mu, s := q.mu[j], q.sd[j]
		// E log N(x; z, σ²) − KL(N(μ,s²) ‖ N(0,1)).
		e += -0.5*math.Log(2*math.Pi*s2) - ((xj-mu)*(xj-mu)+s*s)/(2*s2)
		e -= 0.5 * (s*s + mu*mu - 1 - 2*math.Log(s))
	}
	return e
}

// badModel wraps a model and replaces the log-likelihood of every row whose
// first latent coordinate exceeds thresh with val.
type badModel struct {
	toyModel
	thresh, val float64
}

func (m badModel) LogLikelihood(dst, x []float64, z mat.Matrix) []float64 {
	dst = m.toyModel.LogLikelihood(dst, x, z)
	for i := range dst {
		if z.At(i, 0) > m.thresh {
			dst[i] = m.val
		}
	}
	return dst
}

// panicModel panics in LogLikelihood.
type panicModel struct{ toyModel }

func (panicModel) LogLikelihood(dst, x []float64, z mat.Matrix) []float64 { panic("boom") }
