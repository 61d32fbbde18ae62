// Command 06-evaluate-vae measures the log-likelihood log p(x) of test digits
// under a trained VAE, where no exact answer exists, with the four estimators
// of package mc, all against the number of samples K:
//
//   - naive Monte Carlo from the prior N(0, I) (mc.Prior);
//   - importance sampling with the encoder's q(z|x) as proposal
//     (mc.Importance with vae.Proposal(x));
//   - the ELBO, E_q[log p(x,z) − log q(z|x)] (mc.ELBO), which does not move
//     with K: more samples only shrink its standard error;
//   - the IWAE-K bound (mc.IWAE), which rises with K towards log p(x).
//
// The VAE is trained here on the embedded MNIST subset, or loaded from a
// checkpoint written by "vitool train-vae" (-checkpoint). Test images are
// binarised once with a fixed seed, so that log p(x) is the log-probability
// of a binary image.
//
// It prints the headline table (mean over test images), the agreement of IS
// and IWAE-K, and the split of the ELBO's gap into the amortisation and the
// approximation gaps (a Gaussian fitted to each image's posterior, see
// fitPerImage), and writes three figures to -out:
//
//	estimates_vs_k.png       the four estimates against K
//	estimates_vs_k_zoom.png  the same without naive MC
//	gap_split.png            the per-image fit between the amortised ELBO and log p̂(x)
//
// Usage:
//
//	go run ./examples/06-evaluate-vae [-fast | -full] [-checkpoint model.safetensors] [-out DIR] [-seed N]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/vi"
)

// config holds the example's settings; main fills it from the flags.
type config struct {
	notebook.Common        // -fast, -full, -out and -seed
	Checkpoint      string // a VAE model file to evaluate instead of training one
}

// size is the budget of a run.
type size struct {
	trainN, epochs int
	hidden         []int
	latent         int
	lr             float64
	points         int   // test images
	ks             []int // sample sizes
	iwaeDraws      int   // IWAE draws per K (see iwaeReps)
	fitSteps       int   // Adam steps of the per-image fit
}

func settings(cfg config) size {
	switch {
	case cfg.Fast:
		return size{trainN: 2000, epochs: 8, hidden: []int{256}, latent: 16, lr: 3e-3, points: 3, ks: []int{1, 10, 100, 1000}, iwaeDraws: 2000, fitSteps: 300}
	case cfg.Full:
		return size{trainN: 2000, epochs: 150, hidden: []int{512, 256}, latent: 16, lr: 1e-3, points: 100,
			ks: []int{1, 10, 100, 1000, 10000, 100000}, iwaeDraws: 20000, fitSteps: 3000}
	default:
		return size{trainN: 2000, epochs: 30, hidden: []int{256}, latent: 16, lr: 2e-3, points: 10,
			ks: []int{1, 10, 100, 1000, 10000}, iwaeDraws: 20000, fitSteps: 2000}
	}
}

// Method names, in table order.
const (
	methPrior = "prior (naive MC)"
	methIS    = "IS, q = encoder"
	methELBO  = "ELBO"
	methIWAE  = "IWAE-K"
)

// cell is one (method, K) estimate, averaged over the test images.
type cell struct {
	Method string
	K      int
	LogPX  float64 // mean over images
	StdErr float64 // standard error of the mean (from the per-image errors)
	KHat   float64 // largest k̂ over images (NaN where not applicable)
	// Heavy is the number of images whose k̂ exceeds 0.7 (IS and prior
	// sampling).
	Heavy int
	// RepSE, for IWAE-K, is the standard error of the mean over images of
	// one IS estimate at K as measured by the spread of IWAE's replicates
	// (each replicate is one such estimate): sqrt(Σᵢ reps·seᵢ²)/n.
	RepSE float64
}

// agreeRow compares IS with K samples and IWAE-K, which have the same
// expectation.
type agreeRow struct {
	K    int
	Diff float64 // IS − IWAE-K, mean over images
	Z    float64 // Diff in units of the reported standard errors combined
	// ZSpread is Diff in units of the measured standard error of IS
	// (SESpread) combined with IWAE's.
	ZSpread float64
	// SEReported is IS's reported (delta-method) standard error; SESpread
	// the standard error that the spread of IWAE's replicates gives one IS
	// estimate at K.
	SEReported, SESpread float64
	KHat                 float64 // worst image's k̂ of IS
	Heavy                int     // images with k̂ > 0.7
}

