// Command 04-elbo-iwae shows the two variational lower bounds on log p(x) on
// the linear-Gaussian model of examples 02 and 03, where everything is known
// exactly.
//
// The evidence lower bound of a proposal q falls short of log p(x) by exactly
// a KL divergence,
//
//	log p(x) − ELBO(q) = KL(q(z) ‖ p(z|x)),
//
// which the example computes both ways: the ELBO in closed form
// (latent.LinearGaussian.ELBO) and by Monte Carlo (mc.ELBO, mc.ELBOAnalyticKL),
// and the KL to the exact posterior with dist.KL. The importance-weighted bound
//
//	L_K = E[log (1/K) Σₖ wₖ],  wₖ = p(x, zₖ)/q(zₖ),
//
// starts at the ELBO for K = 1 and rises towards log p(x) as K grows
// (mc.IWAE), faster for a better q.
//
// Of the two Monte Carlo forms of the ELBO, the one with the KL term in closed
// form (mc.ELBOAnalyticKL) is not always the less noisy: near the posterior
// log p(x, z) − log q(z) is nearly constant, and the fully sampled mc.ELBO
// has the smaller standard error.
//
// Training needs the gradient of these bounds. On a smaller model the example
// draws gradients of the guide's parameters with ppl.Gradient and measures
// their variance: the standard reparameterisation gradient against "sticking
// the landing" (STL) for the ELBO, and against the doubly reparameterised
// gradient (DReG) for IWAE-K, whose signal-to-noise ratio falls with K
// (Rainforth et al. 2018) unless DReG is used.
//
// It prints four tables and writes two figures to -out:
//
//	bound_vs_k.png   IWAE-K against K per proposal, with the ELBO and log p(x)
//	snr_vs_k.png     signal-to-noise ratio of the guide's IWAE-K gradient against K, standard and DReG
//
// Usage:
//
//	go run ./examples/04-elbo-iwae [-fast | -full] [-out DIR] [-seed N]
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

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

// The model of examples 02 and 03.
const (
	dataDim   = 20
	latentDim = 5
	noiseStd  = 0.5
)

// gapRow compares the ELBO gap with the KL divergence for one proposal.
type gapRow struct {
	Proposal    string
	ELBOExact   float64 // closed form
	ELBOMC      mc.Estimate
	ELBOKL      mc.Estimate // analytic-KL form
	Gap         float64     // log p(x) − ELBOExact
	KL          float64     // KL(q ‖ p(z|x)), closed form
	KLMC, KLMCS float64     // Monte Carlo KL and its standard error
}

// iwaeRow is one IWAE-K estimate.
type iwaeRow struct {
	Proposal string
	K        int
	Bound    float64
	StdErr   float64
}

// results is what the example measured.
type results struct {
	LogPX     float64
	Proposals []string
	Gaps      []gapRow
	IWAE      []iwaeRow
	STL       []stlRow  // the gradient study: STL against the standard ELBO gradient
	DReG      []dregRow // DReG against the standard IWAE gradient
	Figures   []string
}

func main() {
	const name = "04-elbo-iwae"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger run: more replicates, K up to 10⁴", "folder for the figures")
	flag.Parse()
	notebook.Main(name, cfg, run)
}

