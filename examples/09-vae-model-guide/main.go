// Command 09-vae-model-guide trains a VAE written as a ppl model/guide pair
// of a few dozen lines, and shows that it is the same model as the one
// "vitool train-vae" trains: the VAE is one case of package ppl, not a
// stack beside it.
//
// The pair (vaePair below) is
//
//	model(t, x): for each row: z ~ N(0, I) at site "z"; x ~ Bernoulli(decoder(z)) at site "x"
//	guide(t, x): for each row: (μ, log σ²) = encoder(x); z ~ N(μ, σ²) at site "z"
//
// with the encoder and the decoder as nn.MLP modules read by Tracer.Module
// under the PyTorch names of train-vae's checkpoints ("encoder.0.weight",
// …). The example
//
//  1. trains the pair by ppl.SVI on the embedded MNIST subset (the ELBO
//     with analytic KL, a subsample of the data plate per step);
//  2. loads the trained parameters into the built-in amortized.VAE (the
//     model train-vae trains) and checks that, at the same parameters and
//     with the same random numbers, the two give bit for bit the same
//     objective and the same gradient of every weight, and the same
//     evidence estimates as package mc on the built-in VAE;
//  3. evaluates the trained model on test digits: naive Monte Carlo,
//     importance sampling with the encoder, the ELBO and IWAE.
//
// It writes two figures to -out:
//
//	training.png   the ELBO per digit during SVI, with the test-set ELBO at the end
//	samples.png    test digits, their reconstructions, and prior samples
//
// Usage:
//
//	go run ./examples/09-vae-model-guide [-fast | -full] [-out DIR] [-seed N]
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/nn"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// size is the budget of a run.
type size struct {
	epochs, batch int
	hidden        []int
	latent        int
	lr            float64
	points        int // test digits evaluated
	k             int // draws of naive MC, IS and the ELBO
	iwaeK, reps   int
}

func settings(c notebook.Common) size {
	switch {
	case c.Fast:
		return size{epochs: 2, batch: 100, hidden: []int{128}, latent: 8, lr: 3e-3, points: 3, k: 200, iwaeK: 20, reps: 5}
	case c.Full:
		return size{epochs: 100, batch: 100, hidden: []int{256}, latent: 16, lr: 1e-3, points: 20, k: 5000, iwaeK: 1000, reps: 10}
	}
	return size{epochs: 30, batch: 100, hidden: []int{256}, latent: 16, lr: 2e-3, points: 10, k: 2000, iwaeK: 200, reps: 10}
}

// vaePair returns the VAE as a ppl model and guide: a Gaussian encoder
// with 2·latent outputs (μ, then log σ²) and a Bernoulli decoder, both tanh
// MLPs through the hidden sizes (reversed for the decoder), for data of
// dimension d, one data point per row of x.
func vaePair(d, latent int, hidden []int) (ppl.Model, ppl.Guide) {
	rev := slices.Clone(hidden)
	slices.Reverse(rev)
	enc := nn.MLP{Sizes: slices.Concat([]int{d}, hidden, []int{2 * latent}), Act: nn.Tanh}
	dec := nn.MLP{Sizes: slices.Concat([]int{latent}, rev, []int{d}), Act: nn.Tanh}
	model := func(t *ppl.Tracer, x *ad.Var) {
		t.Plate("data", x.R, func(p *ppl.Plate) {
			z := t.Sample("z", dist.StdNormal{D: latent})
			t.Observe("x", dist.Bernoulli{Logits: t.Module("decoder", dec, z)}, p.Data(x))
		})
	}
	guide := func(t *ppl.Tracer, x *ad.Var) {
		t.Plate("data", x.R, func(p *ppl.Plate) {
			h := ad.Tile(t.Module("encoder", enc, ad.Rows(x, p.Idx)), t.Particles())
			mu, logVar := ad.SliceCols(h, 0, latent), ad.SliceCols(h, latent, 2*latent)
			t.Sample("z", dist.Normal{Loc: mu, LogScale: ad.Scale(logVar, 0.5)})
		})
	}
	return model, guide
}

