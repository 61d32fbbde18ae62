// Command 07-custom-model writes a latent-variable model of its own as a Go
// function with named random sites (package ppl), fits a variational
// posterior to it by stochastic variational inference, and estimates its
// evidence log p(x) — without any model-specific code in vitool.
//
// The model is Bayesian polynomial regression: a global latent weight vector
// w ∈ ℝᵖ with prior N(0, I), and observations
//
//	x_j ~ N(Σᵢ wᵢ tⱼⁱ, σ²),  j = 1…n,
//
// at fixed inputs t_j. It is conjugate: the posterior p(w|x) is Gaussian and
// log p(x) = log N(x; 0, ΦΦᵀ + σ²I) with Φ_ji = tⱼⁱ, so every number the
// example prints is checked against the exact answer (it is the
// linear-Gaussian model of package latent with W = Φ).
//
// The model function has no loop over particles: the weights of K particles
// are a K×p matrix, multiplied by the design matrix Φᵀ in one operation of
// package ad, and the noise scale broadcasts. ppl differentiates it in
// reverse mode.
//
// It prints a table and writes one figure to -out:
//
//	evidence_vs_k.png   log p̂(x) against K: naive prior sampling, importance
//	                    sampling with the fitted guides, and the exact value
//
// Usage:
//
//	go run ./examples/07-custom-model [-fast] [-out DIR] [-seed N]
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// config sets up a run.
type config struct {
	degree int     // polynomial degree: p = degree + 1 weights
	points int     // number of observations n
	noise  float64 // observation noise σ
	steps  int     // SVI steps
	ks     []int   // sample counts of the evidence estimates
	seed   uint64
	out    string // figure directory; empty writes none
}

func defaultConfig() config {
	return config{degree: 3, points: 20, noise: 0.3, steps: 3000, ks: []int{1, 10, 100, 1000, 10000, 100000}, seed: 1}
}

// fastConfig is what the test runs: seconds instead of a minute.
func fastConfig() config {
	c := defaultConfig()
	c.steps, c.ks = 1500, []int{1, 100, 10000}
	return c
}

// elboDraws is the number of draws of the ELBO estimates.
const elboDraws = 20000

// estimate is one evidence estimate.
type estimate struct {
	method string
	k      int
	est    mc.Estimate
}

// results is what a run measured.
type results struct {
	exactLogPX         float64
	meanErrFull        float64 // max |posterior mean − exact| of the full-rank guide
	covErrFull         float64 // max |posterior covariance − exact| of the full-rank guide
	meanErrDiag        float64 // likewise for the mean-field guide
	elboFull, elboDiag float64
	elboDiagSE         float64 // standard error of the mean-field ELBO estimate
	// bestGapDiag is the smallest ELBO gap of any mean-field Gaussian,
	// min KL(q ‖ p(w|x)) = ½(Σᵢ log Λᵢᵢ − log det Λ) for the posterior
	// precision Λ = I + ΦᵀΦ/σ², reached at q = N(μ, diag(1/Λᵢᵢ)).
	bestGapDiag float64
	estimates   []estimate
}

// basis returns Φ with Φ_ji = t_jⁱ for n evenly spaced t_j in [−1, 1].
func basis(n, degree int) *mat.Dense {
	phi := mat.NewDense(n, degree+1, nil)
	for j := range n {
		t := -1 + 2*float64(j)/float64(n-1)
		for i := 0; i <= degree; i++ {
			phi.Set(j, i, math.Pow(t, float64(i)))
		}
	}
	return phi
}

// regression returns the model as a function with named sites: the latent
// site "w" and the observed site "x". The data x are one 1×n row, the n
// observations of the one regression line; the weights are K×p, one row per
// particle, so w·Φᵀ is the K×n matrix of every particle's line at every t_j,
// and the scalar log σ broadcasts against it. There is no loop over the
// particles: the library runs the function on all K at once.
func regression(phi *mat.Dense, noise float64) ppl.Model {
	_, p := phi.Dims()
	phiT := ad.FromDense(mat.DenseCopyOf(phi.T())) // p×n, a constant
	logNoise := ad.Scalar(math.Log(noise))         // 1×1, broadcast
	return func(t *ppl.Tracer, x *ad.Var) {
		w := t.Sample("w", dist.StdNormal{D: p}) // K×p
		t.Observe("x", dist.Normal{Loc: ad.MatMul(w, phiT), LogScale: logNoise}, x)
	}
}

