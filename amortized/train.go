package amortized

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/internal/ad"
	"github.com/vitool/vitool/vi"
)

// TrainConfig configures a Trainer.
type TrainConfig struct {
	// BatchSize is the number of examples per step; 0 means 100.
	BatchSize int
	// Objective is the VAE training objective (ignored for an AE); the zero
	// value is the analytic-KL ELBO with one sample.
	Objective vi.Objective
	// Beta is the final KL weight β; 0 means 1.
	Beta float64
	// Warmup ramps β linearly from 0 to Beta over Warmup.N epochs: the
	// weight during epoch e (counted from 0) is Beta·Warmup.Beta(e).
	Warmup vi.Warmup
	// Adam holds the optimiser's hyperparameters.
	Adam vi.AdamConfig
	// Seed determines the shuffling and every ε: the same seed, model
	// initialisation and data give identical weights.
	Seed uint64
}

func (c TrainConfig) withDefaults() TrainConfig {
	if c.BatchSize == 0 {
		c.BatchSize = 100
	}
	if c.Beta == 0 {
		c.Beta = 1
	}
	c.Objective = c.Objective.Normalize()
	return c
}

// StepStats summarises one optimiser step.
type StepStats struct {
	// Loss is the minimised loss (the negative objective at the current β,
	// or the autoencoder's mean reconstruction loss).
	Loss float64
	// Bound is the batch mean of the per-example objective at β = 1 (the
	// ELBO or IWAE-K lower bound on log p(x)) for a VAE, and −Loss·D (the
	// negative per-example reconstruction loss) for an AE.
	Bound float64
	// GradNorm is the global gradient norm before clipping.
	GradNorm float64
	// Examples is the number of examples in the batch.
	Examples int
}

// EpochStats summarises one pass over the data: example-weighted means of
// the step statistics.
type EpochStats struct {
	Epoch    int
	Beta     float64
	Loss     float64
	Bound    float64
	GradNorm float64
	Steps    int
}

// TrainerState is the resumable state of a Trainer besides the model
// weights: epoch counter, random stream and optimiser state.
type TrainerState struct {
	Epoch int
	RNG   []byte
	Adam  vi.AdamState
}

// Trainer fits a VAE or an autoencoder with Adam on minibatches, compiling
// one gradient program per batch size through internal/ad. It updates the
// model's weights in place. A Trainer is not safe for concurrent use, and
// the model must not be read concurrently with a step.
type Trainer struct {
	cfg    TrainConfig
	vae    *VAE
	ae     *AE
	params [][]float32
	opt    *vi.Adam
	pcg    *rand.PCG
	rnd    *rand.Rand
	epoch  int

	vaeProgs map[int]*ad.VAEProgram[float32]
	aeProgs  map[int]*ad.AEProgram[float32]
	xbuf     []float32
	epsbuf   []float32
	lb, lr   []float64
	klb      []float64
}

// NewVAETrainer returns a trainer for m. It returns an error if cfg is
// invalid.
func NewVAETrainer(m *VAE, cfg TrainConfig) (*Trainer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Objective.Validate(); err != nil {
		return nil, err
	}
	t, err := newTrainer(cfg, m.slices())
	if err != nil {
		return nil, err
	}
	t.vae = m
	t.vaeProgs = make(map[int]*ad.VAEProgram[float32])
	return t, nil
}

// NewAETrainer returns a trainer for m. It returns an error if cfg is
// invalid.
func NewAETrainer(m *AE, cfg TrainConfig) (*Trainer, error) {
	t, err := newTrainer(cfg.withDefaults(), m.slices())
	if err != nil {
		return nil, err
	}
	t.ae = m
	t.aeProgs = make(map[int]*ad.AEProgram[float32])
	return t, nil
}

func newTrainer(cfg TrainConfig, params [][]float32) (*Trainer, error) {
	if cfg.BatchSize < 1 {
		return nil, fmt.Errorf("amortized: batch size %d must be positive", cfg.BatchSize)
	}
	if !(cfg.Beta >= 0) || math.IsInf(cfg.Beta, 0) {
		return nil, fmt.Errorf("amortized: KL weight β = %v must be finite and ≥ 0", cfg.Beta)
	}
	lens := make([]int, len(params))
	for i, p := range params {
		lens[i] = len(p)
	}
	opt, err := vi.NewAdam(cfg.Adam, lens)
	if err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(cfg.Seed, 0x7261696e) // "rain"
	return &Trainer{cfg: cfg, params: params, opt: opt, pcg: pcg, rnd: rand.New(pcg)}, nil
}

