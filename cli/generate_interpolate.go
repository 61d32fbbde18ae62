package cli

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/figure"
)

// maxInterpSteps is the largest --steps of vitool interpolate.
const maxInterpSteps = 100

// interpolateFlags are the flags of vitool interpolate.
type interpolateFlags struct {
	genFlags
	data      string
	from, to  []int
	steps     int
	rows      int
	originals bool
}

func newInterpolateCommand(g *globalFlags, _, stderr io.Writer) *cobra.Command {
	f := &interpolateFlags{}
	cmd := &cobra.Command{
		Use:   "interpolate",
		Short: "Decode straight lines in latent space between pairs of data images into a PNG grid",
		Long: `interpolate encodes pairs of data images, walks the straight line between
their latent points in --steps evenly spaced points (both ends included) and
decodes each point: one strip per pair, one pair per row of the PNG grid. With
--originals (the default) each strip starts with the first image and ends with
the second, as they are in the data.

For a VAE the latent point of an image is the encoder mean μ(x) of q(z|x) (with
an IAF encoder, μ(x) carried through the flow steps); for an autoencoder it is
the code. Images are decoded as in vitool sample and
vitool reconstruct. A VAE's training asks the region where the prior N(0, I)
has its mass to decode to data-like images, so its strips tend to morph from
one image into the other through plausible ones; nothing asks that of an
autoencoder's code space, and its strips can pass through images that look
like no data point. How large the difference is depends on the models and on
how long they were trained.

The pairs: --from I1,I2,… and --to J1,J2,… give them as indices of data
points (counting from 0), pair k being Ik → Jk. Without them --rows pairs are
chosen by label: pair k joins the ⌊k/C⌋-th image of label c_k to the ⌊k/C⌋-th
image of label c_(k+1) (labels c_0 < … < c_(C-1) in turn, so the two always
differ: for MNIST 0 → 1, 1 → 2, …, 9 → 0); unlabelled data pair points 0 → 1,
2 → 3, …. The pairs chosen are logged.

--data names a data file, a data folder or embedded:NAME; for a folder or an
embedded set the test split is used (the training split when there is no test
split). The default is the 500 test images of the embedded MNIST subset.
` + genLongCommon,
		Example: `  vitool interpolate --model run/model.safetensors --out interp.png
  vitool interpolate --model run --from 3 --to 2 --steps 12 --out interp-3-2.png
  vitool interpolate --model run-ae --rows 10 --out interp-ae.png`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("rows") && (len(f.from) > 0 || len(f.to) > 0) {
				return usagef("--rows: chooses pairs by label; it cannot be combined with --from and --to, which give the pairs")
			}
			return runInterpolate(g, f, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "data: a folder (its test split), a file or embedded:NAME (default: the embedded MNIST test images)")
	fl.IntSliceVar(&f.from, "from", nil, "indices of the first images of the pairs, comma-separated, counting from 0")
	fl.IntSliceVar(&f.to, "to", nil, "indices of the second images of the pairs, as many as --from")
	fl.IntVar(&f.steps, "steps", 10, fmt.Sprintf("latent points per pair, both ends included (2 to %d)", maxInterpSteps))
	fl.IntVar(&f.rows, "rows", 4, "number of pairs chosen by label when --from and --to are not given")
	fl.BoolVar(&f.originals, "originals", true, "show the two data images at the ends of each strip")
	addGenFlags(fl, &f.genFlags, "interp.png")
	return cmd
}

func runInterpolate(g *globalFlags, f *interpolateFlags, stderr io.Writer) error {
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	switch {
	case f.steps < 2 || f.steps > maxInterpSteps:
		return usagef("--steps: %d is not an integer from 2 to %d (the two ends count)", f.steps, maxInterpSteps)
	case len(f.from) != len(f.to):
		return usagef("--from, --to: %d and %d indices; give both, with one --to index for each --from index", len(f.from), len(f.to))
	case len(f.from) == 0 && (f.rows < 1 || f.rows*(f.steps+2) > maxGridImages):
		return usagef("--rows: %d is not an integer from 1 to %d", f.rows, maxGridImages/(f.steps+2))
	case len(f.from)*(f.steps+2) > maxGridImages:
		return usagef("--from, --to: %d pairs of %d steps make too large a figure (at most %d images)", len(f.from), f.steps, maxGridImages)
	}
	m, path, err := loadGenModel(f.model)
	if err != nil {
		return err
	}
	ds, err := genData(f.data, "test", modelDataDim(m), path)
	if err != nil {
		return err
	}
	shape, err := genShape(f.shape, ds.D, ds)
	if err != nil {
		return err
	}
	var pairs [][2]int
	if len(f.from) > 0 {
		for k := range f.from {
			for _, c := range []struct {
				flag string
				i    int
			}{{"--from", f.from[k]}, {"--to", f.to[k]}} {
				if c.i < 0 || c.i >= ds.N {
					return usagef("%s: index %d is outside %s, which has %d points (0 to %d)", c.flag, c.i, ds.Name, ds.N, ds.N-1)
				}
			}
			pairs = append(pairs, [2]int{f.from[k], f.to[k]})
		}
	} else if pairs, err = labelPairs(ds, f.rows); err != nil {
		return err
	}

	idx := make([]int, 0, 2*len(pairs))
	for _, p := range pairs {
		idx = append(idx, p[0], p[1])
	}
	x, orig, err := pointsMatrix(ds, idx)
	if err != nil {
		return err
	}
	codes := encodeMean(m, x)
	k := latentDim(m)
	z := mat.NewDense(len(pairs)*f.steps, k, nil)
	for p := range pairs {
		a, b := codes.RawRowView(2*p), codes.RawRowView(2*p+1)
		for s := range f.steps {
			t := float64(s) / float64(f.steps-1)
			for j := range k {
				// (1-t)·a + t·b, exact at both ends.
				z.Set(p*f.steps+s, j, (1-t)*a[j]+t*b[j])
			}
		}
	}
	decoded := rowsOf(decoderMean(m, z))
	strips := make([][][]float64, len(pairs))
	for p := range pairs {
		var strip [][]float64
		if f.originals {
			strip = append(strip, orig[2*p])
		}
		strip = append(strip, decoded[p*f.steps:(p+1)*f.steps]...)
		if f.originals {
			strip = append(strip, orig[2*p+1])
		}
		strips[p] = strip
	}
	images, cols := figure.Rows(strips...)
	log.Info().Str("pairs", describePairs(ds, pairs)).Msg("interpolating")
	return writeGrid(log, f.out, images, shape, cols, f.scale,
		fmt.Sprintf("wrote %d interpolations of %d steps between points of %s in the %s's latent space", len(pairs), f.steps, ds.Name, modelName(m)))
}

// labelPairs chooses n pairs of points of ds with different labels: pair k
// joins the ⌊k/C⌋-th point of label c_(k mod C) to the ⌊k/C⌋-th point of
// label c_((k+1) mod C), for the C sorted labels c. Without labels, or with
// a single one, pair k is (2k, 2k+1). It returns a usage error naming --rows
// when ds has too few points.
func labelPairs(ds *dataset.Dataset, n int) ([][2]int, error) {
	var classes []int
	byLabel := map[int][]int{}
	if len(ds.Labels) == ds.N {
		for i, l := range ds.Labels {
			if _, ok := byLabel[l]; !ok {
				classes = append(classes, l)
			}
			byLabel[l] = append(byLabel[l], i)
		}
	}
	pairs := make([][2]int, n)
	if len(classes) < 2 {
		if 2*n > ds.N {
			return nil, usagef("--rows: %d pairs need %d points, but %s has %d", n, 2*n, ds.Name, ds.N)
		}
		for k := range pairs {
			pairs[k] = [2]int{2 * k, 2*k + 1}
		}
		return pairs, nil
	}
	slices.Sort(classes)
	c := len(classes)
	for k := range pairs {
		r := k / c
		la, lb := classes[k%c], classes[(k+1)%c]
		if r >= len(byLabel[la]) || r >= len(byLabel[lb]) {
			return nil, usagef("--rows: %d pairs need %d images of labels %d and %d, but %s has %d and %d; ask for fewer rows or give --from and --to",
				n, r+1, la, lb, ds.Name, len(byLabel[la]), len(byLabel[lb]))
		}
		pairs[k] = [2]int{byLabel[la][r], byLabel[lb][r]}
	}
	return pairs, nil
}

// describePairs lists the pairs as "I→J", with labels when ds has them.
func describePairs(ds *dataset.Dataset, pairs [][2]int) string {
	parts := make([]string, len(pairs))
	for k, p := range pairs {
		parts[k] = strconv.Itoa(p[0]) + "→" + strconv.Itoa(p[1])
		if len(ds.Labels) == ds.N {
			parts[k] += fmt.Sprintf(" (label %d→%d)", ds.Labels[p[0]], ds.Labels[p[1]])
		}
	}
	return strings.Join(parts, ", ")
}
