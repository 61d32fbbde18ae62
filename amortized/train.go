package amortized

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// TrainConfig configures a Trainer.
type TrainConfig struct {
	// BatchSize is the number of examples per step; 0 means 100.
	BatchSize int
	// Objective is the VAE training objective (ignored for an AE), in
	// package ppl's vocabulary; the zero value means the analytic-KL ELBO
	// with one sample ("elbo").
	Objective ppl.Objective
	// Beta is the final KL weight β; 0 means 1.
	Beta float64
	// Warmup ramps β linearly from 0 to Beta over Warmup.N epochs: the
	// weight during epoch e (counted from 0) is Beta·Warmup.Beta(e).
	Warmup vi.Warmup
	// Adam holds the optimiser's hyperparameters.
	Adam vi.AdamConfig
	// Seed determines the shuffling, the binarisation draws and every ε:
	// the same seed, model initialisation and data give identical weights.
	Seed uint64
	// Binarization is applied to every training batch that TrainEpoch
	// draws: dataset.Continuous (the zero value) uses the values as they
	// are, dataset.Dynamic draws a fresh Bernoulli variable per value and
	// use, and dataset.Fixed requires binary data (see dataset.Binarize).
	Binarization dataset.Binarization
}

func (c TrainConfig) withDefaults() TrainConfig {
	if c.BatchSize == 0 {
		c.BatchSize = 100
	}
	if c.Beta == 0 {
		c.Beta = 1
	}
	if c.Objective == (ppl.Objective{}) {
		c.Objective = ppl.Objective{K: 1, AnalyticKL: true}
	}
	c.Adam = adamDefaults(c.Adam)
	return c
}

