package ppl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/mc"
)

// BenchmarkGradient measures one gradient of the ELBO (K = 8) of the
// linear-Gaussian test model (D = 5, d = 3) with a mean-field guide: 6
// scalar parameters, so one run of guide and model and one backward pass.
func BenchmarkGradient(b *testing.B) {
	lg, x := testLG(5, 3, 0.5, 1)
	model, guide := lgModel(lg), paramGuide(offsetMeanField(lg, x, 0.1))
	store := NewParamStore(0)
	rnd := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, _, err := Gradient(model, guide, store, row(x), Objective{K: 8}, rnd); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkImportanceAdapter measures importance sampling through the
// AsModel/AsProposal adapters (K = 10⁴ draws) on the same model; compare
// with mc's BenchmarkImportance on the built-in model.
func BenchmarkImportanceAdapter(b *testing.B) {
	lg, x := testLG(5, 3, 0.5, 1)
	model, guide := lgModel(lg), paramGuide(offsetMeanField(lg, x, 0.1))
	store := NewParamStore(0)
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err := Importance(model, guide, store, row(x), 10000, mc.Config{Seed: 1, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// faModel is factor analysis with learned loadings W (D×d), offset b and
// log noise variances log ψ, for the rows of x in a plate "data": z_i ~
// N(0, I_d), x_i ~ N(W z_i + b, diag ψ). faGuide is an amortised
// full-covariance guide q(z_i|x_i) = N(A x_i + c, L Lᵀ) with A (d×D), c and
// a Cholesky factor L (LowerCholesky). With d = 2 it has 4D + 2 + 4 + 2D
// parameters: 42 at D = 6, 1,206 at D = 200.
func faModel(D, d int) Model {
	return func(t *Tracer, x *ad.Var) {
		w := t.Param("W", Normal(D, d, 0.1))
		b := t.Param("b", Zeros(1, D))
		logPsi := t.Param("log_psi", Zeros(1, D))
		t.Plate("data", x.R, func(p *Plate) {
			z := t.Sample("z", dist.StdNormal{D: d})
			loc := ad.Add(ad.MatMul(z, ad.Transpose(w)), b)
			t.Observe("x", dist.Normal{Loc: loc, LogScale: ad.Scale(logPsi, 0.5)}, p.Data(x))
		})
	}
}

func faGuide(D, d int) Guide {
	return func(t *Tracer, x *ad.Var) {
		a := t.Param("q.A", Zeros(d, D))
		c := t.Param("q.c", Zeros(1, d))
		l := t.Param("q.L", func(*rand.Rand) *mat.Dense { return eye(d, 0.5) }, LowerCholesky)
		t.Plate("data", x.R, func(p *Plate) {
			loc := ad.Add(ad.MatMul(ad.Rows(x, p.Idx), ad.Transpose(a)), c)
			t.Sample("z", dist.MultivariateNormal{Loc: ad.Tile(loc, t.Particles()), Chol: l})
		})
	}
}

func eye(d int, v float64) *mat.Dense {
	m := mat.NewDense(d, d, nil)
	for i := range d {
		m.Set(i, i, v)
	}
	return m
}

// faData draws n points of dimension D from a factor-analysis model.
func faData(n, D int) *mat.Dense {
	rnd := rand.New(rand.NewPCG(5, uint64(D)))
	x := mat.NewDense(n, D, nil)
	for i := range n {
		z0, z1 := rnd.NormFloat64(), rnd.NormFloat64()
		for j := range D {
			x.Set(i, j, z0*float64(j%3-1)+z1*0.5+0.3*rnd.NormFloat64())
		}
	}
	return x
}

// BenchmarkFactorAnalysisStep measures one SVI step (gradient and Adam
// update) of factor analysis with learned W, b and log ψ and the amortised
// full-covariance guide, K = 8 particles, a subsample of 10 of 1,000 points
// per step, d = 2: the step docs/benchmarks.md compares with PyTorch
// autograd (bench/pytorch/fa_step.py).
func BenchmarkFactorAnalysisStep(b *testing.B) {
	for _, D := range []int{6, 50, 200} {
		b.Run(fmt.Sprintf("D=%d", D), func(b *testing.B) {
			x := faData(1000, D)
			store := NewParamStore(1)
			cfg := SVIConfig{Objective: Objective{K: 8, Subsample: 10}, Steps: 1, Seed: 1}
			if _, err := SVI(faModel(D, 2), faGuide(D, 2), store, x, cfg); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cfg.Steps = b.N
			start := cpuTime()
			b.ResetTimer()
			if _, err := SVI(faModel(D, 2), faGuide(D, 2), store, x, cfg); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkAutoMultivariateNormal measures one gradient of the ELBO (K = 8)
// of AutoMultivariateNormal on a linear-Gaussian model with d = 50 latents
// (D = 100): 50 + 50² parameters.
func BenchmarkAutoMultivariateNormal(b *testing.B) {
	lg, x := testLG(100, 50, 0.5, 2)
	model := lgModel(lg)
	store := NewParamStore(1)
	guide, err := AutoMultivariateNormal(model, store, row(x))
	if err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, _, err := Gradient(model, guide, store, row(x), Objective{K: 8}, rnd); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkGradientScaling measures the gradient of the ELBO (K = 8) of a
// linear-Gaussian model with learned loadings W (D×10) and offset b, P =
// 11·D parameters, against the forward run alone (Evaluate), from P = 11 to
// about 10⁶: reverse mode costs a constant multiple of the forward run,
// where central differences would cost 2P forward runs.
func BenchmarkGradientScaling(b *testing.B) {
	const d = 10
	for _, D := range []int{1, 10, 100, 1000, 10000, 100000} {
		x := faData(1, D)
		model := func(t *Tracer, x *ad.Var) {
			w := t.Param("W", Normal(d, D, 0.1))
			bias := t.Param("b", Zeros(1, D))
			z := t.Sample("z", dist.StdNormal{D: d})
			t.Observe("x", dist.Normal{Loc: ad.Add(ad.MatMul(z, w), bias), LogScale: ad.Scalar(0)}, x)
		}
		guide := func(t *Tracer, x *ad.Var) {
			t.Sample("z", dist.Normal{Loc: t.Param("q.loc", Zeros(1, d)), LogScale: t.Param("q.log_scale", Zeros(1, d))})
		}
		store := NewParamStore(1)
		obj := Objective{K: 8}
		p := 11*D + 2*d
		b.Run(fmt.Sprintf("P=%d/gradient", p), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(1, 1))
			start := cpuTime()
			for b.Loop() {
				if _, _, err := Gradient(model, guide, store, x, obj, rnd); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
		b.Run(fmt.Sprintf("P=%d/forward", p), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(1, 1))
			start := cpuTime()
			for b.Loop() {
				if _, err := Evaluate(model, guide, store, x, obj, rnd); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime returns the CPU time the process has used, in nanoseconds: on a
// loaded machine it measures the work of a benchmark better than the wall
// clock.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkPlateLocalLatents measures one SVI step of a model with a global
// mean and a local latent for each of 10,000 points, z_i ~ N(μ, 1) and
// x_i ~ N(z_i, 0.5²), with the mean-field AutoNormal guide (20,002
// parameters) and 100 points per step.
func BenchmarkPlateLocalLatents(b *testing.B) {
	const n = 10000
	rnd := rand.New(rand.NewPCG(3, 3))
	x := mat.NewDense(n, 1, nil)
	for i := range n {
		x.Set(i, 0, 1.5+rnd.NormFloat64()*math.Sqrt(1.25))
	}
	store := NewParamStore(1)
	guide, err := AutoNormal(hierModel, store, x)
	if err != nil {
		b.Fatal(err)
	}
	cfg := SVIConfig{Objective: Objective{K: 1, Subsample: 100}, Steps: 1, Seed: 1}
	if _, err := SVI(hierModel, guide, store, x, cfg); err != nil {
		b.Fatal(err)
	}
	cfg.Steps = b.N
	b.ReportAllocs()
	start := cpuTime()
	b.ResetTimer()
	if _, err := SVI(hierModel, guide, store, x, cfg); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
