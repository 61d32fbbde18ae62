// Command 01-autoencoder trains plain autoencoders (amortized.AE) on the
// embedded MNIST subset and shows what they can and cannot do:
//
//   - a larger code reconstructs better (code sizes 2, 8 and 32);
//   - binary cross-entropy against mean squared error as the reconstruction
//     loss;
//   - decoding random codes gives garbage: the decoder was only ever trained
//     on the codes of real images, and nothing says where those lie;
//   - the 2-D code space is irregular, with the digits in stretched clusters
//     and holes between them.
//
// The autoencoder with a code of 2 is trained from several seeds as well,
// for the spread of its training curve.
//
// It prints three tables and writes five figures to -out:
//
//	training_curve.png    train and test loss per epoch (code 2, BCE), mean ± one sd over the seeds
//	reconstructions.png   test digits (top row) above their reconstructions by each autoencoder
//	random_codes.png      decodes of random codes: from N(0, I) and from a Gaussian fitted to the codes
//	code_scatter.png      the 2-D codes of the training digits, coloured by label
//	code_grid.png         decodes of a regular grid over the 2-D code plane
//
// Usage:
//
//	go run ./examples/01-autoencoder [-fast | -full] [-out DIR] [-seed N]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"

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
	trainN int   // training images (of the embedded 2000)
	hidden []int // encoder hidden sizes
	epochs int
	lr     float64
	seeds  int // independent training runs of the banded autoencoder
}

func settings(cfg config) size {
	switch {
	case cfg.Fast:
		return size{trainN: 1000, hidden: []int{128}, epochs: 6, lr: 3e-3, seeds: 3}
	case cfg.Full:
		return size{trainN: 2000, hidden: []int{512, 256}, epochs: 100, lr: 1e-3, seeds: 5}
	default:
		return size{trainN: 2000, hidden: []int{256}, epochs: 25, lr: 2e-3, seeds: 3}
	}
}

// spec is an autoencoder's code size and loss.
type spec struct {
	code int
	loss amortized.AELoss
}

// specs are the autoencoders the example trains, and banded the indices of
// those also trained from the extra seeds.
var (
	specs  = []spec{{2, amortized.BCE}, {8, amortized.BCE}, {32, amortized.BCE}, {32, amortized.MSE}}
	banded = []int{0}
)

// epochRow is one point of a training curve.
type epochRow struct {
	Epoch     int
	TrainLoss float64 // mean loss over the epoch's steps
	TestLoss  float64 // loss on the test images after the epoch
}

// spreadRow is an autoencoder trained from several seeds: its training
// curves and the spread of its final test loss.
type spreadRow struct {
	Name             string
	Code             int
	Curves           [][]epochRow // one per seed, the main seed's first
	TestMean, TestSD float64      // mean and sample standard deviation over the seeds of the final test loss
}

// aeRow describes one trained autoencoder.
type aeRow struct {
	Name      string
	Code      int
	Loss      amortized.AELoss
	TrainLoss float64    // its own loss on the training images
	TestLoss  float64    // its own loss on the test images
	TestMSE   float64    // mean squared error of the reconstruction (in [0, 1]) on test images
	TestBCE   float64    // binary cross-entropy of the reconstruction on test images
	Curve     []epochRow // train and test loss per epoch
}

// results is what the example measured.
type results struct {
	Rows   []aeRow     // the main seed's autoencoders, in the order of specs
	Spread []spreadRow // the banded autoencoders over every seed
	// CodeSpread is the standard deviation of each coordinate of the 2-D
	// codes of the training images: how far from N(0, I) the codes are.
	CodeSpread [2]float64
	Figures    []string
}

