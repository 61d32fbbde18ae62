// Command 08-gaussian-mixture writes a model with a discrete latent as Go
// functions with named sites (package ppl), fits it by stochastic variational
// inference with score-function gradients, and checks every number against
// the exact answer obtained by summing over the latent.
//
// The model (package mixture beside this file) is a mixture of three
// Gaussians in the plane with a shared isotropic noise scale,
//
//	c ~ Categorical(π),  x | c ~ N(μ_c, σ² I₂),
//
// and the guide is amortised, q(c|x) = Categorical(softmax(W x + b)). Model
// and guide take the whole data set, one point per row, and draw the classes
// of all points at once in a plate over the rows, which SVI subsamples. With
// equal isotropic covariances the exact posterior p(c|x) is such a softmax of
// a linear function of x, so the guide can be exact and the ELBO can reach
// log p(x): maximising it over model and guide is maximum likelihood, which
// EM computes exactly for comparison.
//
// The site c is discrete, so there is no reparameterisation gradient for the
// guide: ppl.Standard uses the score-function (REINFORCE) estimator with a
// leave-one-out baseline over each point's K particles. The example measures
// the variance of that gradient with and without the baseline, and checks
// that its mean equals the exact gradient of the ELBO, computed by
// enumerating the three classes of every point.
//
// It prints tables and writes one figure to -out:
//
//	clusters.png   the data coloured by the guide's most likely class, with
//	               the fitted and the true means
//
// Usage:
//
//	go run ./examples/08-gaussian-mixture [-fast | -full] [-out DIR] [-seed N]
package main

