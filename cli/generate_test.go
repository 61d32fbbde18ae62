package cli

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/mc"
)

// genModels are tiny untrained models saved with the checkpoint package,
// by name: vae (Bernoulli), vae-gauss, ae (bce), ae-mse, all for 28×28
// images, and vae6, a VAE of 6-value points.
type genModels struct {
	dir    string
	models map[string]checkpoint.Model
}

func (g genModels) path(name string) string { return filepath.Join(g.dir, name+".safetensors") }

func newGenModels(t *testing.T) genModels {
	t.Helper()
	g := genModels{dir: t.TempDir(), models: map[string]checkpoint.Model{}}
	rnd := rand.New(rand.NewPCG(7, 0))
	add := func(name string, m checkpoint.Model, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkpoint.Save(g.path(name), m, nil); err != nil {
			t.Fatal(err)
		}
		g.models[name] = m
	}
	v, err := amortized.NewVAE(amortized.VAEConfig{DataDim: 784, Latent: 3, Hidden: []int{8}}, rnd)
	add("vae", v, err)
	v, err = amortized.NewVAE(amortized.VAEConfig{DataDim: 784, Latent: 2, Hidden: []int{8}, Likelihood: amortized.Gaussian}, rnd)
	add("vae-gauss", v, err)
	a, err := amortized.NewAE(amortized.AEConfig{DataDim: 784, Code: 3, Hidden: []int{8}, Loss: amortized.BCE}, rnd)
	add("ae", a, err)
	a, err = amortized.NewAE(amortized.AEConfig{DataDim: 784, Code: 2, Hidden: []int{8}, Loss: amortized.MSE}, rnd)
	add("ae-mse", a, err)
	v, err = amortized.NewVAE(amortized.VAEConfig{DataDim: 6, Latent: 2, Hidden: []int{4}}, rnd)
	add("vae6", v, err)
	return g
}

// readPNG decodes the PNG file at path.
func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// gridSide returns the pixel length of a grid side of n tiles of side
// pixels at scale s, with the commands' padding of 2.
func gridSide(n, side, s int) int { return 2 + n*(side*s+2) }

// tile returns the gray levels (red channel) of tile i of a grid of cols
// tiles to a row, for images of rows×cols pixels at scale s, one value per
// image pixel, row-major.
func tile(img image.Image, i, gridCols, rows, cols, s int) []uint8 {
	x0 := 2 + (i%gridCols)*(cols*s+2)
	y0 := 2 + (i/gridCols)*(rows*s+2)
	out := make([]uint8, rows*cols)
	for r := range rows {
		for c := range cols {
			red, _, _, _ := img.At(x0+c*s, y0+r*s).RGBA()
			out[r*cols+c] = uint8(red >> 8)
		}
	}
	return out
}

// grayLevels returns round(255·v) with v clamped to [0, 1], the figure's
// rendering of values.
func grayLevels(v []float64) []uint8 {
	out := make([]uint8, len(v))
	for i, x := range v {
		out[i] = uint8(math.Round(255 * math.Min(math.Max(x, 0), 1)))
	}
	return out
}

// meanImages computes, independently of the commands, the decoded images
// of the rows of z: the sigmoid of the logits (Bernoulli VAE, bce AE) or
// the output itself.
func meanImages(m checkpoint.Model, z mat.Matrix) [][]float64 {
	var out *mat.Dense
	sigmoid := false
	switch m := m.(type) {
	case *amortized.VAE:
		out, sigmoid = m.Decode(z), m.Config.Likelihood == amortized.Bernoulli
	case *amortized.AE:
		out, sigmoid = m.Decode(z), m.Config.Loss == amortized.BCE
	}
	n, _ := out.Dims()
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = mat.Row(nil, i, out)
		if sigmoid {
			for j, v := range rows[i] {
				rows[i][j] = 1 / (1 + math.Exp(-v))
			}
		}
	}
	return rows
}

