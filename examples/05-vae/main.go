// Command 05-vae trains variational autoencoders (amortized.VAE) on the
// embedded MNIST subset and sets them beside plain autoencoders of the same
// size.
//
// A VAE's encoder outputs a Gaussian q(z|x) = N(μ(x), diag σ²(x)) rather than
// one code; training maximises the ELBO
//
//	E_q[log p(x|z)] − KL(q(z|x) ‖ N(0, I)),
//
// estimating the first term with the reparameterisation z = μ + σ·ε,
// ε ~ N(0, I), so that gradients flow through μ and σ, and computing the KL
// term in closed form. The KL term pulls every q(z|x) towards the prior, so
// the codes fill N(0, I) without holes and decoding z ~ N(0, I) gives digits.
//
// It prints the training curve and a table comparing generated images, and
// writes to -out:
//
//	training_curve.png    train and test ELBO per epoch
//	samples.png           VAE prior samples (top rows) and AE random-code decodes (bottom rows)
//	interpolation.png     decoded straight lines in latent space between pairs of test digits
//	vae_latent_scatter.png, ae_code_scatter.png   the 2-D latent means and AE codes, coloured by digit
//	vae_latent_grid.png   decodes of a grid over the 2-D latent plane (quantiles of N(0, 1))
//
// The measure of "generates digits" is the squared maximum mean discrepancy
// (MMD², Gretton et al. 2012) between binary images drawn from each model and
// binarised real test digits: a two-sample statistic that is zero in
// expectation when the two sets come from the same distribution. Real
// training digits give the floor.
//
// Usage:
//
//	go run ./examples/05-vae [-fast | -full] [-out DIR] [-seed N]
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
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/vi"
)

// config holds the example's settings, the flags every example takes; main
// fills it from the flags.
type config = notebook.Common

// size is the training budget.
type size struct {
	trainN int
	hidden []int
	latent int // latent size of the generative comparison (the 2-D models are extra)
	epochs int
	lr     float64
	nGen   int // generated images per kind for the MMD measure
}

func settings(cfg config) size {
	switch {
	case cfg.Fast:
		return size{trainN: 1000, hidden: []int{128}, latent: 8, epochs: 6, lr: 3e-3, nGen: 100}
	case cfg.Full:
		return size{trainN: 2000, hidden: []int{512, 256}, latent: 16, epochs: 150, lr: 1e-3, nGen: 500}
	default:
		return size{trainN: 2000, hidden: []int{256}, latent: 16, epochs: 30, lr: 2e-3, nGen: 200}
	}
}

// epochRow is one point of a training curve.
type epochRow struct {
	Epoch     int
	TrainELBO float64 // mean training bound over the epoch's steps
	TestELBO  float64 // amortized.EvaluateVAE on the test images
}

// genRow scores one kind of image by its squared maximum mean discrepancy to
// real test digits.
type genRow struct {
	Kind string
	MMD2 float64
}

// results is what the example measured.
type results struct {
	Curve   []epochRow // the latent-L VAE
	Curve2  []epochRow // the 2-D VAE
	Gen     []genRow   // real test digits, VAE samples, AE random codes
	Figures []string
}

// gen returns the row of a kind.
func (r results) gen(kind string) genRow {
	for _, g := range r.Gen {
		if g.Kind == kind {
			return g
		}
	}
	panic("no row " + kind)
}

// Kinds of images in the distance table.
const (
	kindTrain    = "real training digits"
	kindVAE      = "VAE: decode z ~ N(0, I)"
	kindAEStd    = "AE: decode c ~ N(0, I)"
	kindAEFitted = "AE: decode c ~ N(mean, sd of codes)"
)

