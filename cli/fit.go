package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

type fitFlags struct {
	model, data, params, out string
	bound, estimator         string
	baseline                 string
	steps, batch, k, n       int
	window                   int
	lr, tol                  float64
	seed                     uint64
	force, json, enumerate   bool
}

var (
	boundNames     = map[string]ppl.Bound{"elbo": ppl.BoundELBO, "iwae": ppl.BoundIWAE}
	estimatorNames = map[string]ppl.Estimator{"standard": ppl.Standard, "stl": ppl.STL, "dreg": ppl.DReG, "rws": ppl.RWS}
)

func newFitCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	f := &fitFlags{}
	cmd := &cobra.Command{
		Use:   "fit",
		Short: "Fit a registered model's parameters by stochastic variational inference",
		Long: `fit fits the parameters of a model registered by the program (a ppl model and
guide, see cli.RegisterModel and docs/write-your-own-model.md) by stochastic
variational inference: Adam steps up the ELBO or the IWAE bound, averaged over
minibatches of the data, with the chosen gradient estimator:

  standard  reparameterisation for continuous sites, score function with a
            baseline for discrete ones (ELBO or IWAE), or with --enumerate a
            sum over the discrete sites' values (ELBO)
  stl       sticking the landing (ELBO; continuous guides only)
  dreg      doubly reparameterised gradients (IWAE; continuous guides only)
  rws       reweighted wake-sleep: IWAE's gradient for the model, the wake
            phase (descent on KL(posterior‖guide)) for the guide, so that
            the guide suits importance sampling (IWAE with --k ≥ 2;
            continuous guides only)

The fitted parameters are written to --out (safetensors, atomically), for
estimate-px --params. Interrupting (Ctrl-C) finishes the current step and saves
the parameters reached. The same --seed gives the same parameters on any
number of cores.`,
		Example: `  mytool fit --model mixture --out fitted.safetensors
  mytool fit --model mixture --data points.csv --steps 5000 --batch 64 --k 8 --lr 0.02 --out fitted.safetensors
  mytool estimate-px --model mixture --params fitted.safetensors`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFit(cmd.Context(), g, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "name of a model registered by the program (see the models command); required")
	fl.StringVar(&f.data, "data", "", "training data: a file (CSV, NPY, IDX, .amat) or a directory (its training split); default: the model's own data")
	fl.StringVar(&f.params, "params", "", "start from these parameters (a safetensors file written by fit); default: the model's initial values")
	fl.StringVar(&f.out, "out", "", "write the fitted parameters to this safetensors file; required")
	fl.BoolVar(&f.force, "force", false, "overwrite --out if it exists")
	fl.StringVar(&f.bound, "bound", "elbo", "objective: elbo or iwae")
	fl.StringVar(&f.estimator, "estimator", "standard", "gradient estimator: standard, stl (elbo), dreg or rws (iwae)")
	fl.StringVar(&f.baseline, "baseline", "loo", "baseline of the score-function gradient of discrete guide sites: loo (leave-one-out over the K particles; none when K = 1), average (decaying average), linear (learned linear in x) or none")
	fl.BoolVar(&f.enumerate, "enumerate", false, "sum over the values of the guide's discrete sites instead of sampling them (elbo, standard)")
	fl.IntVar(&f.k, "k", 8, "particles per data point and step (the IWAE bound's K)")
	fl.IntVar(&f.steps, "steps", 2000, "largest number of Adam steps")
	fl.IntVar(&f.batch, "batch", 0, "data points per step, a random subsample of the plate over the data (0: all; needs --bound elbo)")
	fl.Float64Var(&f.lr, "lr", 0.01, "Adam learning rate")
	fl.IntVar(&f.window, "window", 0, "convergence check: stop when the mean objective over the last WINDOW steps rose by less than --tol over the window before (0: off)")
	fl.Float64Var(&f.tol, "tol", 1e-3, "convergence tolerance in nats per data point (with --window)")
	fl.IntVar(&f.n, "n", 0, "use the first N data points (0: all)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed: minibatches and particles")
	fl.BoolVar(&f.json, "json", false, "print the result, with the objective at every step, as JSON")
	return cmd
}

