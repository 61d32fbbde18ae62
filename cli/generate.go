package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
	"github.com/spf13/pflag"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/figure"
)

// This file holds what sample, reconstruct and interpolate share: loading
// the model, choosing the data, the image shape and writing the grid.

// maxGridImages is the largest number of images one figure may hold.
const maxGridImages = 10000

// genLongCommon ends the long help of the three figure commands.
const genLongCommon = `
Model: --model names a model file written by train-vae or train-ae (or by
PyTorch with the same tensor names and metadata), or a run folder, in which
case its model.safetensors is used. Which kind of model it is (VAE or
autoencoder) is read from the file.

Pictures: each image is drawn with value 0 black and 1 white (values outside
[0, 1] are clamped, NaN pixels are painted red and counted in a warning),
--scale output pixels per image pixel, 2 pixels of grey between tiles. The
image shape is the data's own, or a square when the data dimension is a
perfect square; give --shape ROWSxCOLS otherwise. --out must end in .png;
missing folders on its path are created, and the file is written atomically
(a crash leaves either the old file or the complete new one).

Bad flags, a missing or malformed model file, or data whose dimension differs
from the model's give exit status 2.`

// genFlags are the flags that sample, reconstruct and interpolate share.
type genFlags struct {
	model string
	out   string
	scale int
	shape string
}

// addGenFlags adds --model, --out, --scale and --shape to fl.
func addGenFlags(fl *pflag.FlagSet, f *genFlags, defaultOut string) {
	fl.StringVar(&f.model, "model", filepath.Join("run", checkpoint.ModelFile), "model file, or a run folder holding "+checkpoint.ModelFile)
	fl.StringVar(&f.out, "out", defaultOut, "PNG file to write (missing folders are created)")
	fl.IntVar(&f.scale, "scale", 2, "output pixels per image pixel (1 to 16)")
	fl.StringVar(&f.shape, "shape", "", "image shape ROWSxCOLS, such as 28x28 (default: the data's, or a square)")
}

// check validates the shared flags.
func (f *genFlags) check() error {
	switch {
	case strings.TrimSpace(f.model) == "":
		return usagef("--model: empty file name")
	case strings.TrimSpace(f.out) == "":
		return usagef("--out: empty file name")
	case !strings.EqualFold(filepath.Ext(f.out), ".png"):
		return usagef("--out: %q does not end in .png (the figure is a PNG file)", f.out)
	case f.scale < 1 || f.scale > 16:
		return usagef("--scale: %d is not an integer from 1 to 16", f.scale)
	}
	if fi, err := os.Stat(f.out); err == nil && fi.IsDir() {
		return usagef("--out: %s is a folder (want a .png file name)", f.out)
	}
	if f.shape != "" {
		if _, err := parseShape(f.shape); err != nil {
			return err
		}
	}
	return nil
}

// parseShape reads ROWSxCOLS.
func parseShape(s string) (figure.Shape, error) {
	r, c, ok := strings.Cut(strings.ToLower(s), "x")
	rows, err1 := strconv.Atoi(strings.TrimSpace(r))
	cols, err2 := strconv.Atoi(strings.TrimSpace(c))
	if !ok || err1 != nil || err2 != nil || rows < 1 || cols < 1 {
		return figure.Shape{}, usagef("--shape: %q: want ROWSxCOLS with positive integers, such as 28x28", s)
	}
	return figure.Shape{Rows: rows, Cols: cols}, nil
}

// loadGenModel reads the model that --model names: a file, or a run folder
// holding checkpoint.ModelFile. Every failure is a usage error naming
// --model.
func loadGenModel(path string) (checkpoint.Model, string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, path, usagef("--model: %s does not exist (want a model file written by train-vae or train-ae, or its run folder)", path)
		}
		return nil, path, usagef("--model: %v", err)
	}
	if fi.IsDir() {
		file := filepath.Join(path, checkpoint.ModelFile)
		if _, err := os.Stat(file); err != nil {
			return nil, file, usagef("--model: the folder %s holds no %s (want a model file, or a run folder written by train-vae or train-ae)", path, checkpoint.ModelFile)
		}
		path = file
	}
	m, err := checkpoint.Load(path)
	if err != nil {
		return nil, path, usagef("--model: %v", err)
	}
	return m, path, nil
}