func run(c config, w io.Writer) (results, error) {
	var res results
	phi := basis(c.points, c.degree)
	// The same model in closed form, for the exact answers.
	exact := latent.LinearGaussian{W: phi, B: make([]float64, c.points), NoiseStd: c.noise}
	// Data drawn from the model: one row of n observations.
	x := mat.NewDense(1, c.points, nil)
	exact.SampleData(x, rand.New(rand.NewPCG(c.seed, 1)))
	res.exactLogPX = exact.LogEvidence(x.RawRowView(0))
	post := exact.PosteriorNormal(x.RawRowView(0))
	model := regression(phi, c.noise)

	// Fit a full-rank and a mean-field Gaussian guide by SVI, with the
	// "sticking the landing" gradient estimator and Adam, its learning rate
	// annealed along a cosine so that the noisy mean-field fit settles.
	fit := func(auto func(ppl.Model, *ppl.ParamStore, mat.Matrix) (ppl.Guide, error)) (ppl.Guide, *ppl.ParamStore, mc.Estimate, error) {
		store := ppl.NewParamStore(c.seed)
		guide, err := auto(model, store, x)
		if err != nil {
			return nil, nil, mc.Estimate{}, err
		}
		_, err = ppl.SVI(model, guide, store, x, ppl.SVIConfig{
			Objective: ppl.Objective{K: 4, Estimator: ppl.STL},
			Steps:     c.steps,
			Schedule:  vi.CosineDecay{Initial: 0.05, Min: 0.001, Steps: c.steps},
			Seed:      c.seed,
		})
		if err != nil {
			return nil, nil, mc.Estimate{}, err
		}
		elbo, err := ppl.ELBO(model, guide, store, x, elboDraws, mc.Config{Seed: mc.DeriveSeed(c.seed, 0xe1b0)})
		return guide, store, elbo, err
	}
	full, fullStore, elboFull, err := fit(ppl.AutoMultivariateNormal)
	if err != nil {
		return res, err
	}
	diag, diagStore, elboDiag, err := fit(ppl.AutoNormal)
	if err != nil {
		return res, err
	}
	res.elboFull, res.elboDiag, res.elboDiagSE = elboFull.LogPX, elboDiag.LogPX, elboDiag.StdErr
	res.bestGapDiag = bestMeanFieldGap(phi, c.noise)

	// Compare the fitted guides with the exact posterior. The full-rank
	// guide's covariance is L Lᵀ, L the lower-Cholesky parameter.
	mean, cov := post.Mean(), post.Covariance()
	loc := fullStore.Get("auto.loc").RawRowView(0)
	l := fullStore.Get("auto.scale_tril")
	var fitCov mat.Dense
	fitCov.Mul(l, l.T())
	for i := range mean {
		res.meanErrFull = math.Max(res.meanErrFull, math.Abs(loc[i]-mean[i]))
		res.meanErrDiag = math.Max(res.meanErrDiag, math.Abs(diagStore.Get("auto.w.loc").At(0, i)-mean[i]))
		for j := range mean {
			res.covErrFull = math.Max(res.covErrFull, math.Abs(fitCov.At(i, j)-cov.At(i, j)))
		}
	}

	// Estimate the evidence: naive prior sampling, and importance sampling
	// with each fitted guide as proposal.
	for _, k := range c.ks {
		cfg := mc.Config{Seed: mc.DeriveSeed(c.seed, uint64(k))}
		p, err := ppl.Prior(model, ppl.NewParamStore(c.seed), x, k, cfg)
		if err != nil {
			return res, err
		}
		f, err := ppl.Importance(model, full, fullStore, x, k, cfg)
		if err != nil {
			return res, err
		}
		d, err := ppl.Importance(model, diag, diagStore, x, k, cfg)
		if err != nil {
			return res, err
		}
		res.estimates = append(res.estimates, estimate{"prior", k, p}, estimate{"is (full-rank guide)", k, f}, estimate{"is (mean-field guide)", k, d})
	}

	fmt.Fprintf(w, "Bayesian polynomial regression: degree %d (%d weights), %d points, σ = %g\n", c.degree, c.degree+1, c.points, c.noise)
	fmt.Fprintf(w, "exact log p(x) = %.4f\n\n", res.exactLogPX)
	fmt.Fprintf(w, "fitted guide     ELBO       gap to log p(x)   max |mean error|\n")
	fmt.Fprintf(w, "full-rank        %-10.4f %-17.4f %.2g (max |cov error| %.2g)\n", res.elboFull, res.exactLogPX-res.elboFull, res.meanErrFull, res.covErrFull)
	fmt.Fprintf(w, "mean-field       %-10.4f %-17.4f %.2g\n", res.elboDiag, res.exactLogPX-res.elboDiag, res.meanErrDiag)
	fmt.Fprintf(w, "(ELBOs estimated from %d draws, mean-field ± %.1g; the best mean-field Gaussian falls short by %.4f)\n\n", elboDraws, res.elboDiagSE, res.bestGapDiag)
	fmt.Fprintf(w, "%-22s %8s %12s %10s %10s %8s\n", "evidence estimate", "K", "log p̂(x)", "error", "stderr", "k̂")
	for _, e := range res.estimates {
		fmt.Fprintf(w, "%-22s %8d %12.4f %+10.4f %10.2g %8.2f\n", e.method, e.k, e.est.LogPX, e.est.LogPX-res.exactLogPX, e.est.StdErr, e.est.KHat)
	}
	if c.out != "" {
		if err := plotEvidence(c, res, filepath.Join(c.out, "evidence_vs_k.png")); err != nil {
			return res, err
		}
	}
	return res, nil
}

