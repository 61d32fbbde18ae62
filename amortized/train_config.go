package amortized

import (
	"fmt"
	"math"
	"strconv"

	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// Metadata keys written by TrainConfig.Metadata, for the header of a
// training-state checkpoint.
const (
	MetaBatch        = "batch"
	MetaObjective    = "objective" // ppl.Objective.String(): "elbo", "iwae-5", …
	MetaBeta         = "beta"
	MetaWarmup       = "warmup" // epochs
	MetaLR           = "lr"
	MetaAdamBeta1    = "adam_beta1"
	MetaAdamBeta2    = "adam_beta2"
	MetaAdamEps      = "adam_eps"
	MetaClip         = "clip"
	MetaSeed         = "seed"
	MetaBinarization = "binarize" // "none", "dynamic" or "fixed"
)

// Metadata returns the configuration, with defaults filled in, as string
// pairs; ParseTrainConfig reads them back exactly (floats are written with
// the shortest representation that round-trips).
func (c TrainConfig) Metadata() map[string]string {
	c = c.withDefaults()
	a := c.Adam
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return map[string]string{
		MetaBatch:        strconv.Itoa(c.BatchSize),
		MetaObjective:    c.Objective.String(),
		MetaBeta:         f(c.Beta),
		MetaWarmup:       strconv.Itoa(c.Warmup.N),
		MetaLR:           f(a.LR),
		MetaAdamBeta1:    f(a.Beta1),
		MetaAdamBeta2:    f(a.Beta2),
		MetaAdamEps:      f(a.Eps),
		MetaClip:         f(a.ClipNorm),
		MetaSeed:         strconv.FormatUint(c.Seed, 10),
		MetaBinarization: c.Binarization.String(),
	}
}

// adamDefaults returns c with PyTorch's defaults filled in, as vi.Adam
// uses them (c itself if it is invalid).
func adamDefaults(c vi.AdamConfig) vi.AdamConfig {
	a, err := vi.NewAdam[float32](c, nil)
	if err != nil {
		return c
	}
	return a.Config()
}

// ParseTrainConfig reads a configuration written by TrainConfig.Metadata.
// It returns an error naming the first missing or malformed key.
func ParseTrainConfig(meta map[string]string) (TrainConfig, error) {
	var c TrainConfig
	var err error
	num := func(key string) float64 {
		if err != nil {
			return 0
		}
		v, e := strconv.ParseFloat(meta[key], 64)
		if e != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			err = fmt.Errorf("amortized: metadata %s = %q, want a finite number", key, meta[key])
		}
		return v
	}
	integer := func(key string) int {
		if err != nil {
			return 0
		}
		v, e := strconv.Atoi(meta[key])
		if e != nil || v < 0 {
			err = fmt.Errorf("amortized: metadata %s = %q, want a non-negative integer", key, meta[key])
		}
		return v
	}
	c.BatchSize = integer(MetaBatch)
	c.Warmup.N = integer(MetaWarmup)
	c.Beta = num(MetaBeta)
	c.Adam = vi.AdamConfig{LR: num(MetaLR), Beta1: num(MetaAdamBeta1), Beta2: num(MetaAdamBeta2), Eps: num(MetaAdamEps), ClipNorm: num(MetaClip)}
	if err != nil {
		return TrainConfig{}, err
	}
	if c.Objective, err = ppl.ParseObjective(meta[MetaObjective]); err != nil {
		return TrainConfig{}, fmt.Errorf("amortized: metadata %s: %w", MetaObjective, err)
	}
	if c.Seed, err = strconv.ParseUint(meta[MetaSeed], 10, 64); err != nil {
		return TrainConfig{}, fmt.Errorf("amortized: metadata %s = %q, want an unsigned integer", MetaSeed, meta[MetaSeed])
	}
	if c.Binarization, err = dataset.ParseBinarization(meta[MetaBinarization]); err != nil {
		return TrainConfig{}, fmt.Errorf("amortized: metadata %s: %w", MetaBinarization, err)
	}
	if c.BatchSize < 1 {
		return TrainConfig{}, fmt.Errorf("amortized: metadata %s = %q, want a positive integer", MetaBatch, meta[MetaBatch])
	}
	if err := c.Adam.Validate(); err != nil {
		return TrainConfig{}, err
	}
	return c, nil
}
