package amortized

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/internal/logspace"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/nn"
	"github.com/vitool/vitool/ppl"
)

// VAE is a variational autoencoder: a Gaussian encoder q(z|x) =
// N(μ(x), diag σ²(x)) whose last layer outputs (μ, log σ²), a decoder
// defining p(x|z), and the prior p(z) = N(0, I).
//
// With Config.Flow = FlowIAF the encoder's last layer also outputs a
// context h(x) of FlowHidden units, and q(z|x) is the distribution of
// z = f_T ∘ … ∘ f_1(z₀), z₀ ~ N(μ(x), diag σ²(x)), with T = FlowSteps
// inverse autoregressive flow steps (dist.IAF, alternating their order),
// each a MADE of FlowHidden tanh units whose hidden layer adds h(x)·WC
// (Kingma et al. 2016). The steps' parameters follow the decoder's, named
// flow.<t>.in.weight (L×H), flow.<t>.in.bias (H), flow.<t>.context.weight
// (H×H), flow.<t>.out.weight (H×2L, the m outputs then the s outputs) and
// flow.<t>.out.bias (2L), each weight stored input-major as dist.IAF
// applies it (x·W); they start at zero output weights and s biases of 2,
// so each step starts as z ↦ σ(2)·z.
//
// The VAE is a model and a guide of package ppl (Model, Guide), and
// training runs through ppl's gradients (Trainer). It also implements
// latent.Model and latent.Simulator, so a trained VAE plugs into the
// estimators of package mc, with Proposal(x) as the importance
// distribution. Its methods only read the weights and are safe for
// concurrent use, as long as no training step runs at the same time.
type VAE struct {
	Config VAEConfig
	// Networks holds the encoder, whose last layer has 2·Latent outputs (μ
	// first, then log σ²), the decoder, and their weights.
	Networks
}

var (
	_ latent.Model     = (*VAE)(nil)
	_ latent.Simulator = (*VAE)(nil)
)

// NewVAE returns a VAE with the architecture cfg, initialised from rnd as
// PyTorch initialises nn.Linear (encoder first, then decoder). It returns an
// error if cfg is invalid.
func NewVAE(cfg VAEConfig, rnd *rand.Rand) (*VAE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Hidden = slices.Clone(cfg.Hidden)
	return &VAE{Config: cfg, Networks: newNetworks(mlp(cfg.encoderSizes(), cfg.Activation), mlp(cfg.decoderSizes(), cfg.Activation), rnd, cfg.flowSpecs()...)}, nil
}

// NewVAEFromParams builds a VAE with architecture cfg from named tensors as
// returned by Params (for instance read from a checkpoint), copying them.
// It returns an error if cfg is invalid or a tensor is missing or has the
// wrong shape. Tensors with other names are ignored.
func NewVAEFromParams(cfg VAEConfig, params map[string]Tensor) (*VAE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nets, err := networksFromParams(params, mlp(cfg.encoderSizes(), cfg.Activation), mlp(cfg.decoderSizes(), cfg.Activation), cfg.flowSpecs()...)
	if err != nil {
		return nil, err
	}
	cfg.Hidden = slices.Clone(cfg.Hidden)
	return &VAE{Config: cfg, Networks: nets}, nil
}

// Model returns the VAE's generative model as a ppl model: for every row
// x_i of the data (a plate "data"), z_i ~ N(0, I) and x_i ~ p(x|z_i) with
// the decoder as the module "decoder".
func (v *VAE) Model() ppl.Model { return v.model(1) }

// Guide returns the VAE's encoder as a ppl guide: for every row x_i,
// z_i ~ N(μ(x_i), diag σ²(x_i)) with the encoder as the module "encoder".
// The encoder runs once per data row; its output is shared by the K
// particles.
func (v *VAE) Guide() ppl.Guide { return v.guide(1) }