func main() {
	const name = "05-vae"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger networks, 150 epochs (many minutes)", "folder for the figures")
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
	train, test := splits.Train.Head(sz.trainN), splits.Test
	xTrain, xTest := train.Dense(), test.Dense()

	fmt.Fprintf(w, "VAEs and autoencoders on %d MNIST training digits (hidden %v, %d epochs, dynamic binarisation for the VAE)\n\n",
		train.N, sz.hidden, sz.epochs)
	vae, curve, err := trainVAE(sz.latent, train, test, sz, cfg.Seed, 1)
	if err != nil {
		return res, err
	}
	res.Curve = curve
	vae2, curve2, err := trainVAE(2, train, test, sz, cfg.Seed, 2)
	if err != nil {
		return res, err
	}
	res.Curve2 = curve2
	ae, err := trainAE(sz.latent, train, sz, cfg.Seed, 3)
	if err != nil {
		return res, err
	}
	ae2, err := trainAE(2, train, sz, cfg.Seed, 4)
	if err != nil {
		return res, err
	}

	t := notebook.NewTable(w, "epoch", fmt.Sprintf("train ELBO, L=%d", sz.latent), fmt.Sprintf("test ELBO, L=%d", sz.latent), "train ELBO, L=2", "test ELBO, L=2")
	for i, r := range res.Curve {
		t.Append(fmt.Sprint(r.Epoch), fmt.Sprintf("%.2f", r.TrainELBO), fmt.Sprintf("%.2f", r.TestELBO),
			fmt.Sprintf("%.2f", res.Curve2[i].TrainELBO), fmt.Sprintf("%.2f", res.Curve2[i].TestELBO))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	// Generated images: VAE prior samples (decoded means) against AE decodes of
	// random codes, drawn from N(0, I) and from a Gaussian with the codes' own
	// mean and spread (the fairest guess one can make without a prior).
	rnd := rand.New(rand.NewPCG(cfg.Seed, 50))
	n := sz.nGen
	vaeImgs := vae.DecodeMean(normal(n, sz.latent, nil, nil, rnd))
	codes := ae.Encode(xTrain)
	cm, cs := colMeanSD(codes)
	aeStd := ae.DecodeMean(normal(n, sz.latent, nil, nil, rnd))
	aeFit := ae.DecodeMean(normal(n, sz.latent, cm, cs, rnd))
	// Binary images: real test digits binarised once, and draws from each
	// model's Bernoulli decoder.
	brnd := rand.New(rand.NewPCG(cfg.Seed, 51))
	ref := bernoulli(xTest.Slice(0, min(n, test.N), 0, test.D).(*mat.Dense), brnd)
	h := medianDist(ref)
	for _, k := range []struct {
		kind string
		imgs *mat.Dense
	}{
		{kindTrain, xTrain.Slice(0, n, 0, train.D).(*mat.Dense)},
		{kindVAE, vaeImgs},
		{kindAEStd, aeStd},
		{kindAEFitted, aeFit},
	} {
		res.Gen = append(res.Gen, genRow{Kind: k.kind, MMD2: mmd2(bernoulli(k.imgs, brnd), ref, h)})
	}
	fmt.Fprintf(w, "\nAre generated images distributed like real digits? MMD² against %d binarised test digits (Gaussian kernel, bandwidth %.2f; 0 = indistinguishable)\n\n", ref.RawMatrix().Rows, h)
	t = notebook.NewTable(w, "binary images", "MMD² × 1000")
	for _, g := range res.Gen {
		t.Append(g.Kind, fmt.Sprintf("%.2f", 1000*g.MMD2))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	if cfg.Out != "" {
		figs, err := writeFigures(cfg.Out, res, sz, train, test, xTrain, xTest, vae, vae2, ae2, vaeImgs, aeStd, aeFit)
		res.Figures = figs
		if err != nil {
			return res, err
		}
		fmt.Fprintf(w, "\nFigures: %v\n", figs)
	}
	return res, nil
}

// trainVAE trains a Bernoulli VAE with latent size l, recording the train and
// test ELBO after every epoch.
func trainVAE(l int, train, test *dataset.Dataset, sz size, seed uint64, id uint64) (*amortized.VAE, []epochRow, error) {
	vae, err := amortized.NewVAE(amortized.VAEConfig{
		DataDim: train.D, Latent: l, Hidden: sz.hidden, Activation: amortized.ReLU, Likelihood: amortized.Bernoulli,
	}, rand.New(rand.NewPCG(seed, id)))
	if err != nil {
		return nil, nil, err
	}
	tr, err := amortized.NewVAETrainer(vae, amortized.TrainConfig{
		BatchSize: 100, Seed: seed*1000 + id, Adam: vi.AdamConfig{LR: sz.lr}, Binarization: dataset.Dynamic,
	})
	if err != nil {
		return nil, nil, err
	}
	var curve []epochRow
	for e := 0; e < sz.epochs; e++ {
		st, err := tr.TrainEpoch(context.Background(), train, nil)
		if err != nil {
			return nil, nil, err
		}
		te, err := amortized.EvaluateVAE(vae, test, seed)
		if err != nil {
			return nil, nil, err
		}
		curve = append(curve, epochRow{Epoch: e + 1, TrainELBO: st.Bound, TestELBO: te})
	}
	return vae, curve, nil
}

// trainAE trains a BCE autoencoder with the given code size.
func trainAE(code int, train *dataset.Dataset, sz size, seed uint64, id uint64) (*amortized.AE, error) {
	ae, err := amortized.NewAE(amortized.AEConfig{
		DataDim: train.D, Code: code, Hidden: sz.hidden, Activation: amortized.ReLU, Loss: amortized.BCE,
	}, rand.New(rand.NewPCG(seed, id)))
	if err != nil {
		return nil, err
	}
	tr, err := amortized.NewAETrainer(ae, amortized.TrainConfig{BatchSize: 100, Seed: seed*1000 + id, Adam: vi.AdamConfig{LR: sz.lr}})
	if err != nil {
		return nil, err
	}
	for e := 0; e < sz.epochs; e++ {
		if _, err := tr.TrainEpoch(context.Background(), train, nil); err != nil {
			return nil, err
		}
	}
	return ae, nil
}

// normal returns n draws from N(mean, diag sd²) in d dimensions; nil mean and
// sd mean N(0, I).
func normal(n, d int, mean, sd []float64, rnd *rand.Rand) *mat.Dense {
	z := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			v := rnd.NormFloat64()
			if mean != nil {
				v = mean[j] + sd[j]*v
			}
			z.Set(i, j, v)
		}
	}
	return z
}

