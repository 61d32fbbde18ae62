package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// Estimation methods, in the order the table shows them.
var estimateMethods = []string{"prior", "is", "elbo", "elbo-kl", "iwae", "ais"}

// methodIDs label each method in seed derivation, so that adding or removing
// a method from --method never changes another method's numbers.
var methodIDs = map[string]uint64{"prior": 1, "is": 2, "elbo": 3, "elbo-kl": 4, "iwae": 5, "ais": 6}

// registeredKs is the default --k for a registered model: its traced runs
// are slower than the built-in models', and its data sets larger.
const registeredKs = "1,10,100,1000"

// Proposal names accepted by --proposal.
var proposalNames = []string{"auto", "encoder", "fitted", "exact", "guide", "prior"}

type estimateFlags struct {
	model, data string
	params      string
	k, method   string
	proposal    string
	binarize    string
	seed        uint64
	reps        int
	n           int
	workers     int
	refine      int
	json        bool
	plot        string
	ais         aisFlags
}

func newEstimateCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	f := &estimateFlags{}
	cmd := &cobra.Command{
		Use:   "estimate-px",
		Short: "Estimate log p(x) by naive Monte Carlo, importance sampling, ELBO and IWAE, side by side",
		Long: `estimate-px estimates the marginal likelihood log p(x) = log ∫ p(x|z) p(z) dz of
data points under a latent-variable model, with several estimators side by side:

  prior    naive Monte Carlo:   log (1/K) Σ p(x|z_k),            z_k ~ p(z)
  is       importance sampling: log (1/K) Σ p(x,z_k)/q(z_k|x),   z_k ~ q(z|x)
  elbo     the evidence lower bound E_q[log p(x,z) − log q(z|x)], sampled
  elbo-kl  the ELBO with the KL term in closed form: E_q[log p(x|z)] − KL(q‖p(z))
  iwae     the IWAE-K bound E[log (1/K) Σ p(x,z_k)/q(z_k|x)], over --reps replicates
  ais      annealed importance sampling: --chains HMC chains annealed from q (or the
           prior, --ais-start) to the posterior in --ais-steps steps; one row per
           step count, its K column showing chains × steps

Each row is averaged over the data points. When the model has an exact log p(x)
(linear-Gaussian, mixtures) the table shows each estimate's error against it.

With no --model, the embedded default linear-Gaussian model and data are used.
With a model registered by the program (a ppl model and guide, see
cli.RegisterModel), the proposal is the model's guide, --params names the
parameters fitted by the fit command, and the data default to the model's own.
With a VAE checkpoint, the proposal is the encoder's q(z|x) and the data are
test images (binarised once with a fixed seed for a Bernoulli likelihood, the
same binarisation train-vae uses for its test score). --refine N first fits
the encoder's Gaussian to each image by N steps of reweighted wake-sleep,
with the decoder held: a proposal closer to that image's posterior, with
lighter-tailed weights (lower k̂) and a smaller bias for is, elbo and iwae.

Interrupting (Ctrl-C or SIGTERM) stops within a chunk of samples, prints the
rows completed and exits with status 130. Exit statuses, limits on sizes and
the memory budget (VITOOL_MAX_MEMORY) are described in
docs/failure-behaviour.md.`,
		Example: `  vitool estimate-px
  vitool estimate-px --k 1,100,10000 --method prior,is --proposal exact
  vitool estimate-px --model model.json --data points.csv --json
  vitool estimate-px --model run/model.safetensors --n 100 --k 1,100,5000
  vitool estimate-px --model run --n 100 --method is,elbo --k 2000 --refine 200
  mytool estimate-px --model mixture --params fitted.safetensors   # a registered model`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, ok := registeredModel(f.model); ok && !cmd.Flags().Changed("k") {
				f.k = registeredKs
			}
			return runEstimate(cmd.Context(), g, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "model: a JSON spec (family linear-gaussian or gaussian-mixture), a VAE checkpoint (.safetensors), a train-vae run directory, or the name of a model registered by a program built on package cli (listed by its models command); default: the embedded linear-Gaussian model")
	fl.StringVar(&f.params, "params", "", "parameters of a registered model: a safetensors file written by fit (default: the model's initial parameters)")
	fl.StringVar(&f.data, "data", "", "data: a file (CSV, NPY, IDX, .amat), an MNIST-style directory (its test split is used) or embedded:NAME; default: the embedded data of the default model, the embedded MNIST test images for a VAE, or --n points drawn from the model")
	fl.StringVar(&f.binarize, "binarize", "auto", "binarise the data once with a fixed seed: auto (for a Bernoulli VAE on non-binary data), fixed or none")
	fl.StringVar(&f.k, "k", "1,10,100,1000,10000,100000", "comma-separated sample counts K (for a registered model: "+registeredKs+")")
	fl.StringVar(&f.method, "method", "prior,is,elbo,iwae", "comma-separated methods: prior, is, elbo, elbo-kl, iwae, ais")
	fl.StringVar(&f.proposal, "proposal", "auto", "proposal q(z|x) for is, elbo and iwae: auto, encoder, fitted (mean-field Gaussian), exact (the posterior), guide (a registered model's) or prior")
	fl.IntVar(&f.refine, "refine", 0, "refine a VAE encoder's proposal for each point by this many steps of reweighted wake-sleep (K = 8, Adam 0.01) before estimating (0: off)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed; the same seed gives the same numbers on any number of cores")
	fl.IntVar(&f.reps, "reps", 32, "independent replicates averaged by the iwae bound")
	fl.IntVar(&f.n, "n", 0, "number of data points to use (0: all; 100 images for a VAE; 5 points drawn from a model given without --data)")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0: GOMAXPROCS); never changes the numbers")
	fl.BoolVar(&f.json, "json", false, "print the results as one JSON object instead of a table")
	fl.StringVar(&f.plot, "plot", "", "also draw log p̂(x) against K, per method, into this file (.png, .svg or .pdf)")
	addAISFlags(fl, &f.ais)
	return cmd
}

