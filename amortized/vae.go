package amortized

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/internal/ad"
	"github.com/vitool/vitool/latent"
)

// Likelihood is the observation model p(x|z) of a VAE decoder.
type Likelihood int

// Likelihoods.
const (
	// Bernoulli: the decoder outputs logits l, and
	// log p(x|z) = Σ_d x_d·l_d − softplus(l_d) (x in {0,1}, or in [0,1] as
	// the usual continuous relaxation).
	Bernoulli Likelihood = iota
	// Gaussian: the decoder outputs the mean μ, and the observation noise
	// has a fixed scalar standard deviation exp(LogSigma), not learned:
	// log p(x|z) = Σ_d −(x_d−μ_d)²/(2σ²) − log σ − ½ log 2π.
	Gaussian
)

// String returns the likelihood's name as ParseLikelihood reads it.
func (l Likelihood) String() string { return ad.Likelihood(l).String() }

// ParseLikelihood reads "bernoulli" or "gaussian".
func ParseLikelihood(s string) (Likelihood, error) {
	return parseName("likelihood", s, Bernoulli, Gaussian)
}

// VAEConfig is the architecture of a VAE: the metadata that, with the
// parameter tensors, fully describes a trained model.
type VAEConfig struct {
	// DataDim is the length D of x.
	DataDim int
	// Latent is the length L of z.
	Latent int
	// Hidden are the encoder's hidden sizes; the decoder uses them in
	// reverse order. The reference model has Hidden = {200, 200}:
	// 784-200-200-(2·50) and 50-200-200-784.
	Hidden []int
	// Activation follows every hidden layer.
	Activation Activation
	// Likelihood is the observation model.
	Likelihood Likelihood
	// LogSigma is the fixed log standard deviation of a Gaussian
	// likelihood; ignored for Bernoulli.
	LogSigma float64
}

// Validate returns an error describing the first invalid field.
func (c VAEConfig) Validate() error {
	switch {
	case c.DataDim < 1 || c.Latent < 1:
		return fmt.Errorf("amortized: VAE data dimension %d and latent dimension %d must be positive", c.DataDim, c.Latent)
	case !c.Activation.valid():
		return fmt.Errorf("amortized: unknown activation %d", int(c.Activation))
	case c.Likelihood != Bernoulli && c.Likelihood != Gaussian:
		return fmt.Errorf("amortized: unknown likelihood %d", int(c.Likelihood))
	case math.IsNaN(c.LogSigma) || math.IsInf(c.LogSigma, 0):
		return fmt.Errorf("amortized: Gaussian log sigma %v must be finite", c.LogSigma)
	}
	for _, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("amortized: hidden sizes %v must be positive", c.Hidden)
		}
	}
	return nil
}

func (c VAEConfig) encoderSizes() []int {
	return append(append([]int{c.DataDim}, c.Hidden...), 2*c.Latent)
}

func (c VAEConfig) decoderSizes() []int {
	h := slices.Clone(c.Hidden)
	slices.Reverse(h)
	return append(append([]int{c.Latent}, h...), c.DataDim)
}

// Metadata keys written by VAEConfig.Metadata and AEConfig.Metadata, for
// checkpoint headers (safetensors __metadata__).
const (
	MetaModel      = "model" // "vae" or "ae"
	MetaDataDim    = "data_dim"
	MetaLatent     = "latent" // VAE latent size, or AE code size
	MetaHidden     = "hidden" // encoder hidden sizes, "200,200"
	MetaActivation = "activation"
	MetaLikelihood = "likelihood" // VAE only
	MetaLogSigma   = "log_sigma"  // VAE with Gaussian likelihood only
	MetaLoss       = "loss"       // AE only
)

// Metadata returns the configuration as string pairs for a checkpoint
// header; ParseVAEConfig reads them back.
func (c VAEConfig) Metadata() map[string]string {
	m := map[string]string{
		MetaModel:      "vae",
		MetaDataDim:    strconv.Itoa(c.DataDim),
		MetaLatent:     strconv.Itoa(c.Latent),
		MetaHidden:     formatInts(c.Hidden),
		MetaActivation: c.Activation.String(),
		MetaLikelihood: c.Likelihood.String(),
	}
	if c.Likelihood == Gaussian {
		m[MetaLogSigma] = strconv.FormatFloat(c.LogSigma, 'g', -1, 64)
	}
	return m
}