// mmd2 returns the unbiased estimate of the squared maximum mean
// discrepancy between the rows of a and of b (Gretton et al., 2012) with the
// Gaussian kernel exp(−‖u − v‖²/(2h²)): zero in expectation when both come
// from the same distribution, larger the more they differ.
func mmd2(a, b *mat.Dense, h float64) float64 {
	mean := func(x, y *mat.Dense, same bool) float64 {
		nx, _ := x.Dims()
		ny, _ := y.Dims()
		var s float64
		var cnt int
		for i := 0; i < nx; i++ {
			for j := 0; j < ny; j++ {
				if same && i == j {
					continue
				}
				d := sqDist(x.RawRowView(i), y.RawRowView(j))
				s += math.Exp(-d / (2 * h * h))
				cnt++
			}
		}
		return s / float64(cnt)
	}
	return mean(a, a, true) + mean(b, b, true) - 2*mean(a, b, false)
}

// medianDist returns the median Euclidean distance between rows of x, the
// usual bandwidth of the MMD kernel.
func medianDist(x *mat.Dense) float64 {
	n, _ := x.Dims()
	var ds []float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			ds = append(ds, math.Sqrt(sqDist(x.RawRowView(i), x.RawRowView(j))))
		}
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func sqDist(u, v []float64) float64 {
	var s float64
	for i := range u {
		d := u[i] - v[i]
		s += d * d
	}
	return s
}

// bernoulli draws binary images with the pixel probabilities of p.
func bernoulli(p *mat.Dense, rnd *rand.Rand) *mat.Dense {
	n, d := p.Dims()
	out := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			if rnd.Float64() < p.At(i, j) {
				out.Set(i, j, 1)
			}
		}
	}
	return out
}

// colMeanSD returns the mean and standard deviation of each column.
func colMeanSD(m *mat.Dense) (mean, sd []float64) {
	n, c := m.Dims()
	mean, sd = make([]float64, c), make([]float64, c)
	for j := 0; j < c; j++ {
		for i := 0; i < n; i++ {
			mean[j] += m.At(i, j)
		}
		mean[j] /= float64(n)
		for i := 0; i < n; i++ {
			d := m.At(i, j) - mean[j]
			sd[j] += d * d
		}
		sd[j] = math.Sqrt(sd[j] / float64(n-1))
	}
	return mean, sd
}

// rows returns rows [from, to) of m as images.
func rows(m *mat.Dense, from, to int) [][]float64 {
	out := make([][]float64, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, mat.Row(nil, i, m))
	}
	return out
}

