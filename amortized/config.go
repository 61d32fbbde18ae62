package amortized

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vitool/vitool/nn"
)

// Activation is the nonlinearity after every hidden layer of the encoder
// and the decoder: package nn's.
type Activation = nn.Activation

// The activations a VAE or an autoencoder may use.
const (
	Tanh     = nn.Tanh
	ReLU     = nn.ReLU
	Softplus = nn.Softplus
)

// ParseActivation reads "tanh", "relu" or "softplus".
func ParseActivation(s string) (Activation, error) {
	return parseName("activation", s, Tanh, ReLU, Softplus)
}

func validActivation(a Activation) bool { return a == Tanh || a == ReLU || a == Softplus }

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
func (l Likelihood) String() string {
	switch l {
	case Bernoulli:
		return "bernoulli"
	case Gaussian:
		return "gaussian"
	}
	return fmt.Sprintf("Likelihood(%d)", int(l))
}

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
	// Flow is the encoder's family: FlowNone for the diagonal Gaussian,
	// FlowIAF for FlowSteps steps of an inverse autoregressive flow on
	// top of it (see VAE).
	Flow Flow
	// FlowSteps is the number of IAF steps (≥ 1 with FlowIAF; ignored
	// otherwise).
	FlowSteps int
	// FlowHidden is the width H of each step's MADE and of the context
	// the encoder outputs for it (≥ 1 with FlowIAF; ignored otherwise).
	FlowHidden int
}

// Flow is the family of a VAE's encoder.
type Flow int

// Encoder families.
const (
	// FlowNone: q(z|x) = N(μ(x), diag σ²(x)).
	FlowNone Flow = iota
	// FlowIAF: z = f_T ∘ … ∘ f_1(z₀), z₀ ~ N(μ(x), diag σ²(x)), with
	// inverse autoregressive flow steps (dist.IAF) conditioned on a
	// context h(x) that the encoder outputs.
	FlowIAF
)

// String returns the family's name as ParseFlow reads it.
func (f Flow) String() string {
	switch f {
	case FlowNone:
		return "none"
	case FlowIAF:
		return "iaf"
	}
	return fmt.Sprintf("Flow(%d)", int(f))
}

// ParseFlow reads "none" or "iaf".
func ParseFlow(s string) (Flow, error) { return parseName("flow", s, FlowNone, FlowIAF) }

// Validate returns an error describing the first invalid field.
func (c VAEConfig) Validate() error {
	switch {
	case c.DataDim < 1 || c.Latent < 1:
		return fmt.Errorf("amortized: VAE data dimension %d and latent dimension %d must be positive", c.DataDim, c.Latent)
	case !validActivation(c.Activation):
		return fmt.Errorf("amortized: unknown activation %d", int(c.Activation))
	case c.Likelihood != Bernoulli && c.Likelihood != Gaussian:
		return fmt.Errorf("amortized: unknown likelihood %d", int(c.Likelihood))
	case math.IsNaN(c.LogSigma) || math.IsInf(c.LogSigma, 0):
		return fmt.Errorf("amortized: Gaussian log sigma %v must be finite", c.LogSigma)
	case c.Flow != FlowNone && c.Flow != FlowIAF:
		return fmt.Errorf("amortized: unknown flow %d", int(c.Flow))
	case c.Flow == FlowIAF && (c.FlowSteps < 1 || c.FlowHidden < 1):
		return fmt.Errorf("amortized: IAF steps %d and width %d must be positive", c.FlowSteps, c.FlowHidden)
	}
	for _, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("amortized: hidden sizes %v must be positive", c.Hidden)
		}
	}
	return nil
}

func (c VAEConfig) encoderSizes() []int {
	return append(append([]int{c.DataDim}, c.Hidden...), c.EncoderOutputs())
}