// result is what the test checks.
type result struct {
	Size        size
	Curve       []float64 // ELBO per digit, per SVI step
	TestELBO    float64   // per digit, on the test digits
	SameValue   bool      // pair and built-in VAE: the same objective, bit for bit
	MaxGradDiff float64   // largest |Δ| over every weight's gradient
	Rows        []row
	Figures     []string
}

// row is one estimator on the test digits: the mean over the digits of the
// pair's estimates (through ppl) and of the built-in VAE's (through mc).
type row struct {
	Method       string
	PPL, Builtin float64
	SE           float64 // mean standard error of the pair's estimates
	MaxDiff      float64 // largest |ppl − built-in| over the digits
}

func main() {
	var cfg notebook.Common
	cfg.Register(flag.CommandLine, "09-vae-model-guide", "a larger VAE trained for 100 epochs (several minutes)", "folder for the figures (empty: none)")
	flag.Parse()
	notebook.Main("09-vae-model-guide", cfg, run)
}

func run(c notebook.Common, w io.Writer) (result, error) {
	s := settings(c)
	res := result{Size: s}
	sp, err := dataset.Embedded("mnist")
	if err != nil {
		return res, err
	}
	train := sp.Train.Binarize(rand.New(rand.NewPCG(c.Seed, 1)))
	test := sp.Test.Binarize(rand.New(rand.NewPCG(c.Seed, 2)))
	x := dense(train, train.N)
	d := train.D
	model, guide := vaePair(d, s.latent, s.hidden)

	// 1. Train the pair by SVI: the ELBO with analytic KL, a batch of the
	// data plate per step.
	store := ppl.NewParamStore(c.Seed)
	steps := s.epochs * train.N / s.batch
	fmt.Fprintf(w, "Training the ppl pair (encoder %d-%v-%d, decoder the reverse, tanh) by SVI: %d steps of %d of the %d training digits.\n",
		d, s.hidden, 2*s.latent, steps, s.batch, train.N)
	_, err = ppl.SVI(model, guide, store, x, ppl.SVIConfig{
		Objective: ppl.Objective{K: 1, AnalyticKL: true, Subsample: s.batch},
		Steps:     steps,
		Adam:      vi.AdamConfig{LR: s.lr},
		Schedule:  vi.CosineDecay{Initial: s.lr, Min: s.lr / 10, Steps: steps},
		Seed:      c.Seed,
		Callback: func(_ int, v float64) error {
			res.Curve = append(res.Curve, v/float64(train.N))
			return nil
		},
	})
	if err != nil {
		return res, err
	}

	// 2. The same model as train-vae's: the built-in VAE from the pair's
	// parameters.
	vae, err := builtin(store, d, s)
	if err != nil {
		return res, err
	}
	xt := dense(test, s.points)
	obj := ppl.Objective{Bound: ppl.BoundIWAE, K: 8}
	a, errA := ppl.GradientTraces(model, guide, store, xt, obj, rand.New(rand.NewPCG(c.Seed, 3)))
	b, errB := ppl.GradientTraces(vae.Model(), vae.Guide(), vae.Store, xt, obj, rand.New(rand.NewPCG(c.Seed, 3)))
	if errA != nil || errB != nil {
		return res, fmt.Errorf("gradients: %v, %v", errA, errB)
	}
	res.SameValue = a.Value == b.Value
	for name, g := range a.Grads {
		for i, v := range g.RawMatrix().Data {
			res.MaxGradDiff = math.Max(res.MaxGradDiff, math.Abs(v-b.Grads[name].RawMatrix().Data[i]))
		}
	}
	fmt.Fprintf(w, "\nAt the trained parameters, on %d test digits, IWAE-8 with one seed: objective %.6f (pair) and %.6f (built-in VAE), identical: %v;\n",
		s.points, a.Value, b.Value, res.SameValue)
	fmt.Fprintf(w, "the gradients of all %d weights differ by at most %.3g.\n", countWeights(store), res.MaxGradDiff)

	// 3. Evaluation on test digits.
	res.TestELBO, err = amortized.EvaluateVAE(vae, test, c.Seed)
	if err != nil {
		return res, err
	}
	if err := evaluate(&res, model, guide, store, vae, test, s, c.Seed); err != nil {
		return res, err
	}
	report(w, res, test)
	if c.Out == "" {
		return res, nil
	}
	res.Figures, err = figures(c.Out, res, vae, test)
	return res, err
}

