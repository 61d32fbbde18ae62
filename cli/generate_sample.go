package cli

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/mc"
)

// seedSampleZ labels the stream of latent draws of vitool sample, derived
// from --seed.
const seedSampleZ = 0x7a73616d // "zsam"

// sampleFlags are the flags of vitool sample.
type sampleFlags struct {
	genFlags
	n       int
	columns int
	seed    uint64
	data    string
}

func newSampleCommand(g *globalFlags, _, stderr io.Writer) *cobra.Command {
	f := &sampleFlags{}
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "Decode random latent points of a trained VAE or autoencoder into a PNG grid",
		Long: `sample draws --n points in latent space and writes their decoded images as a
grid of --columns images to a row.

For a VAE the points are z ~ N(0, I), the prior, and each image is the mean
of p(x|z): the sigmoid of the decoder's logits for a Bernoulli likelihood,
the decoder's output for a Gaussian one. A VAE's samples resemble the data
the more, the better it is trained: training pulls q(z|x) towards this
prior.

For an autoencoder nothing ties the codes to any distribution. By default
the codes are drawn from N(0, I) as for a VAE, and the decoded images
(sigmoid of the output for the bce loss) are mostly garbage: N(0, I) misses
the region where the training codes lie. With --data the codes are instead
drawn from a Gaussian (mean and full covariance) fitted to the codes of the
training split of --data (a data file is used whole); that looks better, but
only as good as a Gaussian describes the codes. --data is refused for a VAE,
which samples from its prior.

The draws come from --seed alone: the same model and seed give the same
PNG file, byte for byte.
` + genLongCommon,
		Example: `  vitool sample --model run/model.safetensors --n 64 --seed 1 --out samples.png
  vitool sample --model run-ae --out ae-samples.png
  vitool sample --model run-ae --data embedded:mnist --out ae-fitted.png`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSample(g, f, stderr)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.n, "n", 64, fmt.Sprintf("number of images (1 to %d)", maxGridImages))
	fl.IntVar(&f.columns, "columns", 8, "images per row of the grid")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed of the latent draws")
	fl.StringVar(&f.data, "data", "", "autoencoder only: fit a Gaussian to the codes of these training data (a folder, a file or embedded:NAME) and sample codes from it instead of N(0, I)")
	addGenFlags(fl, &f.genFlags, "samples.png")
	return cmd
}

func runSample(g *globalFlags, f *sampleFlags, stderr io.Writer) error {
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	switch {
	case f.n < 1 || f.n > maxGridImages:
		return usagef("--n: %d is not an integer from 1 to %d", f.n, maxGridImages)
	case f.columns < 1:
		return usagef("--columns: %d is not a positive integer", f.columns)
	}
	m, path, err := loadGenModel(f.model)
	if err != nil {
		return err
	}
	d := modelDataDim(m)
	shape, err := genShape(f.shape, d, nil)
	if err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(mc.DeriveSeed(f.seed, seedSampleZ), 0))
	z := stdNormalRows(f.n, latentDim(m), rnd)
	source := "N(0, I)"
	if f.data != "" {
		ae, ok := m.(*amortized.AE)
		if !ok {
			return usagef("--data: only for an autoencoder; the VAE %s samples from its prior N(0, I)", path)
		}
		ds, err := genData(f.data, "train", d, path)
		if err != nil {
			return err
		}
		idx := make([]int, ds.N)
		for i := range idx {
			idx[i] = i
		}
		x, _, err := pointsMatrix(ds, idx)
		if err != nil {
			return err
		}
		codes := ae.Encode(x)
		gauss, err := fitGaussian(codes)
		if err != nil {
			return fmt.Errorf("--data: fitting a Gaussian to the codes of %s: %w", ds.Name, err)
		}
		gauss.transform(z)
		source = fmt.Sprintf("a Gaussian fitted to the codes of %s", ds.Name)
		log.Info().Str("data", ds.Name).Int("points", ds.N).Float64("code_mean_norm", round4(mat.Norm(gauss.mean, 2))).
			Float64("code_rms_std", round4(gauss.rmsStd())).Msg("fitted a Gaussian to the codes")
	}
	log.Debug().Str("model", path).Str("kind", modelKind(m)).Str("codes", source).Msg("sampling")
	return writeGrid(log, f.out, rowsOf(decoderMean(m, z)), shape, f.columns, f.scale,
		fmt.Sprintf("wrote %d samples of the %s (codes from %s)", f.n, modelName(m), source))
}

// modelName describes the model in log lines.
func modelName(m checkpoint.Model) string {
	if modelKind(m) == "vae" {
		return "VAE"
	}
	return "autoencoder"
}

// stdNormalRows returns an n×k matrix of independent N(0, 1) draws from
// rnd, filled row by row.
func stdNormalRows(n, k int, rnd *rand.Rand) *mat.Dense {
	z := mat.NewDense(n, k, nil)
	for i := range n {
		for j := range k {
			z.Set(i, j, rnd.NormFloat64())
		}
	}
	return z
}

// gaussian is a multivariate normal N(mean, L·Lᵀ).
type gaussian struct {
	mean *mat.VecDense
	chol *mat.TriDense // lower-triangular factor L of the covariance
	cov  *mat.SymDense
}

// fitGaussian fits a normal distribution to the rows of x: the sample mean
// and the unbiased sample covariance. When the covariance is singular (a
// code dimension that never varies, or fewer points than dimensions), a
// small multiple of its mean variance is added to the diagonal until it
// factorises. It returns an error for fewer than two points or a
// non-finite covariance.
func fitGaussian(x *mat.Dense) (*gaussian, error) {
	n, k := x.Dims()
	if n < 2 {
		return nil, fmt.Errorf("%d points are too few (want at least 2)", n)
	}
	mean := mat.NewVecDense(k, nil)
	for j := range k {
		mean.SetVec(j, stat.Mean(mat.Col(nil, j, x), nil))
	}
	cov := mat.NewSymDense(k, nil)
	stat.CovarianceMatrix(cov, x, nil)
	tr := 0.0
	for j := range k {
		tr += cov.At(j, j)
	}
	if math.IsNaN(tr) || math.IsInf(tr, 0) {
		return nil, fmt.Errorf("the codes are not finite")
	}
	jitter := 1e-10 * max(tr/float64(k), 1e-300)
	for range 40 {
		var ch mat.Cholesky
		if ch.Factorize(cov) {
			l := mat.NewTriDense(k, mat.Lower, nil)
			ch.LTo(l)
			return &gaussian{mean: mean, chol: l, cov: cov}, nil
		}
		for j := range k {
			cov.SetSym(j, j, cov.At(j, j)+jitter)
		}
		jitter *= 10
	}
	return nil, fmt.Errorf("the covariance of the codes does not factorise")
}

// transform maps each row ε of z, drawn from N(0, I), to mean + L·ε, a draw
// from the Gaussian, in place.
func (g *gaussian) transform(z *mat.Dense) {
	n, k := z.Dims()
	row := mat.NewVecDense(k, nil)
	for i := range n {
		row.MulVec(g.chol, z.RowView(i))
		row.AddVec(row, g.mean)
		z.SetRow(i, row.RawVector().Data)
	}
}

// rmsStd returns the root mean variance of the Gaussian's coordinates.
func (g *gaussian) rmsStd() float64 {
	k := g.cov.SymmetricDim()
	s := 0.0
	for j := range k {
		s += g.cov.At(j, j)
	}
	return math.Sqrt(s / float64(k))
}