func main() {
	const name = "01-autoencoder"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger networks, 100 epochs (several minutes)", "folder for the figures")
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

	fmt.Fprintf(w, "Plain autoencoders on %d MNIST training digits (hidden %v, %d epochs); scores on the %d test digits; the tables show seed %d\n\n",
		train.N, sz.hidden, sz.epochs, test.N, cfg.Seed)
	aes, curves, err := trainAll(train, test, sz, notebook.Seeds(cfg.Seed, sz.seeds))
	if err != nil {
		return res, err
	}
	for i, s := range specs {
		ae := aes[i]
		row := aeRow{Name: fmt.Sprintf("code %d, %s", s.code, s.loss), Code: s.code, Loss: s.loss, Curve: curves[i][0]}
		if row.TrainLoss, err = amortized.EvaluateAE(ae, train); err != nil {
			return res, err
		}
		if row.TestLoss, err = amortized.EvaluateAE(ae, test); err != nil {
			return res, err
		}
		row.TestMSE, row.TestBCE = scores(reconstruct(ae, xTest), xTest)
		res.Rows = append(res.Rows, row)
	}
	for _, i := range banded {
		res.Spread = append(res.Spread, spread(res.Rows[i], curves[i]))
	}

	t := notebook.NewTable(w, "code size", "loss", "train loss", "test loss", "test MSE", "test BCE (per pixel)")
	for _, r := range res.Rows {
		t.Append(fmt.Sprint(r.Code), r.Loss.String(), fmt.Sprintf("%.4f", r.TrainLoss), fmt.Sprintf("%.4f", r.TestLoss),
			fmt.Sprintf("%.4f", r.TestMSE), fmt.Sprintf("%.4f", r.TestBCE))
	}
	if err := t.Render(); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "\nTest loss after the last epoch over %d seeds (mean ± sample standard deviation)\n\n", sz.seeds)
	t = notebook.NewTable(w, "autoencoder", "test loss")
	for _, r := range res.Spread {
		t.Append(r.Name, notebook.PlusMinus(r.TestMean, r.TestSD, 4, 4))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	// The 2-D codes of the training digits.
	codes := aes[0].Encode(xTrain)
	mean, sd := colMeanSD(codes)
	res.CodeSpread = [2]float64{sd[0], sd[1]}
	fmt.Fprintf(w, "\n2-D codes of the training digits: mean (%.2f, %.2f), standard deviations (%.2f, %.2f): nothing makes them N(0, I)\n",
		mean[0], mean[1], sd[0], sd[1])

	if cfg.Out != "" {
		figs, err := writeFigures(cfg.Out, cfg.Seed, sz, res.Spread, aes, train, test, xTrain, xTest, codes)
		res.Figures = figs
		if err != nil {
			return res, err
		}
		fmt.Fprintf(w, "\nFigures: %v\n", figs)
	}
	return res, nil
}

// mcSeed derives the training seed of model i.
func mcSeed(seed uint64, i int) uint64 { return seed*1000 + uint64(i) }

// trainAll trains, concurrently, every autoencoder of specs from seeds[0],
// the main seed, and the banded ones from the other seeds too. aes[i] is
// spec i's main-seed autoencoder and curves[i][s] its training curve from
// seeds[s] (nil for an autoencoder not trained from that seed). Every run
// derives its randomness from its seed alone, so the results do not depend
// on GOMAXPROCS.
func trainAll(train, test *dataset.Dataset, sz size, seeds []uint64) (aes []*amortized.AE, curves [][][]epochRow, err error) {
	type job struct{ spec, seed int }
	var jobs []job
	for i := range specs {
		jobs = append(jobs, job{i, 0})
	}
	for _, i := range banded {
		for s := 1; s < len(seeds); s++ {
			jobs = append(jobs, job{i, s})
		}
	}
	aes = make([]*amortized.AE, len(specs))
	curves = make([][][]epochRow, len(specs))
	for i := range curves {
		curves[i] = make([][]epochRow, len(seeds))
	}
	err = notebook.Parallel(len(jobs), func(j int) error {
		i, s := jobs[j].spec, jobs[j].seed
		ae, curve, err := trainAE(specs[i], i, train, test, sz, seeds[s])
		if s == 0 {
			aes[i] = ae
		}
		curves[i][s] = curve
		return err
	})
	return aes, curves, err
}