// gapSplit is the split of the gap between log p(x) and the amortised ELBO
// (Cremer et al. 2018), means over the test images.
type gapSplit struct {
	K                 int     // samples per estimate
	ELBOEncoder       float64 // ELBO of the encoder's q(z|x)
	ELBOFitted        float64 // ELBO of the per-image fitted Gaussian q*
	ISEncoder, ISFit  float64 // IS estimates of log p(x) with each q
	KHatEnc, KHatFit  float64 // worst image's k̂ of each IS estimate
	LogPX             float64 // per image the larger IS estimate, averaged
	Amortisation      float64 // ELBOFitted − ELBOEncoder
	AmortisationSE    float64
	Approximation     float64 // LogPX − ELBOFitted
	ApproximationSE   float64
	Total             float64 // LogPX − ELBOEncoder
	Curve             []float64
	FitSteps, FitPart int
}

// results is what the example measured.
type results struct {
	TestELBO float64 // amortized.EvaluateVAE on the test images used
	Points   int
	Cells    []cell
	Agree    []agreeRow
	Gap      gapSplit
	Figures  []string
}

// find returns the cell of a method and K.
func (r results) find(method string, k int) cell {
	for _, c := range r.Cells {
		if c.Method == method && c.K == k {
			return c
		}
	}
	panic("no cell for " + method)
}