// model is Model with the latent sites' log-densities weighted by beta (a
// KL weight during warm-up).
func (v *VAE) model(beta float64) ppl.Model {
	L := v.Config.Latent
	return func(t *ppl.Tracer, x *ad.Var) {
		t.Plate("data", x.R, func(p *ppl.Plate) {
			var z *ad.Var
			t.Scale(beta, func() { z = t.Sample("z", dist.StdNormal{D: L}) })
			t.Observe("x", v.likelihood(t.Module(decoderPrefix, v.Decoder, z)), p.Data(x))
		})
	}
}

func (v *VAE) guide(beta float64) ppl.Guide {
	return func(t *ppl.Tracer, x *ad.Var) {
		t.Plate("data", x.R, func(p *ppl.Plate) {
			enc := t.Module(encoderPrefix, v.Encoder, ad.Rows(x, p.Idx))
			enc = ad.Tile(enc, t.Particles())
			q := v.encoderDist(enc, func(s namedSpec) *ad.Var {
				return t.Param(s.name, ppl.Zeros(s.spec.Rows, s.spec.Cols))
			})
			t.Scale(beta, func() { t.Sample("z", q) })
		})
	}
}

// encoderDist returns q(z|x) given the encoder's outputs (one row per x),
// reading the flow's parameters with param.
func (v *VAE) encoderDist(enc *ad.Var, param func(namedSpec) *ad.Var) dist.Differentiable {
	L := v.Config.Latent
	base := dist.Normal{Loc: ad.SliceCols(enc, 0, L), LogScale: ad.Scale(ad.SliceCols(enc, L, 2*L), 0.5)}
	if v.Config.Flow != FlowIAF {
		return base
	}
	return v.withFlow(base, ad.SliceCols(enc, 2*L, 2*L+v.Config.FlowHidden), param)
}

// withFlow returns the encoder's IAF steps, conditioned on the context ctx
// and with parameters read by param, over base.
func (v *VAE) withFlow(base dist.Differentiable, ctx *ad.Var, param func(namedSpec) *ad.Var) dist.Differentiable {
	ps := make([]*ad.Var, len(v.extra))
	for i, s := range v.extra {
		ps[i] = param(s)
	}
	steps := make(dist.ComposeTransform, v.Config.FlowSteps)
	for i := range steps {
		p := ps[5*i : 5*i+5]
		steps[i] = dist.IAF{W1: p[0], B1: p[1], WC: p[2], W2: p[3], B2: p[4], Context: ctx, Reverse: i%2 == 1}
	}
	return dist.NewFlowDistribution(base, steps)
}

// FlowParamShapes returns the checkpoint names and shapes of the flow
// steps' parameters (see VAE), empty without a flow.
func (c VAEConfig) FlowParamShapes() map[string][]int {
	out := make(map[string][]int)
	for _, s := range c.flowSpecs() {
		out[s.name] = s.shape()
	}
	return out
}

// flowSpecs returns the parameters of the IAF steps, five per step in the
// order encoderDist reads them (none without a flow).
func (c VAEConfig) flowSpecs() []namedSpec {
	if c.Flow != FlowIAF {
		return nil
	}
	L, H := c.Latent, c.FlowHidden
	uniform := func(fanIn int) func([]float64, *rand.Rand) {
		b := 1 / math.Sqrt(float64(fanIn))
		return func(dst []float64, rnd *rand.Rand) {
			for i := range dst {
				dst[i] = float64(float32(b * (2*rnd.Float64() - 1)))
			}
		}
	}
	zero := func(dst []float64, _ *rand.Rand) { clear(dst) }
	sBias := func(dst []float64, _ *rand.Rand) {
		for i := range dst {
			dst[i] = 0
			if i >= L {
				dst[i] = 2
			}
		}
	}
	var out []namedSpec
	for t := range c.FlowSteps {
		add := func(name string, r, cols int, init func([]float64, *rand.Rand)) {
			out = append(out, namedSpec{name: fmt.Sprintf("flow.%d.%s", t, name), spec: nn.ParamSpec{Name: name, Rows: r, Cols: cols, Init: init}})
		}
		add("in.weight", L, H, uniform(L))
		add("in.bias", 1, H, zero)
		add("context.weight", H, H, uniform(H))
		add("out.weight", H, 2*L, zero)
		add("out.bias", 1, 2*L, sBias)
	}
	return out
}