// modelKind names the model for log lines.
func modelKind(m checkpoint.Model) string {
	switch m.(type) {
	case *amortized.VAE:
		return "vae"
	case *amortized.AE:
		return "ae"
	}
	panic(fmt.Sprintf("cli: unknown model %T", m))
}

// genShape returns the image shape for points of dimension d: --shape when
// given (it must hold d values), else the data's shape when ds is not nil
// and has one, else a square.
func genShape(shapeFlag string, d int, ds *dataset.Dataset) (figure.Shape, error) {
	if shapeFlag != "" {
		s, err := parseShape(shapeFlag)
		if err != nil {
			return s, err
		}
		if s.Rows*s.Cols != d {
			return s, usagef("--shape: %s has %d pixels, but the model's points have %d values", shapeFlag, s.Rows*s.Cols, d)
		}
		return s, nil
	}
	if ds != nil && ds.Rows > 0 && ds.Cols > 0 && ds.Rows*ds.Cols == d {
		return figure.Shape{Rows: ds.Rows, Cols: ds.Cols}, nil
	}
	s := int(math.Round(math.Sqrt(float64(d))))
	if s*s == d {
		return figure.Shape{Rows: s, Cols: s}, nil
	}
	return figure.Shape{}, usagef("--shape: the model's points have %d values, which is not a square image; give the shape as ROWSxCOLS", d)
}

// genData opens the points that --data names for a model of data
// dimension d: a file as it is, or one split of a folder or embedded:NAME
// data set (split "test" or "train"; the other one when it is missing).
// The default "" is the embedded MNIST subset.
func genData(spec, split string, d int, modelPath string) (*dataset.Dataset, error) {
	sp, err := openData("--data", spec, 0)
	if err != nil {
		return nil, err
	}
	ds := sp.Train
	if split == "test" && sp.Test != nil {
		ds = sp.Test
	}
	if ds == nil {
		ds = sp.Test
	}
	if ds == nil || ds.N == 0 {
		return nil, usagef("--data: %s has no data points", dataName(spec))
	}
	if ds.D != d {
		return nil, usagef("--data: %s has %d values per point, but the model %s takes %d", ds.Name, ds.D, modelPath, d)
	}
	return ds, nil
}

// dataName describes a --data value in messages.
func dataName(spec string) string {
	if spec == "" {
		return "the embedded MNIST subset"
	}
	return spec
}

// pointsMatrix returns the points idx of ds as rows of a matrix, and as
// float64 slices for the figure. It returns a usage error naming --data if
// a value is not finite.
func pointsMatrix(ds *dataset.Dataset, idx []int) (*mat.Dense, [][]float64, error) {
	x := mat.NewDense(len(idx), ds.D, nil)
	rows := make([][]float64, len(idx))
	for i, p := range idx {
		rows[i] = ds.Float64Row(nil, p)
		for j, v := range rows[i] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, usagef("--data: %s: point %d, value %d is %v (want a finite number)", ds.Name, p, j+1, v)
			}
		}
		x.SetRow(i, rows[i])
	}
	return x, rows, nil
}

// writeGrid draws images as a grid of columns tiles to a row, writes it to
// path (creating missing folders) and logs the result. A NaN pixel is
// painted red and counted in a warning.
func writeGrid(log zerolog.Logger, path string, images [][]float64, shape figure.Shape, columns, scale int, what string) error {
	nan := 0
	for _, im := range images {
		for _, v := range im {
			if math.IsNaN(v) {
				nan++
			}
		}
	}
	if nan > 0 {
		log.Warn().Int("nan_pixels", nan).Msg("the model produced NaN values; they are painted red")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return usagef("--out: %v", err)
		}
	}
	img := figure.Grid(images, shape, columns, figure.GridOptions{Pad: 2, Scale: scale})
	if err := figure.WritePNG(path, img); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	b := img.Bounds()
	log.Info().Str("out", path).Int("images", countImages(images)).Int("width", b.Dx()).Int("height", b.Dy()).Msg(what)
	return nil
}

// countImages counts the non-blank tiles.
func countImages(images [][]float64) int {
	n := 0
	for _, im := range images {
		if im != nil {
			n++
		}
	}
	return n
}