func run(cfg config, w io.Writer) (results, error) {
	ks := []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}
	reps, elboK := 2000, 100000
	switch {
	case cfg.Fast:
		reps, elboK = 200, 10000
	case cfg.Full:
		ks = append(ks, 2000, 5000, 10000)
		reps, elboK = 10000, 1000000
	}

	// The model and data point of examples 02 and 03.
	rnd := rand.New(rand.NewPCG(cfg.Seed, 1))
	model := latent.NewRandomLinearGaussian(dataDim, latentDim, noiseStd, rnd)
	xm := mat.NewDense(1, dataDim, nil)
	model.SampleData(xm, rnd)
	x := mat.Row(nil, 0, xm)
	res := results{LogPX: model.LogEvidence(x)}
	post := model.PosteriorNormal(x)

	mf := model.MeanField(x)
	proposals := []struct {
		name string
		q    dist.Normal
	}{
		{"mean-field (optimal)", mf},
		{"shifted, 1.5× wider", shiftScale(mf, 0.5, 1.5)},
		{"mean-field × 0.3 (too narrow)", shiftScale(mf, 0, 0.3)},
	}

	for pi, p := range proposals {
		res.Proposals = append(res.Proposals, p.name)
		g := gapRow{Proposal: p.name, ELBOExact: model.ELBO(x, p.q)}
		g.Gap = res.LogPX - g.ELBOExact
		// KL(q ‖ p(z|x)) in closed form: q as a full-covariance Gaussian,
		// since dist registers Normal‖Normal and MVN‖MVN but not Normal‖MVN.
		qm, err := asMVN(p.q)
		if err != nil {
			return res, err
		}
		kl, err := dist.KL(nil, qm, post)
		if err != nil {
			return res, err
		}
		g.KL = kl[0]
		klmc, klse := dist.KLMonteCarloSE(nil, nil, p.q, post, elboK, rand.New(rand.NewPCG(cfg.Seed, uint64(10+pi))))
		g.KLMC, g.KLMCS = klmc[0], klse[0]

		c := mc.Config{Seed: mc.DeriveSeed(cfg.Seed, 1, uint64(pi))}
		if g.ELBOMC, err = mc.ELBO(model, p.q, x, elboK, c); err != nil {
			return res, err
		}
		if g.ELBOKL, err = mc.ELBOAnalyticKL(model, p.q, x, elboK, c); err != nil {
			return res, err
		}
		res.Gaps = append(res.Gaps, g)

		// One seed for all K: mc.IWAE's replicates share their first draws
		// across K (common random numbers), so the curve is smooth.
		c = mc.Config{Seed: mc.DeriveSeed(cfg.Seed, 2, uint64(pi))}
		for _, k := range ks {
			e, err := mc.IWAE(model, p.q, x, k, reps, c)
			if err != nil {
				return res, err
			}
			res.IWAE = append(res.IWAE, iwaeRow{Proposal: p.name, K: k, Bound: e.LogPX, StdErr: e.StdErr})
		}
	}

	fmt.Fprintf(w, "ELBO gap against KL(q ‖ p(z|x)); linear-Gaussian model, D = %d, d = %d, σ = %g; exact log p(x) = %.4f\n",
		dataDim, latentDim, noiseStd, res.LogPX)
	fmt.Fprintf(w, "(Monte Carlo columns: %d draws, ± one standard error)\n\n", elboK)
	t := notebook.NewTable(w, "proposal q", "ELBO (closed form)", "mc.ELBO", "mc.ELBOAnalyticKL", "log p(x) − ELBO", "KL(q‖p(z|x))", "KL (Monte Carlo)")
	for _, g := range res.Gaps {
		t.Append(g.Proposal, fmt.Sprintf("%.4f", g.ELBOExact), pm(g.ELBOMC.LogPX, g.ELBOMC.StdErr), pm(g.ELBOKL.LogPX, g.ELBOKL.StdErr),
			fmt.Sprintf("%.4f", g.Gap), fmt.Sprintf("%.4f", g.KL), pm(g.KLMC, g.KLMCS))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	fmt.Fprintf(w, "\nIWAE-K bound (mean of %d replicates ± standard error); log p(x) = %.4f\n\n", reps, res.LogPX)
	header := []any{"K"}
	for _, p := range res.Proposals {
		header = append(header, p)
	}
	t = notebook.NewTable(w, header...)
	for _, k := range ks {
		line := []any{fmt.Sprint(k)}
		for _, r := range res.IWAE {
			if r.K == k {
				line = append(line, pm(r.Bound, r.StdErr))
			}
		}
		t.Append(line...)
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	var err error
	if res.STL, res.DReG, err = gradientStudy(cfg, w); err != nil {
		return res, err
	}

	if cfg.Out != "" {
		figs, err := writeFigure(cfg.Out, res)
		res.Figures = figs
		if err != nil {
			return res, err
		}
		fmt.Fprintf(w, "\nFigures: %v\n", figs)
	}
	return res, nil
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

// asMVN returns a one-member diagonal Normal as a MultivariateNormal.
func asMVN(q dist.Normal) (dist.MultivariateNormal, error) {
	d := q.Dim()
	cov := mat.NewSymDense(d, nil)
	for j := 0; j < d; j++ {
		s := math.Exp(q.LogScale.At(0, j))
		cov.SetSym(j, j, s*s)
	}
	return dist.NewMultivariateNormal(mat.Row(nil, 0, q.Loc), cov)
}

func writeFigure(dir string, res results) ([]string, error) {
	figs, err := notebook.NewFigures(dir)
	if err != nil {
		return nil, err
	}
	var series []figure.Series
	lo := res.LogPX
	for _, name := range res.Proposals {
		s := figure.Series{Name: "IWAE-K, q = " + name, Points: true}
		for _, r := range res.IWAE {
			if r.Proposal == name {
				s.X = append(s.X, float64(r.K))
				s.Y = append(s.Y, r.Bound)
				s.YErr = append(s.YErr, 2*r.StdErr)
				lo = math.Min(lo, r.Bound)
			}
		}
		series = append(series, s)
	}
	p, err := figure.LinePlot(series, figure.LineOptions{
		Title:  "IWAE-K closes the ELBO gap (K = 1 is the ELBO; bars ±2 se)",
		XLabel: "K (importance samples inside the log)",
		YLabel: "bound on log p(x) (nats)",
		LogX:   true,
		Refs:   []figure.RefLine{{Name: "exact log p(x)", Y: res.LogPX}},
	})
	if err != nil {
		return nil, err
	}
	p.Y.Max = res.LogPX + 0.08*(res.LogPX-lo)
	if err := figs.Plot("bound_vs_k.png", p); err != nil {
		return figs.Paths, err
	}
	if p, err = snrPlot(res.DReG); err != nil {
		return figs.Paths, err
	}
	err = figs.Plot("snr_vs_k.png", p)
	return figs.Paths, err
}

// pm formats v ± se with four decimals.
func pm(v, se float64) string { return notebook.PlusMinus(v, se, 4, 4) }