func main() {
	const name = "06-evaluate-vae"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger VAE, 100 test images, K up to 10⁵ (many minutes)", "folder for the figures")
	flag.StringVar(&cfg.Checkpoint, "checkpoint", "", "evaluate this VAE model file (from vitool train-vae) instead of training one")
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

	var vae *amortized.VAE
	if cfg.Checkpoint != "" {
		if vae, err = checkpoint.LoadVAE(cfg.Checkpoint); err != nil {
			return res, err
		}
		fmt.Fprintf(w, "VAE from %s (latent %d, hidden %v)\n", cfg.Checkpoint, vae.Config.Latent, vae.Config.Hidden)
	} else {
		if vae, err = train(splits.Train.Head(sz.trainN), sz, cfg.Seed); err != nil {
			return res, err
		}
		fmt.Fprintf(w, "VAE trained on %d MNIST digits (latent %d, hidden %v, %d epochs, dynamic binarisation)\n",
			min(sz.trainN, splits.Train.N), sz.latent, sz.hidden, sz.epochs)
	}
	if vae.DataDim() != splits.Test.D {
		return res, fmt.Errorf("-checkpoint %s: data dimension %d, want %d (MNIST)", cfg.Checkpoint, vae.DataDim(), splits.Test.D)
	}

	test := splits.Test.Head(sz.points).Binarize(rand.New(rand.NewPCG(cfg.Seed, 7)))
	res.Points = test.N
	if res.TestELBO, err = amortized.EvaluateVAE(vae, test, cfg.Seed); err != nil {
		return res, err
	}

	methods := []string{methPrior, methIS, methELBO, methIWAE}
	for mi, m := range methods {
		for ki, k := range sz.ks {
			ests := make([]mc.Estimate, test.N)
			for i := range ests {
				x := test.Float64Row(nil, i)
				c := mc.Config{Seed: mc.DeriveSeed(cfg.Seed, uint64(i), uint64(mi), uint64(ki))}
				var e mc.Estimate
				var err error
				switch m {
				case methPrior:
					e, err = mc.Prior(vae, x, k, c)
				case methIS:
					e, err = mc.Importance(vae, vae.Proposal(x), x, k, c)
				case methELBO:
					e, err = mc.ELBO(vae, vae.Proposal(x), x, k, c)
				case methIWAE:
					e, err = mc.IWAE(vae, vae.Proposal(x), x, k, iwaeReps(k, sz.iwaeDraws), c)
				}
				if err != nil {
					return res, fmt.Errorf("%s, K=%d, image %d: %w", m, k, i, err)
				}
				ests[i] = e
			}
			avg := mc.Average(ests)
			c := cell{Method: m, K: k, LogPX: avg.LogPX, StdErr: avg.StdErr, KHat: avg.KHat}
			var v float64
			for _, e := range ests {
				if e.KHat > 0.7 {
					c.Heavy++
				}
				v += float64(iwaeReps(k, sz.iwaeDraws)) * e.StdErr * e.StdErr
			}
			if m == methIWAE {
				c.RepSE = math.Sqrt(v) / float64(len(ests))
			}
			res.Cells = append(res.Cells, c)
		}
	}

	fmt.Fprintf(w, "\nlog p(x) of %d binarised test digits (nats, mean over images ± standard error; k̂: worst image)\n", test.N)
	fmt.Fprintf(w, "single-sample test ELBO (amortized.EvaluateVAE): %.2f\n\n", res.TestELBO)
	header := []any{"K"}
	for _, m := range methods {
		header = append(header, m)
	}
	header = append(header, "k̂ (IS)", "k̂ (prior)")
	t := notebook.NewTable(w, header...)
	for _, k := range sz.ks {
		line := []any{fmt.Sprint(k)}
		for _, m := range methods {
			c := res.find(m, k)
			line = append(line, notebook.PlusMinus(c.LogPX, c.StdErr, 2, 2))
		}
		line = append(line, notebook.Num("%.2f", res.find(methIS, k).KHat), notebook.Num("%.2f", res.find(methPrior, k).KHat))
		t.Append(line...)
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	// IS with K samples is one draw of the IWAE-K variable: the two have the
	// same expectation, and their difference should be a standard error or
	// so. Where k̂ is large the delta-method standard error of IS is itself
	// unreliable; IWAE's replicates measure the real spread of one IS
	// estimate.
	fmt.Fprintf(w, "\nIS against IWAE-K (equal in expectation): their difference in units of IS's standard error as reported (delta method) and as measured (the spread of IWAE's replicates, each one IS estimate at K), each combined with IWAE's\n\n")
	t = notebook.NewTable(w, "K", "IS − IWAE-K", "se of IS: reported", "difference in reported se", "se of IS: measured", "difference in measured se", "k̂ (IS), worst image", "images with k̂ > 0.7")
	for _, k := range sz.ks[1:] {
		is, iw := res.find(methIS, k), res.find(methIWAE, k)
		a := agreeRow{K: k, Diff: is.LogPX - iw.LogPX, SEReported: is.StdErr, SESpread: iw.RepSE, KHat: is.KHat, Heavy: is.Heavy}
		a.Z = a.Diff / math.Hypot(is.StdErr, iw.StdErr)
		a.ZSpread = a.Diff / math.Hypot(a.SESpread, iw.StdErr)
		res.Agree = append(res.Agree, a)
		heavy := "–" // k̂ undefined for every image (too few samples)
		if !math.IsNaN(a.KHat) {
			heavy = fmt.Sprintf("%d of %d", a.Heavy, test.N)
		}
		t.Append(fmt.Sprint(k), fmt.Sprintf("%.2f", a.Diff), fmt.Sprintf("%.2f", a.SEReported), fmt.Sprintf("%.1f", a.Z),
			fmt.Sprintf("%.2f", a.SESpread), fmt.Sprintf("%.1f", a.ZSpread), notebook.Num("%.2f", a.KHat), heavy)
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	if res.Gap, err = splitGap(vae, test, sz, cfg.Seed); err != nil {
		return res, err
	}
	g := res.Gap
	fmt.Fprintf(w, "\nThe gap between log p(x) and the amortised ELBO, split (Cremer et al. 2018): a Gaussian q* fitted to each image's posterior (%d Adam steps, %d particles, from the encoder's q), K = %d\n\n", g.FitSteps, g.FitPart, g.K)
	t = notebook.NewTable(w, "quantity", "nats (mean over images)", "k̂ (IS), worst image")
	t.Append("ELBO, q = encoder", fmt.Sprintf("%.2f", g.ELBOEncoder), "")
	t.Append("ELBO, q = q* fitted per image", fmt.Sprintf("%.2f", g.ELBOFitted), "")
	t.Append("IS, q = encoder", fmt.Sprintf("%.2f", g.ISEncoder), notebook.Num("%.2f", g.KHatEnc))
	t.Append("IS, q = q*", fmt.Sprintf("%.2f", g.ISFit), notebook.Num("%.2f", g.KHatFit))
	t.Append("log p̂(x): the larger IS per image", fmt.Sprintf("%.2f", g.LogPX), "")
	t.Append("amortisation gap = ELBO(q*) − ELBO(encoder)", notebook.PlusMinus(g.Amortisation, g.AmortisationSE, 2, 2), "")
	t.Append("approximation gap = log p̂(x) − ELBO(q*)", notebook.PlusMinus(g.Approximation, g.ApproximationSE, 2, 2), "")
	t.Append("total = log p̂(x) − ELBO(encoder)", fmt.Sprintf("%.2f", g.Total), "")
	if err := t.Render(); err != nil {
		return res, err
	}

	if cfg.Out != "" {
		figs, err := writeFigure(cfg.Out, res, methods, sz.ks)
		res.Figures = figs
		if err != nil {
			return res, err
		}
		fmt.Fprintf(w, "\nFigures: %v\n", figs)
	}
	return res, nil
}

// splitGap fits a Gaussian q* to every test image's posterior and sets the
// ELBOs and IS estimates of q* and of the encoder's q side by side, at the
// largest K of the run.
func splitGap(vae *amortized.VAE, test *dataset.Dataset, sz size, seed uint64) (gapSplit, error) {
	const particles = 16
	g := gapSplit{K: sz.ks[len(sz.ks)-1], FitSteps: sz.fitSteps, FitPart: particles}
	x := test.Dense()
	qs, curve, err := fitPerImage(vae, x, sz.fitSteps, particles, 0.01, seed)
	if err != nil {
		return g, err
	}
	g.Curve = curve
	n := test.N
	var elboEnc, elboFit, isEnc, isFit []mc.Estimate
	var amortVar, approxVar float64
	for i := range n {
		xi := test.Float64Row(nil, i)
		enc := vae.Proposal(xi)
		c := func(j uint64) mc.Config { return mc.Config{Seed: mc.DeriveSeed(seed, uint64(i), 100+j)} }
		var e [4]mc.Estimate
		var errs [4]error
		e[0], errs[0] = mc.ELBO(vae, enc, xi, g.K, c(0))
		e[1], errs[1] = mc.ELBO(vae, qs[i], xi, g.K, c(1))
		e[2], errs[2] = mc.Importance(vae, enc, xi, g.K, c(2))
		e[3], errs[3] = mc.Importance(vae, qs[i], xi, g.K, c(3))
		for _, err := range errs {
			if err != nil {
				return g, fmt.Errorf("gap split, image %d: %w", i, err)
			}
		}
		elboEnc, elboFit, isEnc, isFit = append(elboEnc, e[0]), append(elboFit, e[1]), append(isEnc, e[2]), append(isFit, e[3])
		best := e[2]
		if e[3].LogPX > best.LogPX {
			best = e[3]
		}
		g.LogPX += best.LogPX / float64(n)
		amortVar += e[0].StdErr*e[0].StdErr + e[1].StdErr*e[1].StdErr
		approxVar += best.StdErr*best.StdErr + e[1].StdErr*e[1].StdErr
	}
	g.ELBOEncoder, g.ELBOFitted = mc.Average(elboEnc).LogPX, mc.Average(elboFit).LogPX
	ie, iq := mc.Average(isEnc), mc.Average(isFit)
	g.ISEncoder, g.ISFit, g.KHatEnc, g.KHatFit = ie.LogPX, iq.LogPX, ie.KHat, iq.KHat
	g.Amortisation, g.AmortisationSE = g.ELBOFitted-g.ELBOEncoder, math.Sqrt(amortVar)/float64(n)
	g.Approximation, g.ApproximationSE = g.LogPX-g.ELBOFitted, math.Sqrt(approxVar)/float64(n)
	g.Total = g.LogPX - g.ELBOEncoder
	return g, nil
}

// iwaeReps is the number of IWAE replicates at K: enough for a small
// standard error, about draws samples in all, at least 10 and at most 1000.
func iwaeReps(k, draws int) int { return max(10, min(1000, draws/k)) }

// train fits a Bernoulli VAE on the training digits.
func train(data *dataset.Dataset, sz size, seed uint64) (*amortized.VAE, error) {
	vae, err := amortized.NewVAE(amortized.VAEConfig{
		DataDim: data.D, Latent: sz.latent, Hidden: sz.hidden, Activation: amortized.ReLU, Likelihood: amortized.Bernoulli,
	}, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		return nil, err
	}
	tr, err := amortized.NewVAETrainer(vae, amortized.TrainConfig{
		BatchSize: 100, Seed: seed, Adam: vi.AdamConfig{LR: sz.lr}, Binarization: dataset.Dynamic,
	})
	if err != nil {
		return nil, err
	}
	for e := 0; e < sz.epochs; e++ {
		if _, err := tr.TrainEpoch(context.Background(), data, nil); err != nil {
			return nil, err
		}
	}
	return vae, nil
}

func writeFigure(dir string, res results, methods []string, ks []int) ([]string, error) {
	figs, err := notebook.NewFigures(dir)
	if err != nil {
		return nil, err
	}
	var series []figure.Series
	for _, m := range methods {
		s := figure.Series{Name: m, Points: true}
		for _, k := range ks {
			c := res.find(m, k)
			s.X = append(s.X, float64(k))
			s.Y = append(s.Y, c.LogPX)
			s.YErr = append(s.YErr, 2*c.StdErr)
		}
		series = append(series, s)
	}
	// The whole range: naive MC climbs from far below towards the others,
	// which sit near the top (IS flat at the answer, the bounds beneath
	// it); the legend takes the empty bottom right.
	p, err := figure.LinePlot(series, figure.LineOptions{
		Title:  fmt.Sprintf("log p(x) of %d MNIST test digits under a VAE (mean over digits, ±2 se)", res.Points),
		XLabel: "K (samples)",
		YLabel: "estimate of log p(x) (nats)",
		LogX:   true,
	})
	if err != nil {
		return nil, err
	}
	if err := figs.Plot("estimates_vs_k.png", p); err != nil {
		return figs.Paths, err
	}

	// The same without naive MC, whose climb squeezes the others into a
	// band at the top: IS and IWAE-K side by side, the ELBO beneath.
	// IS's error bars are its measured standard errors (the spread of
	// IWAE's replicates): the reported ones are too small where k̂ > 0.7.
	zoom := slices.Clone(series[1:])
	zoom[0].YErr = make([]float64, len(ks))
	for i, k := range ks {
		zoom[0].YErr[i] = 2 * res.find(methIWAE, k).RepSE
	}
	p, err = figure.LinePlot(zoom, figure.LineOptions{
		Title:  fmt.Sprintf("IS, ELBO and IWAE-K of %d MNIST test digits (mean over digits, ±2 se; IS: measured)", res.Points),
		XLabel: "K (samples)",
		YLabel: "estimate of log p(x) (nats)",
		LogX:   true,
	})
	if err != nil {
		return figs.Paths, err
	}
	if err := figs.Plot("estimates_vs_k_zoom.png", p); err != nil {
		return figs.Paths, err
	}

	// The per-image fit climbing from the amortised ELBO (the amortisation
	// gap) and levelling off below log p̂(x) (the approximation gap). The
	// per-step estimates are noisy (16 particles): a running mean over 25
	// steps smooths them.
	g := res.Gap
	fit := figure.Series{Name: "ELBO of the per-image q* during its fit (running mean of 25 steps)"}
	for i := range g.Curve {
		lo := max(0, i-24)
		var m float64
		for _, v := range g.Curve[lo : i+1] {
			m += v
		}
		fit.X = append(fit.X, float64(i+1))
		fit.Y = append(fit.Y, m/float64(i+1-lo))
	}
	p, err = figure.LinePlot([]figure.Series{fit}, figure.LineOptions{
		Title:     fmt.Sprintf("Amortisation and approximation gaps, %d MNIST test digits (means)", res.Points),
		XLabel:    "Adam step of the per-image fit",
		YLabel:    "nats per image",
		LegendTop: true,
		Refs: []figure.RefLine{
			{Name: fmt.Sprintf("log p(x), estimated (IS, K = %d): %.1f", g.K, g.LogPX), Y: g.LogPX},
			{Name: fmt.Sprintf("ELBO of q* (K = %d): %.1f", g.K, g.ELBOFitted), Y: g.ELBOFitted},
			{Name: fmt.Sprintf("ELBO of the encoder's q: %.1f", g.ELBOEncoder), Y: g.ELBOEncoder},
		},
	})
	if err != nil {
		return figs.Paths, err
	}
	p.Y.Min = min(p.Y.Min, g.ELBOEncoder-0.3*g.Total)
	p.Y.Max = max(p.Y.Max, g.LogPX+0.6*g.Total)
	err = figs.Plot("gap_split.png", p)
	return figs.Paths, err
}