// bestMeanFieldGap returns min KL(q ‖ p(w|x)) over diagonal Gaussians q, for
// the posterior precision Λ = I + ΦᵀΦ/σ²: ½(Σᵢ log Λᵢᵢ − log det Λ). It does
// not depend on x.
func bestMeanFieldGap(phi *mat.Dense, noise float64) float64 {
	_, p := phi.Dims()
	prec := mat.NewSymDense(p, nil)
	prec.SymOuterK(1/(noise*noise), phi.T())
	for i := range p {
		prec.SetSym(i, i, prec.At(i, i)+1)
	}
	var chol mat.Cholesky
	if !chol.Factorize(prec) {
		panic("bestMeanFieldGap: the precision is not positive definite")
	}
	gap := -chol.LogDet()
	for i := range p {
		gap += math.Log(prec.At(i, i))
	}
	return gap / 2
}

func plotEvidence(c config, res results, path string) error {
	var series []figure.Series
	index := map[string]int{}
	for _, e := range res.estimates {
		i, ok := index[e.method]
		if !ok {
			i = len(series)
			index[e.method] = i
			series = append(series, figure.Series{Name: e.method, Points: true})
		}
		series[i].X = append(series[i].X, float64(e.k))
		series[i].Y = append(series[i].Y, e.est.LogPX)
	}
	p, err := figure.LinePlot(series, figure.LineOptions{
		Title:  "Evidence of a custom model (Bayesian regression)",
		XLabel: "K (samples)",
		YLabel: "log p̂(x)",
		LogX:   true,
		Refs:   []figure.RefLine{{Name: "exact log p(x)", Y: res.exactLogPX}},
	})
	if err != nil {
		return err
	}
	// Naive sampling with one draw lands hundreds of nats low; show the range
	// of the estimates with K ≥ 10, where the methods differ.
	lo := res.exactLogPX
	for _, e := range res.estimates {
		if e.k >= 10 {
			lo = math.Min(lo, e.est.LogPX)
		}
	}
	p.Y.Min = lo - 0.1*(p.Y.Max-lo)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return figure.Save(path, p, 0, 0)
}

func main() {
	fast := flag.Bool("fast", false, "a quick run (what the tests do)")
	out := flag.String("out", filepath.Join("docs", "figures", "07-custom-model"), "directory for the figure")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	c := defaultConfig()
	if *fast {
		c = fastConfig()
	}
	c.seed, c.out = *seed, *out
	notebook.Main("07-custom-model", c, run)
}
