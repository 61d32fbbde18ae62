package amortized

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/internal/logspace"
	"github.com/vitool/vitool/ppl"
)

// AE is a plain (deterministic) autoencoder: x → code → reconstruction.
// Its methods only read the weights and are safe for concurrent use.
//
// As a ppl model and guide (Model, Guide) it is the VAE's structure with
// two changes that make the point of the comparison: the guide is a point
// mass (dist.Delta) at the encoder's output instead of a Gaussian, and the
// model has no prior over codes (dist.ImproperUniform), so it cannot be
// sampled. Its ELBO is then the reconstruction log-likelihood: the Bernoulli
// log-likelihood is minus the BCE loss, and a Gaussian with variance ½
// gives minus the squared error up to a constant.
type AE struct {
	Config AEConfig
	// Networks holds the encoder, whose last layer outputs the code, the
	// decoder, and their weights.
	Networks
}

// NewAE returns an autoencoder with architecture cfg initialised from rnd as
// PyTorch initialises nn.Linear (encoder first, then decoder).
func NewAE(cfg AEConfig, rnd *rand.Rand) (*AE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Hidden = slices.Clone(cfg.Hidden)
	return &AE{Config: cfg, Networks: newNetworks(mlp(cfg.encoderSizes(), cfg.Activation), mlp(cfg.decoderSizes(), cfg.Activation), rnd)}, nil
}

// NewAEFromParams builds an autoencoder from named tensors as returned by
// Params, copying them.
func NewAEFromParams(cfg AEConfig, params map[string]Tensor) (*AE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nets, err := networksFromParams(params, mlp(cfg.encoderSizes(), cfg.Activation), mlp(cfg.decoderSizes(), cfg.Activation))
	if err != nil {
		return nil, err
	}
	cfg.Hidden = slices.Clone(cfg.Hidden)
	return &AE{Config: cfg, Networks: nets}, nil
}

// mseLogScale is the log standard deviation of the Gaussian whose
// log-likelihood is −(x − x̂)² up to a constant: σ² = ½.
var mseLogScale = -0.5 * math.Ln2

// Model returns the autoencoder as a ppl model: for every row x_i of the
// data, a code z_i with a flat improper prior and x_i ~ p(x|z_i) from the
// decoder (Bernoulli logits for BCE, a Gaussian of variance ½ for MSE).
func (a *AE) Model() ppl.Model {
	return func(t *ppl.Tracer, x *ad.Var) {
		t.Plate("data", x.R, func(p *ppl.Plate) {
			z := t.Sample("z", dist.ImproperUniform{D: a.Config.Code})
			out := t.Module(decoderPrefix, a.Decoder, z)
			var lik dist.Differentiable = dist.Bernoulli{Logits: out}
			if a.Config.Loss == MSE {
				lik = dist.Normal{Loc: out, LogScale: ad.Scalar(mseLogScale)}
			}
			t.Observe("x", lik, p.Data(x))
		})
	}
}

// Guide returns the encoder as a ppl guide: the code of row x_i is the
// point mass at encoder(x_i).
func (a *AE) Guide() ppl.Guide {
	return func(t *ppl.Tracer, x *ad.Var) {
		t.Plate("data", x.R, func(p *ppl.Plate) {
			code := t.Module(encoderPrefix, a.Encoder, ad.Rows(x, p.Idx))
			t.Sample("z", dist.Delta{Value: ad.Tile(code, t.Particles())})
		})
	}
}

// Encode returns the code of each row of x as an n×Code matrix. It panics
// if x does not have D columns.
func (a *AE) Encode(x mat.Matrix) *mat.Dense {
	return a.apply(encoderPrefix, a.Encoder, rows(x, a.Config.DataDim, "x")).Dense()
}

// Decode returns the decoder output for each row of code: the
// reconstruction for MSE, logits for BCE. It panics if code does not have
// Code columns.
func (a *AE) Decode(code mat.Matrix) *mat.Dense {
	return a.apply(decoderPrefix, a.Decoder, rows(code, a.Config.Code, "code")).Dense()
}

// DecodeMean returns the reconstruction in data space for each row of
// code: σ(logits) for the BCE loss, the decoder output for MSE.
func (a *AE) DecodeMean(code mat.Matrix) *mat.Dense {
	out := a.Decode(code)
	if a.Config.Loss == BCE {
		out.Apply(func(_, _ int, l float64) float64 { return logspace.Sigmoid(l) }, out)
	}
	return out
}