// ParseVAEConfig reads a configuration written by Metadata.
func ParseVAEConfig(meta map[string]string) (VAEConfig, error) {
	var c VAEConfig
	if meta[MetaModel] != "vae" {
		return c, fmt.Errorf("amortized: metadata %s = %q, want \"vae\"", MetaModel, meta[MetaModel])
	}
	var err error
	if c.DataDim, err = metaInt(meta, MetaDataDim); err != nil {
		return c, err
	}
	if c.Latent, err = metaInt(meta, MetaLatent); err != nil {
		return c, err
	}
	if c.Hidden, err = ParseHidden(meta[MetaHidden]); err != nil {
		return c, err
	}
	if c.Activation, err = ParseActivation(meta[MetaActivation]); err != nil {
		return c, err
	}
	if c.Likelihood, err = ParseLikelihood(meta[MetaLikelihood]); err != nil {
		return c, err
	}
	if c.Likelihood == Gaussian {
		if c.LogSigma, err = strconv.ParseFloat(meta[MetaLogSigma], 64); err != nil {
			return c, fmt.Errorf("amortized: metadata %s = %q: %v", MetaLogSigma, meta[MetaLogSigma], err)
		}
	}
	return c, c.Validate()
}

func metaInt(meta map[string]string, key string) (int, error) {
	v, err := strconv.Atoi(meta[key])
	if err != nil || v < 1 {
		return 0, fmt.Errorf("amortized: metadata %s = %q, want a positive integer", key, meta[key])
	}
	return v, nil
}

// VAE is a variational autoencoder: a Gaussian encoder q(z|x) =
// N(μ(x), diag σ²(x)) whose last layer outputs (μ, log σ²), a decoder
// defining p(x|z), and the prior p(z) = N(0, I).
//
// VAE implements latent.Model and latent.Simulator, so a trained VAE plugs
// into the estimators of package mc, with Proposal(x) as the importance
// distribution. Its methods only read the weights and are safe for
// concurrent use, as long as no training step runs at the same time.
type VAE struct {
	Config VAEConfig
	// Networks holds the encoder, whose last layer has 2·Latent outputs (μ
	// first, then log σ²), and the decoder.
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
	return &VAE{Config: cfg, Networks: newNetworks(cfg.encoderSizes(), cfg.decoderSizes(), cfg.Activation, rnd)}, nil
}

// NewVAEFromParams builds a VAE with architecture cfg from named tensors as
// returned by Params (for instance read from a checkpoint), copying them.
// It returns an error if cfg is invalid or a tensor is missing or has the
// wrong shape. Tensors with other names are ignored.
func NewVAEFromParams(cfg VAEConfig, params map[string]Tensor) (*VAE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nets, err := networksFromParams(params, cfg.encoderSizes(), cfg.decoderSizes(), cfg.Activation)
	if err != nil {
		return nil, err
	}
	cfg.Hidden = slices.Clone(cfg.Hidden)
	return &VAE{Config: cfg, Networks: nets}, nil
}

// LatentDim returns L.
func (v *VAE) LatentDim() int { return v.Config.Latent }

// DataDim returns D.
func (v *VAE) DataDim() int { return v.Config.DataDim }

// Prior returns the standard normal N(0, I_L).
func (v *VAE) Prior() dist.Distribution { return dist.StdNormal{D: v.Config.Latent} }

// toF32 converts the rows of m into a row-major float32 slice, checking
// the column count.
func toF32(m mat.Matrix, cols int, what string) ([]float32, int) {
	r, c := m.Dims()
	if c != cols {
		panic(fmt.Sprintf("amortized: %s has %d columns, want %d", what, c, cols))
	}
	out := make([]float32, r*c)
	if d, ok := m.(*mat.Dense); ok {
		for i := 0; i < r; i++ {
			row := d.RawRowView(i)
			o := out[i*c : (i+1)*c]
			for j, x := range row {
				o[j] = float32(x)
			}
		}
		return out, r
	}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[i*c+j] = float32(m.At(i, j))
		}
	}
	return out, r
}

func toDense(v []float32, r, c int) *mat.Dense {
	d := make([]float64, len(v))
	for i, x := range v {
		d[i] = float64(x)
	}
	return mat.NewDense(r, c, d)
}

