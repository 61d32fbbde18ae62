package cli

import (
	"bytes"
	"embed"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// defaults holds the embedded default model and data of estimate-px: a
// linear-Gaussian model (probabilistic PCA) with a few points drawn from it.
//
//go:embed defaults
var defaults embed.FS

const (
	defaultModelFile = "defaults/linear_gaussian.json"
	defaultDataFile  = "defaults/linear_gaussian_points.csv"
	// defaultSimulated is how many points are drawn from a model when it is
	// given without --data and without --n.
	defaultSimulated = 5
	// defaultImages is how many test images a VAE is evaluated on without --n.
	defaultImages = 100
)

// estimateInput is a model with the data points to evaluate it on.
type estimateInput struct {
	model       latent.Model
	modelName   string // the family, e.g. "linear-gaussian"
	modelSource string // a path, or "embedded default"
	dataName    string
	points      [][]float64
	// For a registered model: the model and the guide adapted to each data
	// point, and the exact log p(x) per point when the model offers it.
	pointModels []latent.Model
	guides      []dist.Distribution
	exact       []float64
}

// loadEstimateInput loads the model and data that the flags name.
func loadEstimateInput(f *estimateFlags, log zerolog.Logger) (*estimateInput, error) {
	if reg, ok := registeredModel(f.model); ok {
		return loadRegisteredInput(f, reg, log)
	}
	if f.params != "" {
		return nil, usagef("--params: only a registered model takes a parameter file; %q is not one (%s)", f.model, registeredList())
	}
	in := &estimateInput{}
	if err := in.loadModel(f); err != nil {
		return nil, err
	}
	var ds *dataset.Dataset
	switch {
	case f.data != "" || in.isImageModel():
		want := f.n
		if want == 0 && in.isImageModel() {
			want = defaultImages
		}
		sp, err := openData("--data", f.data, want)
		if err != nil {
			return nil, err
		}
		// Marginal likelihoods are reported on held-out data when there is any.
		ds = sp.Test
		if ds == nil {
			ds = sp.Train
		}
		in.dataName = ds.Name
		if f.data == "" {
			in.dataName = "embedded " + ds.Name
		}
	case f.model == "":
		b, err := defaults.ReadFile(defaultDataFile)
		if err != nil {
			panic(err)
		}
		if ds, err = dataset.DecodeCSV(bytes.NewReader(b), "embedded default data"); err != nil {
			panic(fmt.Sprintf("cli: embedded default data: %v", err))
		}
		in.dataName = "embedded default"
	default:
		return in, in.simulate(f)
	}
	if ds.D != in.model.DataDim() {
		return nil, usagef("--data: %s has %d values per point, but the model's data dimension is %d", in.dataName, ds.D, in.model.DataDim())
	}
	n := ds.N
	if f.n > ds.N {
		fewerPoints(log, "--n", f.n, in.dataName, ds.N)
	}
	if f.n > 0 {
		n = min(f.n, ds.N)
	} else if in.isImageModel() {
		n = min(defaultImages, ds.N)
	}
	if n == 0 {
		return nil, usagef("--data: %s has no data points", in.dataName)
	}
	ds = ds.Head(n)
	if err := checkValues("--data", ds, ""); err != nil {
		return nil, err
	}
	ds, err := in.binarize(f.binarize, ds)
	if err != nil {
		return nil, err
	}
	for i := range ds.N {
		in.points = append(in.points, ds.Float64Row(nil, i))
	}
	return in, nil
}

// loadRegisteredInput loads a registered model, its parameters and data.
func loadRegisteredInput(f *estimateFlags, reg Model, log zerolog.Logger) (*estimateInput, error) {
	r, err := loadRegistered(reg, f.params, f.data, true, f.n, log)
	if err != nil {
		return nil, err
	}
	in := &estimateInput{modelName: reg.Name, modelSource: r.source, dataName: r.dataName, points: r.points}
	if in.pointModels, in.guides, err = r.adapt(); err != nil {
		return nil, err
	}
	in.model = in.pointModels[0]
	if reg.Exact != nil {
		in.exact = make([]float64, len(r.points))
		for i, x := range r.points {
			in.exact[i] = reg.Exact(r.store, x)
		}
	}
	return in, nil
}

// registeredList names the registered models for error messages.
func registeredList() string {
	names := registeredNames()
	if len(names) == 0 {
		return "this program registers no models"
	}
	return "registered: " + strings.Join(names, ", ")
}

// loadModel reads --model: a VAE checkpoint (a .safetensors file, or a run
// directory holding one), a JSON model spec, or the embedded default.
func (in *estimateInput) loadModel(f *estimateFlags) error {
	path := f.model
	switch {
	case path == "":
		b, err := defaults.ReadFile(defaultModelFile)
		if err != nil {
			panic(err) // the embedded file is part of the binary
		}
		m, err := latent.ParseSpec(b)
		if err != nil {
			panic(fmt.Sprintf("cli: embedded default model: %v", err))
		}
		in.model, in.modelName, in.modelSource = m, familyName(m), "embedded default"
		return nil
	case isDir(path):
		path = filepath.Join(path, checkpoint.ModelFile)
		fallthrough
	case strings.HasSuffix(path, ".safetensors"):
		m, err := checkpoint.Load(path)
		if err != nil {
			return &UsageError{Err: fmt.Errorf("--model: %w", err)}
		}
		vae, ok := m.(*amortized.VAE)
		if !ok {
			return usagef("--model: %s is an autoencoder: it has no likelihood p(x|z), so it defines no p(x) to estimate (give a VAE checkpoint)", path)
		}
		in.model, in.modelSource = vae, path
		in.modelName = fmt.Sprintf("vae (%s likelihood, hidden %s, %s)", vae.Config.Likelihood, vae.Config.Metadata()[amortized.MetaHidden], vae.Config.Activation)
		return nil
	}
	m, err := latent.LoadSpec(path)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("--model: %w", err)}
	}
	in.model, in.modelName, in.modelSource = m, familyName(m), path
	return nil
}

