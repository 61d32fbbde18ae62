// Command 12-beta-iwae measures posterior collapse: how the KL weight β, a
// KL warm-up and the IWAE objective change how many latent dimensions a VAE
// uses and how well it models the data.
//
// Every VAE has the quick defaults of "vitool train-vae" (L = 16 latents, one
// hidden layer of 256 ReLU units, batch 50, Adam with learning rate 2·10⁻³,
// 15 epochs, dynamic binarisation) and is trained on the embedded MNIST subset
// with one setting changed:
//
//   - the KL weight β of the ELBO E_q[log p(x|z)] − β·KL(q(z|x) ‖ p(z)):
//     0.5, 1, 2 and 4;
//   - β = 1 with a linear warm-up from 0 over the first 10 epochs;
//   - the IWAE-K bound with K = 5 instead of the ELBO.
//
// A latent dimension u is active (Burda et al. 2016) when the encoder's mean
// moves with the data: A_u = Cov_x(E_q[z_u|x]) > 0.01 over the test digits.
// An inactive dimension has collapsed to the prior: q(z_u|x) ≈ N(0, 1) for
// every x, and the decoder ignores it.
//
// For each model it prints the active units, the rate (mean KL(q(z|x) ‖ p(z))
// over test digits, in nats), the test ELBO and the test log-likelihood
// log p̂(x) by importance sampling with the encoder (binarised test digits,
// mean ± standard error), and its difference from the β = 1 model, paired on
// the same digits. It writes to -out:
//
//	active_units.png  each model's per-dimension activity Cov_x(E_q[z_u|x]), sorted, against the 0.01 threshold
//	beta_sweep.png    the test ELBO and log p̂(x) against β
//
// Usage:
//
//	go run ./examples/12-beta-iwae [-fast | -full] [-out DIR] [-seed N]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// config holds the example's settings, the flags every example takes.
type config = notebook.Common

// activeThreshold is Burda et al.'s threshold on Cov_x(E_q[z_u|x]).
const activeThreshold = 0.01

// size is the budget of a run.
type size struct {
	trainN, epochs, latent, batch int
	hidden                        []int
	lr                            float64
	warmup                        int // warm-up epochs of the warm-up model
	betas                         []float64
	iwaeK                         int
	evalN, evalK                  int // test digits and samples of the IS estimate
}

func settings(cfg config) size {
	switch {
	case cfg.Fast:
		return size{trainN: 1000, epochs: 4, latent: 8, batch: 50, hidden: []int{128}, lr: 3e-3, warmup: 3,
			betas: []float64{1, 4}, iwaeK: 5, evalN: 20, evalK: 100}
	case cfg.Full:
		return size{trainN: 2000, epochs: 50, latent: 16, batch: 50, hidden: []int{256}, lr: 2e-3, warmup: 20,
			betas: []float64{0.25, 0.5, 1, 2, 4, 8}, iwaeK: 5, evalN: 500, evalK: 5000}
	default:
		return size{trainN: 2000, epochs: 15, latent: 16, batch: 50, hidden: []int{256}, lr: 2e-3, warmup: 10,
			betas: []float64{0.5, 1, 2, 4}, iwaeK: 5, evalN: 100, evalK: 1000}
	}
}

// variant is one training setting.
type variant struct {
	Name   string
	Beta   float64
	Warmup int // epochs; 0 for none
	IWAEK  int // 0 for the ELBO
}

// row is what was measured of one trained VAE.
type row struct {
	variant
	Activity []float64 // Cov_x(E_q[z_u|x]) per latent dimension, in decreasing order
	Active   int       // dimensions above activeThreshold
	Rate     float64   // mean KL(q(z|x) ‖ N(0, I)) over the test digits
	ELBO     float64   // mean test ELBO (analytic KL), over the same digits as LogPX
	ELBOSE   float64
	LogPX    float64 // mean IS estimate of log p(x) with the encoder
	LogPXSE  float64 // its Monte Carlo standard error
	Diff     float64 // LogPX − the β = 1 model's, mean over digits
	DiffSE   float64 // paired standard error over digits of Diff
	perImage []float64
}

// results is what the example measured.
type results struct {
	Rows    []row
	Figures []string
}

// find returns the row of a variant.
func (r results) find(name string) row {
	for _, x := range r.Rows {
		if x.Name == name {
			return x
		}
	}
	panic("no row " + name)
}

// Variant names.
const (
	nameBase   = "ELBO, β = 1"
	nameWarmup = "ELBO, β = 1, warm-up"
	nameIWAE   = "IWAE"
)

func betaName(b float64) string {
	if b == 1 {
		return nameBase
	}
	return fmt.Sprintf("ELBO, β = %g", b)
}