// latentOf returns μ(x) (VAE) or the code (AE) of the single point x.
func latentOf(m checkpoint.Model, x []float64) []float64 {
	xm := mat.NewDense(1, len(x), slices.Clone(x))
	switch m := m.(type) {
	case *amortized.VAE:
		mu, _ := m.Encode(xm)
		return mat.Row(nil, 0, mu)
	case *amortized.AE:
		return mat.Row(nil, 0, m.Encode(xm))
	}
	panic("unknown model")
}

func mnistTest(t *testing.T) *dataset.Dataset {
	t.Helper()
	sp, err := dataset.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	return sp.Test
}

// TestGenerateFigureSizes runs each command on each kind of model and
// checks the size of the PNG it writes, that missing folders of --out are
// created, and that a log line names the file.
func TestGenerateFigureSizes(t *testing.T) {
	g := newGenModels(t)
	runDir := filepath.Join(t.TempDir(), "run")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(filepath.Join(runDir, checkpoint.ModelFile), g.models["ae"], nil); err != nil {
		t.Fatal(err)
	}
	six := writeFile(t, "six.csv", "0,0.2,0.4,0.6,0.8,1\n1,0.8,0.6,0.4,0.2,0\n0.5,0.5,0.5,0.5,0.5,0.5\n0,1,0,1,0,1\n")
	cases := []struct {
		name       string
		args       []string
		tileRows   int // tiles down and across
		tileCols   int
		rows, cols int // pixels of one image
		scale      int
	}{
		{"sample vae default", []string{"sample", "--model", "vae"}, 8, 8, 28, 28, 2},
		{"sample vae 10 of 4", []string{"sample", "--model", "vae", "--n", "10", "--columns", "4", "--scale", "1"}, 3, 4, 28, 28, 1},
		{"sample vae-gauss", []string{"sample", "--model", "vae-gauss", "--n", "3"}, 1, 3, 28, 28, 2},
		{"sample ae", []string{"sample", "--model", "ae", "--n", "5", "--columns", "5"}, 1, 5, 28, 28, 2},
		{"sample ae fitted", []string{"sample", "--model", "ae-mse", "--n", "4", "--data", "embedded:mnist"}, 1, 4, 28, 28, 2},
		{"sample run folder", []string{"sample", "--model", "RUN", "--n", "2"}, 1, 2, 28, 28, 2},
		{"sample shape", []string{"sample", "--model", "vae6", "--n", "7", "--shape", "2x3", "--scale", "3"}, 1, 7, 2, 3, 3},
		{"reconstruct vae default", []string{"reconstruct", "--model", "vae"}, 4, 8, 28, 28, 2},
		{"reconstruct ae 5", []string{"reconstruct", "--model", "ae", "--n", "5", "--first", "495"}, 2, 5, 28, 28, 2},
		{"reconstruct ae-mse 3 columns", []string{"reconstruct", "--model", "ae-mse", "--n", "7", "--columns", "3"}, 6, 3, 28, 28, 2},
		{"reconstruct binarized", []string{"reconstruct", "--model", "vae-gauss", "--n", "2", "--binarize"}, 2, 2, 28, 28, 2},
		{"reconstruct csv", []string{"reconstruct", "--model", "vae6", "--data", six, "--n", "4", "--shape", "3x2"}, 2, 4, 3, 2, 2},
		{"interpolate vae default", []string{"interpolate", "--model", "vae"}, 4, 12, 28, 28, 2},
		{"interpolate ae pairs", []string{"interpolate", "--model", "ae", "--from", "3,4", "--to", "2,9", "--steps", "5"}, 2, 7, 28, 28, 2},
		{"interpolate no originals", []string{"interpolate", "--model", "ae-mse", "--rows", "12", "--steps", "3", "--originals=false"}, 12, 3, 28, 28, 2},
		{"interpolate unlabelled", []string{"interpolate", "--model", "vae6", "--data", six, "--rows", "2", "--steps", "2", "--shape", "2x3"}, 2, 4, 2, 3, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "new", "folder", "fig.png")
			args := slices.Clone(c.args)
			for i, a := range args {
				if i > 0 && args[i-1] == "--model" {
					if a == "RUN" {
						args[i] = runDir
					} else {
						args[i] = g.path(a)
					}
				}
			}
			_, errOut, code := run(t, append(args, "--out", out, "--log-level", "info")...)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			if !strings.Contains(errOut, "out="+out) || !strings.Contains(errOut, "wrote") {
				t.Errorf("no log line names %s:\n%s", out, errOut)
			}
			b := readPNG(t, out).Bounds()
			w, h := gridSide(c.tileCols, c.cols, c.scale), gridSide(c.tileRows, c.rows, c.scale)
			if b.Dx() != w || b.Dy() != h {
				t.Errorf("%s is %d×%d pixels, want %d×%d", out, b.Dx(), b.Dy(), w, h)
			}
		})
	}
}

