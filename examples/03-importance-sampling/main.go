// Command 03-importance-sampling estimates log p(x) of the linear-Gaussian
// model of example 02 by importance sampling,
//
//	log p̂(x) = log (1/K) Σₖ wₖ,  wₖ = p(x, zₖ)/q(zₖ),  zₖ ~ q,
//
// with four proposals q and naive prior sampling for comparison:
//
//   - the exact posterior p(z|x): every weight equals p(x), zero variance;
//   - the optimal mean-field Gaussian: close to the posterior, slightly
//     too narrow;
//   - a slightly wrong q: the mean-field shifted by half a standard deviation
//     and 1.5 times wider;
//   - a too-narrow q: the mean-field with its scales multiplied by 0.3.
//     Its weights are heavy-tailed: the effective sample size falls and the
//     Pareto k̂ rises above 0.7, the point where the estimate stops being
//     trustworthy.
//
// For Gaussian q and posterior the weights' tail is known exactly: it is a
// power law with index k = 1 − λ_min, λ_min the smallest eigenvalue of
// Σ_q Σ_p⁻¹ (bounded weights when λ_min ≥ 1), so that the weights have a
// finite variance only for k < ½. The example prints it beside the Pareto k̂
// and compares the reported standard error with the spread over repeats.
//
// Last, the same proposals on a model with d = 2 (posterior_2d.png): the
// prior, the posterior and each q drawn as contours over prior samples, with
// KL(q ‖ p(z|x)) (what the ELBO penalises) and KL(p(z|x) ‖ q) (what
// importance sampling pays for: about e^KL samples, as in example 02).
//
// It prints three tables and writes four figures to -out:
//
//	estimate_vs_k.png   log p̂(x) against K per proposal, with the exact line
//	log_weights.png     sorted log-weights log wₖ − log p(x) per proposal
//	weight_share.png    share of the total weight carried by the n largest weights
//	posterior_2d.png    d = 2: prior samples and the contours of the prior, the posterior and each q
//
// Usage:
//
//	go run ./examples/03-importance-sampling [-fast | -full] [-out DIR] [-seed N]
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// config holds the example's settings, the flags every example takes; main
// fills it from the flags.
type config = notebook.Common

// The model of example 02: D = 20 observed and d = 5 latent dimensions.
const (
	dataDim   = 20
	latentDim = 5
	noiseStd  = 0.5
)

// Proposal names, in table order.
const (
	propPrior  = "prior (naive MC)"
	propExact  = "exact posterior"
	propMF     = "mean-field (optimal)"
	propWrong  = "shifted, 1.5× wider"
	propNarrow = "mean-field × 0.3 (too narrow)"
)

// row is one (proposal, K) cell, summarised over repeats.
type row struct {
	Proposal string
	K        int
	Mean     float64 // mean of log p̂ over repeats
	Spread   float64 // standard deviation of log p̂ over repeats
	AbsErr   float64 // mean |log p̂ − log p(x)|
	ESSFrac  float64 // mean ESS/K
	KHat     float64 // mean Pareto k̂ (NaN when undefined)
	StdErr   float64 // mean reported (delta-method) standard error
}

// tail is the exact tail of a Gaussian proposal's weights.
type tail struct {
	Proposal string
	// LambdaMin is the smallest eigenvalue of Σ_q Σ_p⁻¹, Σ_p the
	// posterior's covariance.
	LambdaMin float64
	// K is the weights' tail index 1 − LambdaMin: P(w > t) falls like
	// t^(−1/K), so the variance of w is finite only for K < ½. It is ≤ 0
	// when LambdaMin ≥ 1 (bounded weights).
	K float64
}

// results is what the example measured.
type results struct {
	LogPX     float64
	Proposals []string
	Rows      []row
	Tails     []tail
	Plane     plane // the d = 2 model
	Figures   []string
}

// find returns the row for a proposal and K.
func (r results) find(prop string, k int) row {
	for _, x := range r.Rows {
		if x.Proposal == prop && x.K == k {
			return x
		}
	}
	panic("no row for " + prop)
}

func main() {
	const name = "03-importance-sampling"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger run: K up to 10⁶ and more repeats", "folder for the figures")
	flag.Parse()
	notebook.Main(name, cfg, run)
}

