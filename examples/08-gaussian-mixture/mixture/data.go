package mixture

import (
	"bytes"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/latent"
)

// Components is the number of components of the registered model and of the
// mixture that generated the default data.
const Components = 3

// Parameters of the default data set (see True and Data).
const (
	// DataPoints is the number of points in the default data set.
	DataPoints = 300
	// DataSeed seeds the draw of the default data set.
	DataSeed = 2
	// DataDecimals is the number of decimals the points are rounded to.
	DataDecimals = 4
)

// True returns the mixture that generated the default data set: three
// components with weights 0.5, 0.3 and 0.2, means (−2, −1), (2, −0.5) and
// (0.5, 2.5), and a shared standard deviation of 0.8 in both coordinates.
// The nearest pair of means, 2 and 3, lies 4.2 σ apart: the classes are
// clear in the middle of each cluster and uncertain between them, where the
// guide has to learn a soft posterior.
func True() latent.GaussianMixture {
	const sigma = 0.8
	stds := mat.NewDense(Components, Dim, nil)
	for i := range Components {
		for j := range Dim {
			stds.Set(i, j, sigma)
		}
	}
	return latent.GaussianMixture{
		Weights: []float64{0.5, 0.3, 0.2},
		Means:   mat.NewDense(Components, Dim, []float64{-2, -1, 2, -0.5, 0.5, 2.5}),
		Stds:    stds,
	}
}

// Generate returns n points drawn from True with True().SampleData and
// rand.New(rand.NewPCG(seed, 0)), rounded to DataDecimals decimals, as CSV
// text with the header "x1,x2". The default data set is
// Generate(DataPoints, DataSeed).
func Generate(n int, seed uint64) []byte {
	pts := mat.NewDense(n, Dim, nil)
	True().SampleData(pts, rand.New(rand.NewPCG(seed, 0)))
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %d points from mixture.True(), mixture.Generate(%d, %d)\nx1,x2\n", n, n, seed)
	for i := range n {
		r := pts.RawRowView(i)
		b.WriteString(strconv.FormatFloat(r[0], 'f', DataDecimals, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(r[1], 'f', DataDecimals, 64))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// pointsCSV is Generate(DataPoints, DataSeed), checked by the tests.
//
//go:embed points.csv
var pointsCSV []byte

// DataFile is the name of the default data set in messages.
const DataFile = "mixture/points.csv"

// Data returns the default data set: DataPoints points in the plane drawn
// from True (see Generate), embedded in the program. It has the signature of
// cli.Model.Data.
func Data() (*dataset.Dataset, error) {
	return dataset.DecodeCSV(bytes.NewReader(pointsCSV), DataFile)
}

// Points returns the rows of ds as float64 slices, the form the per-point
// exact computations (Mixture.Exact, ExactELBO, Posterior) take. Model,
// Guide and ppl.SVI take all the points at once, as the N×2 matrix
// ds.Dense().
func Points(ds *dataset.Dataset) [][]float64 {
	out := make([][]float64, ds.N)
	for i := range out {
		out[i] = ds.Float64Row(nil, i)
	}
	return out
}