// TestSampleSameSeed checks that sample's PNG depends on --seed alone, and
// that its first tiles are the decoded first draws of the documented
// stream, upright.
func TestSampleSameSeed(t *testing.T) {
	g := newGenModels(t)
	for _, name := range []string{"vae", "ae"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for _, r := range []struct{ file, seed string }{{"a.png", "5"}, {"b.png", "5"}, {"c.png", "6"}} {
				p := filepath.Join(dir, r.file)
				if _, e, code := run(t, "sample", "--model", g.path(name), "--n", "6", "--columns", "3", "--seed", r.seed, "--out", p, "--log-level", "error"); code != ExitOK {
					t.Fatalf("exit %d: %s", code, e)
				}
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				files[r.file] = string(b)
			}
			if files["a.png"] != files["b.png"] {
				t.Error("the same seed gave different PNG files")
			}
			if files["a.png"] == files["c.png"] {
				t.Error("seeds 5 and 6 gave the same PNG file")
			}
			m := g.models[name]
			rnd := rand.New(rand.NewPCG(mc.DeriveSeed(5, seedSampleZ), 0))
			z := mat.NewDense(6, latentDim(m), nil)
			for i := range 6 {
				for j := range latentDim(m) {
					z.Set(i, j, rnd.NormFloat64())
				}
			}
			want := meanImages(m, z)
			img := readPNG(t, filepath.Join(dir, "a.png"))
			for i := range 6 {
				if got := tile(img, i, 3, 28, 28, 2); !slices.Equal(got, grayLevels(want[i])) {
					t.Errorf("tile %d is not the decoded draw %d", i, i)
				}
			}
		})
	}
}

// TestReconstructLayout checks that each row of originals, upright and in
// order, lies above the row of their reconstructions.
func TestReconstructLayout(t *testing.T) {
	g := newGenModels(t)
	test := mnistTest(t)
	for _, name := range []string{"vae", "ae"} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.png")
			if _, e, code := run(t, "reconstruct", "--model", g.path(name), "--n", "5", "--first", "10", "--columns", "3", "--out", out, "--log-level", "error"); code != ExitOK {
				t.Fatalf("exit %d: %s", code, e)
			}
			img := readPNG(t, out)
			m := g.models[name]
			for k := range 5 {
				x := test.Float64Row(nil, 10+k)
				recon := meanImages(m, mat.NewDense(1, latentDim(m), latentOf(m, x)))[0]
				block, col := k/3, k%3
				if got := tile(img, (2*block)*3+col, 3, 28, 28, 2); !slices.Equal(got, grayLevels(x)) {
					t.Errorf("original %d is not test point %d drawn upright", k, 10+k)
				}
				if got := tile(img, (2*block+1)*3+col, 3, 28, 28, 2); !slices.Equal(got, grayLevels(recon)) {
					t.Errorf("reconstruction %d is not under its original", k)
				}
			}
			// Blank tiles pad the last block.
			if got := tile(img, 3*3+2, 3, 28, 28, 2); got[0] != 128 || got[len(got)-1] != 128 {
				t.Errorf("the tile after the last reconstruction is not blank")
			}
		})
	}
}