// objective parses --bound, --estimator and --k.
func (f *fitFlags) objective() (ppl.Objective, error) {
	b, ok := boundNames[f.bound]
	if !ok {
		return ppl.Objective{}, usagef("--bound: unknown value %q (want elbo or iwae)", f.bound)
	}
	e, ok := estimatorNames[f.estimator]
	if !ok {
		return ppl.Objective{}, usagef("--estimator: unknown value %q (want standard, stl, dreg or rws)", f.estimator)
	}
	if f.k < 1 {
		return ppl.Objective{}, usagef("--k: %d is not a positive integer", f.k)
	}
	if f.enumerate && (b != ppl.BoundELBO || e != ppl.Standard) {
		return ppl.Objective{}, usagef("--enumerate: needs --bound elbo and --estimator standard (got %s and %s)", f.bound, f.estimator)
	}
	obj := ppl.Objective{Bound: b, Estimator: e, K: f.k, Enumerate: f.enumerate}
	switch f.baseline {
	case "loo":
	case "average":
		obj.Baseline = &ppl.AverageBaseline{}
	case "linear":
		obj.Baseline = &ppl.LinearBaseline{}
	case "none":
		obj.NoBaseline = true
	default:
		return ppl.Objective{}, usagef("--baseline: unknown value %q (want loo, average, linear or none)", f.baseline)
	}
	if err := obj.Validate(); err != nil {
		return obj, usagef("--estimator %s with --bound %s: %v", f.estimator, f.bound, strings.TrimPrefix(err.Error(), "ppl: "))
	}
	return obj, nil
}

// fitResult is what fit reports.
type fitResult struct {
	Model     string      `json:"model"`
	Data      string      `json:"data"`
	NPoints   int         `json:"n_points"`
	Start     string      `json:"start"`
	Out       string      `json:"out"`
	Bound     string      `json:"bound"`
	Estimator string      `json:"estimator"`
	K         int         `json:"k"`
	Steps     int         `json:"steps"`
	Converged bool        `json:"converged"`
	Stopped   bool        `json:"interrupted"`
	Objective jsonFloat   `json:"objective"`
	Seconds   float64     `json:"seconds"`
	Curve     []jsonFloat `json:"curve"`
}

// curveTail is how many of the last steps the reported objective averages.
const curveTail = 50