// estimateRow is one line of the output: a method at one K, averaged over the
// data points, with the per-point estimates kept.
type estimateRow struct {
	method, proposal string
	k, reps          int
	ais              *aisRow // for method ais
	avg              mc.Estimate
	points           []mc.Estimate
	exact            []float64 // per point; nil when the model has no exact log p(x)
}

// errVsExact returns the averaged estimate minus the averaged exact value, or
// NaN when there is no exact value.
func (r *estimateRow) errVsExact() float64 {
	if r.exact == nil {
		return math.NaN()
	}
	return r.avg.LogPX - mean(r.exact)
}

func runEstimate(ctx context.Context, g *globalFlags, f *estimateFlags, stdout, stderr io.Writer) error {
	log, show, err := g.outputs(stderr)
	if err != nil {
		return err
	}
	ks, err := parseCounts("--k", f.k)
	if err != nil {
		return err
	}
	methods, err := parseChoices("--method", f.method, estimateMethods)
	if err != nil {
		return err
	}
	if _, err := parseChoices("--proposal", f.proposal, proposalNames); err != nil || f.proposal == "" {
		return usagef("--proposal: unknown value %q (want one of %s)", f.proposal, strings.Join(proposalNames, ", "))
	}
	if f.reps < 1 {
		return usagef("--reps: %d is not a positive integer", f.reps)
	}
	if f.n < 0 {
		return usagef("--n: %d is negative (want 0 for all points, or a positive count)", f.n)
	}
	if f.workers < 0 {
		return usagef("--workers: %d is negative (want 0 for GOMAXPROCS, or a positive count)", f.workers)
	}
	if f.refine < 0 {
		return usagef("--refine: %d is negative (want 0 for no refinement, or a number of steps)", f.refine)
	}
	if ext := strings.ToLower(filepath.Ext(f.plot)); f.plot != "" && ext != ".png" && ext != ".svg" && ext != ".pdf" {
		return usagef("--plot: %s: unsupported format %q (want .png, .svg or .pdf)", f.plot, ext)
	}
	if err := checkDraws(ks, methods, f.reps); err != nil {
		return err
	}
	aisSteps, err := f.ais.parse(methods)
	if err != nil {
		return err
	}
	if err := prepareOutput("--plot", f.plot, f.model, f.data, f.params); err != nil {
		return err
	}

	in, err := loadEstimateInput(f, log)
	if err != nil {
		return err
	}
	m, xs := in.model, in.points
	log.Info().Str("model", in.modelName).Int("latent_dim", m.LatentDim()).Int("data_dim", m.DataDim()).
		Int("points", len(xs)).Str("data", in.dataName).Msg("loaded")

	var q proposalFunc
	var qname string
	if in.pointModels != nil {
		qname, err = guideProposal(f.proposal, methods)
	} else {
		q, qname, err = chooseProposal(f.proposal, m, methods)
	}
	if err != nil {
		return err
	}
	if err := checkAISModel(methods, in); err != nil {
		return err
	}
	exact := in.exact
	if ev, ok := m.(latent.Evidencer); ok {
		exact = make([]float64, len(xs))
		for i, x := range xs {
			exact[i] = ev.LogEvidence(x)
		}
		log.Info().Float64("exact_log_px", mean(exact)).Msg("exact evidence available")
	}

	workers := f.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := estimatePlan(in, ks, methods, f.reps, workers).check(); err != nil {
		return err
	}
	var refined []dist.Distribution
	if f.refine > 0 {
		if refined, err = refineProposals(ctx, m, qname, xs, f, workers, show, stderr, log); err != nil {
			return err
		}
		qname = fmt.Sprintf("encoder, refined (%d steps)", f.refine)
	}
	var total int64
	for _, meth := range methods {
		if meth == "ais" {
			total += f.ais.chainSteps(aisSteps) * int64(len(xs))
			continue
		}
		for _, k := range ks {
			n := int64(k) * int64(len(xs))
			if meth == "iwae" {
				n *= int64(f.reps)
			}
			total += n
		}
	}
	bar := newProgress(show, total, "estimating", stderr)
	defer bar.Finish()

	var rows []*estimateRow
	stopped := false
rows:
	for _, meth := range methods {
		counts := ks
		if meth == "ais" {
			counts = aisSteps
		}
		for _, k := range counts {
			row := &estimateRow{method: meth, k: k, exact: exact}
			if meth != "prior" {
				row.proposal = qname
			}
			if meth == "iwae" {
				row.reps = f.reps
			}
			if meth == "ais" {
				row.k, row.ais = f.ais.chains, newAISRow(k, len(xs))
				row.proposal = f.ais.startName(qname)
			}
			start := time.Now()
			points, err := forPoints(xs, workers, func(i int, x []float64, w int) (mc.Estimate, error) {
				cfg := mc.Config{
					Seed:     mc.DeriveSeed(f.seed, methodIDs[meth], uint64(k), uint64(i)),
					Workers:  w,
					Progress: bar.add,
					Context:  ctx,
				}
				mx, qx := m, dist.Distribution(nil)
				switch {
				case in.pointModels != nil:
					mx, qx = in.pointModels[i], in.guides[i]
					if qname == "prior" {
						qx = mx.Prior()
					}
				case refined != nil:
					qx = refined[i]
				case q != nil:
					qx = q(x)
				}
				var est mc.Estimate
				var err error
				if meth == "ais" {
					est, err = row.ais.run(i, &f.ais, m, mx, qx, x, cfg)
				} else {
					est, err = runMethod(meth, mx, qx, x, k, f.reps, cfg)
				}
				if err != nil {
					return est, fmt.Errorf("%s with K=%d on data point %d: %w", meth, k, i, err)
				}
				return est, nil
			})
			if ctx.Err() != nil {
				// Interrupted: the rows completed are reported.
				stopped = true
				break rows
			}
			if err != nil {
				return err
			}
			row.points = points
			row.avg = mc.Average(row.points)
			// Points may run concurrently: the row's time is its wall time,
			// not the sum of the points' times.
			row.avg.Elapsed = time.Since(start)
			logRow(log, row)
			rows = append(rows, row)
		}
	}
	bar.Finish()
	if stopped {
		log.Warn().Int("rows_done", len(rows)).Int("rows", len(methods)*len(ks)).Msg("interrupted; printing the rows completed")
	}
	// The results go out first: a failure to draw the plot loses nothing.
	var err2 error
	if f.json {
		err2 = writeEstimateJSON(stdout, in, f.seed, exact, rows)
	} else {
		err2 = writeEstimateTable(stdout, in, exact, rows)
	}
	if err2 != nil {
		return err2
	}
	if f.plot != "" && len(rows) > 0 {
		if err := writeEstimatePlot(f.plot, in, exact, rows); err != nil {
			return fmt.Errorf("--plot: %w (the results above are complete)", err)
		}
		log.Info().Str("file", f.plot).Msg("wrote plot")
	}
	if stopped {
		return errInterrupted
	}
	return nonFinite(rows)
}