// TestInterpolateStrip checks a strip: the original, the decoded line from
// one latent point to the other at evenly spaced points, the other
// original.
func TestInterpolateStrip(t *testing.T) {
	g := newGenModels(t)
	test := mnistTest(t)
	const steps = 4
	for _, name := range []string{"vae", "ae"} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "i.png")
			if _, e, code := run(t, "interpolate", "--model", g.path(name), "--from", "7,1", "--to", "30,1", "--steps", fmt.Sprint(steps), "--out", out, "--log-level", "error"); code != ExitOK {
				t.Fatalf("exit %d: %s", code, e)
			}
			img := readPNG(t, out)
			m := g.models[name]
			xa, xb := test.Float64Row(nil, 7), test.Float64Row(nil, 30)
			a, b := latentOf(m, xa), latentOf(m, xb)
			z := mat.NewDense(steps, len(a), nil)
			for s := range steps {
				t := float64(s) / (steps - 1)
				for j := range a {
					z.Set(s, j, (1-t)*a[j]+t*b[j])
				}
			}
			want := append(append([][]float64{xa}, meanImages(m, z)...), xb)
			for i, w := range want {
				if got := tile(img, i, steps+2, 28, 28, 2); !slices.Equal(got, grayLevels(w)) {
					t.Errorf("tile %d of the strip 7→30 is wrong", i)
				}
			}
			// A pair of one point decodes that point all along.
			x1 := test.Float64Row(nil, 1)
			r1 := grayLevels(meanImages(m, mat.NewDense(1, len(a), latentOf(m, x1)))[0])
			for s := 1; s <= steps; s++ {
				if got := tile(img, steps+2+s, steps+2, 28, 28, 2); !slices.Equal(got, r1) {
					t.Errorf("step %d of the strip 1→1 differs from the reconstruction of point 1", s)
				}
			}
		})
	}
}

func TestGenerateLabelPairs(t *testing.T) {
	mk := func(n int, labels []int) *dataset.Dataset {
		return &dataset.Dataset{Name: "d", N: n, D: 1, X: make([]float32, n), Labels: labels}
	}
	cases := []struct {
		name    string
		d       *dataset.Dataset
		rows    int
		want    [][2]int
		wantErr string
	}{
		{"labels in turn", mk(6, []int{2, 0, 1, 0, 2, 1}), 4, [][2]int{{1, 2}, {2, 0}, {0, 1}, {3, 5}}, ""},
		{"two labels", mk(4, []int{5, 5, 3, 3}), 2, [][2]int{{2, 0}, {0, 2}}, ""},
		{"unlabelled", mk(5, nil), 2, [][2]int{{0, 1}, {2, 3}}, ""},
		{"one label", mk(4, []int{1, 1, 1, 1}), 2, [][2]int{{0, 1}, {2, 3}}, ""},
		{"too few labelled", mk(3, []int{0, 1, 1}), 3, nil, "--rows"},
		{"too few unlabelled", mk(3, nil), 2, nil, "--rows"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := labelPairs(c.d, c.rows)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("pairs %v, want %v", got, c.want)
			}
			for _, p := range got {
				if c.d.Labels != nil && c.d.Labels[p[0]] == c.d.Labels[p[1]] && c.name != "one label" {
					t.Errorf("pair %v joins two points of label %d", p, c.d.Labels[p[0]])
				}
			}
		})
	}
}

