package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

type sandwichFlags struct {
	model   string
	n       int
	seed    uint64
	workers int
	json    bool
	ais     aisFlags
}

func newSandwichCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	f := &sandwichFlags{}
	cmd := &cobra.Command{
		Use:   "sandwich",
		Short: "Bound log p(x) from both sides by bidirectional Monte Carlo (forward and reverse AIS) on simulated data",
		Long: `sandwich checks annealed importance sampling (AIS) on data simulated from the
model itself, by bidirectional Monte Carlo (Grosse, Ghahramani & Adams 2015).
For each of --n points it draws z* ~ p(z) and x ~ p(x|z*); z* is then an exact
draw from the posterior p(z|x). Forward AIS, from q(z|x) (or the prior) to the
posterior, gives a stochastic lower bound on log p(x); reverse AIS, started at
z* and annealed back to q, a stochastic upper bound. Their gap bounds the error
of either and shrinks to zero as the number of steps grows: the smallest
--ais-steps with a gap below your tolerance is what AIS needs on data like
the model's own.

Each row is one number of steps, averaged over the points, with the exact
log p(x) when the model has one (linear-Gaussian); --json adds each point's
bounds (per_point). The model is a JSON spec of
a linear-Gaussian model, a VAE checkpoint or run directory, or the embedded
default; AIS moves with Hamiltonian Monte Carlo (--leapfrog steps per
transition, step sizes adapted in a warm-up to an acceptance rate of 0.65).

Interrupting (Ctrl-C or SIGTERM) stops within one annealing step, prints the
rows completed and exits with status 130.`,
		Example: `  vitool sandwich
  vitool sandwich --ais-steps 10,100,1000 --chains 16 --n 5
  vitool sandwich --model run --ais-steps 100,1000 --n 10 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSandwich(cmd.Context(), g, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "model: a JSON spec (family linear-gaussian), a VAE checkpoint (.safetensors) or a train-vae run directory; default: the embedded linear-Gaussian model")
	fl.IntVar(&f.n, "n", 5, "number of data points simulated from the model")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed; the same seed gives the same numbers on any number of cores")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0: GOMAXPROCS); never changes the numbers")
	fl.BoolVar(&f.json, "json", false, "print the results as one JSON object instead of a table")
	addAISFlags(fl, &f.ais)
	return cmd
}

// sandwichRow is one number of steps, averaged over the points.
type sandwichRow struct {
	steps        int
	lower, upper []mc.AISEstimate
	elapsed      time.Duration
}

func (r *sandwichRow) means() (lo, loSE, up, upSE, acc float64, grads int) {
	var vl, vu float64
	for i := range r.lower {
		lo += r.lower[i].LogPX
		up += r.upper[i].LogPX
		vl += r.lower[i].StdErr * r.lower[i].StdErr
		vu += r.upper[i].StdErr * r.upper[i].StdErr
		acc += r.lower[i].AcceptRate
		grads += r.lower[i].GradEvals + r.upper[i].GradEvals
	}
	n := float64(len(r.lower))
	return lo / n, math.Sqrt(vl) / n, up / n, math.Sqrt(vu) / n, acc / n, grads
}

// points returns the row's bounds on each point, with its exact log p(x)
// if exact is not nil.
func (r *sandwichRow) points(exact []float64) []sandwichPointJSON {
	out := make([]sandwichPointJSON, len(r.lower))
	for i, lo := range r.lower {
		up := r.upper[i]
		out[i] = sandwichPointJSON{
			boundsJSON: newBoundsJSON(lo.LogPX, lo.StdErr, up.LogPX, up.StdErr, lo.AcceptRate),
			ExactLogPX: jsonFloat(math.NaN()),
		}
		if exact != nil {
			out[i].ExactLogPX = jsonFloat(exact[i])
		}
	}
	return out
}

func runSandwich(ctx context.Context, g *globalFlags, f *sandwichFlags, stdout, stderr io.Writer) error {
	log, show, err := g.outputs(stderr)
	if err != nil {
		return err
	}
	steps, err := f.ais.check()
	if err != nil {
		return err
	}
	if f.n < 1 {
		return usagef("--n: %d is not a positive integer", f.n)
	}
	if f.workers < 0 {
		return usagef("--workers: %d is negative (want 0 for GOMAXPROCS, or a positive count)", f.workers)
	}
	in := &estimateInput{}
	if err := in.loadModel(&estimateFlags{model: f.model}); err != nil {
		return err
	}
	m := in.model
	plan := &memPlan{}
	plan.add(fmt.Sprintf("--n %d (points drawn from the model)", f.n), f.n, m.DataDim()+m.LatentDim(), 8)
	if err := plan.check(); err != nil {
		return err
	}
	zs, xs, err := simulateJoint(m, f.n, rand.New(rand.NewPCG(mc.DeriveSeed(f.seed, 0xda7a), 1)))
	if err != nil {
		return err
	}
	if err := checkAISModel([]string{"ais"}, &estimateInput{model: m, points: xs}); err != nil {
		return err
	}
	q, qname, err := chooseProposal("auto", m, []string{"ais"})
	if err != nil {
		return err
	}
	qname = f.ais.startName(qname)
	var exact []float64
	if ev, ok := m.(latent.Evidencer); ok {
		for _, x := range xs {
			exact = append(exact, ev.LogEvidence(x))
		}
	}
	log.Info().Str("model", in.modelName).Int("latent_dim", m.LatentDim()).Int("points", f.n).Str("start", qname).Msg("simulated data")
	workers := f.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	bar := newProgressOf(show, 2*f.ais.chainSteps(steps)*int64(f.n), "sandwich", "chain steps", stderr)
	defer bar.Finish()
	var rows []*sandwichRow
	stopped := false
	for _, T := range steps {
		row := &sandwichRow{steps: T}
		start := time.Now()
		for i, x := range xs {
			gm, q0, err := aisTarget(f.ais.start, m, m, q(x), x)
			if err != nil {
				return err
			}
			cfg := mc.Config{Seed: mc.DeriveSeed(f.seed, 7, uint64(T), uint64(i)), Workers: workers, Progress: bar.add, Context: ctx}
			s, err := mc.AISSandwich(gm, q0, x, zs[i], mc.AISConfig{Steps: T, Chains: f.ais.chains, Leapfrog: f.ais.leapfrog}, cfg)
			if ctx.Err() != nil {
				stopped = true
				break
			}
			if err != nil {
				return fmt.Errorf("sandwich with %d steps on point %d: %w", T, i, err)
			}
			row.lower, row.upper = append(row.lower, s.Lower), append(row.upper, s.Upper)
		}
		if stopped {
			break
		}
		row.elapsed = time.Since(start)
		rows = append(rows, row)
	}
	bar.Finish()
	if stopped {
		log.Warn().Int("rows_done", len(rows)).Int("rows", len(steps)).Msg("interrupted; printing the rows completed")
	}
	if f.json {
		err = writeSandwichJSON(stdout, in, f, qname, exact, rows)
	} else {
		err = writeSandwichTable(stdout, in, f, qname, exact, rows)
	}
	if err != nil {
		return err
	}
	if stopped {
		return errInterrupted
	}
	return nil
}

// simulateJoint draws n pairs z ~ p(z), x ~ p(x|z) from a linear-Gaussian
// model or a VAE (latents first, row by row, then the data).
func simulateJoint(m latent.Model, n int, rnd *rand.Rand) (zs, xs [][]float64, err error) {
	d := m.LatentDim()
	z := mat.NewDense(n, d, nil)
	for i := range n {
		for k := range d {
			z.Set(i, k, rnd.NormFloat64())
		}
	}
	var x *mat.Dense
	switch v := m.(type) {
	case latent.LinearGaussian:
		x = mat.NewDense(n, v.DataDim(), nil)
		x.Mul(z, v.W.T())
		for i := range n {
			row := x.RawRowView(i)
			for j := range row {
				row[j] += v.B[j] + v.NoiseStd*rnd.NormFloat64()
			}
		}
	case *amortized.VAE:
		x = v.Decode(z)
		for i := range n {
			row := x.RawRowView(i)
			for j, o := range row {
				if v.Config.Likelihood == amortized.Bernoulli {
					row[j] = 0
					if rnd.Float64() < 1/(1+math.Exp(-o)) {
						row[j] = 1
					}
				} else {
					row[j] = o + math.Exp(v.Config.LogSigma)*rnd.NormFloat64()
				}
			}
		}
	default:
		return nil, nil, usagef("--model: sandwich needs a model with continuous latents that simulates its latents with its data (linear-gaussian or a VAE), not %s", familyName(m))
	}
	for i := range n {
		zs = append(zs, mat.Row(nil, i, z))
		xs = append(xs, mat.Row(nil, i, x))
	}
	return zs, xs, nil
}

type sandwichJSON struct {
	Model      modelJSON         `json:"model"`
	NPoints    int               `json:"n_points"`
	Seed       uint64            `json:"seed"`
	Start      string            `json:"start"`
	Chains     int               `json:"chains"`
	Leapfrog   int               `json:"leapfrog"`
	ExactLogPX jsonFloat         `json:"exact_log_px"`
	Results    []sandwichRowJSON `json:"results"`
}

type sandwichRowJSON struct {
	Steps int `json:"steps"`
	boundsJSON
	GradEvals int                 `json:"grad_evals"`
	Seconds   float64             `json:"seconds"`
	PerPoint  []sandwichPointJSON `json:"per_point"`
}

// sandwichPointJSON is the sandwich at one number of steps on one
// simulated point.
type sandwichPointJSON struct {
	boundsJSON
	ExactLogPX jsonFloat `json:"exact_log_px"`
}

// boundsJSON is a sandwich's two bounds, their gap and the forward chains'
// acceptance rate, for one point or the mean over the points.
type boundsJSON struct {
	Lower       jsonFloat `json:"lower"`
	LowerStdErr jsonFloat `json:"lower_stderr"`
	Upper       jsonFloat `json:"upper"`
	UpperStdErr jsonFloat `json:"upper_stderr"`
	Gap         jsonFloat `json:"gap"`
	AcceptRate  jsonFloat `json:"accept_rate"`
}

// newBoundsJSON returns the bounds lo ± loSE and up ± upSE with acceptance
// rate acc.
func newBoundsJSON(lo, loSE, up, upSE, acc float64) boundsJSON {
	return boundsJSON{Lower: jsonFloat(lo), LowerStdErr: jsonFloat(loSE), Upper: jsonFloat(up), UpperStdErr: jsonFloat(upSE),
		Gap: jsonFloat(up - lo), AcceptRate: jsonFloat(acc)}
}

func writeSandwichJSON(w io.Writer, in *estimateInput, f *sandwichFlags, qname string, exact []float64, rows []*sandwichRow) error {
	out := sandwichJSON{
		Model:      modelJSON{Family: in.modelName, Source: in.modelSource, LatentDim: in.model.LatentDim(), DataDim: in.model.DataDim()},
		NPoints:    f.n,
		Seed:       f.seed,
		Start:      qname,
		Chains:     f.ais.chains,
		Leapfrog:   f.ais.leapfrog,
		ExactLogPX: jsonFloat(math.NaN()),
		Results:    []sandwichRowJSON{},
	}
	if exact != nil {
		out.ExactLogPX = jsonFloat(mean(exact))
	}
	for _, r := range rows {
		lo, loSE, up, upSE, acc, grads := r.means()
		out.Results = append(out.Results, sandwichRowJSON{
			Steps: r.steps, boundsJSON: newBoundsJSON(lo, loSE, up, upSE, acc),
			GradEvals: grads, Seconds: seconds(r.elapsed), PerPoint: r.points(exact),
		})
	}
	return writeJSON(w, out)
}

func writeSandwichTable(w io.Writer, in *estimateInput, f *sandwichFlags, qname string, exact []float64, rows []*sandwichRow) error {
	fmt.Fprintf(w, "model: %s (%s), latent dim %d, data dim %d; %d point(s) simulated from the model (seed %d)\n",
		in.modelName, in.modelSource, in.model.LatentDim(), in.model.DataDim(), f.n, f.seed)
	fmt.Fprintf(w, "AIS from %s, %d chains, %d leapfrog steps per transition; rows are means over points\n", qname, f.ais.chains, f.ais.leapfrog)
	if exact != nil {
		fmt.Fprintf(w, "exact log p(x) = %.4f (mean over points)\n", mean(exact))
	}
	header := []any{"steps", "lower", "± stderr", "upper", "± stderr", "gap", "accept", "gradients", "time"}
	t := newTable(w, header...)
	for _, r := range rows {
		lo, loSE, up, upSE, acc, grads := r.means()
		if err := t.Append(fmt.Sprint(r.steps), fmtNum("%.4f", lo), fmtNum("%.2g", loSE), fmtNum("%.4f", up), fmtNum("%.2g", upSE),
			fmtNum("%.4f", up-lo), fmtNum("%.2f", acc), fmt.Sprintf("%.3g", float64(grads)), fmtDuration(r.elapsed)); err != nil {
			return err
		}
	}
	return t.Render()
}