// Config returns the configuration with defaults filled in.
func (t *Trainer) Config() TrainConfig { return t.cfg }

// Optimizer returns the trainer's Adam optimiser.
func (t *Trainer) Optimizer() *vi.Adam { return t.opt }

// Epoch returns the number of completed epochs.
func (t *Trainer) Epoch() int { return t.epoch }

// Beta returns the KL weight of the current epoch.
func (t *Trainer) Beta() float64 { return t.cfg.Beta * t.cfg.Warmup.Beta(t.epoch) }

// State returns the trainer's resumable state.
func (t *Trainer) State() (TrainerState, error) {
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return TrainerState{}, err
	}
	return TrainerState{Epoch: t.epoch, RNG: rng, Adam: t.opt.State()}, nil
}

// SetState restores a state returned by State; with the model weights of
// the same moment, training then continues exactly as if uninterrupted.
func (t *Trainer) SetState(s TrainerState) error {
	if s.Epoch < 0 {
		return fmt.Errorf("amortized: trainer state has negative epoch %d", s.Epoch)
	}
	if err := t.pcg.UnmarshalBinary(s.RNG); err != nil {
		return fmt.Errorf("amortized: trainer random state: %w", err)
	}
	if err := t.opt.SetState(s.Adam); err != nil {
		return err
	}
	t.epoch = s.Epoch
	return nil
}

// dataDim returns D.
func (t *Trainer) dataDim() int {
	if t.vae != nil {
		return t.vae.Config.DataDim
	}
	return t.ae.Config.DataDim
}

// TrainStep takes one optimiser step on all rows of batch, at the current
// epoch's β. It panics if batch has the wrong number of columns and returns
// an error if the loss is not finite (the weights are then left unchanged)
// or a program cannot be compiled.
func (t *Trainer) TrainStep(batch mat.Matrix) (StepStats, error) {
	n, c := batch.Dims()
	D := t.dataDim()
	if c != D {
		panic(fmt.Sprintf("amortized: batch has %d columns, want %d", c, D))
	}
	t.xbuf = growF32(t.xbuf, n*D)
	if d, ok := batch.(*mat.Dense); ok {
		for i := 0; i < n; i++ {
			row := d.RawRowView(i)
			o := t.xbuf[i*D : (i+1)*D]
			for j, v := range row {
				o[j] = float32(v)
			}
		}
	} else {
		for i := 0; i < n; i++ {
			for j := 0; j < D; j++ {
				t.xbuf[i*D+j] = float32(batch.At(i, j))
			}
		}
	}
	return t.step(t.xbuf[:n*D], n)
}