// isImageModel reports whether the model is a VAE, whose data are images.
func (in *estimateInput) isImageModel() bool {
	_, ok := in.model.(*amortized.VAE)
	return ok
}

// binarize applies --binarize: "auto" binarises non-binary data once, with
// the fixed seed that train-vae uses for its test score, when the model's
// likelihood is Bernoulli; "fixed" always does; "none" never does.
func (in *estimateInput) binarize(mode string, ds *dataset.Dataset) (*dataset.Dataset, error) {
	switch mode {
	case "auto":
		vae, ok := in.model.(*amortized.VAE)
		if !ok || vae.Config.Likelihood != amortized.Bernoulli {
			return ds, nil
		}
	case "fixed":
	case "none":
		return ds, nil
	default:
		return nil, usagef("--binarize: unknown value %q (want auto, fixed or none)", mode)
	}
	if ds.Binary {
		return ds, nil
	}
	if err := checkValues("--data", ds, "binarisation"); err != nil {
		return nil, err
	}
	in.dataName += ", binarised with a fixed seed"
	return ds.Binarize(rand.New(rand.NewPCG(testBinarizeSeed, 0))), nil
}

// simulate draws the data points from the model itself.
func (in *estimateInput) simulate(f *estimateFlags) error {
	sim, ok := in.model.(latent.Simulator)
	if !ok {
		return usagef("--data is required: the model in %s cannot simulate data", f.model)
	}
	n := f.n
	if n == 0 {
		n = defaultSimulated
	}
	plan := &memPlan{}
	plan.add(fmt.Sprintf("--n %d (points drawn from the model)", n), n, in.model.DataDim(), 8, 3)
	if err := plan.check(); err != nil {
		return err
	}
	x := mat.NewDense(n, in.model.DataDim(), nil)
	sim.SampleData(x, rand.New(rand.NewPCG(mc.DeriveSeed(f.seed, 0xda7a), 0)))
	for i := range n {
		in.points = append(in.points, mat.Row(nil, i, x))
	}
	in.dataName = fmt.Sprintf("%d point(s) drawn from the model (seed %d)", n, f.seed)
	return nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// familyName returns the spec family of a built-in model, or its Go type.
func familyName(m latent.Model) string {
	switch m.(type) {
	case latent.LinearGaussian, *latent.LinearGaussian:
		return "linear-gaussian"
	case latent.GaussianMixture, *latent.GaussianMixture:
		return "gaussian-mixture"
	}
	return fmt.Sprintf("%T", m)
}
