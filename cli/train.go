package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// trainFlags are the flags of train-vae and train-ae.
type trainFlags struct {
	kind       string // "vae" or "ae"
	latent     int    // --latent (VAE) or --code (AE)
	hidden     string
	activation string
	likelihood string // VAE
	logSigma   float64
	loss       string // AE
	objective  string // VAE
	estimator  string // VAE
	flow       string // VAE
	flowSteps  int    // VAE
	flowHidden int    // VAE
	k          int
	beta       float64
	warmup     int
	epochs     int
	batch      int
	lr, clip   float64
	seed       uint64
	data       string
	testData   string
	trainN     int
	testN      int
	binarize   string
	out        string
	resume     bool
	force      bool
	json       bool
}

const trainLongCommon = `
Data: --data names a data folder (MNIST IDX files, or binarised MNIST
NAME_train.amat and NAME_test.amat), a single data file (IDX, .amat, CSV or
NPY; give the test set with --test-data) or embedded:NAME for a data set
compiled into vitool (embedded:mnist, embedded:binarized-mnist). The default is
the embedded MNIST subset: 2000 training and 500 test images.

Each epoch shows a progress bar with the running loss on stderr, logs one
line (train loss, test score on the first --test-n test points, seconds) and,
with --json, prints one JSON object per line on stdout. After every epoch the
output folder --out receives, each file written atomically:

  model.safetensors        the model: a PyTorch state_dict (encoder.0.weight
                           [out, in], …) with the architecture in its metadata
  train_state.safetensors  Adam's moments, the position and the training settings
  curve.csv, curve.png     the learning curve
  reconstructions.png      test images (top rows) above their reconstructions
  samples.png              decoded draws from N(0, I) in latent (code) space

Interrupting (Ctrl-C) finishes the current step, saves a checkpoint at that
step and exits with status 0, printing how to resume. --resume continues the
run in --out exactly: with the settings saved there (flags that would change
them are refused; --epochs may be raised), the final weights are bit for bit
those of an uninterrupted run. If a loss or gradient turns NaN or infinite,
training stops with an error naming the epoch and step (exit status 1), and
the checkpoint of the last completed epoch stays in --out. Bad flags or input
files give exit status 2.`

func newTrainVAECommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	f := &trainFlags{kind: "vae"}
	cmd := &cobra.Command{
		Use:   "train-vae",
		Short: "Train a variational autoencoder (ELBO or IWAE objective) with Adam",
		Long: `train-vae trains a variational autoencoder: a Gaussian encoder q(z|x) =
N(μ(x), diag σ²(x)), a decoder p(x|z) (Bernoulli logits or a Gaussian mean with
fixed σ = exp(--log-sigma)) and the prior p(z) = N(0, I), maximising the ELBO
(KL in closed form, or sampled) or the IWAE-K bound with minibatch Adam. The
KL weight can be set (--beta) and warmed up linearly over --warmup epochs.
With --flow iaf the encoder also outputs a context h(x) and q(z|x) applies
--flow-steps inverse autoregressive flow steps (each a MADE of --flow-hidden
tanh units conditioned on h) to the Gaussian draw (Kingma et al. 2016); the
KL term is then sampled, and estimate-px uses the flow as its proposal.

Binary data: --binarize dynamic draws a fresh Bernoulli value for every pixel
each time an image is used (as in the IWAE paper), fixed binarises the
training set once (from --seed), none uses the intensities as they are; auto
is dynamic for a Bernoulli likelihood and none for a Gaussian one. The test
ELBO (analytic KL, one sample) is computed on a test set binarised once with
a fixed seed, so that it is comparable across epochs and runs.
` + trainLongCommon,
		Example: `  vitool train-vae --epochs 20 --out run
  vitool train-vae --objective iwae --k 5 --latent 20 --out run-iwae
  vitool train-vae --flow iaf --flow-steps 2 --out run-iaf
  vitool train-vae --resume --out run --epochs 40
  vitool train-vae --data ~/data/mnist --hidden 500,500 --json > curve.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrain(cmd.Context(), g, f, cmd.Flags(), stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.latent, "latent", 16, "latent dimension L")
	fl.StringVar(&f.likelihood, "likelihood", "bernoulli", "decoder likelihood: bernoulli or gaussian")
	fl.Float64Var(&f.logSigma, "log-sigma", 0, "log standard deviation of the Gaussian likelihood (fixed, not learned)")
	fl.StringVar(&f.objective, "objective", "elbo", "objective: elbo (analytic KL), elbo-sampled or iwae")
	fl.IntVar(&f.k, "k", 1, "samples of z per example (the K of IWAE-K; the ELBOs average over K)")
	fl.StringVar(&f.estimator, "estimator", "standard", "gradient estimator: standard, stl (elbo-sampled), dreg or rws (iwae)")
	fl.Float64Var(&f.beta, "beta", 1, "KL weight β after the warm-up")
	fl.IntVar(&f.warmup, "warmup", 0, "epochs over which β rises linearly from 0 (0: no warm-up)")
	fl.StringVar(&f.flow, "flow", "none", "encoder family: none (diagonal Gaussian) or iaf (inverse autoregressive flow steps on top of it, conditioned on an encoder context)")
	fl.IntVar(&f.flowSteps, "flow-steps", 2, "number of IAF steps (with --flow iaf)")
	fl.IntVar(&f.flowHidden, "flow-hidden", 64, "width of each IAF step's MADE and of the encoder's context (with --flow iaf)")
	addTrainFlags(fl, f)
	return cmd
}

func newTrainAECommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	f := &trainFlags{kind: "ae"}
	cmd := &cobra.Command{
		Use:   "train-ae",
		Short: "Train a plain (deterministic) autoencoder with Adam",
		Long: `train-ae trains a plain autoencoder x → code → reconstruction with minibatch
Adam, minimising the mean squared error or the binary cross-entropy (from
logits) per value. It is the baseline for the VAE: its samples.png decodes
random codes drawn from N(0, I), which, unlike a VAE's prior samples, show
that an autoencoder's code space is no generative model.

--binarize auto is dynamic for --loss bce and none for --loss mse. The test
loss is computed on a test set binarised once with a fixed seed (unless
--binarize none).
` + trainLongCommon,
		Example: `  vitool train-ae --code 2 --epochs 20 --out run-ae
  vitool train-ae --loss mse --binarize none --out run-ae-mse`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrain(cmd.Context(), g, f, cmd.Flags(), stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.latent, "code", 16, "code size")
	fl.StringVar(&f.loss, "loss", "bce", "reconstruction loss: mse or bce")
	addTrainFlags(fl, f)
	return cmd
}

// noArgs refuses positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments (got %q); settings are flags, see --help", cmd.CommandPath(), args[0])
	}
	return nil
}

// addTrainFlags adds the flags that train-vae and train-ae share.
func addTrainFlags(fl *pflag.FlagSet, f *trainFlags) {
	fl.StringVar(&f.hidden, "hidden", "256", "encoder hidden layer sizes, comma-separated (the decoder mirrors them); empty for none")
	fl.StringVar(&f.activation, "activation", "relu", "hidden-layer activation: tanh, relu or softplus")
	fl.IntVar(&f.epochs, "epochs", 15, "number of epochs to train (with --resume: the new total)")
	fl.IntVar(&f.batch, "batch", 50, "minibatch size")
	fl.Float64Var(&f.lr, "lr", 2e-3, "Adam learning rate")
	fl.Float64Var(&f.clip, "clip", 0, "clip the global gradient norm to this value (0: no clipping)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed of the initialisation, shuffling, binarisation and ε")
	fl.StringVar(&f.data, "data", "", "training data: a folder, a file or embedded:NAME (default: the embedded MNIST subset)")
	fl.StringVar(&f.testData, "test-data", "", "test data file (default: the test split of --data)")
	fl.IntVar(&f.trainN, "train-n", 0, "use only the first N training points (0: all)")
	fl.IntVar(&f.testN, "test-n", 1000, "evaluate on the first N test points (0: no test evaluation)")
	fl.StringVar(&f.binarize, "binarize", "auto", "binarisation of the data: auto, dynamic, fixed or none")
	fl.StringVar(&f.out, "out", "run", "output folder for the checkpoint, curves and figures")
	fl.BoolVar(&f.resume, "resume", false, "continue the run saved in --out")
	fl.BoolVar(&f.force, "force", false, "start a new run even if --out holds a checkpoint (overwriting it)")
	fl.BoolVar(&f.json, "json", false, "print one JSON object per epoch on stdout")
}

// trainStepHook, when set by a test, is called after every training step
// with the model being trained.
var trainStepHook func(m checkpoint.Model, s amortized.StepStats)

// Extra metadata keys of the training-state file, written by the CLI.
const (
	extraEpochs   = "epochs"
	extraData     = "data"
	extraTestData = "test_data"
	extraTrainN   = "train_n"
	extraTestN    = "test_n"
	extraDataHash = "data_hash"
	extraCurve    = "curve"
)

// trainSettings are the resolved settings of a run: from the flags, or
// from the checkpoint when resuming.
type trainSettings struct {
	kind       string
	latent     int
	hidden     []int
	activation amortized.Activation
	likelihood amortized.Likelihood
	logSigma   float64
	flow       amortized.Flow
	flowSteps  int
	flowHidden int
	// estimator is --estimator as given, when it cannot apply to the
	// objective of the flags' defaults because the saved run's objective
	// will (--resume); empty otherwise.
	estimator string
	loss      amortized.AELoss
	train     amortized.TrainConfig
	epochs    int
	data      string
	testData  string
	trainN    int
	testN     int
}

// values returns the settings as the strings that identify them, keyed by
// flag name, to compare explicitly set flags with a saved run.
func (s *trainSettings) values() map[string]string {
	fl := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	hidden := make([]string, len(s.hidden))
	for i, h := range s.hidden {
		hidden[i] = strconv.Itoa(h)
	}
	v := map[string]string{
		"hidden":     strings.Join(hidden, ","),
		"activation": s.activation.String(),
		"batch":      strconv.Itoa(s.train.BatchSize),
		"lr":         fl(s.train.Adam.LR),
		"clip":       fl(s.train.Adam.ClipNorm),
		"seed":       strconv.FormatUint(s.train.Seed, 10),
		"binarize":   s.train.Binarization.String(),
		"data":       s.data,
		"test-data":  s.testData,
		"train-n":    strconv.Itoa(s.trainN),
		"test-n":     strconv.Itoa(s.testN),
	}
	if s.kind == "vae" {
		v["latent"] = strconv.Itoa(s.latent)
		v["likelihood"] = s.likelihood.String()
		v["log-sigma"] = fl(s.logSigma)
		v["objective"] = objectiveFlag(s.train.Objective)
		v["k"] = strconv.Itoa(s.train.Objective.K)
		v["estimator"] = s.train.Objective.Estimator.String()
		if s.estimator != "" {
			v["estimator"] = s.estimator
		}
		v["beta"] = fl(s.train.Beta)
		v["warmup"] = strconv.Itoa(s.train.Warmup.N)
		v["flow"] = s.flow.String()
		if s.flow == amortized.FlowIAF {
			v["flow-steps"] = strconv.Itoa(s.flowSteps)
			v["flow-hidden"] = strconv.Itoa(s.flowHidden)
		}
	} else {
		v["code"] = strconv.Itoa(s.latent)
		v["loss"] = s.loss.String()
	}
	return v
}

// settingsFromFlags validates the flags and resolves them into settings.
func settingsFromFlags(f *trainFlags) (*trainSettings, error) {
	s := &trainSettings{kind: f.kind, epochs: f.epochs, data: f.data, testData: f.testData, trainN: f.trainN, testN: f.testN}
	latentFlag := "--latent"
	if f.kind == "ae" {
		latentFlag = "--code"
	}
	var err error
	switch {
	case f.latent < 1:
		return nil, usagef("%s: %d is not a positive integer", latentFlag, f.latent)
	case f.epochs < 1:
		return nil, usagef("--epochs: %d is not a positive integer", f.epochs)
	case f.batch < 1:
		return nil, usagef("--batch: %d is not a positive integer", f.batch)
	case !(f.lr > 0) || math.IsInf(f.lr, 0):
		return nil, usagef("--lr: %v is not a positive number", f.lr)
	case !(f.clip >= 0) || math.IsInf(f.clip, 0):
		return nil, usagef("--clip: %v is not a finite number ≥ 0 (0 disables clipping)", f.clip)
	case f.trainN < 0:
		return nil, usagef("--train-n: %d is negative (want 0 for all points, or a positive count)", f.trainN)
	case f.testN < 0:
		return nil, usagef("--test-n: %d is negative (want 0 for no test evaluation, or a positive count)", f.testN)
	case strings.TrimSpace(f.out) == "":
		return nil, usagef("--out: empty folder name")
	}
	s.latent = f.latent
	if s.hidden, err = amortized.ParseHidden(f.hidden); err != nil {
		return nil, usagef("--hidden: %q: want positive layer sizes separated by commas, such as 200,200", f.hidden)
	}
	if s.activation, err = amortized.ParseActivation(f.activation); err != nil {
		return nil, usagef("--activation: unknown value %q (want tanh, relu or softplus)", f.activation)
	}
	s.train = amortized.TrainConfig{BatchSize: f.batch, Seed: f.seed, Adam: vi.AdamConfig{LR: f.lr, ClipNorm: f.clip}}
	binary := true // whether the model wants 0/1 data
	if f.kind == "vae" {
		if s.likelihood, err = amortized.ParseLikelihood(f.likelihood); err != nil {
			return nil, usagef("--likelihood: unknown value %q (want bernoulli or gaussian)", f.likelihood)
		}
		if math.IsNaN(f.logSigma) || math.IsInf(f.logSigma, 0) || math.Abs(f.logSigma) > 20 {
			return nil, usagef("--log-sigma: %v is not a number in [-20, 20]", f.logSigma)
		}
		if s.likelihood == amortized.Gaussian {
			s.logSigma = f.logSigma
		}
		binary = s.likelihood == amortized.Bernoulli
		if s.flow, err = amortized.ParseFlow(f.flow); err != nil {
			return nil, usagef("--flow: unknown value %q (want none or iaf)", f.flow)
		}
		if s.flow == amortized.FlowIAF {
			switch {
			case f.flowSteps < 1:
				return nil, usagef("--flow-steps: %d is not a positive integer", f.flowSteps)
			case f.flowHidden < 1:
				return nil, usagef("--flow-hidden: %d is not a positive integer", f.flowHidden)
			}
			s.flowSteps, s.flowHidden = f.flowSteps, f.flowHidden
		}
		if f.k < 1 {
			return nil, usagef("--k: %d is not a positive integer", f.k)
		}
		switch f.objective {
		case "elbo":
			s.train.Objective = ppl.Objective{K: f.k, AnalyticKL: true}
		case "elbo-sampled":
			s.train.Objective = ppl.Objective{K: f.k}
		case "iwae":
			s.train.Objective = ppl.Objective{Bound: ppl.BoundIWAE, K: f.k}
		default:
			return nil, usagef("--objective: unknown value %q (want elbo, elbo-sampled or iwae)", f.objective)
		}
		e, ok := estimatorNames[f.estimator]
		if !ok {
			return nil, usagef("--estimator: unknown value %q (want standard, stl, dreg or rws)", f.estimator)
		}
		s.train.Objective.Estimator = e
		if err := s.train.Objective.Validate(); err != nil {
			if f.resume {
				// The saved objective applies, and loadSaved compares
				// --estimator with it.
				s.train.Objective.Estimator, s.estimator = ppl.Standard, f.estimator
			} else {
				return nil, usagef("--estimator %s with --objective %s and --k %d: %v", f.estimator, f.objective, f.k, strings.TrimPrefix(err.Error(), "ppl: "))
			}
		}
		if !(f.beta >= 0) || math.IsInf(f.beta, 0) {
			return nil, usagef("--beta: %v is not a finite number ≥ 0", f.beta)
		}
		if f.beta == 0 {
			// TrainConfig reads 0 as the default 1; β = 0 exactly is a
			// plain (non-variational) reconstruction objective that
			// vitool does not offer.
			return nil, usagef("--beta: 0 is not supported (want β > 0; train-ae trains a plain autoencoder)")
		}
		s.train.Beta = f.beta
		if f.warmup < 0 {
			return nil, usagef("--warmup: %d is negative (want 0 for no warm-up, or a number of epochs)", f.warmup)
		}
		s.train.Warmup = vi.Warmup{N: f.warmup}
	} else {
		if s.loss, err = amortized.ParseAELoss(f.loss); err != nil {
			return nil, usagef("--loss: unknown value %q (want mse or bce)", f.loss)
		}
		binary = s.loss == amortized.BCE
	}
	if f.binarize == "auto" {
		s.train.Binarization = dataset.Continuous
		if binary {
			s.train.Binarization = dataset.Dynamic
		}
	} else if s.train.Binarization, err = dataset.ParseBinarization(f.binarize); err != nil {
		return nil, usagef("--binarize: unknown value %q (want auto, dynamic, fixed or none)", f.binarize)
	}
	s.train = normalizeTrainConfig(s.train)
	return s, nil
}

// normalizeTrainConfig fills in the defaults of c as the trainer does, so
// that settings from flags and from a checkpoint compare equal.
func normalizeTrainConfig(c amortized.TrainConfig) amortized.TrainConfig {
	n, err := amortized.ParseTrainConfig(c.Metadata())
	if err != nil {
		panic(fmt.Sprintf("cli: train config %+v does not round-trip: %v", c, err))
	}
	return n
}

// trainRun is the state of a train-vae or train-ae run.
type trainRun struct {
	s           *trainSettings
	out         string
	log         zerolog.Logger
	show        bool
	stderr      io.Writer
	model       checkpoint.Model
	tr          *amortized.Trainer
	train, test *dataset.Dataset
	hash        string
	curve       []curveRow
	cmdName     string
	savedAt     string // position of the checkpoint on disk, "" if none
}

func runTrain(ctx context.Context, g *globalFlags, f *trainFlags, fl *pflag.FlagSet, stdout, stderr io.Writer) error {
	log, show, err := g.outputs(stderr)
	if err != nil {
		return err
	}
	s, err := settingsFromFlags(f)
	if err != nil {
		return err
	}
	r := &trainRun{s: s, out: f.out, log: log, show: show, stderr: stderr, cmdName: "train-" + f.kind}

	var saved *checkpoint.Run
	if f.resume {
		if saved, err = r.loadSaved(f, fl); err != nil {
			return err
		}
		s = r.s
	} else if !f.force {
		for _, name := range []string{checkpoint.ModelFile, checkpoint.StateFile} {
			if _, err := os.Stat(filepath.Join(f.out, name)); err == nil {
				return usagef("--out: %s already holds a checkpoint (%s); pass --resume to continue it, --force to overwrite it, or choose another --out", f.out, name)
			}
		}
	}
	if err := r.loadData(); err != nil {
		return err
	}
	if saved != nil && r.hash != saved.State.Extra[extraDataHash] {
		return usagef("--data: the training data (%s, %d points) differ from those the run in %s was trained on", r.train.Name, r.train.N, f.out)
	}
	if err := trainPlan(s, r.train.N, r.train.D).check(); err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o777); err != nil {
		return usagef("--out: %v", err)
	}
	if err := cleanStaleOutputs(f.out); err != nil {
		return err
	}
	if err := r.buildModel(saved); err != nil {
		return err
	}
	if r.tr.Epoch() >= s.epochs {
		return usagef("--epochs: the run in %s has completed %d epochs already; pass a larger --epochs to train further", f.out, r.tr.Epoch())
	}
	ev := log.Info().Str("model", f.kind).Int("params", countParams(r.model)).Str("data", r.train.Name).
		Int("train_points", r.train.N).Str("binarize", s.train.Binarization.String()).Str("out", f.out)
	if f.kind == "vae" {
		ev = ev.Str("objective", s.train.Objective.String())
	}
	if saved != nil {
		ev = ev.Int("from_epoch", r.tr.Epoch()+1).Int("from_step", r.tr.Step()+1)
	}
	ev.Msg("training")
	return r.loop(ctx, f.json, stdout)
}

// loadSaved reads the run in --out for --resume, checks the flags set on
// the command line against it, and replaces the settings with the saved
// ones.
func (r *trainRun) loadSaved(f *trainFlags, fl *pflag.FlagSet) (*checkpoint.Run, error) {
	if _, err := os.Stat(filepath.Join(f.out, checkpoint.ModelFile)); err != nil {
		return nil, usagef("--resume: no checkpoint in %s (%s is missing)", f.out, checkpoint.ModelFile)
	}
	run, err := checkpoint.LoadRun(f.out)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--resume: %w", err)}
	}
	s := &trainSettings{kind: f.kind, train: run.State.Config}
	switch m := run.Model.(type) {
	case *amortized.VAE:
		if f.kind != "vae" {
			return nil, usagef("--resume: %s holds a VAE; continue it with vitool train-vae", f.out)
		}
		c := m.Config
		s.latent, s.hidden, s.activation, s.likelihood, s.logSigma = c.Latent, c.Hidden, c.Activation, c.Likelihood, c.LogSigma
		s.flow, s.flowSteps, s.flowHidden = c.Flow, c.FlowSteps, c.FlowHidden
	case *amortized.AE:
		if f.kind != "ae" {
			return nil, usagef("--resume: %s holds an autoencoder; continue it with vitool train-ae", f.out)
		}
		c := m.Config
		s.latent, s.hidden, s.activation, s.loss = c.Code, c.Hidden, c.Activation, c.Loss
	}
	x := run.State.Extra
	s.data, s.testData = x[extraData], x[extraTestData]
	var e1, e2, e3 error
	s.epochs, e1 = strconv.Atoi(x[extraEpochs])
	s.trainN, e2 = strconv.Atoi(x[extraTrainN])
	s.testN, e3 = strconv.Atoi(x[extraTestN])
	if err := errors.Join(e1, e2, e3); err != nil {
		return nil, usagef("--resume: %s: the run's settings are incomplete: %v", filepath.Join(f.out, checkpoint.StateFile), err)
	}
	if x[extraCurve] != "" {
		if r.curve, err = parseCurve(x[extraCurve]); err != nil {
			return nil, usagef("--resume: %s: %v", filepath.Join(f.out, checkpoint.StateFile), err)
		}
	}
	// Flags given on the command line must agree with the saved run.
	want, have := r.s.values(), s.values()
	var conflict error
	fl.Visit(func(p *pflag.Flag) {
		if v, ok := have[p.Name]; ok && conflict == nil && want[p.Name] != v {
			conflict = usagef("--%s: %s differs from the value %q that the run in %s was trained with; --resume keeps the saved settings (only --epochs may change)", p.Name, p.Value.String(), v, f.out)
		}
	})
	if conflict != nil {
		return nil, conflict
	}
	if fl.Changed("epochs") {
		s.epochs = f.epochs
	}
	r.s = s
	return run, nil
}

// buildModel creates the model and the trainer, or restores them from the
// saved run.
func (r *trainRun) buildModel(saved *checkpoint.Run) error {
	s := r.s
	var err error
	if saved != nil {
		r.model = saved.Model
	} else {
		rnd := newInitRand(s.train.Seed)
		if s.kind == "vae" {
			r.model, err = amortized.NewVAE(amortized.VAEConfig{DataDim: r.train.D, Latent: s.latent, Hidden: s.hidden,
				Activation: s.activation, Likelihood: s.likelihood, LogSigma: s.logSigma,
				Flow: s.flow, FlowSteps: s.flowSteps, FlowHidden: s.flowHidden}, rnd)
		} else {
			r.model, err = amortized.NewAE(amortized.AEConfig{DataDim: r.train.D, Code: s.latent, Hidden: s.hidden,
				Activation: s.activation, Loss: s.loss}, rnd)
		}
		if err != nil {
			return &UsageError{Err: err}
		}
	}
	if d := modelDataDim(r.model); d != r.train.D {
		return usagef("--data: %s has %d values per point, but the model in %s takes %d", r.train.Name, r.train.D, r.out, d)
	}
	switch m := r.model.(type) {
	case *amortized.VAE:
		r.tr, err = amortized.NewVAETrainer(m, s.train)
	case *amortized.AE:
		r.tr, err = amortized.NewAETrainer(m, s.train)
	}
	if err != nil {
		return &UsageError{Err: err}
	}
	if saved != nil {
		if err := saved.State.Restore(r.tr); err != nil {
			return &UsageError{Err: fmt.Errorf("--resume: %w", err)}
		}
		if r.tr.Step() > 0 && r.tr.Step()*s.train.BatchSize >= r.train.N {
			return usagef("--resume: the saved position (step %d) lies beyond the %d training points", r.tr.Step(), r.train.N)
		}
		r.savedAt = r.position()
	}
	return nil
}

// loop trains epoch by epoch until --epochs, an interruption or an error.
func (r *trainRun) loop(ctx context.Context, jsonOut bool, stdout io.Writer) error {
	s, tr := r.s, r.tr
	steps := (r.train.N + s.train.BatchSize - 1) / s.train.BatchSize
	for tr.Epoch() < s.epochs {
		e := tr.Epoch()
		done := min(tr.Step()*s.train.BatchSize, r.train.N)
		bar := newTrainBar(r.show, r.train.N, done, fmt.Sprintf("epoch %d/%d", e+1, s.epochs), r.stderr)
		start := time.Now()
		var lossSum float64
		var seen int
		st, err := tr.TrainEpoch(ctx, r.train, func(ss amortized.StepStats) {
			lossSum += ss.Loss * float64(ss.Examples)
			seen += ss.Examples
			bar.describe(fmt.Sprintf("epoch %d/%d  loss %.4g", e+1, s.epochs, lossSum/float64(seen)))
			bar.add(ss.Examples)
			if trainStepHook != nil {
				trainStepHook(r.model, ss)
			}
		})
		bar.Finish()
		secs := time.Since(start).Seconds()
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return r.interrupted()
		}
		if err != nil {
			var se *amortized.StepError
			if errors.As(err, &se) {
				return fmt.Errorf("training stopped at epoch %d, step %d of %d: %w; %s",
					se.Epoch+1, se.Step+1, steps, errors.Unwrap(se), r.lastGood())
			}
			return fmt.Errorf("training stopped at epoch %d: %w; %s", e+1, err, r.lastGood())
		}
		row := curveRow{Epoch: e + 1, Beta: st.Beta, TrainLoss: st.Loss, TrainBound: st.Bound, Test: math.NaN(), Seconds: secs}
		if r.test != nil {
			row.Test, err = r.evaluate()
			if err != nil {
				return fmt.Errorf("epoch %d: test evaluation: %w; %s", e+1, err, r.lastGood())
			}
		}
		r.curve = append(r.curve, row)
		if err := r.save(); err != nil {
			return err
		}
		ips := float64(r.train.N-done) / secs
		ev := r.log.Info().Int("epoch", e+1).Float64("train_loss", round4(st.Loss))
		if s.kind == "vae" {
			ev = ev.Float64("beta", round4(st.Beta)).Float64("train_elbo", round4(st.Bound)).Float64("test_elbo", round4(row.Test))
		} else {
			ev = ev.Float64("test_loss", round4(row.Test))
		}
		ev.Float64("seconds", round4(secs)).Float64("images_per_s", math.Round(ips)).Msg("epoch")
		if jsonOut {
			if err := writeEpochJSON(stdout, s.kind, row, s.epochs, st.Steps, ips); err != nil {
				return err
			}
		}
	}
	r.log.Info().Str("out", r.out).Msg("done")
	return nil
}

// round4 rounds v to four decimals for log lines (the CSV and JSON
// outputs keep every digit).
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// lastGood describes the checkpoint left on disk after a failure.
func (r *trainRun) lastGood() string {
	if r.savedAt == "" {
		return "no checkpoint was written"
	}
	return fmt.Sprintf("the last good checkpoint (%s) is kept in %s", r.savedAt, r.out)
}

// position describes the trainer's position for messages.
func (r *trainRun) position() string {
	if r.tr.Step() == 0 {
		return fmt.Sprintf("after epoch %d", r.tr.Epoch())
	}
	return fmt.Sprintf("epoch %d, after step %d", r.tr.Epoch()+1, r.tr.Step())
}

// interrupted saves a checkpoint at the current step and tells how to
// resume.
func (r *trainRun) interrupted() error {
	if err := r.save(); err != nil {
		return fmt.Errorf("interrupted, but the checkpoint could not be saved: %w", err)
	}
	steps := (r.train.N + r.s.train.BatchSize - 1) / r.s.train.BatchSize
	r.log.Warn().Int("epoch", r.tr.Epoch()+1).Int("steps_done", r.tr.Step()).Int("steps", steps).Str("out", r.out).
		Msgf("interrupted; checkpoint saved; resume with: vitool %s --resume --out %s", r.cmdName, shellQuote(r.out))
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// save writes the checkpoint, the curve and the figures to --out.
func (r *trainRun) save() error {
	extra := map[string]string{
		extraEpochs:   strconv.Itoa(r.s.epochs),
		extraData:     r.s.data,
		extraTestData: r.s.testData,
		extraTrainN:   strconv.Itoa(r.s.trainN),
		extraTestN:    strconv.Itoa(r.s.testN),
		extraDataHash: r.hash,
		extraCurve:    formatCurve(r.curve),
	}
	if err := checkpoint.SaveRun(r.out, r.model, r.tr, extra, nil); err != nil {
		return err
	}
	r.savedAt = r.position()
	return r.writeOutputs()
}

func modelDataDim(m checkpoint.Model) int {
	switch m := m.(type) {
	case *amortized.VAE:
		return m.Config.DataDim
	case *amortized.AE:
		return m.Config.DataDim
	}
	panic(fmt.Sprintf("cli: unknown model %T", m))
}

func countParams(m checkpoint.Model) int {
	n := 0
	for _, t := range m.Params() {
		n += len(t.Data)
	}
	return n
}

// objectiveFlag returns the --objective value that selects o.
func objectiveFlag(o ppl.Objective) string {
	switch {
	case o.Bound == ppl.BoundIWAE:
		return "iwae"
	case o.AnalyticKL:
		return "elbo"
	}
	return "elbo-sampled"
}