// nonFinite returns an error listing the rows whose estimate is NaN or
// infinite: the table shows them, but such a result must not pass as a
// success.
func nonFinite(rows []*estimateRow) error {
	var bad []string
	for _, r := range rows {
		if v := r.avg.LogPX; math.IsNaN(v) || math.IsInf(v, 0) {
			bad = append(bad, fmt.Sprintf("%s at K=%d is %v", r.method, r.k, v))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d estimate(s) are not finite (%s): the model gives the data zero likelihood in float64; check the data's scale against the model, or the model's parameters", len(bad), strings.Join(bad, "; "))
}

// checkDraws refuses sample counts whose draws per data point, K times the
// replicates for iwae, exceed maxDraws.
func checkDraws(ks []int, methods []string, reps int) error {
	for _, k := range ks {
		for _, m := range methods {
			n := float64(k)
			if m == "iwae" {
				n *= float64(reps)
			}
			if n > maxDraws {
				if m == "iwae" {
					return usagef("--k %d with --reps %d: %.3g draws per data point, more than the limit of %g", k, reps, n, float64(maxDraws))
				}
				return usagef("--k: %d draws per data point, more than the limit of %g", k, float64(maxDraws))
			}
		}
	}
	return nil
}

// estimatePlan returns the memory that estimating log p(x) for the rows
// needs: the data points, and, for the largest row, the chunk buffers of
// every worker (draws, log-weights and the model's per-draw scratch) and
// the largest weights kept for the Pareto k̂ by every estimate running at
// once.
func estimatePlan(in *estimateInput, ks []int, methods []string, reps, workers int) *memPlan {
	d, D := in.model.LatentDim(), in.model.DataDim()
	width := d + D + 4 // per draw: z, the model's mean of x, log-weights
	if vae, ok := in.model.(*amortized.VAE); ok {
		for _, h := range vae.Config.Hidden {
			width += h
		}
	}
	concurrent := max(1, min(workers, len(in.points))) // estimates at once
	p := &memPlan{}
	p.add("--data", len(in.points), D, 8)
	var rows, top, topK int
	for _, k := range ks {
		for _, m := range methods {
			n := k
			if m == "iwae" {
				n = int(min(float64(k)*float64(reps), math.MaxInt32))
			} else if m != "elbo-kl" {
				if t := tailKept(k); t > top {
					top, topK = t, k
				}
			}
			rows = max(rows, min(n, mc.DefaultChunkSize))
		}
	}
	p.add(fmt.Sprintf("--workers %d (chunk buffers of %d draws × %d values)", workers, rows, width), 3*workers, rows, width, 8)
	if top > 0 {
		p.add(fmt.Sprintf("--k %d (its %d largest log-weights, kept for k̂)", topK, top), concurrent, top, 8)
	}
	return p
}

// tailKept returns how many of K log-weights an estimate keeps for the
// Pareto k̂ (mc keeps min(0.2K, 3√K) + 1).
func tailKept(k int) int {
	f := float64(k)
	return int(math.Ceil(math.Min(0.2*f, 3*math.Sqrt(f)))) + 1
}

func logRow(log zerolog.Logger, r *estimateRow) {
	ev := log.Debug().Str("method", r.method).Int("k", r.k).Float64("log_px", r.avg.LogPX).
		Float64("stderr", r.avg.StdErr).Dur("elapsed", r.avg.Elapsed)
	if r.exact != nil {
		ev = ev.Float64("error", r.errVsExact())
	}
	ev.Msg("estimated")
}

// forPoints runs estimate on every data point and returns the results in
// point order. With at least as many points as workers, the points are
// spread over the workers and each estimate runs on one goroutine (w = 1);
// with fewer, the points run one after another and each estimate uses all
// workers. Both give the same numbers: an mc estimate depends on its seed
// and chunk size, never on its number of workers.
func forPoints[T any](xs [][]float64, workers int, estimate func(i int, x []float64, w int) (T, error)) ([]T, error) {
	out := make([]T, len(xs))
	if len(xs) < workers || workers == 1 {
		for i, x := range xs {
			est, err := estimate(i, x, workers)
			if err != nil {
				return nil, err
			}
			out[i] = est
		}
		return out, nil
	}
	errs := make([]error, len(xs))
	next := make(chan int)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		pval  any
		stack []byte
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A panic is re-raised on the calling goroutine, where Run
			// reports it as a crash, instead of killing the process.
			defer func() {
				if r := recover(); r != nil {
					once.Do(func() { pval, stack = r, debug.Stack() })
					for range next {
					}
				}
			}()
			for i := range next {
				out[i], errs[i] = estimate(i, xs[i], 1)
			}
		}()
	}
	for i := range xs {
		next <- i
	}
	close(next)
	wg.Wait()
	if stack != nil {
		panic(fmt.Sprintf("%v\n\n(on a worker goroutine:)\n%s", pval, stack))
	}
	for _, err := range errs {
		if err != nil {
			return nil, err // the first failing point, in point order
		}
	}
	return out, nil
}