// TestGenerateFitGaussian checks the fit on data from a known correlated
// Gaussian and the draws from the fit, with tolerances of four standard
// errors, and that a singular covariance still factorises.
func TestGenerateFitGaussian(t *testing.T) {
	const n = 20000
	mean := []float64{1, -2}
	l := mat.NewTriDense(2, mat.Lower, []float64{2, 0, 0.6, 0.8}) // cov [[4, 1.2], [1.2, 1]]
	cov := mat.NewSymDense(2, []float64{4, 1.2, 1.2, 1})
	rnd := rand.New(rand.NewPCG(11, 0))
	x := stdNormalRows(n, 2, rnd)
	(&gaussian{mean: mat.NewVecDense(2, mean), chol: l}).transform(x)
	fit, err := fitGaussian(x)
	if err != nil {
		t.Fatal(err)
	}
	draws := stdNormalRows(n, 2, rnd)
	fit.transform(draws)
	for name, m := range map[string]*mat.Dense{"data": x, "draws from the fit": draws} {
		got := mat.NewSymDense(2, nil)
		stat.CovarianceMatrix(got, m, nil)
		for i := range 2 {
			mu := stat.Mean(mat.Col(nil, i, m), nil)
			if se := math.Sqrt(2 * cov.At(i, i) / n); math.Abs(mu-mean[i]) > 4*se {
				t.Errorf("%s: mean %d = %v, want %v ± %v", name, i, mu, mean[i], 4*se)
			}
			for j := range 2 {
				se := math.Sqrt((cov.At(i, i)*cov.At(j, j) + cov.At(i, j)*cov.At(i, j)) / n)
				if math.Abs(got.At(i, j)-cov.At(i, j)) > 4*se*math.Sqrt2 {
					t.Errorf("%s: cov[%d,%d] = %v, want %v ± %v", name, i, j, got.At(i, j), cov.At(i, j), 4*se*math.Sqrt2)
				}
			}
		}
	}
	// A constant coordinate: singular, factorised after a tiny jitter.
	c := mat.NewDense(3, 2, []float64{1, 5, 2, 5, 3, 5})
	g, err := fitGaussian(c)
	if err != nil {
		t.Fatalf("constant coordinate: %v", err)
	}
	z := mat.NewDense(1, 2, []float64{1, 1})
	g.transform(z)
	if math.Abs(z.At(0, 1)-5) > 1e-3 {
		t.Errorf("constant coordinate drawn as %v, want 5", z.At(0, 1))
	}
	if _, err := fitGaussian(mat.NewDense(1, 2, nil)); err == nil {
		t.Error("one point: no error")
	}
}

// TestGeneratePointsNotFinite checks the check of the points a figure
// uses, for data whose reader lets NaN through (NPY).
func TestGeneratePointsNotFinite(t *testing.T) {
	d := &dataset.Dataset{Name: "x.npy", N: 2, D: 3, X: []float32{0, 1, 0, 1, float32(math.Inf(1)), 0}}
	if _, _, err := pointsMatrix(d, []int{0}); err != nil {
		t.Errorf("finite point 0: %v", err)
	}
	_, _, err := pointsMatrix(d, []int{0, 1})
	if err == nil || !strings.Contains(err.Error(), "--data: x.npy: point 1, value 2 is +Inf") {
		t.Errorf("point 1: error %v, want one naming --data, x.npy, point 1, value 2", err)
	}
}