// StepStats summarises one optimiser step.
type StepStats struct {
	// Epoch and Step locate the step: Step counts the steps of epoch Epoch
	// from 0. A TrainStep outside an epoch has Step = −1.
	Epoch, Step int
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
// weights and the configuration: the position in the run, the running sums
// of the current epoch's statistics and the optimiser state. Randomness
// needs no state: every stream is derived from the seed and the position.
type TrainerState struct {
	// Epoch is the number of completed epochs and Step the number of
	// completed steps of epoch Epoch.
	Epoch, Step int
	// Examples is the number of examples seen in the completed steps of
	// epoch Epoch, and LossSum, BoundSum and GradNormSum the sums of their
	// step statistics weighted by the batch sizes.
	Examples                       int
	LossSum, BoundSum, GradNormSum float64
	// Adam is the optimiser state, aligned with Trainer.ParamNames.
	Adam vi.AdamState[float32]
}

// ErrNotFinite is wrapped by the errors of training steps whose loss or
// gradient is NaN or infinite; the weights are then left unchanged.
var ErrNotFinite = errors.New("amortized: loss or gradient is not finite")

// StepError is the error of a failed training step within an epoch. The
// model weights and the trainer state are those from before the step.
type StepError struct {
	Epoch, Step int
	Err         error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("amortized: epoch %d, step %d: %v", e.Epoch, e.Step, e.Err)
}

// Unwrap returns the underlying error.
func (e *StepError) Unwrap() error { return e.Err }

// Trainer fits a VAE or an autoencoder with Adam on minibatches, through
// the general path of package ppl: every step estimates the gradient of the
// objective of the model's Model and Guide with ppl.GradientTraces, whose
// networks are one operation each on the tape. It updates the model's
// weights in place. A Trainer is not safe for concurrent use, and the model
// must not be read concurrently with a step.
//
// The weights are float32, the precision of a checkpoint: the trainer keeps
// float32 masters, which Adam updates, and copies them into the model's
// ParamStore after every step. Training is step-granular and exactly
// resumable. The rows of epoch e are visited in the order of a permutation
// drawn from a stream seeded by (Seed, e); step s of epoch e draws its
// binarisation values and then its ε from a stream seeded by (Seed, e, s).
// A run stopped at any step and restarted from the weights and State of
// that moment therefore continues bit for bit as if it had not stopped.
type Trainer struct {
	cfg    TrainConfig
	vae    *VAE
	ae     *AE
	nets   *Networks
	names  []string
	params [][]float32
	grads  [][]float32
	opt    *vi.Adam[float32]
	st     TrainerState // position and running sums; st.Adam unused

	perm      []int // permutation of permEpoch over permN rows
	permEpoch int
	permN     int

	xbuf []float32
}

// NewVAETrainer returns a trainer for m. It returns an error if cfg is
// invalid.
func NewVAETrainer(m *VAE, cfg TrainConfig) (*Trainer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Objective.Validate(); err != nil {
		return nil, err
	}
	if cfg.Objective.Subsample != 0 || cfg.Objective.Enumerate {
		return nil, errors.New("amortized: a VAE trains on whole minibatches, without subsampling or enumeration")
	}
	t, err := newTrainer(cfg, &m.Networks)
	if err != nil {
		return nil, err
	}
	t.vae = m
	return t, nil
}

// NewAETrainer returns a trainer for m. It returns an error if cfg is
// invalid.
func NewAETrainer(m *AE, cfg TrainConfig) (*Trainer, error) {
	t, err := newTrainer(cfg.withDefaults(), &m.Networks)
	if err != nil {
		return nil, err
	}
	t.ae = m
	return t, nil
}

func newTrainer(cfg TrainConfig, nets *Networks) (*Trainer, error) {
	if cfg.BatchSize < 1 {
		return nil, fmt.Errorf("amortized: batch size %d must be positive", cfg.BatchSize)
	}
	if !(cfg.Beta >= 0) || math.IsInf(cfg.Beta, 0) {
		return nil, fmt.Errorf("amortized: KL weight β = %v must be finite and ≥ 0", cfg.Beta)
	}
	switch cfg.Binarization {
	case dataset.Continuous, dataset.Dynamic, dataset.Fixed:
	default:
		return nil, fmt.Errorf("amortized: unknown binarization %v", cfg.Binarization)
	}
	t := &Trainer{cfg: cfg, nets: nets, names: nets.ParamNames(), permEpoch: -1}
	lens := make([]int, len(t.names))
	for i, n := range t.names {
		v := nets.Store.Get(n).RawMatrix().Data
		t.params = append(t.params, make([]float32, len(v)))
		t.grads = append(t.grads, make([]float32, len(v)))
		for j, x := range v {
			t.params[i][j] = float32(x)
		}
		lens[i] = len(v)
	}
	opt, err := vi.NewAdam[float32](cfg.Adam, lens)
	if err != nil {
		return nil, err
	}
	t.opt = opt
	return t, nil
}

// Config returns the configuration with defaults filled in.
func (t *Trainer) Config() TrainConfig { return t.cfg }

// Optimizer returns the trainer's Adam optimiser.
func (t *Trainer) Optimizer() *vi.Adam[float32] { return t.opt }

// ParamNames returns the PyTorch names of the trained parameters, in the
// order of the optimiser's moment slices (TrainerState.Adam.M and V):
// encoder.0.weight, encoder.0.bias, encoder.2.weight, …, then the
// decoder's.
func (t *Trainer) ParamNames() []string { return append([]string(nil), t.names...) }

// Epoch returns the number of completed epochs.
func (t *Trainer) Epoch() int { return t.st.Epoch }

// Step returns the number of completed steps of the current epoch.
func (t *Trainer) Step() int { return t.st.Step }

// Beta returns the KL weight of the current epoch.
func (t *Trainer) Beta() float64 { return t.cfg.Beta * t.cfg.Warmup.Beta(t.st.Epoch) }

// State returns the trainer's resumable state, a deep copy.
func (t *Trainer) State() TrainerState {
	s := t.st
	s.Adam = t.opt.State()
	return s
}

// SetState restores a state returned by State; with the model weights of
// the same moment, the same configuration and the same data, training then
// continues exactly as if uninterrupted. It returns an error if the state
// is inconsistent or does not match the optimiser's parameters.
func (t *Trainer) SetState(s TrainerState) error {
	if s.Epoch < 0 || s.Step < 0 || s.Examples < 0 {
		return fmt.Errorf("amortized: trainer state has negative position (epoch %d, step %d, %d examples)", s.Epoch, s.Step, s.Examples)
	}
	if (s.Step == 0) != (s.Examples == 0) {
		return fmt.Errorf("amortized: trainer state has %d completed steps but %d examples", s.Step, s.Examples)
	}
	for _, v := range []float64{s.LossSum, s.BoundSum, s.GradNormSum} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("amortized: trainer state has a non-finite running sum %v", v)
		}
	}
	if err := t.opt.SetState(s.Adam); err != nil {
		return err
	}
	s.Adam = vi.AdamState[float32]{}
	t.st = s
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
// epoch's β, outside the epoch bookkeeping: the position does not move, and
// ε comes from a stream seeded by the seed and the optimiser's step count.
// It panics if batch has the wrong number of columns and returns an error
// wrapping ErrNotFinite if the loss or gradient is not finite (the weights
// are then left unchanged), or an error if a program cannot be compiled.
func (t *Trainer) TrainStep(batch mat.Matrix) (StepStats, error) {
	n, c := batch.Dims()
	D := t.dataDim()
	if c != D {
		panic(fmt.Sprintf("amortized: batch has %d columns, want %d", c, D))
	}
	t.xbuf = growF32(t.xbuf, n*D)
	matToF32(t.xbuf, batch)
	rnd := newStream(t.cfg.Seed, streamManual, uint64(t.opt.Steps()))
	s, err := t.step(t.xbuf[:n*D], n, rnd)
	s.Epoch, s.Step = t.st.Epoch, -1
	return s, err
}

