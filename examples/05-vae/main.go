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
// the codes stay on the prior's scale and decoding z ~ N(0, I) gives digits;
// how far the codes fill N(0, I) is measured (shares inside its central
// regions, and the prior's mass far from every code).
//
// It prints the training curve and a table comparing generated images, and
// writes to -out:
//
//	training_curve.png    train and test ELBO per epoch, mean ± one sd over independent seeds
//	samples.png           VAE prior samples (top rows) and AE random-code decodes (bottom rows)
//	interpolation.png     decoded straight lines in latent space between pairs of test digits
//	vae_latent_scatter.png, ae_code_scatter.png   the 2-D latent means and AE codes, coloured by digit
//	vae_latent_grid.png   decodes of a grid over the 2-D latent plane (quantiles of N(0, 1))
//
// The measure of "generates digits" is the squared maximum mean discrepancy
// (MMD², Gretton et al. 2012) between binary images drawn from each model and
// binarised real test digits: a two-sample statistic that is zero in
// expectation when the two sets come from the same distribution, with the
// p-value of a permutation test. A second set of real test digits gives the
// noise floor.
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
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
	"gonum.org/v1/plot/vg"

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
	perms  int // permutations of the MMD test
	hidden []int
	latent int // latent size of the generative comparison (the 2-D models are extra)
	epochs int
	lr     float64
	nGen   int // generated images per kind for the MMD measure
	seeds  int // independent training runs of each VAE, for the spread of the training curve
}

func settings(cfg config) size {
	switch {
	case cfg.Fast:
		return size{trainN: 1000, perms: 200, hidden: []int{128}, latent: 8, epochs: 6, lr: 3e-3, nGen: 100, seeds: 3}
	case cfg.Full:
		return size{trainN: 2000, perms: permutations, hidden: []int{512, 256}, latent: 16, epochs: 150, lr: 1e-3, nGen: 500, seeds: 5}
	default:
		return size{trainN: 2000, perms: permutations, hidden: []int{256}, latent: 16, epochs: 30, lr: 2e-3, nGen: 200, seeds: 3}
	}
}

// epochRow is one point of a training curve.
type epochRow struct {
	Epoch     int
	TrainELBO float64 // mean training bound over the epoch's steps
	TestELBO  float64 // amortized.EvaluateVAE on the test images
}

// spreadRow is the spread over independent training runs (seeds) of a VAE's
// ELBO after the last epoch.
type spreadRow struct {
	Latent             int
	Seeds              int
	TrainMean, TrainSD float64 // mean and sample standard deviation of the final train ELBO
	TestMean, TestSD   float64 // the same for the final test ELBO
}

// genRow scores one kind of image by its squared maximum mean discrepancy to
// real test digits.
type genRow struct {
	Kind string
	MMD2 float64
	// P is the permutation test's p-value for "the two sets come from the
	// same distribution": the share of random relabellings of the pooled
	// images whose MMD² is at least the observed one.
	P float64
}

// coverRow measures how a set of latent points covers the prior N(0, I):
// the share inside the central regions holding 39.3% and 86.5% of the
// prior's mass (in two dimensions the circles of radius 1 and 2), and the
// share of the prior's mass that lies far from every point.
type coverRow struct {
	Kind         string
	Dim          int
	In1, In2     float64 // shares inside the 39.3% and 86.5% regions
	EmptyPrior   float64 // share of prior draws farther from every point than 99% of them are from a genuine N(0, I) sample of the same size
	EmptyOfPrior float64 // the same measure for a genuine N(0, I) sample (about 0.01)
}

// results is what the example measured.
type results struct {
	Curve   []epochRow   // the latent-L VAE, main seed
	Curve2  []epochRow   // the 2-D VAE, main seed
	Curves  [][]epochRow // the latent-L VAE, every seed (the main seed's first)
	Curves2 [][]epochRow // the 2-D VAE, every seed
	Spread  []spreadRow  // the final ELBOs over the seeds, latent L then 2
	Gen     []genRow     // real test digits, VAE samples, AE random codes
	Cover   []coverRow   // VAE means and draws, AE codes against N(0, I)
	Figures []string
}