func TestGenerateBadInput(t *testing.T) {
	g := newGenModels(t)
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "nope.safetensors")
	junk := writeFile(t, "junk.safetensors", "this is not a safetensors file")
	four := writeFile(t, "four.csv", "0.1,0.2,0.3,0.4\n0.5,0.6,0.7,0.8\n")
	six := writeFile(t, "six.csv", "0,0.2,0.4,0.6,0.8,1.5\n1,0.8,0.6,0.4,0.2,0\n")
	nan6 := writeFile(t, "nan.csv", "0,0.2,0.4,0.6,0.8,1\n1,0.8,NaN,0.4,0.2,0\n")
	vae, ae, vae6 := g.path("vae"), g.path("ae"), g.path("vae6")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"sample missing model", []string{"sample", "--model", missing}, []string{"--model", "nope.safetensors", "does not exist"}},
		{"reconstruct missing model", []string{"reconstruct", "--model", missing}, []string{"--model", "does not exist"}},
		{"interpolate missing model", []string{"interpolate", "--model", missing}, []string{"--model", "does not exist"}},
		{"folder without model", []string{"sample", "--model", tmp}, []string{"--model", "holds no model.safetensors"}},
		{"not a model file", []string{"sample", "--model", junk}, []string{"--model", "junk.safetensors"}},
		{"reconstruct dimension", []string{"reconstruct", "--model", vae, "--data", four}, []string{"--data", "four.csv", "4 values", "takes 784"}},
		{"interpolate dimension", []string{"interpolate", "--model", ae, "--data", four}, []string{"--data", "4 values", "784"}},
		{"sample fitted dimension", []string{"sample", "--model", ae, "--data", four}, []string{"--data", "4 values", "784"}},
		{"sample data for a vae", []string{"sample", "--model", vae, "--data", "embedded:mnist"}, []string{"--data", "autoencoder", "prior"}},
		{"sample n 0", []string{"sample", "--model", vae, "--n", "0"}, []string{"--n", "0"}},
		{"sample n huge", []string{"sample", "--model", vae, "--n", "10001"}, []string{"--n", "10001"}},
		{"reconstruct n 0", []string{"reconstruct", "--model", vae, "--n", "0"}, []string{"--n", "0"}},
		{"sample columns", []string{"sample", "--model", vae, "--columns", "0"}, []string{"--columns", "0"}},
		{"reconstruct columns", []string{"reconstruct", "--model", vae, "--columns", "-1"}, []string{"--columns"}},
		{"scale", []string{"sample", "--model", vae, "--scale", "0"}, []string{"--scale", "0"}},
		{"shape syntax", []string{"sample", "--model", vae, "--shape", "28by28"}, []string{"--shape", "28by28"}},
		{"shape size", []string{"sample", "--model", vae, "--shape", "28x27"}, []string{"--shape", "756", "784"}},
		{"not square", []string{"sample", "--model", vae6}, []string{"--shape", "6 values"}},
		{"out not png", []string{"sample", "--model", vae, "--out", filepath.Join(tmp, "s.jpg")}, []string{"--out", "s.jpg", ".png"}},
		{"out is a folder", []string{"sample", "--model", vae, "--out", filepath.Join(tmp, "dir.png")}, []string{"--out", "dir.png", "folder"}},
		{"out under a file", []string{"sample", "--model", vae, "--out", filepath.Join(four, "s.png")}, []string{"--out", "four.csv"}},
		{"missing data", []string{"reconstruct", "--model", vae, "--data", filepath.Join(tmp, "none.csv")}, []string{"--data", "none.csv"}},
		{"unknown embedded", []string{"interpolate", "--model", vae, "--data", "embedded:cifar"}, []string{"--data", "cifar"}},
		{"non-finite data", []string{"reconstruct", "--model", vae6, "--data", nan6, "--n", "2", "--shape", "2x3"}, []string{"--data", "nan.csv", "NaN"}},
		{"binarize out of range", []string{"reconstruct", "--model", vae6, "--data", six, "--n", "1", "--shape", "2x3", "--binarize"}, []string{"--data", "six.csv", "[0, 1]"}},
		{"first negative", []string{"reconstruct", "--model", vae, "--first", "-1"}, []string{"--first", "-1"}},
		{"first beyond", []string{"reconstruct", "--model", vae, "--first", "490", "--n", "16"}, []string{"--first", "--n", "500 points"}},
		{"steps 1", []string{"interpolate", "--model", vae, "--steps", "1"}, []string{"--steps", "1"}},
		{"steps huge", []string{"interpolate", "--model", vae, "--steps", "101"}, []string{"--steps", "101"}},
		{"rows 0", []string{"interpolate", "--model", vae, "--rows", "0"}, []string{"--rows", "0"}},
		{"rows too many", []string{"interpolate", "--model", vae, "--rows", "500"}, []string{"--rows", "500"}},
		{"rows with from", []string{"interpolate", "--model", vae, "--rows", "2", "--from", "1", "--to", "2"}, []string{"--rows", "--from"}},
		{"from without to", []string{"interpolate", "--model", vae, "--from", "1,2", "--to", "3"}, []string{"--from", "--to", "2 and 1"}},
		{"from out of range", []string{"interpolate", "--model", vae, "--from", "500", "--to", "1"}, []string{"--from", "500", "0 to 499"}},
		{"to negative", []string{"interpolate", "--model", vae, "--from", "1", "--to", "-3"}, []string{"--to", "-3"}},
		{"from not a number", []string{"interpolate", "--model", vae, "--from", "x", "--to", "1"}, []string{"--from", "x"}},
		{"argument", []string{"sample", "--model", vae, "extra"}, []string{"extra"}},
		{"unknown flag", []string{"reconstruct", "--model", vae, "--m", "3"}, []string{"--m"}},
	}
	if err := os.Mkdir(filepath.Join(tmp, "dir.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(slices.Clone(c.args), "--log-level", "error")
			if !slices.Contains(args, "--out") {
				args = append(args, "--out", filepath.Join(t.TempDir(), "fig.png"))
			}
			_, errOut, code := run(t, args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitUsage, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestSampleAEFitted checks that an autoencoder's codes come from the
// Gaussian fitted to the training codes with --data, and from N(0, I)
// without.
func TestSampleAEFitted(t *testing.T) {
	g := newGenModels(t)
	ae := g.models["ae"].(*amortized.AE)
	sp, err := dataset.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	train := sp.Train
	x := mat.NewDense(train.N, train.D, nil)
	for i := range train.N {
		x.SetRow(i, train.Float64Row(nil, i))
	}
	fit, err := fitGaussian(ae.Encode(x))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		data   []string
		fitted bool
	}{{"standard normal", nil, false}, {"fitted", []string{"--data", "embedded:mnist"}, true}} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "s.png")
			args := append([]string{"sample", "--model", g.path("ae"), "--n", "3", "--seed", "9", "--out", out}, c.data...)
			_, e, code := run(t, args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, e)
			}
			if got := strings.Contains(e, "fitted to the codes of mnist/train"); got != c.fitted {
				t.Errorf("log mentions the fitted Gaussian: %v, want %v:\n%s", got, c.fitted, e)
			}
			z := stdNormalRows(3, 3, rand.New(rand.NewPCG(mc.DeriveSeed(9, seedSampleZ), 0)))
			if c.fitted {
				fit.transform(z)
			}
			want := meanImages(ae, z)
			img := readPNG(t, out)
			for i := range 3 {
				if got := tile(img, i, 3, 28, 28, 2); !slices.Equal(got, grayLevels(want[i])) {
					t.Errorf("tile %d is not the decoded code %d", i, i)
				}
			}
		})
	}
}

// TestGenerateNaNRefused checks that a checkpoint with a NaN weight is
// refused before anything is drawn, naming the file and the tensor (the
// figure package paints NaN outputs red, should a finite model produce
// any).
func TestGenerateNaNRefused(t *testing.T) {
	v, err := amortized.NewVAE(amortized.VAEConfig{DataDim: 784, Latent: 2, Hidden: []int{4}}, rand.New(rand.NewPCG(3, 0)))
	if err != nil {
		t.Fatal(err)
	}
	v.Store.Unconstrained("decoder.2.bias").Set(0, 0, math.NaN())
	path := filepath.Join(t.TempDir(), "nan.safetensors")
	if err := checkpoint.SaveVAE(path, v); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "s.png")
	_, e, code := run(t, "sample", "--model", path, "--n", "2", "--out", out)
	if code != ExitUsage || !strings.Contains(e, path) || !strings.Contains(e, `tensor "decoder.2.bias"`) {
		t.Fatalf("exit %d, want %d with a message naming %s and the tensor:\n%s", code, ExitUsage, path, e)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written for a refused model", out)
	}
}