// matToF32 copies the r×c matrix m into dst row-major.
func matToF32(dst []float32, m mat.Matrix) {
	r, c := m.Dims()
	if d, ok := m.(*mat.Dense); ok {
		for i := 0; i < r; i++ {
			o := dst[i*c : (i+1)*c]
			for j, v := range d.RawRowView(i) {
				o[j] = float32(v)
			}
		}
		return
	}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			dst[i*c+j] = float32(m.At(i, j))
		}
	}
}

func growF32(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// step runs one step on the n×D row-major batch x, drawing ε from rnd.
func (t *Trainer) step(x []float32, n int, rnd *rand.Rand) (StepStats, error) {
	D := t.dataDim()
	xv := ad.Const(n, D, nil)
	for i, v := range x[:n*D] {
		xv.Data[i] = float64(v)
	}
	var model ppl.Model
	var guide ppl.Guide
	obj, beta := ppl.Objective{K: 1}, 1.0
	if t.vae != nil {
		beta = t.Beta()
		model, guide, obj = t.vae.model(beta), t.vae.guide(beta), t.cfg.Objective
	} else {
		model, guide = t.ae.Model(), t.ae.Guide()
	}
	res, err := ppl.GradientTraces(model, guide, t.nets.Store, xv, obj, rnd)
	if err != nil {
		return StepStats{Loss: math.NaN(), Examples: n}, notFinite(err)
	}
	// The loss is the negative objective per example (VAE) or per value
	// (AE, as PyTorch's reduction "mean").
	per := float64(n)
	if t.ae != nil {
		per *= float64(D)
	}
	s := StepStats{Loss: -res.Value / per, Bound: res.Value / float64(n), Examples: n}
	switch {
	case t.ae != nil && t.ae.Config.Loss == MSE:
		s.Loss += 0.5*math.Ln2 - 0.5*math.Log(2*math.Pi)
		s.Bound = -s.Loss * float64(D)
	case t.ae != nil:
		s.Bound = -s.Loss * float64(D)
	case beta != 1:
		s.Bound = ppl.Unscaled(res.Guide, res.Model, obj) / float64(n)
	}
	for i, name := range t.names {
		for j, g := range res.Grads[name].RawMatrix().Data {
			t.grads[i][j] = float32(-g / per)
		}
	}
	s.GradNorm, err = t.update()
	return s, err
}

// notFinite wraps err with ErrNotFinite when it reports a non-finite
// objective.
func notFinite(err error) error {
	if errors.Is(err, ppl.ErrNotFinite) {
		return fmt.Errorf("%w: %w", ErrNotFinite, err)
	}
	return err
}

// update takes the Adam step and copies the weights into the model's store,
// unless the gradient is not finite, in which case it returns an error
// wrapping ErrNotFinite and leaves the weights and the optimiser state
// unchanged.
func (t *Trainer) update() (float64, error) {
	norm := vi.GlobalNorm(t.grads)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("%w: gradient norm is %v", ErrNotFinite, norm)
	}
	t.opt.Step(t.params, t.grads)
	for i, name := range t.names {
		dst := t.nets.Store.Unconstrained(name).RawMatrix().Data
		for j, v := range t.params[i] {
			dst[j] = float64(v)
		}
	}
	return norm, nil
}

// ErrNoData is returned by RunEpoch and TrainEpoch when the data has no
// rows.
var ErrNoData = errors.New("amortized: no training data")

// RunEpoch runs the rest of the current epoch on the rows of data, used as
// they are (whatever TrainConfig.Binarization says), and returns its
// statistics; see TrainEpoch. It panics if data has the wrong number of
// columns.
func (t *Trainer) RunEpoch(data mat.Matrix) (EpochStats, error) {
	n, c := data.Dims()
	if c != t.dataDim() {
		panic(fmt.Sprintf("amortized: data has %d columns, want %d", c, t.dataDim()))
	}
	ds := &dataset.Dataset{Name: "matrix", N: n, D: c, X: make([]float32, n*c)}
	matToF32(ds.X, data)
	return t.trainEpoch(context.Background(), ds, dataset.Continuous, nil)
}