func main() {
	const name = "12-beta-iwae"
	var cfg config
	cfg.Register(flag.CommandLine, name, "50 epochs, β from 0.25 to 8, 500 test digits (many minutes)", "folder for the figures")
	flag.Parse()
	notebook.Main(name, cfg, run)
}

func run(cfg config, w io.Writer) (results, error) {
	sz := settings(cfg)
	var res results
	splits, err := dataset.Embedded("mnist")
	if err != nil {
		return res, err
	}
	train := splits.Train.Head(sz.trainN)
	test := splits.Test.Head(sz.evalN).Binarize(rand.New(rand.NewPCG(cfg.Seed, 7)))

	var variants []variant
	for _, b := range sz.betas {
		variants = append(variants, variant{Name: betaName(b), Beta: b})
	}
	variants = append(variants,
		variant{Name: nameWarmup, Beta: 1, Warmup: sz.warmup},
		variant{Name: nameIWAE, Beta: 1, IWAEK: sz.iwaeK})
	fmt.Fprintf(w, "VAEs on %d MNIST training digits (latent %d, hidden %v, batch %d, %d epochs, dynamic binarisation), evaluated on %d binarised test digits (IS with the encoder, K = %d)\n\n",
		train.N, sz.latent, sz.hidden, sz.batch, sz.epochs, test.N, sz.evalK)

	for vi, v := range variants {
		vae, err := trainVAE(v, train, sz, cfg.Seed)
		if err != nil {
			return res, fmt.Errorf("%s: %w", v.Name, err)
		}
		r, err := measure(vae, v, test, sz, mc.DeriveSeed(cfg.Seed, uint64(vi)))
		if err != nil {
			return res, fmt.Errorf("%s: %w", v.Name, err)
		}
		res.Rows = append(res.Rows, r)
	}
	// Differences from the β = 1 model on the same digits.
	base := res.find(nameBase)
	for i := range res.Rows {
		d := make([]float64, test.N)
		for j := range d {
			d[j] = res.Rows[i].perImage[j] - base.perImage[j]
		}
		res.Rows[i].Diff = stat.Mean(d, nil)
		res.Rows[i].DiffSE = stat.StdDev(d, nil) / math.Sqrt(float64(len(d)))
	}

	t := notebook.NewTable(w, "training", fmt.Sprintf("active units (of %d)", sz.latent), "rate KL(q‖p)", "test ELBO", "test log p̂(x)", "log p̂(x) − β = 1's (paired)")
	for _, r := range res.Rows {
		diff := notebook.PlusMinus(r.Diff, r.DiffSE, 2, 2)
		if r.Name == nameBase {
			diff = "–"
		}
		t.Append(r.Name, fmt.Sprint(r.Active), fmt.Sprintf("%.2f", r.Rate), notebook.PlusMinus(r.ELBO, r.ELBOSE, 2, 2),
			notebook.PlusMinus(r.LogPX, r.LogPXSE, 2, 2), diff)
	}
	if err := t.Render(); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "\nPer-dimension activity Cov_x(E_q[z_u|x]), largest first (active above %g):\n\n", activeThreshold)
	for _, r := range res.Rows {
		fmt.Fprintf(w, "  %-22s", r.Name)
		for _, a := range r.Activity {
			fmt.Fprintf(w, " %.3g", a)
		}
		fmt.Fprintln(w)
	}

	if cfg.Out != "" {
		figs, err := writeFigures(cfg.Out, res, sz)
		res.Figures = figs
		if err != nil {
			return res, err
		}
		fmt.Fprintf(w, "\nFigures: %v\n", figs)
	}
	return res, nil
}

// trainVAE trains a Bernoulli VAE with the variant's objective.
func trainVAE(v variant, train *dataset.Dataset, sz size, seed uint64) (*amortized.VAE, error) {
	vae, err := amortized.NewVAE(amortized.VAEConfig{
		DataDim: train.D, Latent: sz.latent, Hidden: sz.hidden, Activation: amortized.ReLU, Likelihood: amortized.Bernoulli,
	}, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		return nil, err
	}
	obj := ppl.Objective{K: 1, AnalyticKL: true}
	if v.IWAEK > 0 {
		obj = ppl.Objective{Bound: ppl.BoundIWAE, K: v.IWAEK}
	}
	tr, err := amortized.NewVAETrainer(vae, amortized.TrainConfig{
		BatchSize: sz.batch, Objective: obj, Beta: v.Beta, Warmup: vi.Warmup{N: v.Warmup},
		Seed: seed, Adam: vi.AdamConfig{LR: sz.lr}, Binarization: dataset.Dynamic,
	})
	if err != nil {
		return nil, err
	}
	for e := 0; e < sz.epochs; e++ {
		if _, err := tr.TrainEpoch(context.Background(), train, nil); err != nil {
			return nil, err
		}
	}
	return vae, nil
}