func runFit(ctx context.Context, g *globalFlags, f *fitFlags, stdout, stderr io.Writer) error {
	log, show, err := g.outputs(stderr)
	if err != nil {
		return err
	}
	if f.model == "" {
		return usagef("--model is required: the name of a registered model (%s)", registeredList())
	}
	reg, ok := registeredModel(f.model)
	if !ok {
		return usagef("--model: no model %q is registered (%s)", f.model, registeredList())
	}
	if f.out == "" {
		return usagef("--out is required: the file to write the fitted parameters to")
	}
	if _, err := os.Stat(f.out); err == nil && !f.force {
		return usagef("--out: %s exists; pass --force to overwrite it, or choose another file", f.out)
	}
	if err := prepareOutput("--out", f.out, f.data, f.params); err != nil {
		return err
	}
	obj, err := f.objective()
	if err != nil {
		return err
	}
	switch {
	case f.steps < 1:
		return usagef("--steps: %d is not a positive integer", f.steps)
	case f.batch < 0:
		return usagef("--batch: %d is negative (want 0 for all points, or a positive count)", f.batch)
	case !(f.lr > 0):
		return usagef("--lr: %v is not a positive number", f.lr)
	case f.window < 0:
		return usagef("--window: %d is negative", f.window)
	case !(f.tol >= 0):
		return usagef("--tol: %v is not a non-negative number", f.tol)
	case f.n < 0:
		return usagef("--n: %d is negative (want 0 for all points, or a positive count)", f.n)
	}
	r, err := loadRegistered(reg, f.params, f.data, false, f.n, log)
	if err != nil {
		return err
	}
	batch := f.batch
	if batch == 0 || batch > len(r.points) {
		batch = len(r.points)
	}
	plan := &memPlan{}
	plan.add(fmt.Sprintf("--k %d with --batch %d (particles traced per step)", f.k, batch), f.k, batch, 64*(len(r.points[0])+4))
	if err := plan.check(); err != nil {
		return err
	}
	log.Info().Str("model", reg.Name).Str("data", r.dataName).Int("points", len(r.points)).
		Str("start", r.source).Str("bound", f.bound).Str("estimator", f.estimator).Int("k", f.k).Msg("fitting")

	res := fitResult{Model: reg.Name, Data: r.dataName, NPoints: len(r.points), Start: r.source, Out: f.out,
		Bound: f.bound, Estimator: f.estimator, K: f.k}
	bar := newProgressOf(show, int64(f.steps), "fitting", "steps", stderr)
	defer bar.Finish()
	errInterrupted := errors.New("interrupted")
	start := time.Now()
	obj.Subsample = f.batch
	if f.batch > 0 && obj.Bound != ppl.BoundELBO {
		return usagef("--batch: subsampling the data needs --bound elbo (a subsampled IWAE bound is biased)")
	}
	// The model's objective sums over the data points; the curve, the
	// table and --tol are per data point.
	n := float64(len(r.points))
	sr, err := ppl.SVI(reg.Model, reg.Guide, r.store, r.matrix(), ppl.SVIConfig{
		Objective: obj, Steps: f.steps, Adam: vi.AdamConfig{LR: f.lr},
		Seed: f.seed, Window: f.window, Tol: f.tol * n,
		Callback: func(step int, v float64) error {
			v /= n
			res.Curve = append(res.Curve, jsonFloat(v))
			bar.add(1)
			if step%100 == 0 {
				log.Debug().Int("step", step).Float64("objective", v).Msg("step")
				bar.describe(fmt.Sprintf("fitting (%s %.4g)", f.bound, v))
			}
			if ctx.Err() != nil {
				return errInterrupted
			}
			return nil
		},
	})
	bar.Finish()
	res.Seconds = time.Since(start).Seconds()
	res.Steps, res.Converged = sr.Steps, sr.Converged
	res.Stopped = errors.Is(err, errInterrupted)
	if err != nil && !res.Stopped {
		return fmt.Errorf("fitting model %q: %w (no parameters written)", reg.Name, err)
	}
	if err := r.store.Save(f.out); err != nil {
		// Keep the fit: try the temporary folder before giving up.
		spare := filepath.Join(os.TempDir(), fmt.Sprintf("vitool-fit-%d.safetensors", os.Getpid()))
		if serr := r.store.Save(spare); serr == nil {
			return fmt.Errorf("--out: %w; the fitted parameters were saved to %s instead", err, spare)
		}
		return fmt.Errorf("--out: %w (the fitted parameters could not be saved)", err)
	}
	tail := res.Curve[max(0, len(res.Curve)-curveTail):]
	var sum float64
	for _, v := range tail {
		sum += float64(v)
	}
	res.Objective = jsonFloat(sum / float64(len(tail)))
	if res.Stopped {
		log.Warn().Int("steps", res.Steps).Str("out", f.out).Msg("interrupted; the parameters reached are saved")
	}
	log.Info().Str("out", f.out).Msg("wrote parameters")
	if f.json {
		return writeJSON(stdout, res)
	}
	t := newTable(stdout, "model", "points", "steps", "stopped by", fmt.Sprintf("%s (mean of last %d steps)", f.bound, len(tail)), "time", "parameters")
	stop := "--steps"
	switch {
	case res.Stopped:
		stop = "interrupt"
	case res.Converged:
		stop = "--window/--tol"
	}
	if err := t.Append(reg.Name, fmt.Sprint(res.NPoints), fmt.Sprint(res.Steps), stop,
		fmtNum("%.4f", float64(res.Objective)), fmtDuration(time.Duration(res.Seconds*float64(time.Second))), f.out); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "next: %s estimate-px --model %s --params %s\n", programName, reg.Name, shellQuote(f.out))
	return err
}