// cover returns the row of a kind.
func (r results) cover(kind string) coverRow {
	for _, c := range r.Cover {
		if c.Kind == kind {
			return c
		}
	}
	panic("no row " + kind)
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
	kindTest     = "real test digits, another set (noise floor)"
	kindTrain    = "real training digits"
	kindVAE      = "VAE: decode z ~ N(0, I)"
	kindAEStd    = "AE: decode c ~ N(0, I)"
	kindAEFitted = "AE: decode c ~ N(mean, sd of codes)"

	coverMeans2  = "VAE, L = 2: encoder means μ(x)"
	coverDraws2  = "VAE, L = 2: draws z ~ q(z|x)"
	coverAE2     = "AE, code size 2: codes"
	coverDrawsL  = "VAE, L = %d: draws z ~ q(z|x)"
	coverMeansL  = "VAE, L = %d: encoder means μ(x)"
	permutations = 1000 // of the MMD permutation test
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

	fmt.Fprintf(w, "VAEs and autoencoders on %d MNIST training digits (hidden %v, %d epochs, dynamic binarisation for the VAE); each VAE trained from %d seeds, the tables show seed %d\n\n",
		train.N, sz.hidden, sz.epochs, sz.seeds, cfg.Seed)
	m, err := trainModels(train, test, sz, notebook.Seeds(cfg.Seed, sz.seeds))
	if err != nil {
		return res, err
	}
	vae, vae2, ae, ae2 := m.vae, m.vae2, m.ae, m.ae2
	res.Curves, res.Curves2 = m.curves, m.curves2
	res.Curve, res.Curve2 = m.curves[0], m.curves2[0]
	res.Spread = []spreadRow{spread(sz.latent, m.curves), spread(2, m.curves2)}

	t := notebook.NewTable(w, "epoch", fmt.Sprintf("train ELBO, L=%d", sz.latent), fmt.Sprintf("test ELBO, L=%d", sz.latent), "train ELBO, L=2", "test ELBO, L=2")
	for i, r := range res.Curve {
		t.Append(fmt.Sprint(r.Epoch), fmt.Sprintf("%.2f", r.TrainELBO), fmt.Sprintf("%.2f", r.TestELBO),
			fmt.Sprintf("%.2f", res.Curve2[i].TrainELBO), fmt.Sprintf("%.2f", res.Curve2[i].TestELBO))
	}
	if err := t.Render(); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "\nELBO after the last epoch over %d seeds (mean ± sample standard deviation)\n\n", sz.seeds)
	t = notebook.NewTable(w, "latent size", "train ELBO", "test ELBO")
	for _, r := range res.Spread {
		t.Append(fmt.Sprint(r.Latent), notebook.PlusMinus(r.TrainMean, r.TrainSD, 2, 2), notebook.PlusMinus(r.TestMean, r.TestSD, 2, 2))
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
	// The reference is the first half of the test digits; the second half
	// is a second sample of the same distribution, the noise floor.
	nRef := min(n, test.N/2)
	ref := bernoulli(xTest.Slice(0, nRef, 0, test.D).(*mat.Dense), brnd)
	h := medianDist(ref)
	for _, k := range []struct {
		kind string
		imgs *mat.Dense
	}{
		{kindTest, xTest.Slice(nRef, 2*nRef, 0, test.D).(*mat.Dense)},
		{kindTrain, xTrain.Slice(0, n, 0, train.D).(*mat.Dense)},
		{kindVAE, vaeImgs},
		{kindAEStd, aeStd},
		{kindAEFitted, aeFit},
	} {
		m, p := mmdTest(bernoulli(k.imgs, brnd), ref, h, sz.perms, rand.New(rand.NewPCG(cfg.Seed, 52)))
		res.Gen = append(res.Gen, genRow{Kind: k.kind, MMD2: m, P: p})
	}
	fmt.Fprintf(w, "\nAre generated images distributed like real digits? MMD² against %d binarised test digits (Gaussian kernel, bandwidth %.2f; 0 = indistinguishable), and the p-value of a permutation test (%d relabellings of the pooled images) of \"same distribution\"\n\n", ref.RawMatrix().Rows, h, sz.perms)
	t = notebook.NewTable(w, "binary images", "MMD² × 1000", "p-value")
	for _, g := range res.Gen {
		t.Append(g.Kind, fmt.Sprintf("%.2f", 1000*g.MMD2), fmt.Sprintf("%.3f", g.P))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	// Do the codes fill N(0, I)? The encoder means, one draw z ~ q(z|x) per
	// training digit (a draw from the aggregate posterior, which should
	// match the prior when the model fits), and the AE's codes, against the
	// prior's central regions and its empty mass.
	crnd := rand.New(rand.NewPCG(cfg.Seed, 53))
	mu2, lv2 := vae2.Encode(xTrain)
	muL, lvL := vae.Encode(xTrain)
	res.Cover = []coverRow{
		coverage(coverMeans2, mu2, crnd),
		coverage(coverDraws2, drawQ(mu2, lv2, crnd), crnd),
		coverage(coverAE2, ae2.Encode(xTrain), crnd),
		coverage(fmt.Sprintf(coverMeansL, sz.latent), muL, crnd),
		coverage(fmt.Sprintf(coverDrawsL, sz.latent), drawQ(muL, lvL, crnd), crnd),
	}
	fmt.Fprintf(w, "\nDo the %d training digits' codes fill N(0, I)? Shares inside the central regions of N(0, I) that hold 39.3%% and 86.5%% of its mass (radius 1 and 2 in two dimensions), and the prior's empty mass: the share of %d draws from N(0, I) farther from every code than 99%% of them are from a genuine N(0, I) sample of %d points (about 1%% for such a sample)\n\n",
		train.N, coverPriorDraws, train.N)
	t = notebook.NewTable(w, "codes", "inside 39.3% region", "inside 86.5% region", "prior's empty mass", "same for a genuine N(0, I) sample")
	for _, c := range res.Cover {
		t.Append(c.Kind, fmt.Sprintf("%.1f%%", 100*c.In1), fmt.Sprintf("%.1f%%", 100*c.In2), fmt.Sprintf("%.1f%%", 100*c.EmptyPrior), fmt.Sprintf("%.1f%%", 100*c.EmptyOfPrior))
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

// models are the networks run trains: a VAE of latent size L and one of
// latent size 2 for every seed, and the main seed's autoencoders with codes
// of L and 2.
type models struct {
	vae, vae2       *amortized.VAE // the main seed's VAEs
	curves, curves2 [][]epochRow   // every seed's training curves
	ae, ae2         *amortized.AE
}

// trainModels trains the models concurrently, each in its own goroutine;
// seeds[0] is the main seed. Every run derives its randomness from its seed
// alone, so the results do not depend on GOMAXPROCS.
func trainModels(train, test *dataset.Dataset, sz size, seeds []uint64) (models, error) {
	n := len(seeds)
	vaes := make([]*amortized.VAE, 2*n)
	curves := make([][]epochRow, 2*n)
	aes := make([]*amortized.AE, 2)
	err := notebook.Parallel(2*n+2, func(j int) error {
		var err error
		switch {
		case j < n:
			vaes[j], curves[j], err = trainVAE(sz.latent, train, test, sz, seeds[j], 1)
		case j < 2*n:
			vaes[j], curves[j], err = trainVAE(2, train, test, sz, seeds[j-n], 2)
		case j == 2*n:
			aes[0], err = trainAE(sz.latent, train, sz, seeds[0], 3)
		default:
			aes[1], err = trainAE(2, train, sz, seeds[0], 4)
		}
		return err
	})
	return models{vae: vaes[0], vae2: vaes[n], curves: curves[:n], curves2: curves[n:], ae: aes[0], ae2: aes[1]}, err
}

// spread returns the mean and standard deviation over the curves (one per
// seed) of the VAE with latent size l's last train and test ELBO.
func spread(l int, curves [][]epochRow) spreadRow {
	var train, test []float64
	for _, c := range curves {
		train, test = append(train, c[len(c)-1].TrainELBO), append(test, c[len(c)-1].TestELBO)
	}
	r := spreadRow{Latent: l, Seeds: len(curves)}
	r.TrainMean, r.TrainSD = notebook.MeanSD(train)
	r.TestMean, r.TestSD = notebook.MeanSD(test)
	return r
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

// mmdTest returns the unbiased estimate of the squared maximum mean
// discrepancy between the rows of a and of b (Gretton et al., 2012) with the
// Gaussian kernel exp(−‖u − v‖²/(2h²)) — zero in expectation when both come
// from the same distribution, larger the more they differ — and the p-value
// of the permutation test of that hypothesis: the share of perms random
// splits of the pooled rows into sets of the same sizes whose MMD² is at
// least the observed one, counting the observed split, (1 + #{≥}) / (1 +
// perms).
func mmdTest(a, b *mat.Dense, h float64, perms int, rnd *rand.Rand) (mmd, p float64) {
	na, _ := a.Dims()
	nb, _ := b.Dims()
	n := na + nb
	row := func(i int) []float64 {
		if i < na {
			return a.RawRowView(i)
		}
		return b.RawRowView(i - na)
	}
	k := make([]float64, n*n) // the pooled kernel matrix
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			v := math.Exp(-sqDist(row(i), row(j)) / (2 * h * h))
			k[i*n+j], k[j*n+i] = v, v
		}
	}
	inA := make([]bool, n)
	stat := func(idx []int) float64 {
		for i, id := range idx {
			inA[id] = i < na
		}
		var saa, sbb, sab float64
		for i := 0; i < n; i++ {
			ki := k[i*n : (i+1)*n]
			for j := i + 1; j < n; j++ {
				switch {
				case inA[i] && inA[j]:
					saa += ki[j]
				case !inA[i] && !inA[j]:
					sbb += ki[j]
				default:
					sab += ki[j]
				}
			}
		}
		return 2*saa/float64(na*(na-1)) + 2*sbb/float64(nb*(nb-1)) - 2*sab/float64(na*nb)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	mmd = stat(idx)
	ge := 1
	for range perms {
		rnd.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		if stat(idx) >= mmd {
			ge++
		}
	}
	return mmd, float64(ge) / float64(perms+1)
}

// coverPriorDraws is the number of prior draws that measure the empty mass.
const coverPriorDraws = 2000

// coverage measures how the rows of z cover N(0, I) (see coverRow).
func coverage(kind string, z *mat.Dense, rnd *rand.Rand) coverRow {
	n, d := z.Dims()
	c := coverRow{Kind: kind, Dim: d}
	chi := distuv.ChiSquared{K: float64(d)}
	r1, r2 := chi.Quantile(1-math.Exp(-0.5)), chi.Quantile(1-math.Exp(-2)) // squared radii
	for i := range n {
		r := floats.Dot(z.RawRowView(i), z.RawRowView(i))
		if r <= r1 {
			c.In1++
		}
		if r <= r2 {
			c.In2++
		}
	}
	c.In1 /= float64(n)
	c.In2 /= float64(n)
	// The distance from each prior draw to its nearest point, against the
	// same for a genuine N(0, I) sample of n points.
	probe := normal(coverPriorDraws, d, nil, nil, rnd)
	genuine := normal(n, d, nil, nil, rnd)
	dz, dg := nearest(probe, z), nearest(probe, genuine)
	cut := slices.Clone(dg)
	slices.Sort(cut)
	q99 := cut[int(0.99*float64(len(cut)))]
	for i := range dz {
		if dz[i] > q99 {
			c.EmptyPrior++
		}
		if dg[i] > q99 {
			c.EmptyOfPrior++
		}
	}
	c.EmptyPrior /= float64(len(dz))
	c.EmptyOfPrior /= float64(len(dg))
	return c
}

// nearest returns, for every row of p, the squared distance to its nearest
// row of z.
func nearest(p, z *mat.Dense) []float64 {
	np, _ := p.Dims()
	nz, _ := z.Dims()
	out := make([]float64, np)
	for i := range np {
		best := math.Inf(1)
		for j := range nz {
			best = min(best, sqDist(p.RawRowView(i), z.RawRowView(j)))
		}
		out[i] = best
	}
	return out
}

// drawQ returns one draw z = μ + σ·ε from every row's q(z|x) =
// N(μ, diag exp(logvar)).
func drawQ(mu, logvar *mat.Dense, rnd *rand.Rand) *mat.Dense {
	n, d := mu.Dims()
	z := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			z.Set(i, j, mu.At(i, j)+math.Exp(0.5*logvar.At(i, j))*rnd.NormFloat64())
		}
	}
	return z
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

	if err := trainingCurve(figs, res, sz); err != nil {
		return figs.Paths, err
	}

	// Samples: VAE rows, then AE rows.
	const cols = 12
	images, columns := figure.Rows(rows(vaeImgs, 0, cols), rows(vaeImgs, cols, 2*cols), rows(vaeImgs, 2*cols, 3*cols),
		rows(aeStd, 0, cols), rows(aeStd, cols, 2*cols), rows(aeFit, 0, cols), rows(aeFit, cols, 2*cols))
	vaeRow := fmt.Sprintf("VAE (L = %d), z ~ N(0, I)", sz.latent)
	aeRow := fmt.Sprintf("AE (code %d), c ~ N(0, I)", sz.latent)
	fitRow := "AE, c ~ Gaussian fitted to its codes"
	labelled := gopt
	labelled.RowLabels = []string{vaeRow, vaeRow, vaeRow, aeRow, aeRow, fitRow, fitRow}
	if err := figs.PNG("samples.png", figure.Grid(images, shape, columns, labelled)); err != nil {
		return figs.Paths, err
	}

	// Interpolations between pairs of test digits of different classes,
	// through the encoder means.
	digitPairs := [][2]int{{3, 8}, {1, 7}, {0, 6}, {4, 9}}
	const steps = 10
	var strips [][][]float64
	labelled = gopt
	for _, dp := range digitPairs {
		pr := firstPair(test, dp[0], dp[1])
		labelled.RowLabels = append(labelled.RowLabels, fmt.Sprintf("%d → %d", test.Labels[pr[0]], test.Labels[pr[1]]))
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
	labelled.ColLabels = make([]string, columns)
	labelled.ColLabels[0], labelled.ColLabels[columns-1] = "test digit", "test digit"
	for s := range steps {
		labelled.ColLabels[1+s] = fmt.Sprintf("%.2f", float64(s)/(steps-1))
	}
	if err := figs.PNG("interpolation.png", figure.Grid(images, shape, columns, labelled)); err != nil {
		return figs.Paths, err
	}

	// The 2-D latent means of the VAE and the 2-D codes of the AE, on the
	// same axes, with the circles of N(0, I) holding 39% and 86% of its
	// mass.
	mu2, _ := vae2.Encode(xTrain)
	codes2 := ae2.Encode(xTrain)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range []*mat.Dense{mu2, codes2} {
		lo, hi = min(lo, floats.Min(m.RawMatrix().Data)), max(hi, floats.Max(m.RawMatrix().Data))
	}
	pad := 0.05 * (hi - lo)
	lo, hi = lo-pad, hi+pad
	circles := []figure.Circle{{Name: "N(0, I): 39%", Radius: 1}, {Name: "N(0, I): 86%", Radius: 2}}
	for _, s := range []struct {
		name, title, label string
		m                  *mat.Dense
	}{
		{"vae_latent_scatter.png", "VAE (L = 2): encoder means μ(x), training digits", "z", mu2},
		{"ae_code_scatter.png", "Autoencoder (code size 2): codes, training digits", "code", codes2},
	} {
		p, err := figure.Scatter(mat.Col(nil, 0, s.m), mat.Col(nil, 1, s.m), train.Labels, figure.ScatterOptions{
			Title: s.title, XLabel: s.label + " 1", YLabel: s.label + " 2", Circles: circles,
		})
		if err != nil {
			return figs.Paths, err
		}
		// The same square range for both, with a strip on the right for
		// the legend; the canvas's shape keeps the circles round.
		p.X.Min, p.X.Max = lo, hi+0.2*(hi-lo)
		p.Y.Min, p.Y.Max = lo, hi
		path := filepath.Join(figs.Dir, s.name)
		if err := figure.Save(path, p, 7.2*vg.Inch, 6*vg.Inch); err != nil {
			return figs.Paths, err
		}
		figs.Paths = append(figs.Paths, path)
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
	lg := figure.GridOptions{Pad: 1, Scale: 2, ColLabels: make([]string, g), RowLabels: make([]string, g)}
	for i := range g {
		lg.ColLabels[i] = signed(zg.At(i, 0))
		lg.RowLabels[i] = signed(zg.At(i*g, 1))
	}
	lg.ColLabels[0] = "z₁ = " + lg.ColLabels[0]
	lg.RowLabels[0] = "z₂ = " + lg.RowLabels[0]
	err = figs.PNG("vae_latent_grid.png", figure.Grid(rows(vae2.DecodeMean(zg), 0, g*g), shape, g, lg))
	return figs.Paths, err
}

// epochOf returns a curve row's epoch.
func epochOf(r epochRow) float64 { return float64(r.Epoch) }

// trainingCurve plots the train and test ELBO per epoch of both VAEs, the
// mean over the seeds with a band of ± one standard deviation.
func trainingCurve(figs *notebook.Figures, res results, sz size) error {
	var series []figure.Series
	for _, c := range []struct {
		name   string
		curves [][]epochRow
	}{{fmt.Sprintf("L=%d", sz.latent), res.Curves}, {"L=2", res.Curves2}} {
		series = append(series,
			notebook.BandOf("train ELBO, "+c.name, c.curves, epochOf, func(r epochRow) float64 { return r.TrainELBO }),
			notebook.BandOf("test ELBO, "+c.name, c.curves, epochOf, func(r epochRow) float64 { return r.TestELBO }))
	}
	p, err := figure.LinePlot(series, figure.LineOptions{
		Title:  fmt.Sprintf("VAE training on the MNIST subset: mean ± 1 sd over %d seeds", sz.seeds),
		XLabel: "epoch",
		YLabel: "ELBO (nats per image)",
	})
	if err != nil {
		return err
	}
	// The first epochs sit far below; show the range where the curves and
	// their bands can be told apart.
	last := series[3].Y[len(series[3].Y)-1]
	best := series[0].Y[len(series[0].Y)-1]
	p.Y.Min = last - 0.8*(best-last)
	return figs.Plot("training_curve.png", p)
}

// signed formats v with two decimals and a true minus sign.
func signed(v float64) string {
	return strings.Replace(fmt.Sprintf("%.2f", v), "-", "−", 1)
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