func growF32(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func growF64(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// step runs one step on the n×D row-major batch x.
func (t *Trainer) step(x []float32, n int) (StepStats, error) {
	if t.vae != nil {
		return t.vaeStep(x, n)
	}
	return t.aeStep(x, n)
}

func (t *Trainer) vaeStep(x []float32, n int) (StepStats, error) {
	p, ok := t.vaeProgs[n]
	if !ok {
		cfg := t.vae.Config
		spec := ad.VAESpec{
			Encoder:    t.vae.Encoder.spec(),
			Decoder:    t.vae.Decoder.spec(),
			Likelihood: ad.Likelihood(cfg.Likelihood),
			LogSigma:   cfg.LogSigma,
			Objective:  adObjective(t.cfg.Objective.Kind),
			K:          t.cfg.Objective.K,
			Batch:      n,
		}
		var err error
		if p, err = ad.NewVAE(spec, t.params); err != nil {
			return StepStats{}, err
		}
		t.vaeProgs[n] = p
	}
	K, L := t.cfg.Objective.K, t.vae.Config.Latent
	t.epsbuf = growF32(t.epsbuf, K*n*L)
	for i := range t.epsbuf {
		t.epsbuf[i] = float32(t.rnd.NormFloat64())
	}
	beta := t.Beta()
	p.SetBeta(beta)
	loss, err := p.Run(x, t.epsbuf)
	if err != nil {
		return StepStats{Loss: loss}, err
	}
	t.lb = toF64(t.lb, p.LogLik())
	t.lr = toF64(t.lr, p.LogRatio())
	t.klb = toF64(t.klb, p.KL())
	bound := t.cfg.Objective.Bound(nil, t.lb, t.lr, t.klb, 1)
	var mean float64
	for _, b := range bound {
		mean += b
	}
	norm := t.opt.Step(t.params, p.Grads())
	return StepStats{Loss: loss, Bound: mean / float64(n), GradNorm: norm, Examples: n}, nil
}

func toF64(dst []float64, src []float32) []float64 {
	dst = growF64(dst, len(src))
	for i, v := range src {
		dst[i] = float64(v)
	}
	return dst
}

func adObjective(k vi.ObjectiveKind) ad.Objective {
	switch k {
	case vi.ELBOAnalytic:
		return ad.ELBOAnalytic
	case vi.ELBOSampled:
		return ad.ELBOSampled
	case vi.IWAE:
		return ad.IWAE
	}
	panic("amortized: unknown objective kind")
}

func (t *Trainer) aeStep(x []float32, n int) (StepStats, error) {
	p, ok := t.aeProgs[n]
	if !ok {
		spec := ad.AESpec{
			Encoder: t.ae.Encoder.spec(),
			Decoder: t.ae.Decoder.spec(),
			Loss:    ad.AELoss(t.ae.Config.Loss),
			Batch:   n,
		}
		var err error
		if p, err = ad.NewAE(spec, t.params); err != nil {
			return StepStats{}, err
		}
		t.aeProgs[n] = p
	}
	loss, err := p.Run(x)
	if err != nil {
		return StepStats{Loss: loss}, err
	}
	norm := t.opt.Step(t.params, p.Grads())
	return StepStats{Loss: loss, Bound: -loss * float64(t.dataDim()), GradNorm: norm, Examples: n}, nil
}

// ErrNoData is returned by RunEpoch when the data has no rows.
var ErrNoData = errors.New("amortized: no training data")

// RunEpoch shuffles the rows of data with the trainer's random stream,
// takes one step per batch of BatchSize rows (the last batch may be
// smaller; it gets its own compiled program) and advances the epoch
// counter. It stops at the first error, leaving the epoch counter unchanged.
func (t *Trainer) RunEpoch(data mat.Matrix) (EpochStats, error) {
	n, c := data.Dims()
	D := t.dataDim()
	if c != D {
		panic(fmt.Sprintf("amortized: data has %d columns, want %d", c, D))
	}
	if n == 0 {
		return EpochStats{}, ErrNoData
	}
	perm := t.rnd.Perm(n)
	st := EpochStats{Epoch: t.epoch, Beta: t.Beta()}
	B := t.cfg.BatchSize
	dense, isDense := data.(*mat.Dense)
	for start := 0; start < n; start += B {
		end := min(start+B, n)
		m := end - start
		t.xbuf = growF32(t.xbuf, m*D)
		for i := 0; i < m; i++ {
			o := t.xbuf[i*D : (i+1)*D]
			r := perm[start+i]
			if isDense {
				for j, v := range dense.RawRowView(r) {
					o[j] = float32(v)
				}
			} else {
				for j := range o {
					o[j] = float32(data.At(r, j))
				}
			}
		}
		s, err := t.step(t.xbuf[:m*D], m)
		if err != nil {
			return st, fmt.Errorf("amortized: epoch %d, step %d: %w", t.epoch, st.Steps, err)
		}
		w := float64(m) / float64(n)
		st.Loss += w * s.Loss
		st.Bound += w * s.Bound
		st.GradNorm += w * s.GradNorm
		st.Steps++
	}
	t.epoch++
	return st, nil
}

// Close releases the compiled programs.
func (t *Trainer) Close() error {
	var errs []error
	for _, p := range t.vaeProgs {
		errs = append(errs, p.Close())
	}
	for _, p := range t.aeProgs {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}
