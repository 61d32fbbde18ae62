package amortized

import (
	"fmt"
	"math"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/ppl"
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
// in nats per example: the usual test-set ELBO of a VAE, evaluated by
// ppl.Evaluate on the VAE's model and guide. Rows are taken in chunks of
// 100, chunk c drawing its ε from a stream seeded by (seed, c), so the same
// seed gives the same value. It returns ErrNoData for empty data, an error
// if the result is not finite, and panics if data.D is not the VAE's data
// dimension.
func EvaluateVAE(v *VAE, data *dataset.Dataset, seed uint64) (float64, error) {
	obj := ppl.Objective{K: 1, AnalyticKL: true}
	return evaluate(data, v.Config.DataDim, "EvaluateVAE", "ELBO", func(x *ad.Var, c int) (float64, error) {
		return ppl.Evaluate(v.Model(), v.Guide(), v.Store, x, obj, newStream(seed, streamEval, uint64(c)))
	})
}

// EvaluateAE returns the autoencoder's reconstruction loss on the rows of
// data, used as they are, averaged over all N·D values as in training (see
// AELoss). It returns ErrNoData for empty data, an error if the result is
// not finite, and panics if data.D is not the autoencoder's data dimension.
func EvaluateAE(a *AE, data *dataset.Dataset) (float64, error) {
	D := a.Config.DataDim
	sum, err := evaluate(data, D, "EvaluateAE", "reconstruction loss", func(x *ad.Var, _ int) (float64, error) {
		out := a.apply(decoderPrefix, a.Decoder, a.apply(encoderPrefix, a.Encoder, x))
		var s float64
		for i, o := range out.Data {
			xf := x.Data[i]
			switch a.Config.Loss {
			case MSE:
				s += (xf - o) * (xf - o)
			case BCE:
				s += math.Max(o, 0) - xf*o + math.Log1p(math.Exp(-math.Abs(o)))
			}
		}
		return s, nil
	})
	return sum / float64(D), err
}

// evaluate sums f over the chunks of data and returns the mean per row.
func evaluate(data *dataset.Dataset, D int, who, what string, f func(x *ad.Var, chunk int) (float64, error)) (float64, error) {
	if data.D != D {
		panic(fmt.Sprintf("amortized: %s: data %s has dimension %d, want %d", who, data.Name, data.D, D))
	}
	if data.N == 0 {
		return math.NaN(), ErrNoData
	}
	var sum float64
	for c := 0; c*evalChunk < data.N; c++ {
		lo, hi := c*evalChunk, min((c+1)*evalChunk, data.N)
		x := ad.Const(hi-lo, D, nil)
		for i, v := range data.X[lo*D : hi*D] {
			x.Data[i] = float64(v)
		}
		s, err := f(x, c)
		if err != nil {
			return math.NaN(), fmt.Errorf("amortized: %s of %s: %w", what, data.Name, notFinite(err))
		}
		sum += s
	}
	mean := sum / float64(data.N)
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return mean, fmt.Errorf("%w: %s of %s is %v", ErrNotFinite, what, data.Name, mean)
	}
	return mean, nil
}