// EncoderOutputs returns the width of the encoder's last layer: 2L (μ,
// then log σ²), followed by the H context units of an IAF encoder.
func (c VAEConfig) EncoderOutputs() int {
	if c.Flow == FlowIAF {
		return 2*c.Latent + c.FlowHidden
	}
	return 2 * c.Latent
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
	MetaLikelihood = "likelihood"  // VAE only
	MetaLogSigma   = "log_sigma"   // VAE with Gaussian likelihood only
	MetaLoss       = "loss"        // AE only
	MetaFlow       = "flow"        // VAE: "none" (absent) or "iaf"
	MetaFlowSteps  = "flow_steps"  // VAE with an IAF encoder only
	MetaFlowHidden = "flow_hidden" // VAE with an IAF encoder only
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
	if c.Flow == FlowIAF {
		m[MetaFlow] = c.Flow.String()
		m[MetaFlowSteps] = strconv.Itoa(c.FlowSteps)
		m[MetaFlowHidden] = strconv.Itoa(c.FlowHidden)
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
	if f, ok := meta[MetaFlow]; ok {
		if c.Flow, err = ParseFlow(f); err != nil {
			return c, err
		}
	}
	if c.Flow == FlowIAF {
		if c.FlowSteps, err = metaInt(meta, MetaFlowSteps); err != nil {
			return c, err
		}
		if c.FlowHidden, err = metaInt(meta, MetaFlowHidden); err != nil {
			return c, err
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

// AELoss is the reconstruction loss of a plain autoencoder.
type AELoss int

// Autoencoder losses, averaged over all B·D elements of a batch as
// PyTorch's nn.MSELoss and nn.BCEWithLogitsLoss do by default.
const (
	// MSE: the decoder outputs the reconstruction x̂; loss mean (x − x̂)².
	MSE AELoss = iota
	// BCE: the decoder outputs logits l; loss mean softplus(l) − x·l,
	// binary cross-entropy computed stably from the logits.
	BCE
)

// String returns the loss's name as ParseAELoss reads it.
func (l AELoss) String() string {
	switch l {
	case MSE:
		return "mse"
	case BCE:
		return "bce"
	}
	return fmt.Sprintf("AELoss(%d)", int(l))
}

// ParseAELoss reads "mse" or "bce".
func ParseAELoss(s string) (AELoss, error) {
	return parseName("autoencoder loss", s, MSE, BCE)
}

// AEConfig is the architecture of a plain autoencoder.
type AEConfig struct {
	DataDim    int
	Code       int   // length of the code
	Hidden     []int // encoder hidden sizes; reversed for the decoder
	Activation Activation
	Loss       AELoss
}

// Validate returns an error describing the first invalid field.
func (c AEConfig) Validate() error {
	switch {
	case c.DataDim < 1 || c.Code < 1:
		return fmt.Errorf("amortized: AE data dimension %d and code size %d must be positive", c.DataDim, c.Code)
	case !validActivation(c.Activation):
		return fmt.Errorf("amortized: unknown activation %d", int(c.Activation))
	case c.Loss != MSE && c.Loss != BCE:
		return fmt.Errorf("amortized: unknown autoencoder loss %d", int(c.Loss))
	}
	for _, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("amortized: hidden sizes %v must be positive", c.Hidden)
		}
	}
	return nil
}

func (c AEConfig) encoderSizes() []int {
	return append(append([]int{c.DataDim}, c.Hidden...), c.Code)
}

func (c AEConfig) decoderSizes() []int {
	h := slices.Clone(c.Hidden)
	slices.Reverse(h)
	return append(append([]int{c.Code}, h...), c.DataDim)
}

// Metadata returns the configuration as string pairs for a checkpoint
// header; ParseAEConfig reads them back. The code size is stored under
// MetaLatent.
func (c AEConfig) Metadata() map[string]string {
	return map[string]string{
		MetaModel:      "ae",
		MetaDataDim:    strconv.Itoa(c.DataDim),
		MetaLatent:     strconv.Itoa(c.Code),
		MetaHidden:     formatInts(c.Hidden),
		MetaActivation: c.Activation.String(),
		MetaLoss:       c.Loss.String(),
	}
}

// ParseAEConfig reads a configuration written by Metadata.
func ParseAEConfig(meta map[string]string) (AEConfig, error) {
	var c AEConfig
	if meta[MetaModel] != "ae" {
		return c, fmt.Errorf("amortized: metadata %s = %q, want \"ae\"", MetaModel, meta[MetaModel])
	}
	var err error
	if c.DataDim, err = metaInt(meta, MetaDataDim); err != nil {
		return c, err
	}
	if c.Code, err = metaInt(meta, MetaLatent); err != nil {
		return c, err
	}
	if c.Hidden, err = ParseHidden(meta[MetaHidden]); err != nil {
		return c, err
	}
	if c.Activation, err = ParseActivation(meta[MetaActivation]); err != nil {
		return c, err
	}
	if c.Loss, err = ParseAELoss(meta[MetaLoss]); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// parseName returns the value among values whose String is s, or an error
// naming what and listing the accepted names ("want a, b or c"), so that
// each enumeration's names are defined once, by its String method.
func parseName[T fmt.Stringer](what, s string, values ...T) (T, error) {
	names := make([]string, len(values))
	for i, v := range values {
		if s == v.String() {
			return v, nil
		}
		names[i] = v.String()
	}
	var zero T
	list := names[len(names)-1]
	if len(names) > 1 {
		list = strings.Join(names[:len(names)-1], ", ") + " or " + list
	}
	return zero, fmt.Errorf("amortized: %s %q: want %s", what, s, list)
}

// formatInts writes sizes as "200,200".
func formatInts(s []int) string {
	p := make([]string, len(s))
	for i, v := range s {
		p[i] = strconv.Itoa(v)
	}
	return strings.Join(p, ",")
}

// ParseHidden reads hidden-layer sizes written as "200,200"; the empty
// string means no hidden layer.
func ParseHidden(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var h []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("amortized: hidden sizes %q: want positive integers separated by commas", s)
		}
		h = append(h, v)
	}
	return h, nil
}