// TrainEpoch runs the remaining steps of the current epoch on data, with
// the binarisation of TrainConfig.Binarization, and advances the position
// after every step. Step s takes the rows perm[s·B : (s+1)·B] of the
// epoch's permutation (the last batch may be smaller; it gets its own
// compiled program). onStep, if not nil, is called after every successful
// step.
//
// When the epoch completes, TrainEpoch returns its statistics, over all of
// its steps even if it was resumed in the middle, and moves to the next
// epoch. Before every step it checks ctx: if ctx is done it returns the
// statistics so far and an error wrapping ctx.Err(), and State then
// describes the position reached, ready to be saved. A failed step
// returns a *StepError (wrapping ErrNotFinite for a non-finite loss or
// gradient) and leaves the weights and the state as they were before it.
//
// TrainEpoch returns ErrNoData for empty data and an error if
// Binarization is dataset.Fixed and the data are not binary; it panics if
// data.D is not the model's data dimension.
func (t *Trainer) TrainEpoch(ctx context.Context, data *dataset.Dataset, onStep func(StepStats)) (EpochStats, error) {
	if data.D != t.dataDim() {
		panic(fmt.Sprintf("amortized: data %s has dimension %d, want %d", data.Name, data.D, t.dataDim()))
	}
	if t.cfg.Binarization == dataset.Fixed && !data.Binary {
		return EpochStats{}, fmt.Errorf("amortized: fixed binarisation needs binary data, and %s is not binary (binarise it once with Dataset.Binarize)", data.Name)
	}
	return t.trainEpoch(ctx, data, t.cfg.Binarization, onStep)
}

// Stream labels of the random streams derived from the seed.
const (
	streamShuffle = 0x73687566 // "shuf"
	streamStep    = 0x73746570 // "step"
	streamManual  = 0x6d616e75 // "manu"
)

func (t *Trainer) trainEpoch(ctx context.Context, data *dataset.Dataset, bin dataset.Binarization, onStep func(StepStats)) (EpochStats, error) {
	n, D, B := data.N, data.D, t.cfg.BatchSize
	if n == 0 {
		return EpochStats{}, ErrNoData
	}
	steps := (n + B - 1) / B
	if t.st.Step >= steps || t.st.Step*B != t.st.Examples {
		// A state saved by a run with other data or another batch size.
		return EpochStats{}, fmt.Errorf("amortized: trainer state at step %d with %d examples does not match batch size %d and %d rows", t.st.Step, t.st.Examples, B, n)
	}
	if t.permEpoch != t.st.Epoch || t.permN != n {
		t.perm = newStream(t.cfg.Seed, streamShuffle, uint64(t.st.Epoch)).Perm(n)
		t.permEpoch, t.permN = t.st.Epoch, n
	}
	stats := func() EpochStats {
		st := EpochStats{Epoch: t.st.Epoch, Beta: t.Beta(), Steps: t.st.Step}
		if t.st.Examples > 0 {
			w := float64(t.st.Examples)
			st.Loss, st.Bound, st.GradNorm = t.st.LossSum/w, t.st.BoundSum/w, t.st.GradNormSum/w
		}
		return st
	}
	for t.st.Step < steps {
		if err := ctx.Err(); err != nil {
			return stats(), fmt.Errorf("amortized: training stopped before epoch %d, step %d: %w", t.st.Epoch, t.st.Step, err)
		}
		s := t.st.Step
		idx := t.perm[s*B : min((s+1)*B, n)]
		m := len(idx)
		rnd := newStream(t.cfg.Seed, streamStep, uint64(t.st.Epoch), uint64(s))
		t.xbuf = growF32(t.xbuf, m*D)
		data.Batch(t.xbuf, idx, bin, rnd)
		ss, err := t.step(t.xbuf, m, rnd)
		ss.Epoch, ss.Step = t.st.Epoch, s
		if err != nil {
			return stats(), &StepError{Epoch: t.st.Epoch, Step: s, Err: err}
		}
		w := float64(m)
		t.st.LossSum += w * ss.Loss
		t.st.BoundSum += w * ss.Bound
		t.st.GradNormSum += w * ss.GradNorm
		t.st.Examples += m
		t.st.Step++
		if onStep != nil {
			onStep(ss)
		}
	}
	st := stats()
	t.st = TrainerState{Epoch: t.st.Epoch + 1}
	return st, nil
}