func writeFigures(dir string, res results, sz size, train, test *dataset.Dataset, xTrain, xTest *mat.Dense,
	vae, vae2 *amortized.VAE, ae2 *amortized.AE, vaeImgs, aeStd, aeFit *mat.Dense) ([]string, error) {
	figs, err := notebook.NewFigures(dir)
	if err != nil {
		return nil, err
	}
	shape := figure.Shape{Rows: train.Rows, Cols: train.Cols}
	gopt := figure.GridOptions{Pad: 2, Scale: 2}
	grid := func(name string, images [][]float64, columns int) error {
		return figs.PNG(name, figure.Grid(images, shape, columns, gopt))
	}

	// Training curve.
	var series []figure.Series
	for _, c := range []struct {
		name  string
		curve []epochRow
	}{{fmt.Sprintf("L=%d", sz.latent), res.Curve}, {"L=2", res.Curve2}} {
		tr := figure.Series{Name: "train ELBO, " + c.name}
		te := figure.Series{Name: "test ELBO, " + c.name}
		for _, r := range c.curve {
			tr.X, tr.Y = append(tr.X, float64(r.Epoch)), append(tr.Y, r.TrainELBO)
			te.X, te.Y = append(te.X, float64(r.Epoch)), append(te.Y, r.TestELBO)
		}
		series = append(series, tr, te)
	}
	p, err := figure.LinePlot(series, figure.LineOptions{
		Title:  "VAE training on the MNIST subset",
		XLabel: "epoch",
		YLabel: "ELBO (nats per image)",
	})
	if err != nil {
		return figs.Paths, err
	}
	// The first epochs sit far below; show the interesting range.
	last := res.Curve2[len(res.Curve2)-1].TestELBO
	best := res.Curve[len(res.Curve)-1].TrainELBO
	p.Y.Min = last - 1.5*(best-last) - 20
	if err := figs.Plot("training_curve.png", p); err != nil {
		return figs.Paths, err
	}

	// Samples: VAE rows, then AE rows.
	const cols = 12
	images, columns := figure.Rows(rows(vaeImgs, 0, cols), rows(vaeImgs, cols, 2*cols), rows(vaeImgs, 2*cols, 3*cols),
		rows(aeStd, 0, cols), rows(aeStd, cols, 2*cols), rows(aeFit, 0, cols), rows(aeFit, cols, 2*cols))
	if err := grid("samples.png", images, columns); err != nil {
		return figs.Paths, err
	}

	// Interpolations between pairs of test digits of different classes,
	// through the encoder means.
	pairs := [][2]int{firstPair(test, 3, 8), firstPair(test, 1, 7), firstPair(test, 0, 6), firstPair(test, 4, 9)}
	const steps = 10
	var strips [][][]float64
	for _, pr := range pairs {
		mu, _ := vae.Encode(xTest.Slice(pr[0], pr[0]+1, 0, test.D))
		mv, _ := vae.Encode(xTest.Slice(pr[1], pr[1]+1, 0, test.D))
		z := mat.NewDense(steps, sz.latent, nil)
		for s := 0; s < steps; s++ {
			a := float64(s) / (steps - 1)
			for j := 0; j < sz.latent; j++ {
				z.Set(s, j, (1-a)*mu.At(0, j)+a*mv.At(0, j))
			}
		}
		strip := [][]float64{mat.Row(nil, pr[0], xTest)}
		strip = append(strip, rows(vae.DecodeMean(z), 0, steps)...)
		strip = append(strip, mat.Row(nil, pr[1], xTest))
		strips = append(strips, strip)
	}
	images, columns = figure.Rows(strips...)
	if err := grid("interpolation.png", images, columns); err != nil {
		return figs.Paths, err
	}

	// The 2-D latent means of the VAE and the 2-D codes of the AE.
	mu2, _ := vae2.Encode(xTrain)
	codes2 := ae2.Encode(xTrain)
	for _, s := range []struct {
		name, title, label string
		m                  *mat.Dense
	}{
		{"vae_latent_scatter.png", "VAE: encoder means μ(x) of the training digits (L = 2)", "z", mu2},
		{"ae_code_scatter.png", "Autoencoder: codes of the training digits (code size 2)", "code", codes2},
	} {
		p, err := figure.Scatter(mat.Col(nil, 0, s.m), mat.Col(nil, 1, s.m), train.Labels, figure.ScatterOptions{
			Title: s.title, XLabel: s.label + " 1", YLabel: s.label + " 2",
		})
		if err != nil {
			return figs.Paths, err
		}
		if err := figs.Plot(s.name, p); err != nil {
			return figs.Paths, err
		}
	}

	// Decodes of a grid over the latent plane at the quantiles of N(0, 1),
	// so that every tile covers the same prior mass.
	const g = 15
	zg := mat.NewDense(g*g, 2, nil)
	for r := 0; r < g; r++ {
		for c := 0; c < g; c++ {
			zg.Set(r*g+c, 0, distuv.UnitNormal.Quantile((float64(c)+0.5)/g))
			zg.Set(r*g+c, 1, distuv.UnitNormal.Quantile(1-(float64(r)+0.5)/g))
		}
	}
	err = figs.PNG("vae_latent_grid.png", figure.Grid(rows(vae2.DecodeMean(zg), 0, g*g), shape, g, figure.GridOptions{Pad: 1}))
	return figs.Paths, err
}

// firstPair returns the indices of the first test digits labelled a and b.
func firstPair(d *dataset.Dataset, a, b int) [2]int {
	pr := [2]int{-1, -1}
	for i, l := range d.Labels {
		if l == a && pr[0] < 0 {
			pr[0] = i
		}
		if l == b && pr[1] < 0 {
			pr[1] = i
		}
	}
	if pr[0] < 0 || pr[1] < 0 {
		return [2]int{0, 1}
	}
	return pr
}
