// Command 10-eight-schools fits the eight-schools model (Rubin 1981; Gelman
// et al., Bayesian Data Analysis, §5.5) with the automatic guides of
// package ppl, in its centred and non-centred forms, and shows how the
// Pareto k̂ diagnostic of importance sampling tells a poor variational fit
// from a good one.
//
// Eight schools report the estimated effect y_j of a coaching programme
// with a known standard error σ_j. The hierarchical model is
//
//	μ ~ N(0, 5²),  τ ~ HalfCauchy(5),  θ_j ~ N(μ, τ²),  y_j ~ N(θ_j, σ_j²),
//
// written centred (the latent sites are μ, τ and θ) or non-centred (the
// latent sites are μ, τ and θ̃ ~ N(0, 1), with θ = μ + τ θ̃). τ is a
// positive site: the automatic guides fit log τ and map it back, so the
// model is written exactly as above, with no hand-made transformation.
// Both forms have the same evidence p(y) and the same posterior of (μ, τ),
// and both are known exactly here up to a one-dimensional integral:
// integrating θ and μ out in closed form leaves p(y | τ), and a quadrature
// over τ gives log p(y) and the posterior means of μ and τ.
//
// For each form and guide (AutoNormal, AutoMultivariateNormal) the example
// fits the guide by SVI and reports the ELBO, importance sampling (IS)
// with the guide as proposal and its Pareto k̂, the IWAE bound, and the
// posterior means of μ and τ under the guide and reweighted by IS. The
// centred posterior is a funnel (θ's spread shrinks with τ), which no
// Gaussian in (μ, log τ, θ) follows: its k̂ is above 0.7, the threshold
// beyond which IS is unreliable, and its estimates are biased; the
// non-centred posterior is close to Gaussian and its k̂ is below 0.7.
//
// It prints a table and writes two figures to -out:
//
//	funnel.png           draws of (θ₁, log τ) from the fitted full-rank
//	                     guides, centred and non-centred, over draws
//	                     resampled by IS
//	evidence_vs_k.png    IS estimates of log p(y) against K for each fit,
//	                     with the exact value
//
// Usage:
//
//	go run ./examples/10-eight-schools [-fast | -full] [-out DIR] [-seed N]
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// config holds the example's settings, the flags every example takes.
type config = notebook.Common

func main() {
	const name = "10-eight-schools"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger run: more SVI steps and importance samples", "folder for the figures")
	flag.Parse()
	notebook.Main(name, cfg, run)
}

// The data of Rubin (1981): estimated effects and their standard errors.
var (
	effects = []float64{28, 8, -3, 7, -1, 1, 18, 12}
	stderrs = []float64{15, 10, 16, 11, 9, 11, 10, 18}
)

// The priors: μ ~ N(0, muScale²), τ ~ HalfCauchy(tauScale).
const muScale, tauScale = 5.0, 5.0

// Reference values of the posterior means, as reported by Stan and PyMC
// for this model.
const refMu, refTau = 4.4, 3.6

// data returns the 8×2 data matrix: one school per row, (y_j, σ_j).
func data() *mat.Dense {
	x := mat.NewDense(len(effects), 2, nil)
	for j := range effects {
		x.Set(j, 0, effects[j])
		x.Set(j, 1, stderrs[j])
	}
	return x
}

// centred is the model with θ as its latent site: μ and τ are K×1, one
// row per particle, and θ is (K·8)×1 in the plate of schools, its mean and
// scale lifted to the plate's rows by Expand.
func centred(t *ppl.Tracer, x *ad.Var) {
	mu := t.Sample("mu", dist.Normal{Loc: ad.Scalar(0), LogScale: ad.Scalar(math.Log(muScale))})
	tau := t.Sample("tau", dist.HalfCauchy{Scale: ad.Scalar(tauScale)})
	t.Plate("schools", x.R, func(p *ppl.Plate) {
		theta := t.Sample("theta", dist.Normal{Loc: p.Expand(mu), LogScale: p.Expand(ad.Log(tau))})
		observe(t, p, x, theta)
	})
}

// nonCentred is the model with θ̃ ~ N(0, 1) as its latent site and
// θ = μ + τ θ̃.
func nonCentred(t *ppl.Tracer, x *ad.Var) {
	mu := t.Sample("mu", dist.Normal{Loc: ad.Scalar(0), LogScale: ad.Scalar(math.Log(muScale))})
	tau := t.Sample("tau", dist.HalfCauchy{Scale: ad.Scalar(tauScale)})
	t.Plate("schools", x.R, func(p *ppl.Plate) {
		raw := t.Sample("theta_raw", dist.Normal{Loc: ad.Scalar(0), LogScale: ad.Scalar(0)})
		observe(t, p, x, ad.Add(p.Expand(mu), ad.Mul(p.Expand(tau), raw)))
	})
}