// trainAE makes the autoencoder of spec number i and trains it with Adam
// for the configured number of epochs, from seed, recording its training
// curve.
func trainAE(s spec, i int, train, test *dataset.Dataset, sz size, seed uint64) (*amortized.AE, []epochRow, error) {
	ae, err := amortized.NewAE(amortized.AEConfig{
		DataDim: train.D, Code: s.code, Hidden: sz.hidden, Activation: amortized.ReLU, Loss: s.loss,
	}, rand.New(rand.NewPCG(seed, uint64(i))))
	if err != nil {
		return nil, nil, err
	}
	tr, err := amortized.NewAETrainer(ae, amortized.TrainConfig{BatchSize: 100, Seed: mcSeed(seed, i), Adam: vi.AdamConfig{LR: sz.lr}})
	if err != nil {
		return nil, nil, err
	}
	var curve []epochRow
	for e := 0; e < sz.epochs; e++ {
		st, err := tr.TrainEpoch(context.Background(), train, nil)
		if err != nil {
			return nil, nil, err
		}
		te, err := amortized.EvaluateAE(ae, test)
		if err != nil {
			return nil, nil, err
		}
		curve = append(curve, epochRow{Epoch: e + 1, TrainLoss: st.Loss, TestLoss: te})
	}
	return ae, curve, nil
}

// spread returns the spread over the seeds of the autoencoder of row, whose
// training curves from every seed are curves.
func spread(row aeRow, curves [][]epochRow) spreadRow {
	var final []float64
	for _, c := range curves {
		final = append(final, c[len(c)-1].TestLoss)
	}
	r := spreadRow{Name: row.Name, Code: row.Code, Curves: curves}
	r.TestMean, r.TestSD = notebook.MeanSD(final)
	return r
}

// reconstruct encodes and decodes x.
func reconstruct(ae *amortized.AE, x mat.Matrix) *mat.Dense { return ae.DecodeMean(ae.Encode(x)) }

// scores returns the mean squared error and the binary cross-entropy per
// pixel of reconstructions r (in [0, 1]) of x.
func scores(r, x *mat.Dense) (mse, bce float64) {
	n, d := x.Dims()
	const eps = 1e-7
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			xv := x.At(i, j)
			rv := r.At(i, j)
			mse += (xv - rv) * (xv - rv)
			rv = math.Min(math.Max(rv, eps), 1-eps) // an MSE decoder may leave [0, 1]
			bce -= xv*math.Log(rv) + (1-xv)*math.Log(1-rv)
		}
	}
	return mse / float64(n*d), bce / float64(n*d)
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

// rows returns the first n rows of m as images.
func rows(m *mat.Dense, n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = mat.Row(nil, i, m)
	}
	return out
}