// likelihood returns p(x|z) given the decoder's output.
func (v *VAE) likelihood(out *ad.Var) dist.Differentiable {
	if v.Config.Likelihood == Gaussian {
		return dist.Normal{Loc: out, LogScale: ad.Scalar(v.Config.LogSigma)}
	}
	return dist.Bernoulli{Logits: out}
}

// LatentDim returns L.
func (v *VAE) LatentDim() int { return v.Config.Latent }

// DataDim returns D.
func (v *VAE) DataDim() int { return v.Config.DataDim }

// Prior returns the standard normal N(0, I_L).
func (v *VAE) Prior() dist.Distribution { return dist.StdNormal{D: v.Config.Latent} }

// Encode returns the encoder's μ and log σ² for each row of x, as n×L
// matrices: the parameters of q(z|x) for the diagonal Gaussian encoder,
// and of the base Gaussian under the flow steps for an IAF encoder (see
// Code for a point of q itself). It panics if x does not have D columns.
func (v *VAE) Encode(x mat.Matrix) (mu, logvar *mat.Dense) {
	out := v.apply(encoderPrefix, v.Encoder, rows(x, v.Config.DataDim, "x"))
	L := v.Config.Latent
	return ad.SliceCols(out, 0, L).Dense(), ad.SliceCols(out, L, 2*L).Dense()
}

// Code returns a point code for each row of x, as an n×L matrix: the mean
// μ(x) of q(z|x) for the diagonal Gaussian encoder, and for an IAF encoder
// the flow steps applied to the base Gaussian's mean, the image of its
// mode (the code reconstructions and interpolations decode). It panics if
// x does not have D columns.
func (v *VAE) Code(x mat.Matrix) *mat.Dense {
	enc := v.apply(encoderPrefix, v.Encoder, rows(x, v.Config.DataDim, "x"))
	q := v.encoderDist(enc, func(s namedSpec) *ad.Var { return ad.FromDense(v.Store.Get(s.name)) })
	mu := ad.SliceCols(enc, 0, v.Config.Latent)
	if flow, ok := q.(dist.FlowDistribution); ok {
		mu = flow.Transform.Forward(mu)
	}
	return mu.Dense()
}

// Proposal returns q(z|x) for a single x, with Len() == 1: a dist.Normal
// with Loc = μ(x) and LogScale = log σ²(x)/2, or, with an IAF encoder, a
// dist.FlowDistribution of the IAF steps over that Normal. The flow's
// LogProb inverts the steps sequentially (L network evaluations per step);
// its SampleLogProb, which the importance-sampling estimators of package mc
// use, scores its own draws in the forward pass instead. It panics if
// len(x) != D.
func (v *VAE) Proposal(x []float64) dist.Distribution {
	if len(x) != v.Config.DataDim {
		panic(fmt.Sprintf("amortized: Proposal got len(x) = %d, want %d", len(x), v.Config.DataDim))
	}
	if v.Config.Flow != FlowIAF {
		mu, lv := v.Encode(mat.NewDense(1, len(x), slices.Clone(x)))
		lv.Scale(0.5, lv)
		return dist.Normal{Loc: mu, LogScale: lv}
	}
	enc := v.apply(encoderPrefix, v.Encoder, ad.Row(slices.Clone(x)))
	return v.encoderDist(enc, func(s namedSpec) *ad.Var { return ad.FromDense(v.Store.Get(s.name)) })
}

// Decode returns the decoder output for each row of z: logits for a
// Bernoulli likelihood, means for a Gaussian one, as an n×D matrix. It
// panics if z does not have L columns.
func (v *VAE) Decode(z mat.Matrix) *mat.Dense {
	return v.apply(decoderPrefix, v.Decoder, rows(z, v.Config.Latent, "z")).Dense()
}

