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
// It prints the headline table (mean over test images) and writes one figure
// to -out:
//
//	estimates_vs_k.png   the four estimates against K
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
	"math/rand/v2"

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
}

func settings(cfg config) size {
	switch {
	case cfg.Fast:
		return size{trainN: 2000, epochs: 8, hidden: []int{256}, latent: 16, lr: 3e-3, points: 3, ks: []int{1, 10, 100, 1000}, iwaeDraws: 2000}
	case cfg.Full:
		return size{trainN: 2000, epochs: 150, hidden: []int{512, 256}, latent: 16, lr: 1e-3, points: 100,
			ks: []int{1, 10, 100, 1000, 10000, 100000}, iwaeDraws: 20000}
	default:
		return size{trainN: 2000, epochs: 30, hidden: []int{256}, latent: 16, lr: 2e-3, points: 10,
			ks: []int{1, 10, 100, 1000, 10000}, iwaeDraws: 20000}
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
}

// results is what the example measured.
type results struct {
	TestELBO float64 // amortized.EvaluateVAE on the test images used
	Points   int
	Cells    []cell
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
			res.Cells = append(res.Cells, cell{Method: m, K: k, LogPX: avg.LogPX, StdErr: avg.StdErr, KHat: avg.KHat})
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
	err = figs.Plot("estimates_vs_k.png", p)
	return figs.Paths, err
}