func run(cfg config, w io.Writer) (results, error) {
	ks, reps, weightK := []int{1, 10, 100, 1000, 10000, 100000}, 20, 10000
	switch {
	case cfg.Fast:
		ks, reps, weightK = []int{1, 10, 100, 1000, 10000}, 8, 4000
	case cfg.Full:
		ks, reps, weightK = []int{1, 10, 100, 1000, 10000, 100000, 1000000}, 50, 100000
	}

	// The model and data point of example 02 (same seed, same draws).
	rnd := rand.New(rand.NewPCG(cfg.Seed, 1))
	model := latent.NewRandomLinearGaussian(dataDim, latentDim, noiseStd, rnd)
	xm := mat.NewDense(1, dataDim, nil)
	model.SampleData(xm, rnd)
	x := mat.Row(nil, 0, xm)
	res := results{LogPX: model.LogEvidence(x)}
	var err error

	proposals := map[string]dist.Distribution{
		propExact:  model.Posterior(x),
		propMF:     model.MeanField(x),
		propWrong:  shiftScale(model.MeanField(x), 0.5, 1.5),
		propNarrow: shiftScale(model.MeanField(x), 0, 0.3),
	}
	res.Proposals = []string{propPrior, propExact, propMF, propWrong, propNarrow}

	for pi, name := range res.Proposals {
		for ki, k := range ks {
			r := row{Proposal: name, K: k}
			var vals []float64
			nk := 0
			for rep := 0; rep < reps; rep++ {
				c := mc.Config{Seed: mc.DeriveSeed(cfg.Seed, uint64(pi), uint64(ki), uint64(rep))}
				var e mc.Estimate
				if name == propPrior {
					e, err = mc.Prior(model, x, k, c)
				} else {
					e, err = mc.Importance(model, proposals[name], x, k, c)
				}
				if err != nil {
					return res, err
				}
				vals = append(vals, e.LogPX)
				r.AbsErr += math.Abs(e.LogPX - res.LogPX)
				r.ESSFrac += e.ESS / float64(k)
				if !math.IsInf(e.StdErr, 0) {
					r.StdErr += e.StdErr / float64(reps)
				}
				if !math.IsNaN(e.KHat) {
					r.KHat += e.KHat
					nk++
				}
			}
			r.Mean, r.Spread = meanSD(vals)
			r.AbsErr /= float64(reps)
			r.ESSFrac /= float64(reps)
			if nk > 0 {
				r.KHat /= float64(nk)
			} else {
				r.KHat = math.NaN()
			}
			if k == 1 {
				r.StdErr = math.NaN() // one draw cannot measure its spread
			}
			res.Rows = append(res.Rows, r)
		}
	}

	fmt.Fprintf(w, "Importance sampling on a linear-Gaussian model, D = %d, d = %d, σ = %g; exact log p(x) = %.4f\n",
		dataDim, latentDim, noiseStd, res.LogPX)
	fmt.Fprintf(w, "(%d independent repeats per cell; k̂ > 0.7 means the estimate cannot be trusted)\n\n", reps)
	t := notebook.NewTable(w, "proposal q", "K", "mean log p̂", "spread (sd)", "reported stderr", "mean |error|", "ESS/K", "k̂")
	for _, r := range res.Rows {
		t.Append(r.Proposal, fmt.Sprint(r.K), fmt.Sprintf("%.4f", r.Mean), notebook.Num("%.4f", r.Spread), notebook.Num("%.4f", r.StdErr),
			fmt.Sprintf("%.4f", r.AbsErr), fmt.Sprintf("%.3f", r.ESSFrac), notebook.Num("%.2f", r.KHat))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	// The exact tail index of each Gaussian proposal's weights.
	post := model.PosteriorNormal(x)
	qs := map[string]dist.Distribution{propPrior: model.Prior()}
	for name, q := range proposals {
		qs[name] = q
	}
	for _, name := range res.Proposals {
		lm, err := lambdaMin(covariance(qs[name], model.LatentDim()), post.Covariance())
		if err != nil {
			return res, err
		}
		res.Tails = append(res.Tails, tail{Proposal: name, LambdaMin: lm, K: 1 - lm})
	}
	kmax := ks[len(ks)-1]
	fmt.Fprintf(w, "\nThe weights' exact tail: P(w > t) ~ t^(−1/k), k = 1 − λ_min(Σ_q Σ_p⁻¹); Var(w) is finite only for k < ½\n\n")
	t = notebook.NewTable(w, "proposal q", "λ_min", "tail index k", "Var(w)", fmt.Sprintf("k̂ at K = %d", kmax), fmt.Sprintf("spread / stderr at K = %d", kmax))
	for _, tl := range res.Tails {
		r := res.find(tl.Proposal, kmax)
		k, v := fmt.Sprintf("%.3f", tl.K), "finite"
		switch {
		case tl.K >= 0.5:
			v = "infinite"
		case tl.K <= 0:
			k, v = "≤ 0 (bounded)", "finite"
		}
		ratio := "–"
		if r.StdErr > 0 {
			ratio = fmt.Sprintf("%.2f", r.Spread/r.StdErr)
		}
		t.Append(tl.Proposal, fmt.Sprintf("%.3f", tl.LambdaMin), k, v, notebook.Num("%.2f", r.KHat), ratio)
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	// The same proposals in two dimensions.
	if res.Plane, err = newPlane(cfg.Seed); err != nil {
		return res, err
	}
	if err := res.Plane.print(w); err != nil {
		return res, err
	}

	if cfg.Out != "" {
		figs, err := writeFigures(cfg.Out, res, model, x, proposals, weightK, cfg.Seed)
		res.Figures = figs
		if err != nil {
			return res, err
		}
		path := filepath.Join(cfg.Out, "posterior_2d.png")
		if err := res.Plane.save(path); err != nil {
			return res, err
		}
		res.Figures = append(res.Figures, path)
		fmt.Fprintf(w, "\nFigures: %v\n", res.Figures)
	}
	return res, nil
}

// covariance returns the covariance matrix of a d-dimensional Gaussian q:
// a diagonal Normal, the standard normal or a multivariate normal.
func covariance(q dist.Distribution, d int) *mat.SymDense {
	switch q := q.(type) {
	case dist.Normal:
		c := mat.NewSymDense(d, nil)
		for j := 0; j < d; j++ {
			c.SetSym(j, j, math.Exp(2*q.LogScale.At(0, j)))
		}
		return c
	case dist.MultivariateNormal:
		return q.Covariance()
	}
	c := mat.NewSymDense(d, nil) // dist.StdNormal
	for j := 0; j < d; j++ {
		c.SetSym(j, j, 1)
	}
	return c
}

// lambdaMin returns the smallest eigenvalue of Σ_q Σ_p⁻¹, computed as that
// of the symmetric L_qᵀ Σ_p⁻¹ L_q with Σ_q = L_q L_qᵀ. Under q, the
// log-weight is −½ uᵀ(L_qᵀ Σ_p⁻¹ L_q − I)u plus lower-order terms, u
// standard normal, so its upper tail is set by the smallest eigenvalue.
func lambdaMin(covQ, covP *mat.SymDense) (float64, error) {
	var lq, lp mat.Cholesky
	if !lq.Factorize(covQ) || !lp.Factorize(covP) {
		return 0, fmt.Errorf("covariance is not positive definite")
	}
	var l mat.TriDense
	lq.LTo(&l)
	var sl mat.Dense // Σ_p⁻¹ L_q
	if err := lp.SolveTo(&sl, &l); err != nil {
		return 0, err
	}
	var m mat.Dense
	m.Mul(l.T(), &sl)
	d, _ := m.Dims()
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return 0, fmt.Errorf("eigendecomposition failed")
	}
	return slices.Min(eig.Values(nil)), nil
}

// shiftScale returns q with its mean moved by shift standard deviations in
// every coordinate and its standard deviations multiplied by scale.
func shiftScale(q dist.Normal, shift, scale float64) dist.Normal {
	loc := mat.DenseCopyOf(q.Loc)
	ls := mat.DenseCopyOf(q.LogScale)
	_, c := loc.Dims()
	for j := 0; j < c; j++ {
		s := math.Exp(ls.At(0, j))
		loc.Set(0, j, loc.At(0, j)+shift*s)
		ls.Set(0, j, ls.At(0, j)+math.Log(scale))
	}
	return dist.Normal{Loc: loc, LogScale: ls}
}

// logWeights draws k samples from q and returns the sorted (largest first)
// log-weights log p(x, z) − log q(z) − log p(x).
func logWeights(m latent.LinearGaussian, q dist.Distribution, x []float64, k int, exact float64, rnd *rand.Rand) []float64 {
	z := mat.NewDense(k, m.LatentDim(), nil)
	lq := dist.SampleLogProb(q, z, nil, rnd)
	lw := latent.LogJoint(nil, m, x, z)
	for i := range lw {
		lw[i] -= lq[i] + exact
	}
	slices.Sort(lw)
	slices.Reverse(lw)
	return lw
}

func writeFigures(dir string, res results, m latent.LinearGaussian, x []float64, proposals map[string]dist.Distribution, weightK int, seed uint64) ([]string, error) {
	figs, err := notebook.NewFigures(dir)
	if err != nil {
		return nil, err
	}
	save := func(name string, series []figure.Series, opt figure.LineOptions, yMin, yMax float64) error {
		p, err := figure.LinePlot(series, opt)
		if err != nil {
			return err
		}
		if !math.IsNaN(yMin) {
			p.Y.Min, p.Y.Max = yMin, yMax
		}
		return figs.Plot(name, p)
	}

	// Estimates against K, mean ± sd over repeats.
	var series []figure.Series
	for _, name := range res.Proposals {
		s := figure.Series{Name: name, Points: true, YErr: []float64{}}
		for _, r := range res.Rows {
			if r.Proposal == name {
				s.X = append(s.X, float64(r.K))
				s.Y = append(s.Y, r.Mean)
				s.YErr = append(s.YErr, r.Spread)
			}
		}
		series = append(series, s)
	}
	err = save("estimate_vs_k.png", series, figure.LineOptions{
		Title:  "Importance sampling: mean log p̂(x) ± sd over repeats (naive MC off scale at small K)",
		XLabel: "K (samples)",
		YLabel: "log p̂(x) (nats)",
		LogX:   true,
		Refs:   []figure.RefLine{{Name: "exact log p(x)", Y: res.LogPX}},
	}, res.LogPX-3, res.LogPX+0.5)
	if err != nil {
		return figs.Paths, err
	}

	// Sorted log-weights and the share of the largest ones, from one run
	// of weightK draws per proposal.
	rnd := rand.New(rand.NewPCG(seed, 99))
	var lwSeries, shareSeries []figure.Series
	top := 0.0
	for _, name := range res.Proposals {
		q, ok := proposals[name]
		if !ok {
			q = m.Prior() // naive Monte Carlo: w = p(x|z)
		}
		lw := logWeights(m, q, x, weightK, res.LogPX, rnd)
		top = math.Max(top, lw[0])
		ls := figure.Series{Name: name}
		sh := figure.Series{Name: name}
		// Share of Σw in the n largest weights, computed stably.
		total := logSumExp(lw)
		acc := math.Inf(-1)
		for i, v := range lw {
			ls.X = append(ls.X, float64(i+1))
			ls.Y = append(ls.Y, v)
			acc = logAdd(acc, v)
			sh.X = append(sh.X, float64(i+1))
			sh.Y = append(sh.Y, math.Exp(acc-total))
		}
		lwSeries = append(lwSeries, ls)
		shareSeries = append(shareSeries, sh)
	}
	err = save("log_weights.png", lwSeries, figure.LineOptions{
		Title:      fmt.Sprintf("Sorted log-weights of %d draws (0 = the exact p(x))", weightK),
		XLabel:     "rank (largest weight first)",
		YLabel:     "log w − log p(x) (nats)",
		LogX:       true,
		LegendLeft: true,
	}, -8, math.Ceil(top+0.5))
	if err != nil {
		return figs.Paths, err
	}
	err = save("weight_share.png", shareSeries, figure.LineOptions{
		Title:      fmt.Sprintf("Share of the total weight in the n largest of %d weights", weightK),
		XLabel:     "n (largest weights)",
		YLabel:     "Σ of n largest w / Σ w",
		LogX:       true,
		LegendTop:  true,
		LegendLeft: true,
	}, 0, 1.02)
	return figs.Paths, err
}

// meanSD returns the mean and sample standard deviation of v.
func meanSD(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)-1))
}

// logSumExp returns log Σ exp(v).
func logSumExp(v []float64) float64 {
	m := slices.Max(v)
	var s float64
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// logAdd returns log(exp(a) + exp(b)).
func logAdd(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}
