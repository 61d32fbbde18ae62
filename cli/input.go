package cli

import (
	"bytes"
	"embed"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dataset"
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
)

// estimateInput is a model with the data points to evaluate it on.
type estimateInput struct {
	model       latent.Model
	modelName   string // the family, e.g. "linear-gaussian"
	modelSource string // a path, or "embedded default"
	dataName    string
	points      [][]float64
}

// loadEstimateInput loads the model and data that the flags name.
func loadEstimateInput(f *estimateFlags) (*estimateInput, error) {
	in := &estimateInput{}
	if f.model == "" {
		b, err := defaults.ReadFile(defaultModelFile)
		if err != nil {
			panic(err) // the embedded file is part of the binary
		}
		m, err := latent.ParseSpec(b)
		if err != nil {
			panic(fmt.Sprintf("cli: embedded default model: %v", err))
		}
		in.model, in.modelSource = m, "embedded default"
	} else {
		m, err := latent.LoadSpec(f.model)
		if err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--model: %w", err)}
		}
		in.model, in.modelSource = m, f.model
	}
	in.modelName = familyName(in.model)

	var ds *dataset.Dataset
	var err error
	switch {
	case f.data != "":
		ds, err = dataset.Load(f.data)
		if err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--data: %w", err)}
		}
		in.dataName = f.data
	case f.model == "":
		b, rerr := defaults.ReadFile(defaultDataFile)
		if rerr != nil {
			panic(rerr)
		}
		ds, err = dataset.DecodeCSV(bytes.NewReader(b), "embedded default data")
		if err != nil {
			panic(fmt.Sprintf("cli: embedded default data: %v", err))
		}
		in.dataName = "embedded default"
	default:
		sim, ok := in.model.(latent.Simulator)
		if !ok {
			return nil, usagef("--data is required: the model in %s cannot simulate data", f.model)
		}
		n := f.n
		if n == 0 {
			n = defaultSimulated
		}
		x := mat.NewDense(n, in.model.DataDim(), nil)
		sim.SampleData(x, rand.New(rand.NewPCG(mc.DeriveSeed(f.seed, 0xda7a), 0)))
		for i := range n {
			in.points = append(in.points, mat.Row(nil, i, x))
		}
		in.dataName = fmt.Sprintf("%d point(s) drawn from the model (seed %d)", n, f.seed)
		return in, nil
	}
	if ds.D != in.model.DataDim() {
		return nil, usagef("--data: %s has %d values per point, but the model's data dimension is %d", in.dataName, ds.D, in.model.DataDim())
	}
	n := ds.N
	if f.n > 0 && f.n < n {
		n = f.n
	}
	if n == 0 {
		return nil, usagef("--data: %s has no data points", in.dataName)
	}
	for i := range n {
		x := ds.Float64Row(nil, i)
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, usagef("--data: %s: point %d, value %d is %v (want a finite number)", in.dataName, i+1, j+1, v)
			}
		}
		in.points = append(in.points, x)
	}
	return in, nil
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
