package cli

import (
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/spf13/cobra"

	"github.com/vitool/vitool/figure"
)

// reconstructFlags are the flags of vitool reconstruct.
type reconstructFlags struct {
	genFlags
	data     string
	n        int
	first    int
	columns  int
	binarize bool
}

func newReconstructCommand(g *globalFlags, _, stderr io.Writer) *cobra.Command {
	f := &reconstructFlags{}
	cmd := &cobra.Command{
		Use:   "reconstruct",
		Short: "Write data images above their reconstructions by a trained VAE or autoencoder",
		Long: `reconstruct encodes --n data points and decodes them again, and writes a
PNG grid with each row of originals directly above the row of their
reconstructions (--columns images to a row; more points give several such
pairs of rows).

For a VAE the reconstruction decodes the encoder mean μ(x) of q(z|x) (with an
IAF encoder, μ(x) carried through the flow steps) and
shows the mean of p(x|z) (the sigmoid of the logits for a Bernoulli
likelihood); for an autoencoder it decodes the code (sigmoid of the output
for the bce loss). Both kinds reconstruct well: the difference between them
shows in vitool sample and vitool interpolate.

--data names a data file, a data folder or embedded:NAME; for a folder or an
embedded set the test split is used (the training split when there is no
test split). The default is the 500 test images of the embedded MNIST
subset. The points used are --first, --first+1, … (counting from 0).
--binarize draws 0/1 values once, with the fixed seed that train-vae and
train-ae use for their test set, before encoding; the originals show the
binarised images then.
` + genLongCommon,
		Example: `  vitool reconstruct --model run/model.safetensors --n 16 --out recon.png
  vitool reconstruct --model run-ae --data ~/data/mnist --first 100 --n 32 --out recon-ae.png`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReconstruct(g, f, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "data: a folder (its test split), a file or embedded:NAME (default: the embedded MNIST test images)")
	fl.IntVar(&f.n, "n", 16, fmt.Sprintf("number of data points (1 to %d)", maxGridImages/2))
	fl.IntVar(&f.first, "first", 0, "index of the first data point, counting from 0")
	fl.IntVar(&f.columns, "columns", 8, "images per row of the grid")
	fl.BoolVar(&f.binarize, "binarize", false, "binarise the points (fixed seed) before encoding them")
	addGenFlags(fl, &f.genFlags, "recon.png")
	return cmd
}

func runReconstruct(g *globalFlags, f *reconstructFlags, stderr io.Writer) error {
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	switch {
	case f.n < 1 || f.n > maxGridImages/2:
		return usagef("--n: %d is not an integer from 1 to %d", f.n, maxGridImages/2)
	case f.first < 0:
		return usagef("--first: %d is negative (points count from 0)", f.first)
	case f.columns < 1:
		return usagef("--columns: %d is not a positive integer", f.columns)
	}
	m, path, err := loadGenModel(f.model)
	if err != nil {
		return err
	}
	ds, err := genData(f.data, "test", modelDataDim(m), path)
	if err != nil {
		return err
	}
	if f.first+f.n > ds.N {
		return usagef("--first, --n: points %d to %d requested, but %s has %d points (0 to %d)", f.first, f.first+f.n-1, ds.Name, ds.N, ds.N-1)
	}
	shape, err := genShape(f.shape, ds.D, ds)
	if err != nil {
		return err
	}
	if f.binarize {
		// The whole set, as the trainers binarise their test set, so
		// that a point gets the same values whatever --first and --n.
		if err := checkValues("--data", ds, "--binarize"); err != nil {
			return err
		}
		ds = ds.Binarize(rand.New(rand.NewPCG(testBinarizeSeed, 0)))
	}
	idx := make([]int, f.n)
	for i := range idx {
		idx[i] = f.first + i
	}
	x, orig, err := pointsMatrix(ds, idx)
	if err != nil {
		return err
	}
	recon := rowsOf(decoderMean(m, encodeMean(m, x)))
	cols := min(f.columns, f.n)
	images := figure.Interleave(cols, orig, recon)
	return writeGrid(log, f.out, images, shape, cols, f.scale,
		fmt.Sprintf("wrote %d points of %s (rows of originals above rows of %s reconstructions)", f.n, ds.Name, modelName(m)))
}