// measure computes the activity of every latent dimension, the rate, the test
// ELBO and the IS estimate of log p(x) of vae on the test digits.
func measure(vae *amortized.VAE, v variant, test *dataset.Dataset, sz size, seed uint64) (row, error) {
	r := row{variant: v}
	x := test.Dense()
	mu, lv := vae.Encode(x)
	n, L := mu.Dims()
	for u := range L {
		r.Activity = append(r.Activity, stat.Variance(mat.Col(nil, u, mu), nil))
	}
	slices.Sort(r.Activity)
	slices.Reverse(r.Activity)
	for _, a := range r.Activity {
		if a > activeThreshold {
			r.Active++
		}
	}
	for i := range n {
		for u := range L {
			m, l := mu.At(i, u), lv.At(i, u)
			r.Rate += 0.5 * (m*m + math.Exp(l) - 1 - l)
		}
	}
	r.Rate /= float64(n)

	var elbos, iss []mc.Estimate
	for i := range n {
		xi := test.Float64Row(nil, i)
		q := vae.Proposal(xi)
		e, err := mc.ELBOAnalyticKL(vae, q, xi, 10, mc.Config{Seed: mc.DeriveSeed(seed, uint64(i), 0)})
		if err != nil {
			return r, err
		}
		is, err := mc.Importance(vae, q, xi, sz.evalK, mc.Config{Seed: mc.DeriveSeed(seed, uint64(i), 1)})
		if err != nil {
			return r, err
		}
		elbos, iss = append(elbos, e), append(iss, is)
		r.perImage = append(r.perImage, is.LogPX)
	}
	e, is := mc.Average(elbos), mc.Average(iss)
	r.ELBO, r.ELBOSE, r.LogPX, r.LogPXSE = e.LogPX, e.StdErr, is.LogPX, is.StdErr
	return r, nil
}

func writeFigures(dir string, res results, sz size) ([]string, error) {
	figs, err := notebook.NewFigures(dir)
	if err != nil {
		return nil, err
	}
	// Activity profiles: log10 of the sorted per-dimension activity.
	var series []figure.Series
	for _, r := range res.Rows {
		s := figure.Series{Name: fmt.Sprintf("%s: %d active", r.Name, r.Active), Points: true}
		for u, a := range r.Activity {
			s.X = append(s.X, float64(u+1))
			s.Y = append(s.Y, math.Log10(a))
		}
		series = append(series, s)
	}
	p, err := figure.LinePlot(series, figure.LineOptions{
		Title:      fmt.Sprintf("Active units: Cov_x(E_q[z_u|x]) over %d test digits, largest first", len(res.Rows[0].perImage)),
		XLabel:     "latent dimension, by activity",
		YLabel:     "log₁₀ Cov_x(E_q[z_u|x])",
		Refs:       []figure.RefLine{{Name: "active above 0.01", Y: math.Log10(activeThreshold)}},
		LegendLeft: true,
	})
	if err != nil {
		return nil, err
	}
	// Room below the threshold line for the legend, a third of the height.
	ref := math.Log10(activeThreshold)
	p.Y.Min = math.Min(p.Y.Min, ref-0.5*(p.Y.Max-ref))
	if err := figs.Plot("active_units.png", p); err != nil {
		return figs.Paths, err
	}

	// The β sweep: the test ELBO and log p̂(x) against β, with ±2 standard
	// errors.
	var elbo, lpx figure.Series
	elbo.Name, lpx.Name = "test ELBO", "test log p̂(x) (IS)"
	elbo.Points, lpx.Points = true, true
	for _, b := range sz.betas {
		r := res.find(betaName(b))
		elbo.X, elbo.Y, elbo.YErr = append(elbo.X, b), append(elbo.Y, r.ELBO), append(elbo.YErr, 2*r.ELBOSE)
		lpx.X, lpx.Y, lpx.YErr = append(lpx.X, b), append(lpx.Y, r.LogPX), append(lpx.YErr, 2*r.LogPXSE)
	}
	p, err = figure.LinePlot([]figure.Series{lpx, elbo}, figure.LineOptions{
		Title:     "β sweep: the test bound and log p̂(x) (±2 se)",
		XLabel:    "KL weight β",
		YLabel:    "nats per digit",
		LegendTop: true,
	})
	if err != nil {
		return figs.Paths, err
	}
	err = figs.Plot("beta_sweep.png", p)
	return figs.Paths, err
}