// DecodeMean returns the mean of p(x|z) for each row of z, as an n×D
// matrix: σ(logits) for a Bernoulli likelihood, the decoder output for a
// Gaussian one. These are the images a VAE "draws" for z.
func (v *VAE) DecodeMean(z mat.Matrix) *mat.Dense {
	out := v.Decode(z)
	if v.Config.Likelihood == Bernoulli {
		out.Apply(func(_, _ int, l float64) float64 { return logspace.Sigmoid(l) }, out)
	}
	return out
}

// LogLikelihood stores log p(x|z_i) for each row z_i of z in dst and
// returns it, allocating dst if nil. The decoder runs once per call on all
// rows; the sums over the D data dimensions are accumulated in float64. It
// panics if len(x) != D, z does not have L columns or dst has the wrong
// length.
func (v *VAE) LogLikelihood(dst []float64, x []float64, z mat.Matrix) []float64 {
	D := v.Config.DataDim
	if len(x) != D {
		panic(fmt.Sprintf("amortized: LogLikelihood got len(x) = %d, want %d", len(x), D))
	}
	out := v.apply(decoderPrefix, v.Decoder, rows(z, v.Config.Latent, "z"))
	n := out.R
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic("amortized: LogLikelihood: dst length does not match rows of z")
	}
	switch v.Config.Likelihood {
	case Bernoulli:
		for i := range n {
			dst[i] = bernoulliLogLik(x, out.Data[i*D:(i+1)*D])
		}
	case Gaussian:
		ls := v.Config.LogSigma
		c := float64(D) * (-ls - 0.5*math.Log(2*math.Pi))
		inv := math.Exp(-2 * ls)
		for i := range n {
			var s float64
			for d, m := range out.Data[i*D : (i+1)*D] {
				r := x[d] - m
				s += r * r
			}
			dst[i] = c - 0.5*inv*s
		}
	}
	return dst
}

// SampleData fills every row of dst with x ~ p(x) by ancestral sampling:
// z ~ N(0, I), then x ~ p(x|z). It panics if dst does not have D columns.
func (v *VAE) SampleData(dst *mat.Dense, rnd *rand.Rand) {
	n, c := dst.Dims()
	if c != v.Config.DataDim {
		panic(fmt.Sprintf("amortized: SampleData: dst has %d columns, want %d", c, v.Config.DataDim))
	}
	z := mat.NewDense(n, v.Config.Latent, nil)
	for i := range n {
		for j := range v.Config.Latent {
			z.Set(i, j, rnd.NormFloat64())
		}
	}
	out := v.Decode(z)
	sigma := math.Exp(v.Config.LogSigma)
	for i := range n {
		for j := range c {
			o := out.At(i, j)
			switch v.Config.Likelihood {
			case Bernoulli:
				x := 0.0
				if rnd.Float64() < logspace.Sigmoid(o) {
					x = 1
				}
				dst.Set(i, j, x)
			case Gaussian:
				dst.Set(i, j, o+sigma*rnd.NormFloat64())
			}
		}
	}
}

// productBlock is how many factors of (1, 2] bernoulliLogLik multiplies
// before taking a logarithm: 2^1000 < math.MaxFloat64.
const productBlock = 1000

// bernoulliLogLik returns Σ_d x_d l_d − softplus(l_d), the Bernoulli
// log-likelihood of x under logits l. With softplus(l) = max(l, 0) +
// log(1 + e^−|l|), the second terms lie in (0, log 2], so their sum is the
// logarithm of a product of factors in (1, 2]: one Log per block of
// productBlock pixels instead of one per pixel. The absolute error is that
// of the per-pixel sum, about D·ε.
func bernoulliLogLik(x []float64, l []float64) float64 {
	var s float64
	prod := 1.0
	for d, lf := range l {
		s += x[d]*lf - math.Max(lf, 0)
		prod *= 1 + math.Exp(-math.Abs(lf))
		if (d+1)%productBlock == 0 {
			s -= math.Log(prod)
			prod = 1
		}
	}
	return s - math.Log(prod)
}
