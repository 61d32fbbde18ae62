package amortized

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/internal/ad"
)

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
func (l AELoss) String() string { return ad.AELoss(l).String() }

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
	case !c.Activation.valid():
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

// AE is a plain (deterministic) autoencoder: x → code → reconstruction.
// Its methods only read the weights and are safe for concurrent use.
type AE struct {
	Config AEConfig
	// Networks holds the encoder, whose last layer outputs the code, and the
	// decoder.
	Networks
}

// NewAE returns an autoencoder with architecture cfg initialised from rnd as
// PyTorch initialises nn.Linear (encoder first, then decoder).
func NewAE(cfg AEConfig, rnd *rand.Rand) (*AE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Hidden = slices.Clone(cfg.Hidden)
	return &AE{Config: cfg, Networks: newNetworks(cfg.encoderSizes(), cfg.decoderSizes(), cfg.Activation, rnd)}, nil
}

// NewAEFromParams builds an autoencoder from named tensors as returned by
// Params, copying them.
func NewAEFromParams(cfg AEConfig, params map[string]Tensor) (*AE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nets, err := networksFromParams(params, cfg.encoderSizes(), cfg.decoderSizes(), cfg.Activation)
	if err != nil {
		return nil, err
	}
	cfg.Hidden = slices.Clone(cfg.Hidden)
	return &AE{Config: cfg, Networks: nets}, nil
}

// Encode returns the code of each row of x as an n×Code matrix. It panics
// if x does not have D columns.
func (a *AE) Encode(x mat.Matrix) *mat.Dense {
	xs, n := toF32(x, a.Config.DataDim, "x")
	return toDense(a.Encoder.forward(xs, n), n, a.Config.Code)
}

// Decode returns the decoder output for each row of code: the
// reconstruction for MSE, logits for BCE. It panics if code does not have
// Code columns.
func (a *AE) Decode(code mat.Matrix) *mat.Dense {
	cs, n := toF32(code, a.Config.Code, "code")
	return toDense(a.Decoder.forward(cs, n), n, a.Config.DataDim)
}

// DecodeMean returns the reconstruction in data space for each row of
// code: σ(logits) for the BCE loss, the decoder output for MSE.
func (a *AE) DecodeMean(code mat.Matrix) *mat.Dense {
	out := a.Decode(code)
	if a.Config.Loss == BCE {
		out.Apply(func(_, _ int, l float64) float64 { return sigmoid(l) }, out)
	}
	return out
}
