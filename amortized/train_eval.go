package amortized

import (
	"fmt"
	"math"

	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/internal/logspace"
)

// evalChunk is the number of rows evaluated together, each chunk with its
// own random stream, so that the result does not depend on how the rows
// are split among calls.
const evalChunk = 100

const streamEval = 0x6576616c // "eval"

// EvaluateVAE returns the mean over the rows of data, used as they are, of
// the analytic-KL ELBO with one sample,
//
//	log p(x|z) − KL(q(z|x) ‖ p(z)),  z = μ(x) + σ(x)·ε,
//
// in nats per example: the usual test-set ELBO of a VAE. Rows are taken in
// chunks of 100, chunk c drawing its ε from a stream seeded by (seed, c),
// so the same seed gives the same value. It runs in pure Go (no gradient
// program). It returns ErrNoData for empty data, an error if the result is
// not finite, and panics if data.D is not the VAE's data dimension.
func EvaluateVAE(v *VAE, data *dataset.Dataset, seed uint64) (float64, error) {
	if data.D != v.Config.DataDim {
		panic(fmt.Sprintf("amortized: EvaluateVAE: data %s has dimension %d, want %d", data.Name, data.D, v.Config.DataDim))
	}
	if data.N == 0 {
		return math.NaN(), ErrNoData
	}
	var sum float64
	for c := 0; c*evalChunk < data.N; c++ {
		lo, hi := c*evalChunk, min((c+1)*evalChunk, data.N)
		rnd := newStream(seed, streamEval, uint64(c))
		eps := make([]float32, (hi-lo)*v.Config.Latent)
		for i := range eps {
			eps[i] = float32(rnd.NormFloat64())
		}
		for _, e := range elboRows(v, data.X[lo*data.D:hi*data.D], hi-lo, eps) {
			sum += e
		}
	}
	mean := sum / float64(data.N)
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return mean, fmt.Errorf("%w: ELBO of %s is %v", ErrNotFinite, data.Name, mean)
	}
	return mean, nil
}

// elboRows returns the analytic-KL ELBO of each of the n rows of the
// row-major x, with z = μ + σ·ε for the n×L row-major eps.
func elboRows(v *VAE, x []float32, n int, eps []float32) []float64 {
	D, L := v.Config.DataDim, v.Config.Latent
	enc := v.Encoder.forward(x, n)
	z := make([]float32, n*L)
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		row := enc[i*2*L : (i+1)*2*L]
		var kl float64
		for j := 0; j < L; j++ {
			mu, lv := float64(row[j]), float64(row[L+j])
			kl += 0.5 * (mu*mu + math.Exp(lv) - 1 - lv)
			z[i*L+j] = float32(mu + math.Exp(0.5*lv)*float64(eps[i*L+j]))
		}
		out[i] = -kl
	}
	dec := v.Decoder.forward(z, n)
	switch v.Config.Likelihood {
	case Bernoulli:
		for i := 0; i < n; i++ {
			var s float64
			xi := x[i*D : (i+1)*D]
			for d, l := range dec[i*D : (i+1)*D] {
				lf := float64(l)
				s += float64(xi[d])*lf - logspace.Softplus(lf)
			}
			out[i] += s
		}
	case Gaussian:
		ls := v.Config.LogSigma
		c := float64(D) * (-ls - 0.5*math.Log(2*math.Pi))
		inv := math.Exp(-2 * ls)
		for i := 0; i < n; i++ {
			var s float64
			xi := x[i*D : (i+1)*D]
			for d, m := range dec[i*D : (i+1)*D] {
				r := float64(xi[d]) - float64(m)
				s += r * r
			}
			out[i] += c - 0.5*inv*s
		}
	}
	return out
}

// EvaluateAE returns the autoencoder's reconstruction loss on the rows of
// data, used as they are, averaged over all N·D values as in training (see
// AELoss). It runs in pure Go. It returns ErrNoData for empty data, an
// error if the result is not finite, and panics if data.D is not the
// autoencoder's data dimension.
func EvaluateAE(a *AE, data *dataset.Dataset) (float64, error) {
	D := a.Config.DataDim
	if data.D != D {
		panic(fmt.Sprintf("amortized: EvaluateAE: data %s has dimension %d, want %d", data.Name, data.D, D))
	}
	if data.N == 0 {
		return math.NaN(), ErrNoData
	}
	var sum float64
	for lo := 0; lo < data.N; lo += evalChunk {
		hi := min(lo+evalChunk, data.N)
		x := data.X[lo*D : hi*D]
		out := a.Decoder.forward(a.Encoder.forward(x, hi-lo), hi-lo)
		for i, o := range out {
			of, xf := float64(o), float64(x[i])
			switch a.Config.Loss {
			case MSE:
				sum += (xf - of) * (xf - of)
			case BCE:
				sum += logspace.Softplus(of) - xf*of
			}
		}
	}
	mean := sum / float64(data.N*D)
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return mean, fmt.Errorf("%w: reconstruction loss of %s is %v", ErrNotFinite, data.Name, mean)
	}
	return mean, nil
}
