package ad

import (
	"math"
	"math/rand/v2"

	"github.com/vitool/vitool/internal/logspace"
)

// This file holds a plain float64 reference implementation of the
// programs' forward passes, written per example and per sample with no
// shared code, so that the graphs are checked against independent formulas.

func refAct(a Activation, v float64) float64 {
	switch a {
	case Tanh:
		return math.Tanh(v)
	case ReLU:
		return math.Max(v, 0)
	case Softplus:
		return logspace.Softplus(v)
	}
	panic("bad activation")
}

// refMLP applies the MLP with params (PyTorch layout) to the vector x.
func refMLP(m MLP, params [][]float64, x []float64) []float64 {
	h := x
	nl := len(m.Sizes) - 1
	for i := 0; i < nl; i++ {
		in, out := m.Sizes[i], m.Sizes[i+1]
		w, b := params[2*i], params[2*i+1]
		o := make([]float64, out)
		for r := 0; r < out; r++ {
			s := b[r]
			for c := 0; c < in; c++ {
				s += w[r*in+c] * h[c]
			}
			if i < nl-1 {
				s = refAct(m.Act, s)
			}
			o[r] = s
		}
		h = o
	}
	return h
}

type refVAEOut struct {
	logLik, logRatio []float64 // K·B
	kl               []float64 // B
	mu, lv           []float64 // B×L
	loss             float64
}

// refVAE evaluates the VAE objective of spec with β.
func refVAE(spec VAESpec, params [][]float64, x, eps []float64, beta float64) refVAEOut {
	D, L, K, B := spec.DataDim(), spec.Latent(), spec.K, spec.Batch
	nEnc := spec.Encoder.NumParams()
	var o refVAEOut
	o.logLik = make([]float64, K*B)
	o.logRatio = make([]float64, K*B)
	o.kl = make([]float64, B)
	o.mu = make([]float64, B*L)
	o.lv = make([]float64, B*L)
	log2pi := math.Log(2 * math.Pi)
	var total float64
	for b := 0; b < B; b++ {
		xb := x[b*D : (b+1)*D]
		e := refMLP(spec.Encoder, params[:nEnc], xb)
		mu, lv := e[:L], e[L:]
		copy(o.mu[b*L:], mu)
		copy(o.lv[b*L:], lv)
		for l := 0; l < L; l++ {
			o.kl[b] += 0.5 * (mu[l]*mu[l] + math.Exp(lv[l]) - 1 - lv[l])
		}
		lw := make([]float64, K)
		var mean float64
		for k := 0; k < K; k++ {
			ep := eps[(k*B+b)*L : (k*B+b+1)*L]
			z := make([]float64, L)
			var logp, logq float64
			for l := range z {
				sd := math.Exp(0.5 * lv[l])
				z[l] = mu[l] + sd*ep[l]
				logp += -0.5*z[l]*z[l] - 0.5*log2pi
				r := (z[l] - mu[l]) / sd
				logq += -0.5*r*r - math.Log(sd) - 0.5*log2pi
			}
			out := refMLP(spec.Decoder, params[nEnc:], z)
			var ll float64
			for d, v := range out {
				switch spec.Likelihood {
				case Bernoulli:
					ll += xb[d]*v - logspace.Softplus(v)
				case Gaussian:
					s := math.Exp(spec.LogSigma)
					r := (xb[d] - v) / s
					ll += -0.5*r*r - spec.LogSigma - 0.5*log2pi
				}
			}
			o.logLik[k*B+b] = ll
			o.logRatio[k*B+b] = logp - logq
			lw[k] = ll + beta*(logp-logq)
			mean += lw[k] / float64(K)
		}
		switch spec.Objective {
		case ELBOAnalytic:
			var m float64
			for k := 0; k < K; k++ {
				m += o.logLik[k*B+b] / float64(K)
			}
			total += m - beta*o.kl[b]
		case ELBOSampled:
			total += mean
		case IWAE:
			total += logspace.LogMeanExp(lw)
		}
	}
	o.loss = -total / float64(B)
	return o
}

// refAE evaluates the autoencoder loss.
func refAE(spec AESpec, params [][]float64, x []float64) (loss float64, perEx []float64) {
	D, B := spec.Encoder.Sizes[0], spec.Batch
	nEnc := spec.Encoder.NumParams()
	perEx = make([]float64, B)
	for b := 0; b < B; b++ {
		xb := x[b*D : (b+1)*D]
		code := refMLP(spec.Encoder, params[:nEnc], xb)
		out := refMLP(spec.Decoder, params[nEnc:], code)
		for d, v := range out {
			switch spec.Loss {
			case MSE:
				perEx[b] += (xb[d] - v) * (xb[d] - v)
			case BCE:
				perEx[b] += logspace.Softplus(v) - xb[d]*v
			}
		}
		loss += perEx[b]
	}
	return loss / float64(B*D), perEx
}

// randParams returns parameters with the given lengths drawn from
// N(0, scale²).
func randParams(rnd *rand.Rand, lens []int, scale float64) [][]float64 {
	p := make([][]float64, len(lens))
	for i, n := range lens {
		p[i] = make([]float64, n)
		for j := range p[i] {
			p[i][j] = scale * rnd.NormFloat64()
		}
	}
	return p
}

func randVec(rnd *rand.Rand, n int, binary bool) []float64 {
	v := make([]float64, n)
	for i := range v {
		if binary {
			if rnd.Float64() < 0.5 {
				v[i] = 1
			}
		} else {
			v[i] = rnd.NormFloat64()
		}
	}
	return v
}

func flatten(p [][]float64) []float64 {
	var f []float64
	for _, q := range p {
		f = append(f, q...)
	}
	return f
}

// unflatten copies f into the slices of p.
func unflatten(p [][]float64, f []float64) {
	for _, q := range p {
		n := copy(q, f)
		f = f[n:]
	}
}

func toF32(v []float64) []float32 {
	o := make([]float32, len(v))
	for i, x := range v {
		o[i] = float32(x)
	}
	return o
}

func toF32s(p [][]float64) [][]float32 {
	o := make([][]float32, len(p))
	for i, q := range p {
		o[i] = toF32(q)
	}
	return o
}
