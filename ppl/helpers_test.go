package ppl

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// lgModel writes latent.LinearGaussian as a ppl model.
func lgModel(lg latent.LinearGaussian) Model {
	D, d := lg.W.Dims()
	return func(t *Tracer, x []float64) {
		z := t.Sample("z", dist.StdNormal{D: d})
		k := t.Particles()
		loc := mat.NewDense(k, D, nil)
		loc.Mul(z, lg.W.T())
		for i := range k {
			row := loc.RawRowView(i)
			for j := range row {
				row[j] += lg.B[j]
			}
		}
		ls := mat.NewDense(k, D, nil)
		ls.Apply(func(int, int, float64) float64 { return logOf(lg.NoiseStd) }, ls)
		t.Observe("x", dist.Normal{Loc: loc, LogScale: ls}, x)
	}
}

// fixedGuide draws "z" from q.
func fixedGuide(q dist.Distribution) Guide {
	return func(t *Tracer, x []float64) { t.Sample("z", q) }
}

// paramGuide is a mean-field guide with parameters "q.loc" and
// "q.log_scale", initialised from init.
func paramGuide(init dist.Normal) Guide {
	return func(t *Tracer, x []float64) {
		loc := t.Param("q.loc", init.Loc)
		ls := t.Param("q.log_scale", init.LogScale)
		t.Sample("z", dist.Normal{Loc: loc, LogScale: ls})
	}
}

// testLG returns a random linear-Gaussian model and a data point from it.
func testLG(D, d int, noise float64, seed uint64) (latent.LinearGaussian, []float64) {
	rnd := rand.New(rand.NewPCG(seed, 1))
	lg := latent.NewRandomLinearGaussian(D, d, noise, rnd)
	x := mat.NewDense(1, D, nil)
	lg.SampleData(x, rnd)
	return lg, x.RawRowView(0)
}

func mcConfig() mc.Config { return mc.Config{Seed: 1, ChunkSize: 64} }

// gradientDraws returns n independent estimates of the objective and of its
// gradient (flattened over the parameters names), draw s from the random
// stream (s, stream).
func gradientDraws(t *testing.T, model Model, guide Guide, store *ParamStore, x []float64, obj Objective, n int, stream uint64, names ...string) (grads [][]float64, vals []float64) {
	t.Helper()
	grads = make([][]float64, n)
	vals = make([]float64, n)
	for s := range n {
		v, g, err := Gradient(model, guide, store, x, obj, rand.New(rand.NewPCG(uint64(s), stream)))
		if err != nil {
			t.Fatal(err)
		}
		vals[s], grads[s] = v, flatGrad(g, names...)
	}
	return grads, vals
}

// checkUnbiased reports every coordinate of the mean of the gradient draws
// that is more than 4 standard errors from the exact gradient, and returns
// the draws' total variance.
func checkUnbiased(t *testing.T, label string, grads [][]float64, exact []float64) (variance float64) {
	t.Helper()
	mean, se, v := moments(grads)
	for i := range exact {
		if math.Abs(mean[i]-exact[i]) > 4*se[i] {
			t.Errorf("%s: gradient[%d] = %v ± %v, exact %v", label, i, mean[i], se[i], exact[i])
		}
		variance += v[i]
	}
	return variance
}