// observe scores the effects y_j ~ N(θ_j, σ_j²) of the visited schools.
func observe(t *ppl.Tracer, p *ppl.Plate, x, theta *ad.Var) {
	rows := p.Data(x) // (K·B)×2: (y_j, σ_j)
	t.Observe("y", dist.Normal{Loc: theta, LogScale: ad.Log(ad.SliceCols(rows, 1, 2))}, ad.SliceCols(rows, 0, 1))
}

// settings are the sizes of a run.
type settings struct {
	steps     int   // SVI steps
	particles int   // K of the SVI objective
	draws     int   // importance samples of the evidence and the posterior means
	iwaeK     int   // K of the IWAE bound
	iwaeReps  int   // its replicates
	ks        []int // sample counts of the evidence figure
}

func sizes(c config) settings {
	switch {
	case c.Fast:
		return settings{steps: 2000, particles: 8, draws: 10000, iwaeK: 500, iwaeReps: 10, ks: []int{10, 100, 1000, 10000}}
	case c.Full:
		return settings{steps: 10000, particles: 16, draws: 400000, iwaeK: 5000, iwaeReps: 40, ks: []int{10, 100, 1000, 10000, 100000, 400000}}
	}
	return settings{steps: 4000, particles: 8, draws: 100000, iwaeK: 2000, iwaeReps: 20, ks: []int{10, 100, 1000, 10000, 100000}}
}

// fit is one model form fitted with one automatic guide.
type fit struct {
	Form, Guide string
	ELBO        mc.Estimate
	IS          mc.Estimate // importance sampling with the guide as proposal
	IWAE        mc.Estimate
	// QMu and QTau are the guide's means of μ and τ; ISMu and ISTau the
	// posterior means reweighted by importance sampling, with their
	// delta-method standard errors.
	QMu, QTau, ISMu, ISTau, ISMuSE, ISTauSE float64
	// Curve holds the IS estimates at the sample counts of the figure.
	Curve []mc.Estimate
	// theta1 and logTau are draws of (θ₁, log τ) from the guide, and w
	// their normalised importance weights.
	theta1, logTau, w []float64
}

// results is what a run measured.
type results struct {
	// ExactLogPY, ExactMu and ExactTau are log p(y) and the posterior
	// means of μ and τ by quadrature.
	ExactLogPY, ExactMu, ExactTau float64
	Fits                          []fit
	Figures                       []string
}

func run(c config, w io.Writer) (results, error) {
	s := sizes(c)
	var res results
	res.ExactLogPY, res.ExactMu, res.ExactTau = exact(200000)
	x := data()
	guides := []struct {
		name string
		make func(ppl.Model, *ppl.ParamStore, mat.Matrix) (ppl.Guide, error)
	}{{"AutoNormal", ppl.AutoNormal}, {"AutoMultivariateNormal", ppl.AutoMultivariateNormal}}
	forms := []struct {
		name  string
		model ppl.Model
	}{{"centred", centred}, {"non-centred", nonCentred}}
	for fi, form := range forms {
		for gi, g := range guides {
			f, err := fitOne(c, s, x, form.model, g.make, uint64(10*fi+gi))
			if err != nil {
				return res, fmt.Errorf("%s, %s: %w", form.name, g.name, err)
			}
			f.Form, f.Guide = form.name, g.name
			res.Fits = append(res.Fits, f)
		}
	}
	report(w, s, res)
	if c.Out != "" {
		figs, err := notebook.NewFigures(c.Out)
		if err != nil {
			return res, err
		}
		if err := plotFunnel(figs, res, c.Seed); err != nil {
			return res, err
		}
		if err := plotEvidence(figs, s, res); err != nil {
			return res, err
		}
		res.Figures = figs.Paths
	}
	return res, nil
}

// fitOne fits the guide made by auto to model by SVI and measures it.
func fitOne(c config, s settings, x *mat.Dense, model ppl.Model, auto func(ppl.Model, *ppl.ParamStore, mat.Matrix) (ppl.Guide, error), label uint64) (fit, error) {
	var f fit
	seed := mc.DeriveSeed(c.Seed, label)
	store := ppl.NewParamStore(seed)
	guide, err := auto(model, store, x)
	if err != nil {
		return f, err
	}
	if _, err := ppl.SVI(model, guide, store, x, ppl.SVIConfig{
		Objective: ppl.Objective{K: s.particles},
		Steps:     s.steps,
		Schedule:  vi.CosineDecay{Initial: 0.05, Min: 0.001, Steps: s.steps},
		Seed:      seed,
	}); err != nil {
		return f, err
	}
	cfg := func(l uint64) mc.Config { return mc.Config{Seed: mc.DeriveSeed(seed, l)} }
	if f.ELBO, err = ppl.ELBO(model, guide, store, x, s.draws, cfg(1)); err != nil {
		return f, err
	}
	if f.IS, err = ppl.Importance(model, guide, store, x, s.draws, cfg(2)); err != nil {
		return f, err
	}
	if f.IWAE, err = ppl.IWAE(model, guide, store, x, s.iwaeK, s.iwaeReps, cfg(3)); err != nil {
		return f, err
	}
	for _, k := range s.ks {
		e, err := ppl.Importance(model, guide, store, x, k, cfg(100+uint64(k)))
		if err != nil {
			return f, err
		}
		f.Curve = append(f.Curve, e)
	}
	return f, posteriorMeans(&f, s, x, model, guide, store, seed)
}