// runMethod runs one estimator on one data point.
func runMethod(method string, m latent.Model, q dist.Distribution, x []float64, k, reps int, cfg mc.Config) (mc.Estimate, error) {
	switch method {
	case "prior":
		return mc.Prior(m, x, k, cfg)
	case "is":
		return mc.Importance(m, q, x, k, cfg)
	case "elbo":
		return mc.ELBO(m, q, x, k, cfg)
	case "elbo-kl":
		return mc.ELBOAnalyticKL(m, q, x, k, cfg)
	case "iwae":
		return mc.IWAE(m, q, x, k, reps, cfg)
	}
	panic("cli: unknown method " + method)
}

// guideProposal resolves --proposal for a registered model, whose proposal
// is its guide (auto or guide) or its prior.
func guideProposal(name string, methods []string) (string, error) {
	for _, meth := range methods {
		if meth == "elbo-kl" {
			return "", usagef("--method: elbo-kl needs a closed-form KL between the whole guide and prior, which a registered model does not offer (use elbo)")
		}
	}
	switch name {
	case "auto", "guide":
		return "guide", nil
	case "prior":
		return name, nil
	}
	return "", usagef("--proposal: a registered model has no %q proposal (it offers guide, prior)", name)
}

// proposalFunc returns q(z|x) for a data point.
type proposalFunc func(x []float64) dist.Distribution