// builtin returns the amortized.VAE with the pair's architecture and the
// parameters in store: the names are the same.
func builtin(store *ppl.ParamStore, d int, s size) (*amortized.VAE, error) {
	cfg := amortized.VAEConfig{DataDim: d, Latent: s.latent, Hidden: s.hidden, Activation: amortized.Tanh}
	params := map[string]amortized.Tensor{}
	for _, n := range store.Names() {
		v := store.Get(n)
		r, c := v.Dims()
		t := amortized.Tensor{Shape: []int{r, c}}
		if strings.HasSuffix(n, ".bias") {
			t.Shape = []int{c} // a vector in a state_dict
		}
		for _, x := range v.RawMatrix().Data {
			t.Data = append(t.Data, float32(x))
		}
		params[n] = t
	}
	return amortized.NewVAEFromParams(cfg, params)
}

// evaluate fills res.Rows: each estimator on each test digit, through ppl
// on the pair and through mc on the built-in VAE, with the same seed.
func evaluate(res *result, model ppl.Model, guide ppl.Guide, store *ppl.ParamStore, vae *amortized.VAE, test *dataset.Dataset, s size, seed uint64) error {
	type est func(x []float64, cfg mc.Config) (mc.Estimate, mc.Estimate, error)
	both := func(p func(*mat.Dense, mc.Config) (mc.Estimate, error), b func([]float64, mc.Config) (mc.Estimate, error)) est {
		return func(x []float64, cfg mc.Config) (mc.Estimate, mc.Estimate, error) {
			e1, err := p(mat.NewDense(1, len(x), x), cfg)
			if err != nil {
				return e1, e1, err
			}
			e2, err := b(x, cfg)
			return e1, e2, err
		}
	}
	for _, m := range []struct {
		name string
		run  est
	}{
		{"naive MC", both(func(x *mat.Dense, c mc.Config) (mc.Estimate, error) { return ppl.Prior(model, store, x, s.k, c) },
			func(x []float64, c mc.Config) (mc.Estimate, error) { return mc.Prior(vae, x, s.k, c) })},
		{"IS (encoder)", both(func(x *mat.Dense, c mc.Config) (mc.Estimate, error) {
			return ppl.Importance(model, guide, store, x, s.k, c)
		},
			func(x []float64, c mc.Config) (mc.Estimate, error) {
				return mc.Importance(vae, vae.Proposal(x), x, s.k, c)
			})},
		{fmt.Sprintf("IWAE-%d", s.iwaeK), both(func(x *mat.Dense, c mc.Config) (mc.Estimate, error) {
			return ppl.IWAE(model, guide, store, x, s.iwaeK, s.reps, c)
		},
			func(x []float64, c mc.Config) (mc.Estimate, error) {
				return mc.IWAE(vae, vae.Proposal(x), x, s.iwaeK, s.reps, c)
			})},
		{"ELBO", both(func(x *mat.Dense, c mc.Config) (mc.Estimate, error) { return ppl.ELBO(model, guide, store, x, s.k, c) },
			func(x []float64, c mc.Config) (mc.Estimate, error) { return mc.ELBO(vae, vae.Proposal(x), x, s.k, c) })},
	} {
		r := row{Method: m.name}
		for i := range s.points {
			cfg := mc.Config{Seed: mc.DeriveSeed(seed, uint64(i))}
			p, b, err := m.run(test.Float64Row(nil, i), cfg)
			if err != nil {
				return fmt.Errorf("%s on test digit %d: %w", m.name, i, err)
			}
			n := float64(s.points)
			r.PPL += p.LogPX / n
			r.Builtin += b.LogPX / n
			r.SE += p.StdErr / n
			r.MaxDiff = math.Max(r.MaxDiff, math.Abs(p.LogPX-b.LogPX))
		}
		res.Rows = append(res.Rows, r)
	}
	return nil
}

