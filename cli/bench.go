package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/vitool/vitool/internal/pxstudy"
	"github.com/vitool/vitool/mc"
)

type benchFlags struct {
	dims, throughputK string
	dataDim           int
	noise, tol        float64
	points, reps      int
	maxK, equalK      string
	seed              uint64
	workers           int
	json              bool
}

func newBenchCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench-px",
		Short: "Measure how many samples each log p(x) estimator needs, and its throughput",
		Long: `bench-px measures the statistical efficiency of naive prior sampling against
importance sampling with a fitted mean-field q(z|x), on random linear-Gaussian
models (probabilistic PCA) whose exact log p(x) is known.

For each latent dimension d it doubles K until the root-mean-square error of
log p̂(x) over all data points and replicates is at most --tol nats, and reports
that K, the ratio between the estimators, and the bias and spread of log p̂(x) at
a common K. It then times single estimates with large K and reports samples per
second and the peak heap. The tables are the ones in docs/benchmarks.md.
Interrupting (Ctrl-C or SIGTERM) prints the rows completed and exits with
status 130.`,
		Example: `  vitool bench-px
  vitool bench-px --dims 2,10 --max-k 65536 --throughput-k 1e6 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd.Context(), g, f, stdout, stderr) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dims, "dims", "2,10,50", "comma-separated latent dimensions d")
	fl.IntVar(&f.dataDim, "data-dim", 100, "data dimension D (above every d)")
	fl.Float64Var(&f.noise, "noise", 0.5, "observation noise standard deviation σ")
	fl.IntVar(&f.points, "points", 2, "data points per model")
	fl.IntVar(&f.reps, "reps", 16, "independent replicates per point and K")
	fl.Float64Var(&f.tol, "tol", 0.1, "target root-mean-square error of log p̂(x), in nats")
	fl.StringVar(&f.maxK, "max-k", "1048576", "largest K tried")
	fl.StringVar(&f.equalK, "equal-k", "1000", "K at which the spread of the estimators is compared")
	fl.StringVar(&f.throughputK, "throughput-k", "1e6,1e7", "comma-separated K for the throughput runs (\"none\" to skip)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0: GOMAXPROCS); never changes the numbers")
	fl.BoolVar(&f.json, "json", false, "print the results as JSON")
	return cmd
}

// benchJSON is the --json output of bench-px.
type benchJSON struct {
	Config     pxstudy.Config       `json:"config"`
	Efficiency []pxstudy.Row        `json:"efficiency"`
	Ratios     []ratioJSON          `json:"ratios"`
	Throughput []pxstudy.Throughput `json:"throughput"`
}

type ratioJSON struct {
	LatentDim  int       `json:"latent_dim"`
	Ratio      jsonFloat `json:"prior_over_is"`
	LowerBound bool      `json:"lower_bound"`
}

func runBench(ctx context.Context, g *globalFlags, f *benchFlags, stdout, stderr io.Writer) error {
	log, show, err := g.outputs(stderr)
	if err != nil {
		return err
	}
	dims, err := parseCounts("--dims", f.dims)
	if err != nil {
		return err
	}
	for _, d := range dims {
		if d >= f.dataDim {
			return usagef("--dims: latent dimension %d is not below --data-dim %d", d, f.dataDim)
		}
	}
	maxK, err := parseCount(f.maxK)
	if err != nil {
		return usagef("--max-k: %q is not a positive integer", f.maxK)
	}
	equalK, err := parseCount(f.equalK)
	if err != nil {
		return usagef("--equal-k: %q is not a positive integer", f.equalK)
	}
	var tks []int
	if f.throughputK != "none" {
		if tks, err = parseCounts("--throughput-k", f.throughputK); err != nil {
			return err
		}
	}
	switch {
	case f.dataDim < 2:
		return usagef("--data-dim: %d is too small (want at least 2)", f.dataDim)
	case !(f.noise > 0):
		return usagef("--noise: %v is not positive", f.noise)
	case !(f.tol > 0):
		return usagef("--tol: %v is not positive", f.tol)
	case f.points < 1:
		return usagef("--points: %d is not positive", f.points)
	case f.reps < 2:
		return usagef("--reps: %d is too small (want at least 2, to measure a spread)", f.reps)
	case f.workers < 0:
		return usagef("--workers: %d is negative", f.workers)
	}
	if err := benchPlan(f, dims, maxK, equalK, tks).check(); err != nil {
		return err
	}

	// The study stops early once the tolerance is met, so its size is unknown:
	// the bar counts samples without a total.
	bar := newProgress(show, -1, "sampling", stderr)
	defer bar.Finish()
	cfg := pxstudy.Config{
		LatentDims: dims, DataDim: f.dataDim, NoiseStd: f.noise, Points: f.points, Reps: f.reps,
		Tol: f.tol, MaxK: maxK, EqualK: equalK, Seed: f.seed, Workers: f.workers, Progress: bar.add,
		Context: ctx,
	}
	log.Info().Ints("dims", dims).Int("data_dim", f.dataDim).Int("max_k", maxK).Msg("efficiency study")
	rows, err := pxstudy.Run(cfg)
	stopped := ctx.Err() != nil
	if err != nil && !stopped {
		return err
	}
	var thr []pxstudy.Throughput
	for _, d := range dims {
		for _, method := range pxstudy.Methods {
			for _, k := range tks {
				if stopped {
					break
				}
				log.Info().Int("d", d).Str("method", method).Int("k", k).Msg("throughput run")
				t, err := pxstudy.MeasureThroughput(cfg, d, method, k)
				if stopped = ctx.Err() != nil; stopped {
					break
				}
				if err != nil {
					return err
				}
				thr = append(thr, t)
			}
		}
	}
	bar.Finish()
	if stopped {
		log.Warn().Int("rows_done", len(rows)).Int("throughput_runs_done", len(thr)).Msg("interrupted; printing what is complete")
	}
	if f.json {
		out := benchJSON{Config: cfg, Efficiency: rows, Throughput: thr}
		for _, d := range dims {
			r, lb, ok := pxstudy.Ratio(rows, d)
			if ok {
				out.Ratios = append(out.Ratios, ratioJSON{LatentDim: d, Ratio: jsonFloat(r), LowerBound: lb})
			}
		}
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
		return interruptedIf(stopped)
	}
	if err := writeBenchTables(stdout, cfg, dims, rows, thr); err != nil {
		return err
	}
	return interruptedIf(stopped)
}

// interruptedIf returns errInterrupted if stopped.
func interruptedIf(stopped bool) error {
	if stopped {
		return errInterrupted
	}
	return nil
}

// benchPlan returns the memory that bench-px needs: the random models (D×d
// loadings and the d×d posterior), and the chunk buffers of every worker
// (the model's means of x for each draw).
func benchPlan(f *benchFlags, dims []int, maxK, equalK int, tks []int) *memPlan {
	d := 0
	for _, v := range dims {
		d = max(d, v)
	}
	k := max(maxK, equalK)
	for _, t := range tks {
		k = max(k, t)
	}
	workers := f.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rows := min(k, mc.DefaultChunkSize)
	p := &memPlan{}
	p.add(fmt.Sprintf("--data-dim %d with --dims up to %d (the model)", f.dataDim, d), f.dataDim+d, d, 8, 4)
	p.add(fmt.Sprintf("--data-dim %d (chunk buffers of %d draws on %d workers)", f.dataDim, rows, workers), 3*workers, rows, f.dataDim+d+4, 8)
	p.add(fmt.Sprintf("--max-k/--throughput-k %d (largest log-weights kept for k̂)", k), tailKept(k), 8)
	p.add("--points", f.points, f.dataDim, 8, 4)
	return p
}

func writeBenchTables(w io.Writer, cfg pxstudy.Config, dims []int, rows []pxstudy.Row, thr []pxstudy.Throughput) error {
	fmt.Fprintf(w, "Samples needed for RMSE(log p̂(x)) ≤ %g nats (linear-Gaussian, D=%d, σ=%g; %d points × %d replicates)\n",
		cfg.Tol, cfg.DataDim, cfg.NoiseStd, cfg.Points, cfg.Reps)
	t := newTable(w, "d", "method", "K needed", "RMSE there", fmt.Sprintf("bias @K=%d", cfg.EqualK),
		fmt.Sprintf("sd @K=%d", cfg.EqualK), "ELBO gap")
	for _, r := range rows {
		need := strconv.Itoa(r.KNeeded)
		if !r.Reached() {
			need = fmt.Sprintf("> %d", r.KTried)
		}
		method := "prior (naive)"
		if r.Method == "is" {
			method = "is (fitted q)"
		}
		if err := t.Append(strconv.Itoa(r.LatentDim), method, need, fmtNum("%.3g", r.RMSE),
			fmtNum("%+.3g", r.BiasEqualK), fmtNum("%.3g", r.SDEqualK), fmtNum("%.3g", r.ELBOGap)); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nSample-cost ratio, naive prior sampling over importance sampling")
	t = newTable(w, "d", "K(prior) / K(is)")
	for _, d := range dims {
		r, lb, ok := pxstudy.Ratio(rows, d)
		cell := "–"
		if ok {
			cell = fmt.Sprintf("%.3g", r)
			if lb {
				cell = "> " + cell
			}
		}
		if err := t.Append(strconv.Itoa(d), cell); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(thr) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nThroughput and memory of single estimates")
	t = newTable(w, "d", "method", "K", "seconds", "samples/s", "peak heap", "allocated")
	for _, r := range thr {
		if err := t.Append(strconv.Itoa(r.LatentDim), r.Method, strconv.Itoa(r.K), fmtNum("%.3g", r.Seconds),
			fmtNum("%.3g", r.SamplesPerSecond), fmtBytes(r.PeakHeapBytes), fmtBytes(r.AllocBytes)); err != nil {
			return err
		}
	}
	return t.Render()
}

// fmtBytes formats a byte count in binary units.
func fmtBytes(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.3g GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.3g MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.3g KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