// writeFigures writes the example's figures into dir and returns their
// paths.
func writeFigures(dir string, seed uint64, sz size, spreads []spreadRow, aes []*amortized.AE, train, test *dataset.Dataset, xTrain, xTest, codes2 *mat.Dense) ([]string, error) {
	figs, err := notebook.NewFigures(dir)
	if err != nil {
		return nil, err
	}
	if err := trainingCurve(figs, spreads, sz); err != nil {
		return figs.Paths, err
	}
	shape := figure.Shape{Rows: train.Rows, Cols: train.Cols}
	gopt := figure.GridOptions{Pad: 2, Scale: 2}
	grid := func(name string, images [][]float64, columns int) error {
		return figs.PNG(name, figure.Grid(images, shape, columns, gopt))
	}

	// Reconstructions: originals, then one row per autoencoder.
	const n = 12
	sets := [][][]float64{rows(xTest, n)}
	for _, ae := range aes {
		sets = append(sets, rows(reconstruct(ae, xTest.Slice(0, n, 0, test.D).(*mat.Dense)), n))
	}
	images, cols := figure.Rows(sets...)
	if err := grid("reconstructions.png", images, cols); err != nil {
		return figs.Paths, err
	}

	// Random codes for the code-8 BCE autoencoder: two rows from N(0, I),
	// two from a Gaussian with the codes' own mean and spread.
	ae8 := aes[1]
	c8 := ae8.Encode(xTrain)
	mean, sd := colMeanSD(c8)
	rnd := rand.New(rand.NewPCG(seed, 77))
	z := mat.NewDense(4*n, ae8.Config.Code, nil)
	for i := 0; i < 4*n; i++ {
		for j := 0; j < ae8.Config.Code; j++ {
			v := rnd.NormFloat64()
			if i >= 2*n {
				v = mean[j] + sd[j]*v
			}
			z.Set(i, j, v)
		}
	}
	if err := grid("random_codes.png", rows(ae8.DecodeMean(z), 4*n), n); err != nil {
		return figs.Paths, err
	}

	// The 2-D code space.
	xs, ys := mat.Col(nil, 0, codes2), mat.Col(nil, 1, codes2)
	p, err := figure.Scatter(xs, ys, train.Labels, figure.ScatterOptions{
		Title:  fmt.Sprintf("Autoencoder codes of %d training digits (code size 2)", train.N),
		XLabel: "code 1",
		YLabel: "code 2",
	})
	if err != nil {
		return figs.Paths, err
	}
	if err := figs.Plot("code_scatter.png", p); err != nil {
		return figs.Paths, err
	}

	// A regular grid over the range of the codes, decoded.
	const g = 15
	lo0, hi0 := minMax(xs)
	lo1, hi1 := minMax(ys)
	zg := mat.NewDense(g*g, 2, nil)
	for r := 0; r < g; r++ {
		for c := 0; c < g; c++ {
			zg.Set(r*g+c, 0, lo0+(hi0-lo0)*float64(c)/(g-1))
			zg.Set(r*g+c, 1, hi1-(hi1-lo1)*float64(r)/(g-1)) // top row = largest code 2, as in the scatter
		}
	}
	err = figs.PNG("code_grid.png", figure.Grid(rows(aes[0].DecodeMean(zg), g*g), shape, g, figure.GridOptions{Pad: 1}))
	return figs.Paths, err
}

// epochOf returns a curve row's epoch.
func epochOf(r epochRow) float64 { return float64(r.Epoch) }

// trainingCurve plots the train and test loss per epoch of the banded
// autoencoders, the mean over the seeds with a band of ± one standard
// deviation. The first epoch's training loss, far above the rest, is cut
// off.
func trainingCurve(figs *notebook.Figures, spreads []spreadRow, sz size) error {
	var series []figure.Series
	for _, sp := range spreads {
		series = append(series,
			notebook.BandOf(fmt.Sprintf("train loss, code %d", sp.Code), sp.Curves, epochOf, func(r epochRow) float64 { return r.TrainLoss }),
			notebook.BandOf(fmt.Sprintf("test loss, code %d", sp.Code), sp.Curves, epochOf, func(r epochRow) float64 { return r.TestLoss }))
	}
	p, err := figure.LinePlot(series, figure.LineOptions{
		Title:     fmt.Sprintf("Autoencoder training (BCE, code %d): mean ± 1 sd over %d seeds", spreads[0].Code, sz.seeds),
		XLabel:    "epoch",
		YLabel:    "BCE per pixel",
		LegendTop: true,
	})
	if err != nil {
		return err
	}
	p.X.Min, p.X.Max = 0, float64(sz.epochs+1)
	var ticks plot.ConstantTicks // gonum's default gives only 0 and 25
	step := 5
	for sz.epochs/step > 8 {
		step *= 2
	}
	for e := 0; e <= sz.epochs; e += step {
		ticks = append(ticks, plot.Tick{Value: float64(e), Label: strconv.Itoa(e)})
	}
	p.X.Tick.Marker = ticks
	top := math.Inf(-1)
	for _, s := range series {
		top = max(top, s.Y[min(1, len(s.Y)-1)]+2*s.YErr[min(1, len(s.Y)-1)])
	}
	p.Y.Max = top + 0.1*(top-p.Y.Min)
	return figs.Plot("training_curve.png", p)
}

// minMax returns the smallest and largest value of v.
func minMax(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}