// Encode returns the encoder's μ and log σ² for each row of x, as n×L
// matrices. It panics if x does not have D columns.
func (v *VAE) Encode(x mat.Matrix) (mu, logvar *mat.Dense) {
	xs, n := toF32(x, v.Config.DataDim, "x")
	out := v.Encoder.forward(xs, n)
	L := v.Config.Latent
	mu, logvar = mat.NewDense(n, L, nil), mat.NewDense(n, L, nil)
	for i := 0; i < n; i++ {
		row := out[i*2*L : (i+1)*2*L]
		for j := 0; j < L; j++ {
			mu.Set(i, j, float64(row[j]))
			logvar.Set(i, j, float64(row[L+j]))
		}
	}
	return mu, logvar
}

// Proposal returns q(z|x) for a single x as a dist.Normal with Len() == 1:
// Loc = μ(x), LogScale = log σ²(x)/2. It panics if len(x) != D.
func (v *VAE) Proposal(x []float64) dist.Normal {
	if len(x) != v.Config.DataDim {
		panic(fmt.Sprintf("amortized: Proposal got len(x) = %d, want %d", len(x), v.Config.DataDim))
	}
	mu, lv := v.Encode(mat.NewDense(1, len(x), slices.Clone(x)))
	lv.Scale(0.5, lv)
	return dist.Normal{Loc: mu, LogScale: lv}
}

// Decode returns the decoder output for each row of z: logits for a
// Bernoulli likelihood, means for a Gaussian one, as an n×D matrix. It
// panics if z does not have L columns.
func (v *VAE) Decode(z mat.Matrix) *mat.Dense {
	zs, n := toF32(z, v.Config.Latent, "z")
	return toDense(v.Decoder.forward(zs, n), n, v.Config.DataDim)
}

// DecodeMean returns the mean of p(x|z) for each row of z, as an n×D
// matrix: σ(logits) for a Bernoulli likelihood, the decoder output for a
// Gaussian one. These are the images a VAE "draws" for z.
func (v *VAE) DecodeMean(z mat.Matrix) *mat.Dense {
	out := v.Decode(z)
	if v.Config.Likelihood == Bernoulli {
		out.Apply(func(_, _ int, l float64) float64 { return sigmoid(l) }, out)
	}
	return out
}

// LogLikelihood stores log p(x|z_i) for each row z_i of z in dst and
// returns it, allocating dst if nil. The decoder runs once per call on all
// rows (one matrix multiply per layer, in float32); the sums over the D
// data dimensions are accumulated in float64. It panics if len(x) != D, z
// does not have L columns or dst has the wrong length.
func (v *VAE) LogLikelihood(dst []float64, x []float64, z mat.Matrix) []float64 {
	D := v.Config.DataDim
	if len(x) != D {
		panic(fmt.Sprintf("amortized: LogLikelihood got len(x) = %d, want %d", len(x), D))
	}
	zs, n := toF32(z, v.Config.Latent, "z")
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic("amortized: LogLikelihood: dst length does not match rows of z")
	}
	out := v.Decoder.forward(zs, n)
	switch v.Config.Likelihood {
	case Bernoulli:
		for i := 0; i < n; i++ {
			dst[i] = bernoulliLogLik(x, out[i*D:(i+1)*D])
		}
	case Gaussian:
		ls := v.Config.LogSigma
		c := float64(D) * (-ls - 0.5*math.Log(2*math.Pi))
		inv := math.Exp(-2 * ls)
		for i := 0; i < n; i++ {
			row := out[i*D : (i+1)*D]
			var s float64
			for d, m := range row {
				r := x[d] - float64(m)
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
	for i := 0; i < n; i++ {
		for j := 0; j < v.Config.Latent; j++ {
			z.Set(i, j, rnd.NormFloat64())
		}
	}
	out := v.Decode(z)
	sigma := math.Exp(v.Config.LogSigma)
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			o := out.At(i, j)
			switch v.Config.Likelihood {
			case Bernoulli:
				x := 0.0
				if rnd.Float64() < 1/(1+math.Exp(-o)) {
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
func bernoulliLogLik(x []float64, l []float32) float64 {
	var s float64
	prod := 1.0
	for d, v := range l {
		lf := float64(v)
		s += x[d]*lf - math.Max(lf, 0)
		prod *= 1 + math.Exp(-math.Abs(lf))
		if (d+1)%productBlock == 0 {
			s -= math.Log(prod)
			prod = 1
		}
	}
	return s - math.Log(prod)
}

// sigmoid returns 1/(1 + e^−x) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
