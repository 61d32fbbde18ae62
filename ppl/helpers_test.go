package ppl

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// row returns x as a 1×len(x) data matrix.
func row(x []float64) *mat.Dense { return mat.NewDense(1, len(x), append([]float64(nil), x...)) }

// col returns x as a len(x)×1 data matrix: one point per row.
func col(x []float64) *mat.Dense { return mat.NewDense(len(x), 1, append([]float64(nil), x...)) }

// lgModel writes latent.LinearGaussian as a ppl model, without any loop
// over particles: the K×d latent times Wᵀ, plus the 1×D offset broadcast.
func lgModel(lg latent.LinearGaussian) Model {
	_, d := lg.W.Dims()
	wt := ad.FromDense(mat.DenseCopyOf(lg.W.T()))
	b := ad.Row(lg.B)
	ls := ad.Scalar(math.Log(lg.NoiseStd))
	return func(t *Tracer, x *ad.Var) {
		z := t.Sample("z", dist.StdNormal{D: d})
		t.Observe("x", dist.Normal{Loc: ad.Add(ad.MatMul(z, wt), b), LogScale: ls}, x)
	}
}

// fixedGuide draws "z" from q.
func fixedGuide(q dist.Differentiable) Guide {
	return func(t *Tracer, x *ad.Var) { t.Sample("z", q) }
}

// paramGuide is a mean-field guide with parameters "q.loc" and
// "q.log_scale", initialised from init.
func paramGuide(init dist.Normal) Guide {
	return func(t *Tracer, x *ad.Var) {
		loc := t.Param("q.loc", Value(init.Loc))
		ls := t.Param("q.log_scale", Value(init.LogScale))
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
func gradientDraws(t *testing.T, model Model, guide Guide, store *ParamStore, x mat.Matrix, obj Objective, n int, stream uint64, names ...string) (grads [][]float64, vals []float64) {
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

// flatGrad concatenates the gradients of names in order.
func flatGrad(g Grads, names ...string) []float64 {
	var out []float64
	for _, n := range names {
		out = append(out, g[n].RawMatrix().Data...)
	}
	return out
}

// moments returns the mean and the standard error of the mean of each
// column of samples, and the variance of each column.
func moments(samples [][]float64) (mean, se, variance []float64) {
	n := float64(len(samples))
	p := len(samples[0])
	mean, se, variance = make([]float64, p), make([]float64, p), make([]float64, p)
	for _, s := range samples {
		for j, v := range s {
			mean[j] += v / n
		}
	}
	for _, s := range samples {
		for j, v := range s {
			variance[j] += (v - mean[j]) * (v - mean[j]) / (n - 1)
		}
	}
	for j := range se {
		se[j] = math.Sqrt(variance[j] / n)
	}
	return mean, se, variance
}

func meanSE(v []float64) (float64, float64) {
	m := mean(v)
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)-1) / float64(len(v)))
}

// fdGradient is the finite-difference oracle: the central differences of
// the objective's estimate with respect to the stored values of the named
// parameters, every estimate drawn with the same random numbers (seed), so
// that for continuous guides it is the pathwise gradient of that draw.
func fdGradient(t *testing.T, model Model, guide Guide, store *ParamStore, x mat.Matrix, obj Objective, seed uint64, names ...string) []float64 {
	t.Helper()
	var out []float64
	for _, n := range names {
		u := store.Unconstrained(n).RawMatrix().Data
		g := fd.Gradient(nil, func(p []float64) float64 {
			orig := append([]float64(nil), u...)
			copy(u, p)
			v, _, err := Gradient(model, guide, store, x, obj, rand.New(rand.NewPCG(seed, seed)))
			copy(u, orig)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}, append([]float64(nil), u...), &fd.Settings{Formula: fd.Central, Step: 1e-6})
		out = append(out, g...)
	}
	return out
}