import (
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/vitool/vitool/examples/08-gaussian-mixture/mixture"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// config holds the example's settings, the flags every example takes; main
// fills it from the flags.
type config = notebook.Common

func main() {
	const name = "08-gaussian-mixture"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger run: more SVI steps, gradient seeds and samples (a minute)", "folder for the figure")
	flag.Parse()
	notebook.Main(name, cfg, run)
}

// settings are the sizes of a run.
type settings struct {
	steps     int     // SVI steps
	batch     int     // points of the plate visited per step (the minibatch)
	particles int     // K, particles per point (the baseline needs K ≥ 2)
	lr, minLR float64 // Adam's learning rate, annealed from lr to minLR along a cosine
	gradSeeds int     // independent gradient estimates per setting
	gradBatch int     // data points in the minibatch of the gradient study
	evalK     int     // samples per point of the ELBO and IS estimates
}

func sizes(cfg config) settings {
	s := settings{steps: 1200, batch: 32, particles: 4, lr: 0.05, minLR: 0.001, gradSeeds: 500, gradBatch: 10, evalK: 1000}
	switch {
	case cfg.Fast:
		s.steps, s.gradSeeds, s.gradBatch, s.evalK = 400, 200, 8, 100
	case cfg.Full:
		s.steps, s.gradSeeds, s.evalK = 4000, 2000, 10000
	}
	return s
}

// component compares one fitted component with the true one and with the
// maximum-likelihood estimate, after matching labels.
type component struct {
	Weight, FitWeight, MLEWeight float64
	Mean, FitMean, MLEMean       [2]float64
	// SEMean and SEWeight are the sampling standard errors of the fitted
	// mean (per coordinate, σ̂/√(n ŵ)) and weight (√(ŵ(1−ŵ)/n)).
	SEMean, SEWeight float64
}

// gradRow is the gradient study at one parameter setting, with or without
// the baseline.
type gradRow struct {
	Setting  string // "initial" or "fitted"
	Points   string // "data" (the first points of the data) or "boundary" (see boundaryPoints)
	Baseline bool
	// MinQ is the smallest probability q(c|x) of a class at a point of the
	// batch: classes much rarer than 1/(K·seeds) are never drawn.
	MinQ float64
	// GuideVar is the summed variance of the minibatch gradient of the
	// guide's parameters (W and b) over the seeds; ModelVar the same for
	// the model's.
	GuideVar, ModelVar float64
	// MaxZ is the largest |mean − exact|/stderr over all parameters, the
	// exact gradient computed by enumeration.
	MaxZ float64
	// MaxErr is the largest |mean − exact|.
	MaxErr float64
}

// results is what the example measured.
type results struct {
	N                int // data points
	Components       []component
	Sigma, FitSigma  float64
	MLESigma         float64
	Perm             []int // Perm[c] is the fitted component matched to true component c
	SVI              ppl.SVIResult
	LogPXTrue        float64 // mean exact log p(x) at the true parameters
	LogPXFit         float64 // mean exact log p(x) at the fitted parameters
	LogPXMLE         float64 // mean exact log p(x) at the EM (maximum-likelihood) parameters
	LogPXSE          float64 // sampling standard error of LogPXFit: sd of log p(x) over the data / √n
	ELBOExact        float64 // mean ELBO at the fitted parameters, by enumeration
	ELBO, ELBOSE     float64 // mean ppl.ELBO estimate and its standard error
	IS, ISSE, ISBias float64 // mean ppl.Importance estimate, its standard error and Jensen-bias bound
	Grad             []gradRow
	Figures          []string
}

func run(cfg config, w io.Writer) (results, error) {
	s := sizes(cfg)
	var res results
	ds, err := mixture.Data()
	if err != nil {
		return res, err
	}
	x := ds.Dense()            // N×2: the whole data set, one point per row
	data := mixture.Points(ds) // the same points as slices, for the exact per-point values
	res.N = len(data)
	m := mixture.Mixture{C: mixture.Components}
	truth := mixture.True()

	// Fit by SVI on the whole data set: each step visits a random subset of
	// s.batch points of the plate and scales their terms by N/B, an unbiased
	// estimate of the ELBO of all N points. The Standard estimator's guide
	// gradient is the score function, each point's weighted by its own terms
	// with a leave-one-out baseline over its K particles. The parameters
	// are registered by their initialisers on the first run.
	store := ppl.NewParamStore(cfg.Seed)
	obj := ppl.Objective{Bound: ppl.BoundELBO, Estimator: ppl.Standard, K: s.particles}
	fitObj := obj
	fitObj.Subsample = s.batch
	res.SVI, err = ppl.SVI(m.Model, m.Guide, store, x, ppl.SVIConfig{
		Objective: fitObj,
		Steps:     s.steps,
		Schedule:  vi.CosineDecay{Initial: s.lr, Min: s.minLR, Steps: s.steps},
		Seed:      cfg.Seed,
	})
	if err != nil {
		return res, err
	}

	// The reference: maximum likelihood by EM, from the same start.
	initial := ppl.NewParamStore(cfg.Seed)
	m.Init(initial)
	mle := em(m, initial.Clone(), data)

	// Compare fitted, maximum-likelihood and true parameters, matching the
	// fitted components to the true ones (the labels are arbitrary).
	fit, ml := m.Gaussian(store), m.Gaussian(mle)
	res.Perm = matchMeans(truth.Means, fit.Means)
	mlPerm := matchMeans(truth.Means, ml.Means)
	res.Sigma, res.FitSigma, res.MLESigma = truth.Stds.At(0, 0), fit.Stds.At(0, 0), ml.Stds.At(0, 0)
	n := float64(res.N)
	for c, wt := range truth.Weights {
		f, e := res.Perm[c], mlPerm[c]
		cp := component{Weight: wt, FitWeight: fit.Weights[f], MLEWeight: ml.Weights[e]}
		for j := range 2 {
			cp.Mean[j], cp.FitMean[j], cp.MLEMean[j] = truth.Means.At(c, j), fit.Means.At(f, j), ml.Means.At(e, j)
		}
		cp.SEMean = res.FitSigma / math.Sqrt(n*cp.FitWeight)
		cp.SEWeight = math.Sqrt(cp.FitWeight * (1 - cp.FitWeight) / n)
		res.Components = append(res.Components, cp)
	}

	// Evidence: exact values by enumeration, and the Monte Carlo estimators
	// of package mc run on the ppl model and guide.
	var sumSq float64
	elbos, iss := make([]mc.Estimate, len(data)), make([]mc.Estimate, len(data))
	for i, x := range data {
		lp := m.Exact(store, x)
		res.LogPXTrue += truth.LogEvidence(x) / n
		res.LogPXFit += lp / n
		sumSq += lp * lp
		res.LogPXMLE += m.Exact(mle, x) / n
		res.ELBOExact += m.ExactELBO(store, x) / n
		// The same model and guide on one point: a 1×2 x, a plate of one.
		mcfg := mc.Config{Seed: mc.DeriveSeed(cfg.Seed, 3, uint64(i)), Workers: 1}
		if elbos[i], err = ppl.ELBO(m.Model, m.Guide, store, row(x), s.evalK, mcfg); err != nil {
			return res, err
		}
		if iss[i], err = ppl.Importance(m.Model, m.Guide, store, row(x), s.evalK, mcfg); err != nil {
			return res, err
		}
	}
	res.LogPXSE = math.Sqrt((sumSq/n - res.LogPXFit*res.LogPXFit) / (n - 1))
	// mc.Average: the mean over the points, with standard error √(Σ se²)/n.
	elbo, is := mc.Average(elbos), mc.Average(iss)
	res.ELBO, res.ELBOSE = elbo.LogPX, elbo.StdErr
	res.IS, res.ISSE = is.LogPX, is.StdErr
	// The log of a mean of weights is biased low by about se²/2 per point.
	res.ISBias = n * is.StdErr * is.StdErr / 2

	// The gradient study: the gradient of the mean ELBO over a minibatch
	// (one ppl.Gradient on a plate of its points, divided by their number),
	// over many seeds, with and without the baseline, against the exact
	// gradient by enumeration. On the data: at the initial and at the fitted
	// parameters. Near the decision boundary of the fitted guide, where
	// every class is drawn often enough for the sample standard error to see
	// it: the unbiasedness check.
	probes := boundaryPoints(m, store, s.gradBatch, 0.5*res.FitSigma)
	for si, setting := range []struct {
		name, points string
		store        *ppl.ParamStore
		batch        [][]float64
	}{
		{"initial", "data", initial, data[:s.gradBatch]},
		{"fitted", "data", store, data[:s.gradBatch]},
		{"fitted", "boundary", store, probes},
	} {
		exact := exactGradient(m, setting.store, setting.batch)
		for _, baseline := range []bool{true, false} {
			o := obj
			o.NoBaseline = !baseline
			samples, err := gradSamples(m, setting.store, setting.batch, o, s.gradSeeds, mc.DeriveSeed(cfg.Seed, 4, uint64(si)))
			if err != nil {
				return res, err
			}
			row := summarise(setting.name, baseline, samples, exact)
			row.Points = setting.points
			row.MinQ = math.Inf(1)
			for _, x := range setting.batch {
				_, q := m.Posterior(setting.store, x)
				row.MinQ = math.Min(row.MinQ, slices.Min(q))
			}
			res.Grad = append(res.Grad, row)
		}
	}

	if err := report(w, s, res); err != nil {
		return res, err
	}
	if cfg.Out != "" {
		path := filepath.Join(cfg.Out, "clusters.png")
		if err := plotClusters(path, m, store, data, truth.Means, fit.Means, res.Perm); err != nil {
			return res, err
		}
		res.Figures = append(res.Figures, path)
		fmt.Fprintf(w, "\nwrote %s\n", path)
	}
	return res, nil
}

func report(w io.Writer, s settings, res results) error {
	fmt.Fprintf(w, "Gaussian mixture: %d components in 2-D with a shared σ, %d data points (mixture.Data)\n", len(res.Components), res.N)
	fmt.Fprintf(w, "SVI on the ELBO of a plate over the %d points, subsampled to %d per step; Standard estimator\n", res.N, s.batch)
	fmt.Fprintf(w, "(score function with a leave-one-out baseline for c), K = %d particles per point, %d Adam steps\n", s.particles, res.SVI.Steps)
	fmt.Fprintf(w, "with a cosine learning-rate schedule from %g to %g; EM gives the maximum of the likelihood\n\n", s.lr, s.minLR)
	pair := func(v [2]float64) string { return fmt.Sprintf("(%.2f, %.2f)", v[0], v[1]) }
	t := notebook.NewTable(w, "component", "true weight", "SVI", "EM", "± s.e.", "true mean", "SVI", "EM", "± s.e.")
	for c, cp := range res.Components {
		t.Append(fmt.Sprint(c+1), f3(cp.Weight), f3(cp.FitWeight), f3(cp.MLEWeight), f3(cp.SEWeight),
			pair(cp.Mean), pair(cp.FitMean), pair(cp.MLEMean), f3(cp.SEMean))
	}
	t.Append("σ", "", "", "", "", f3(res.Sigma), f3(res.FitSigma), f3(res.MLESigma), f3(res.FitSigma/math.Sqrt(4*float64(res.N))))
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintf(w, "(components matched to the true ones by their means; s.e. = sampling standard error from %d points)\n\n", res.N)

	f4 := func(v float64) string { return fmt.Sprintf("%.4f", v) }
	se := func(v float64) string { return fmt.Sprintf("± %.1e", v) }
	t = notebook.NewTable(w, "mean over the data points (nats)", "value", "")
	t.Append("exact log p(x), true parameters", f4(res.LogPXTrue), "")
	t.Append("exact log p(x), EM (maximum likelihood)", f4(res.LogPXMLE), "")
	t.Append("exact log p(x), SVI fit", f4(res.LogPXFit), se(res.LogPXSE)+" (sampling)")
	t.Append("exact ELBO, SVI fit (sum over c)", f4(res.ELBOExact), fmt.Sprintf("gap %.1e", res.LogPXFit-res.ELBOExact))
	t.Append(fmt.Sprintf("ELBO estimate, %d draws per point", s.evalK), f4(res.ELBO), se(res.ELBOSE))
	t.Append(fmt.Sprintf("IS estimate, K = %d", s.evalK), f4(res.IS), se(res.ISSE))
	if err := t.Render(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nGradient of the mean ELBO over %d points: %d estimates by ppl.Gradient (a plate of the %d points,\nK = %d) against the exact gradient (sum over c)\n\n", s.gradBatch, s.gradSeeds, s.gradBatch, s.particles)
	t = notebook.NewTable(w, "parameters", "points", "baseline", "min q(c|x)", "guide var", "model var", "var ratio", "max |err|", "max |z|")
	for _, g := range res.Grad {
		b, ratio := "none", ""
		if g.Baseline {
			b = "leave-one-out"
		} else {
			ratio = fmt.Sprintf("%.1f", g.GuideVar/baselineVar(res.Grad, g.Setting, g.Points))
		}
		z := "–"
		if g.Points == "boundary" {
			z = f2(g.MaxZ)
		}
		t.Append(g.Setting, g.Points, b, fmt.Sprintf("%.1e", g.MinQ), fmt.Sprintf("%.4g", g.GuideVar), fmt.Sprintf("%.4g", g.ModelVar), ratio, fmt.Sprintf("%.1e", g.MaxErr), z)
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintf(w, "var: summed over the parameters of the guide (W, b) or of the model; var ratio: none / leave-one-out.\n")
	fmt.Fprintf(w, "max |z| = max |mean − exact| / s.e., shown where every class is drawn often. On the data, classes of\n")
	fmt.Fprintf(w, "probability far below 1/%d are never drawn: the mean misses their tiny terms, and their\n", s.gradSeeds*s.particles)
	fmt.Fprintf(w, "sample standard error, which cannot see them, is 0.\n")
	return nil
}

func f3(v float64) string { return fmt.Sprintf("%.3f", v) }
func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

// baselineVar returns the guide variance with the baseline at setting and
// points.
func baselineVar(rows []gradRow, setting, points string) float64 {
	for _, r := range rows {
		if r.Setting == setting && r.Points == points && r.Baseline {
			return r.GuideVar
		}
	}
	return math.NaN()
}

// boundaryPoints returns n points around the point where the guide's three
// classes are equally likely (W_c x + b_c equal for c = 0, 1, 2): that point
// and n−1 points evenly spaced on the circle of radius r about it. There
// every class has a sizeable probability under q. It panics unless m.C = 3.
func boundaryPoints(m mixture.Mixture, store *ppl.ParamStore, n int, r float64) [][]float64 {
	if m.C != 3 {
		panic("boundaryPoints: needs three components")
	}
	w, b := store.Get(mixture.ParamGuideW), store.Get(mixture.ParamGuideB)
	// (W_c − W_0)·x = b_0 − b_c for c = 1, 2.
	a := mat.NewDense(2, 2, nil)
	rhs := mat.NewVecDense(2, nil)
	for c := 1; c <= 2; c++ {
		for j := range 2 {
			a.Set(c-1, j, w.At(c, j)-w.At(0, j))
		}
		rhs.SetVec(c-1, b.At(0, 0)-b.At(0, c))
	}
	x0 := mat.NewVecDense(2, nil)
	if err := x0.SolveVec(a, rhs); err != nil {
		x0.Zero() // parallel boundaries: fall back to the origin
	}
	pts := [][]float64{{x0.AtVec(0), x0.AtVec(1)}}
	for i := range n - 1 {
		t := 2 * math.Pi * float64(i) / float64(n-1)
		pts = append(pts, []float64{x0.AtVec(0) + r*math.Cos(t), x0.AtVec(1) + r*math.Sin(t)})
	}
	return pts
}

// em fits the mixture by expectation-maximisation from the parameters in
// store, and returns store. Each iteration computes the exact posteriors
// p(c|x) and sets π, μ and σ to their weighted maximum-likelihood values; it
// stops when the mean log-likelihood rises by less than 1e-12.
func em(m mixture.Mixture, store *ppl.ParamStore, data [][]float64) *ppl.ParamStore {
	C, n := m.C, float64(len(data))
	prev := math.Inf(-1)
	for range 10000 {
		nk := make([]float64, C)
		sx := mat.NewDense(C, 2, nil)
		post := make([][]float64, len(data))
		var ll float64
		for i, x := range data {
			post[i], _ = m.Posterior(store, x)
			ll += m.Exact(store, x) / n
			for c, p := range post[i] {
				nk[c] += p
				sx.Set(c, 0, sx.At(c, 0)+p*x[0])
				sx.Set(c, 1, sx.At(c, 1)+p*x[1])
			}
		}
		if ll-prev < 1e-12 {
			break
		}
		prev = ll
		logits := mat.NewDense(1, C, nil)
		for c := range C {
			logits.Set(0, c, math.Log(nk[c]/n))
			sx.Set(c, 0, sx.At(c, 0)/nk[c])
			sx.Set(c, 1, sx.At(c, 1)/nk[c])
		}
		var ss float64
		for i, x := range data {
			for c, p := range post[i] {
				dx, dy := x[0]-sx.At(c, 0), x[1]-sx.At(c, 1)
				ss += p * (dx*dx + dy*dy)
			}
		}
		for _, p := range []struct {
			name string
			v    *mat.Dense
		}{
			{mixture.ParamLogits, logits},
			{mixture.ParamMeans, sx},
			{mixture.ParamScale, mat.NewDense(1, 1, []float64{math.Sqrt(ss / (2 * n))})},
		} {
			if err := store.Set(p.name, p.v, mixture.Constraint(p.name)); err != nil {
				panic("em: " + err.Error()) // the updates lie in their supports
			}
		}
	}
	return store
}

// row returns a data point as the 1×2 data of the model and guide.
func row(x []float64) *mat.Dense { return mat.NewDense(1, len(x), x) }

// matchMeans returns the permutation perm minimising Σ_c |fit_perm[c] −
// truth_c|², by trying every permutation (C is small).
func matchMeans(truth, fit *mat.Dense) []int {
	C, _ := truth.Dims()
	perm := make([]int, C)
	for i := range perm {
		perm[i] = i
	}
	best, bestCost := append([]int(nil), perm...), math.Inf(1)
	var try func(k int)
	try = func(k int) {
		if k == C {
			var cost float64
			for c, f := range perm {
				dx, dy := fit.At(f, 0)-truth.At(c, 0), fit.At(f, 1)-truth.At(c, 1)
				cost += dx*dx + dy*dy
			}
			if cost < bestCost {
				bestCost = cost
				copy(best, perm)
			}
			return
		}
		for i := k; i < C; i++ {
			perm[k], perm[i] = perm[i], perm[k]
			try(k + 1)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	try(0)
	return best
}

// flatten concatenates the gradients in the order of mixture.ParamNames,
// each row-major.
func flatten(g ppl.Grads) []float64 {
	var out []float64
	for _, n := range mixture.ParamNames() {
		out = append(out, mat.DenseCopyOf(g[n]).RawMatrix().Data...)
	}
	return out
}

// isGuide reports which entries of a flattened gradient belong to the
// guide's parameters.
func isGuide(m mixture.Mixture) []bool {
	var out []bool
	for _, n := range mixture.ParamNames() {
		size := m.C
		switch n {
		case mixture.ParamMeans, mixture.ParamGuideW:
			size = m.C * 2
		case mixture.ParamScale:
			size = 1
		}
		guide := n == mixture.ParamGuideW || n == mixture.ParamGuideB
		for range size {
			out = append(out, guide)
		}
	}
	return out
}

// exactGradient is the exact gradient of the mean ELBO over batch.
func exactGradient(m mixture.Mixture, store *ppl.ParamStore, batch [][]float64) []float64 {
	var sum []float64
	for _, x := range batch {
		_, g := m.ELBOGradient(store, x)
		f := flatten(g)
		if sum == nil {
			sum = make([]float64, len(f))
		}
		for i, v := range f {
			sum[i] += v / float64(len(batch))
		}
	}
	return sum
}

// gradSamples returns seeds independent estimates of the gradient of the
// mean ELBO over batch, each one ppl.Gradient on the len(batch)×2 data of
// the batch (a plate of its points, every point visited) divided by
// len(batch). Estimate r draws its particles from rand.NewPCG(seed, r); the
// estimates are computed in parallel and returned in order, so the result
// does not depend on the number of workers.
func gradSamples(m mixture.Mixture, store *ppl.ParamStore, batch [][]float64, obj ppl.Objective, seeds int, seed uint64) ([][]float64, error) {
	x := mat.NewDense(len(batch), mixture.Dim, nil)
	for i, p := range batch {
		x.SetRow(i, p)
	}
	out := make([][]float64, seeds)
	errs := make([]error, seeds)
	workers := min(runtime.GOMAXPROCS(0), seeds)
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := wk; r < seeds; r += workers {
				_, g, err := ppl.Gradient(m.Model, m.Guide, store, x, obj, rand.New(rand.NewPCG(seed, uint64(r))))
				if err != nil {
					errs[r] = err
					return
				}
				out[r] = flatten(g)
				for j := range out[r] {
					out[r][j] /= float64(len(batch))
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// summarise computes the variances and the largest standardised deviation
// from the exact gradient.
func summarise(setting string, baseline bool, samples [][]float64, exact []float64) gradRow {
	row := gradRow{Setting: setting, Baseline: baseline}
	guide := isGuide(mixture.Mixture{C: mixture.Components})
	n := float64(len(samples))
	for j := range exact {
		var mean, m2 float64
		for _, s := range samples {
			mean += s[j] / n
		}
		for _, s := range samples {
			d := s[j] - mean
			m2 += d * d
		}
		v := m2 / (n - 1)
		if guide[j] {
			row.GuideVar += v
		} else {
			row.ModelVar += v
		}
		se := math.Sqrt(v / n)
		err := math.Abs(mean - exact[j])
		row.MaxErr = math.Max(row.MaxErr, err)
		// A tiny floor keeps z finite where every sample agrees (a class
		// of probability ~0 in the whole batch): reverse-mode and
		// closed-form gradients then agree to rounding.
		row.MaxZ = math.Max(row.MaxZ, err/math.Max(se, 1e-12))
	}
	return row
}

// plotClusters draws the data coloured by the guide's most likely class
// (relabelled to match the true components), the guide's decision
// boundaries (straight lines: its logits are linear in x), the fitted means
// as crosses and the true means as rings.
func plotClusters(path string, m mixture.Mixture, store *ppl.ParamStore, data [][]float64, trueMeans, fitMeans *mat.Dense, perm []int) error {
	inv := make([]int, len(perm))
	for c, f := range perm {
		inv[f] = c
	}
	xs, ys := make([]float64, len(data)), make([]float64, len(data))
	labels := make([]int, len(data))
	for i, x := range data {
		_, q := m.Posterior(store, x)
		best := 0
		for c, v := range q {
			if v > q[best] {
				best = c
			}
		}
		xs[i], ys[i], labels[i] = x[0], x[1], inv[best]
	}
	names := make([]string, len(perm))
	for c := range names {
		names[c] = fmt.Sprintf("argmax q(c|x) = %d", c+1)
	}
	p, err := figure.Scatter(xs, ys, labels, figure.ScatterOptions{
		Title:      "Gaussian mixture fitted by SVI with score-function gradients",
		XLabel:     "x₁",
		YLabel:     "x₂",
		LabelNames: names,
		Radius:     vg.Points(2.5),
	})
	if err != nil {
		return err
	}
	// The box of the data, with a margin; the legend goes to its right.
	const margin = 0.3
	x0min, x0max := slices.Min(xs)-margin, slices.Max(xs)+margin
	x1min, x1max := slices.Min(ys)-margin, slices.Max(ys)+margin

	// Decision boundaries: from the point where all three logits are equal,
	// a ray along each pairwise boundary W_i·x + b_i = W_j·x + b_j, on the
	// side where the third class is less likely.
	w, b := store.Get(mixture.ParamGuideW), store.Get(mixture.ParamGuideB)
	logit := func(c int, x0, x1 float64) float64 { return w.At(c, 0)*x0 + w.At(c, 1)*x1 + b.At(0, c) }
	x0 := boundaryPoints(m, store, 1, 0)[0]
	for _, pr := range [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 2, 0}} {
		i, j, k := pr[0], pr[1], pr[2]
		dx, dy := -(w.At(i, 1) - w.At(j, 1)), w.At(i, 0)-w.At(j, 0)
		norm := math.Hypot(dx, dy)
		dx, dy = dx/norm, dy/norm
		if logit(k, x0[0]+dx, x0[1]+dy) > logit(i, x0[0]+dx, x0[1]+dy) {
			dx, dy = -dx, -dy
		}
		// The ray ends where it leaves the box.
		span := math.Inf(1)
		for _, c := range [][2]float64{{dx, x0max - x0[0]}, {-dx, x0[0] - x0min}, {dy, x1max - x0[1]}, {-dy, x0[1] - x1min}} {
			if c[0] > 0 {
				span = math.Min(span, c[1]/c[0])
			}
		}
		l, err := plotter.NewLine(plotter.XYs{{X: x0[0], Y: x0[1]}, {X: x0[0] + span*dx, Y: x0[1] + span*dy}})
		if err != nil {
			return err
		}
		l.LineStyle = draw.LineStyle{Color: color.Gray{Y: 0x60}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
		p.Add(l)
		if i == 0 && j == 1 {
			p.Legend.Add("decision boundaries of q", l)
		}
	}

	marks := func(means *mat.Dense, order []int, shape draw.GlyphDrawer, name string) error {
		var xy plotter.XYs
		for _, r := range order {
			xy = append(xy, plotter.XY{X: means.At(r, 0), Y: means.At(r, 1)})
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5), Shape: shape}
		p.Add(sc)
		p.Legend.Add(name, sc)
		return nil
	}
	all := make([]int, len(perm))
	for i := range all {
		all[i] = i
	}
	if err := marks(trueMeans, all, draw.RingGlyph{}, "true means"); err != nil {
		return err
	}
	if err := marks(fitMeans, perm, draw.CrossGlyph{}, "fitted means"); err != nil {
		return err
	}
	p.X.Min, p.X.Max = x0min, x0max+0.45*(x0max-x0min)
	p.Y.Min, p.Y.Max = x1min, x1max
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return figure.Save(path, p, 0, 0)
}