func report(w io.Writer, res result, test *dataset.Dataset) {
	fmt.Fprintf(w, "\nTraining ELBO per digit: %.2f after the first step, %.2f at the end; test-set ELBO (%d digits, amortized.EvaluateVAE) %.2f.\n",
		res.Curve[0], res.Curve[len(res.Curve)-1], test.N, res.TestELBO)
	fmt.Fprintf(w, "\nlog p(x) of %d test digits, mean over the digits (nats):\n", res.Size.points)
	t := notebook.NewTable(w, "method", "ppl pair", "built-in VAE (mc)", "max |difference|")
	for _, r := range res.Rows {
		t.Append(r.Method, notebook.PlusMinus(r.PPL, r.SE, 2, 2), fmt.Sprintf("%.2f", r.Builtin), fmt.Sprintf("%.1e", r.MaxDiff))
	}
	t.Render()
	fmt.Fprintln(w, "The estimates agree to rounding: the pair and the built-in VAE are one model, and the ordering IS ≥ IWAE ≥ ELBO holds.")
}

// figures writes the training curve and the image grids.
func figures(dir string, res result, vae *amortized.VAE, test *dataset.Dataset) ([]string, error) {
	f, err := notebook.NewFigures(dir)
	if err != nil {
		return nil, err
	}
	steps := make([]float64, len(res.Curve))
	for i := range steps {
		steps[i] = float64(i + 1)
	}
	p, err := figure.LinePlot([]figure.Series{{Name: "ELBO per digit (one minibatch)", X: steps, Y: res.Curve}},
		figure.LineOptions{Title: "Training the ppl pair by SVI", XLabel: "step", YLabel: "nats",
			Refs: []figure.RefLine{{Name: fmt.Sprintf("test-set ELBO %.1f", res.TestELBO), Y: res.TestELBO}}})
	if err != nil {
		return nil, err
	}
	if err := f.Plot("training.png", p); err != nil {
		return nil, err
	}
	const n = 10
	x := dense(test, n)
	mu, _ := vae.Encode(x)
	recon := vae.DecodeMean(mu)
	z := mat.NewDense(n, vae.Config.Latent, nil)
	rnd := rand.New(rand.NewPCG(7, 7))
	for i := range n {
		for j := range vae.Config.Latent {
			z.Set(i, j, rnd.NormFloat64())
		}
	}
	samples := vae.DecodeMean(z)
	var tiles [][]float64
	for _, m := range []*mat.Dense{x, recon, samples} {
		for i := range n {
			tiles = append(tiles, m.RawRowView(i))
		}
	}
	img := figure.Grid(tiles, figure.Shape{Rows: 28, Cols: 28}, n, figure.GridOptions{Pad: 2, Scale: 2})
	if err := f.PNG("samples.png", img); err != nil {
		return nil, err
	}
	return f.Paths, nil
}

// dense returns the first n rows of ds as a matrix.
func dense(ds *dataset.Dataset, n int) *mat.Dense {
	m := mat.NewDense(n, ds.D, nil)
	for i := range n {
		ds.Float64Row(m.RawRowView(i), i)
	}
	return m
}

func countWeights(store *ppl.ParamStore) int {
	n := 0
	for _, name := range store.Names() {
		r, c := store.Get(name).Dims()
		n += r * c
	}
	return n
}