// meanFielder is a model that offers a fitted mean-field Gaussian q(z|x).
type meanFielder interface {
	MeanField(x []float64) dist.Normal
}

// encoderProposer is a model with an amortised encoder q(z|x).
type encoderProposer interface {
	Proposal(x []float64) dist.Distribution
}

// chooseProposal resolves --proposal for the model. It returns a nil function
// when no method needs a proposal.
func chooseProposal(name string, m latent.Model, methods []string) (proposalFunc, string, error) {
	needed := false
	for _, meth := range methods {
		needed = needed || meth != "prior"
	}
	if !needed {
		return nil, "", nil
	}
	enc, hasEnc := m.(encoderProposer)
	mf, hasMF := m.(meanFielder)
	post, hasPost := m.(latent.Posteriorer)
	if name == "auto" {
		switch {
		case hasEnc:
			name = "encoder"
		case hasMF:
			name = "fitted"
		case hasPost:
			name = "exact"
		default:
			name = "prior"
		}
	}
	switch name {
	case "encoder":
		if hasEnc {
			return func(x []float64) dist.Distribution { return enc.Proposal(x) }, name, nil
		}
	case "fitted":
		if hasMF {
			return func(x []float64) dist.Distribution { return mf.MeanField(x) }, name, nil
		}
	case "exact":
		if hasPost {
			return post.Posterior, name, nil
		}
	case "prior":
		prior := m.Prior()
		return func([]float64) dist.Distribution { return prior }, name, nil
	}
	return nil, "", usagef("--proposal: this model has no %q proposal (it offers %s)", name, offeredProposals(hasEnc, hasMF, hasPost))
}

func offeredProposals(enc, mf, post bool) string {
	s := ""
	if enc {
		s += "encoder, "
	}
	if mf {
		s += "fitted, "
	}
	if post {
		s += "exact, "
	}
	return s + "prior"
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// seconds returns d in seconds.
func seconds(d time.Duration) float64 { return d.Seconds() }