// chunk is the number of particles of one run of guide and model when the
// posterior means are computed.
const chunk = 2000

// posteriorMeans draws s.draws particles from the guide and records the
// guide's means of μ and τ, the self-normalised importance-sampling means
// Σ wᵢ f(zᵢ)/Σ wᵢ with their delta-method standard errors, and the draws
// of (θ₁, log τ) for the figure.
func posteriorMeans(f *fit, s settings, x *mat.Dense, model ppl.Model, guide ppl.Guide, store *ppl.ParamStore, seed uint64) error {
	var logw, mu, tau []float64
	for i := 0; i < s.draws; i += chunk {
		k := min(chunk, s.draws-i)
		lw, g, _, err := ppl.LogWeights(model, guide, store, x, k, rand.New(rand.NewPCG(mc.DeriveSeed(seed, 4), uint64(i))))
		if err != nil {
			return err
		}
		m, t := g.Site("mu").Value.Data, g.Site("tau").Value.Data
		logw, mu, tau = append(logw, lw...), append(mu, m...), append(tau, t...)
		// θ₁ of every particle: row k·8 of the plate's site.
		for p := range k {
			th := g.Site("theta")
			if th == nil {
				raw := g.Site("theta_raw").Value.Data[p*len(effects)]
				f.theta1 = append(f.theta1, m[p]+t[p]*raw)
			} else {
				f.theta1 = append(f.theta1, th.Value.Data[p*len(effects)])
			}
			f.logTau = append(f.logTau, math.Log(t[p]))
		}
	}
	top := slices.Max(logw)
	f.w = make([]float64, len(logw))
	var sum float64
	for i, l := range logw {
		f.w[i] = math.Exp(l - top)
		sum += f.w[i]
	}
	for i := range f.w {
		f.w[i] /= sum
	}
	f.QMu, f.QTau = mean(mu), mean(tau)
	f.ISMu, f.ISMuSE = weighted(f.w, mu)
	f.ISTau, f.ISTauSE = weighted(f.w, tau)
	return nil
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// weighted returns Σ wᵢ fᵢ for normalised weights and its delta-method
// standard error √(Σ wᵢ² (fᵢ − m)²).
func weighted(w, f []float64) (m, se float64) {
	for i := range w {
		m += w[i] * f[i]
	}
	for i := range w {
		d := f[i] - m
		se += w[i] * w[i] * d * d
	}
	return m, math.Sqrt(se)
}

// exact returns log p(y) and the posterior means of μ and τ by quadrature
// over τ, the other latents integrated out in closed form: given τ the
// effects are y_j | μ ~ N(μ, v_j), v_j = σ_j² + τ², independently, and
// with μ ~ N(0, s²), A = 1/s² + Σ 1/v_j and B = Σ y_j/v_j,
//
//	log p(y | τ) = −½ Σ log(2π v_j) − ½ Σ y_j²/v_j − ½ log(s² A) + B²/(2A),
//	E[μ | y, τ] = B/A.
//
// The prior of τ is taken care of by the substitution τ = c tan(πu/2), u
// uniform on (0, 1) (the HalfCauchy(c) quantile function), and the
// integral over u by the midpoint rule with n nodes.
func exact(n int) (logPY, muMean, tauMean float64) {
	logLik := func(tau float64) (float64, float64) {
		a, b := 1/(muScale*muScale), 0.0
		var l float64
		for j, y := range effects {
			v := stderrs[j]*stderrs[j] + tau*tau
			a += 1 / v
			b += y / v
			l += -0.5*math.Log(2*math.Pi*v) - 0.5*y*y/v
		}
		return l - 0.5*math.Log(muScale*muScale*a) + b*b/(2*a), b / a
	}
	// Sum exp(log p(y|τ) − ref) to keep the terms near 1.
	ref, _ := logLik(tauScale)
	var z, zMu, zTau float64
	for i := range n {
		u := (float64(i) + 0.5) / float64(n)
		tau := tauScale * math.Tan(math.Pi*u/2)
		l, m := logLik(tau)
		p := math.Exp(l - ref)
		z += p
		zMu += p * m
		zTau += p * tau
	}
	return ref + math.Log(z/float64(n)), zMu / z, zTau / z
}

// report prints the table of fits.
func report(w io.Writer, s settings, res results) {
	fmt.Fprintf(w, "Eight schools: μ ~ N(0, %g²), τ ~ HalfCauchy(%g), θ_j ~ N(μ, τ²), y_j ~ N(θ_j, σ_j²)\n", muScale, tauScale)
	fmt.Fprintf(w, "exact log p(y) = %.4f; posterior means μ = %.3f, τ = %.3f (quadrature; reference values μ ≈ %.1f, τ ≈ %.1f)\n\n",
		res.ExactLogPY, res.ExactMu, res.ExactTau, refMu, refTau)
	t := notebook.NewTable(w, "model", "guide", "ELBO", fmt.Sprintf("IS (K=%d)", s.draws), "k̂", fmt.Sprintf("IWAE (K=%d)", s.iwaeK), "E_q μ", "E_q τ", "IS μ", "IS τ")
	for _, f := range res.Fits {
		t.Append(f.Form, f.Guide,
			notebook.PlusMinus(f.ELBO.LogPX, f.ELBO.StdErr, 3, 3),
			notebook.PlusMinus(f.IS.LogPX, f.IS.StdErr, 3, 3),
			notebook.Num("%.2f", f.IS.KHat),
			notebook.PlusMinus(f.IWAE.LogPX, f.IWAE.StdErr, 3, 3),
			fmt.Sprintf("%.2f", f.QMu), fmt.Sprintf("%.2f", f.QTau),
			notebook.PlusMinus(f.ISMu, f.ISMuSE, 2, 2), notebook.PlusMinus(f.ISTau, f.ISTauSE, 2, 2))
	}
	t.Render()
	fmt.Fprintln(w, "\nk̂ > 0.7: the importance weights are too heavy-tailed for IS (and the guide) to be trusted.")
}

// plotFunnel draws (θ₁, log τ) from the full-rank guide of each form and
// from the non-centred one's draws resampled by their importance weights
// (close to the exact posterior).
func plotFunnel(figs *notebook.Figures, res results, seed uint64) error {
	const n = 2000
	var xs, ys []float64
	var labels []int
	var post *fit
	for i := range res.Fits {
		f := &res.Fits[i]
		if f.Guide != "AutoMultivariateNormal" {
			continue
		}
		if f.Form == "non-centred" {
			post = f
		}
		label := 2 // the centred guide, drawn last, on top
		if f.Form == "non-centred" {
			label = 1
		}
		for k := range min(n, len(f.theta1)) {
			xs, ys, labels = append(xs, f.theta1[k]), append(ys, f.logTau[k]), append(labels, label)
		}
	}
	// Resample by the weights (multinomial, seeded), drawn first.
	rnd := rand.New(rand.NewPCG(seed, 0xf0))
	cum := make([]float64, len(post.w))
	var s float64
	for i, v := range post.w {
		s += v
		cum[i] = s
	}
	for range n {
		i, _ := slices.BinarySearch(cum, rnd.Float64()*s)
		i = min(i, len(cum)-1)
		xs, ys, labels = append(xs, post.theta1[i]), append(ys, post.logTau[i]), append(labels, 0)
	}
	p, err := figure.Scatter(xs, ys, labels, figure.ScatterOptions{
		Title:      "Eight schools: (θ₁, log τ) from the fitted full-rank guides",
		XLabel:     "θ₁ (school A)",
		YLabel:     "log τ",
		LabelNames: []string{"posterior (non-centred guide, IS-resampled)", "non-centred guide", "centred guide"},
	})
	if err != nil {
		return err
	}
	return figs.Plot("funnel.png", p)
}

// plotEvidence draws the IS estimates of log p(y) against K.
func plotEvidence(figs *notebook.Figures, s settings, res results) error {
	var series []figure.Series
	for _, f := range res.Fits {
		sr := figure.Series{Name: f.Form + ", " + f.Guide, Points: true}
		for i, e := range f.Curve {
			sr.X = append(sr.X, float64(s.ks[i]))
			sr.Y = append(sr.Y, e.LogPX)
			sr.YErr = append(sr.YErr, e.StdErr)
		}
		series = append(series, sr)
	}
	p, err := figure.LinePlot(series, figure.LineOptions{
		Title:  "Eight schools: importance sampling with the fitted guides",
		XLabel: "K (samples)",
		YLabel: "log p̂(y)",
		LogX:   true,
		Refs:   []figure.RefLine{{Name: "exact log p(y)", Y: res.ExactLogPY}},
	})
	if err != nil {
		return err
	}
	return figs.Plot("evidence_vs_k.png", p)
}
