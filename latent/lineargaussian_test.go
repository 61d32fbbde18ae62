package latent_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// lgShapes are the (D, d, σ) combinations the LinearGaussian tests run on,
// including one-dimensional data, a one-dimensional latent and d > D.
var lgShapes = []struct {
	D, d  int
	noise float64
}{
	{1, 1, 0.5},
	{1, 3, 1.0},
	{5, 1, 0.3},
	{8, 3, 0.5},
	{3, 7, 2.0},
	{20, 5, 0.1},
}

// near reports whether got and want agree to tol relative to max(1, |want|).
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// mvnLogProb returns log N(x; mu, cov) from a dense Cholesky factorisation
// of the explicit covariance.
func mvnLogProb(t *testing.T, x, mu []float64, cov mat.Symmetric) float64 {
	t.Helper()
	var chol mat.Cholesky
	if !chol.Factorize(cov) {
		t.Fatal("covariance is not positive definite")
	}
	n := len(x)
	diff := mat.NewVecDense(n, nil)
	diff.SubVec(mat.NewVecDense(n, x), mat.NewVecDense(n, mu))
	var l mat.TriDense
	chol.LTo(&l)
	var u mat.VecDense
	if err := u.SolveVec(&l, diff); err != nil {
		t.Fatal(err)
	}
	return -0.5 * (float64(n)*math.Log(2*math.Pi) + chol.LogDet() + mat.Dot(&u, &u))
}

// explicitCov returns the D×D evidence covariance W Wᵀ + σ² I, by loops.
func explicitCov(m latent.LinearGaussian) *mat.SymDense {
	D, d := m.W.Dims()
	c := mat.NewSymDense(D, nil)
	for i := 0; i < D; i++ {
		for j := i; j < D; j++ {
			var s float64
			for k := 0; k < d; k++ {
				s += m.W.At(i, k) * m.W.At(j, k)
			}
			if i == j {
				s += m.NoiseStd * m.NoiseStd
			}
			c.SetSym(i, j, s)
		}
	}
	return c
}

// explicitPosterior returns the posterior precision Λ, covariance Σ and mean μ
// computed directly from their definitions.
func explicitPosterior(t *testing.T, m latent.LinearGaussian, x []float64) (lambda, sigma *mat.SymDense, mu []float64) {
	t.Helper()
	D, d := m.W.Dims()
	s2 := m.NoiseStd * m.NoiseStd
	lambda = mat.NewSymDense(d, nil)
	for k := 0; k < d; k++ {
		for l := k; l < d; l++ {
			var s float64
			for j := 0; j < D; j++ {
				s += m.W.At(j, k) * m.W.At(j, l)
			}
			s /= s2
			if k == l {
				s++
			}
			lambda.SetSym(k, l, s)
		}
	}
	var inv mat.Dense
	if err := inv.Inverse(lambda); err != nil {
		t.Fatalf("inverting Λ: %v", err)
	}
	sigma = mat.NewSymDense(d, nil)
	for k := 0; k < d; k++ {
		for l := k; l < d; l++ {
			sigma.SetSym(k, l, 0.5*(inv.At(k, l)+inv.At(l, k)))
		}
	}
	u := make([]float64, d)
	for k := 0; k < d; k++ {
		for j := 0; j < D; j++ {
			u[k] += m.W.At(j, k) * (x[j] - m.B[j]) / s2
		}
	}
	mu = make([]float64, d)
	for k := 0; k < d; k++ {
		for l := 0; l < d; l++ {
			mu[k] += sigma.At(k, l) * u[l]
		}
	}
	return lambda, sigma, mu
}

// testPoints returns data points for m: draws from p(x) and one far point.
func testPoints(m latent.Simulator, D int, rnd *rand.Rand) [][]float64 {
	xs := mat.NewDense(3, D, nil)
	m.SampleData(xs, rnd)
	far := make([]float64, D)
	for j := range far {
		far[j] = 10 * rnd.NormFloat64()
	}
	return [][]float64{xs.RawRowView(0), xs.RawRowView(1), xs.RawRowView(2), far}
}

// randomNormal returns a 1×d diagonal Gaussian with random parameters.
func randomNormal(d int, rnd *rand.Rand) dist.Normal {
	loc := make([]float64, d)
	ls := make([]float64, d)
	for k := range loc {
		loc[k] = rnd.NormFloat64()
		ls[k] = 0.5 * rnd.NormFloat64()
	}
	return dist.Normal{Loc: mat.NewDense(1, d, loc), LogScale: mat.NewDense(1, d, ls)}
}

func TestLinearGaussianLogEvidence(t *testing.T) {
	for i, s := range lgShapes {
		t.Run(fmt.Sprintf("D=%d,d=%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(1, uint64(i)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			cov := explicitCov(m)
			for _, x := range testPoints(m, s.D, rnd) {
				got := m.LogEvidence(x)
				want := mvnLogProb(t, x, m.B, cov)
				if !near(got, want, 1e-10) {
					t.Errorf("LogEvidence(%v) = %v, want %v", x, got, want)
				}
			}
		})
	}
}

func TestLinearGaussianLogLikelihood(t *testing.T) {
	for i, s := range lgShapes {
		t.Run(fmt.Sprintf("D=%d,d=%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(2, uint64(i)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			x := testPoints(m, s.D, rnd)[0]
			const n = 7
			z := mat.NewDense(n, s.d, nil)
			for r := 0; r < n; r++ {
				for k := 0; k < s.d; k++ {
					z.Set(r, k, rnd.NormFloat64())
				}
			}
			want := make([]float64, n)
			for r := 0; r < n; r++ {
				for j := 0; j < s.D; j++ {
					mean := m.B[j] + floats.Dot(m.W.RawRowView(j), z.RawRowView(r))
					want[r] += distuv.Normal{Mu: mean, Sigma: m.NoiseStd}.LogProb(x[j])
				}
			}
			got := m.LogLikelihood(nil, x, z)
			// A reused dst and a z that is not a *mat.Dense must agree.
			dst := make([]float64, n)
			got2 := m.LogLikelihood(dst, x, z.T().T())
			if &got2[0] != &dst[0] {
				t.Error("LogLikelihood did not return dst")
			}
			for r := range want {
				if !near(got[r], want[r], 1e-12) || !near(got2[r], want[r], 1e-12) {
					t.Errorf("row %d: got %v and %v, want %v", r, got[r], got2[r], want[r])
				}
			}
		})
	}
}

func TestLinearGaussianLogLikelihoodPanics(t *testing.T) {
	m := latent.NewRandomLinearGaussian(4, 2, 1, rand.New(rand.NewPCG(3, 0)))
	for _, tc := range []struct {
		name string
		dst  []float64
		x    []float64
		z    *mat.Dense
	}{
		{"short x", nil, make([]float64, 3), mat.NewDense(2, 2, nil)},
		{"wide z", nil, make([]float64, 4), mat.NewDense(2, 3, nil)},
		{"short dst", make([]float64, 1), make([]float64, 4), mat.NewDense(2, 2, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			m.LogLikelihood(tc.dst, tc.x, tc.z)
		})
	}
}

// TestLinearGaussianLogLikelihoodAllocs checks that LogLikelihood does not
// allocate per row. On a small batch it makes a few fixed allocations; on a
// large one gonum's Dgemm adds a goroutine per 64×64 output block (about
// 2 allocations per 64 rows per 64 columns of D), far fewer than one per row.
func TestLinearGaussianLogLikelihoodAllocs(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 0))
	const D, d = 30, 5
	m := latent.NewRandomLinearGaussian(D, d, 0.5, rnd)
	x := make([]float64, D)
	for _, tc := range []struct {
		n   int
		max float64
	}{
		{16, 4},
		{4096, 4096 / 8},
	} {
		z := mat.NewDense(tc.n, d, nil)
		dst := make([]float64, tc.n)
		allocs := testing.AllocsPerRun(20, func() { m.LogLikelihood(dst, x, z) })
		if allocs > tc.max {
			t.Errorf("LogLikelihood on %d rows made %v allocations per call, want at most %v", tc.n, allocs, tc.max)
		}
	}
}

func TestLinearGaussianConcurrent(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 0))
	m := latent.NewRandomLinearGaussian(12, 4, 0.5, rnd)
	x := testPoints(m, 12, rnd)[0]
	sizes := []int{1, 17, 256, 1000}
	zs := make([]*mat.Dense, len(sizes))
	want := make([][]float64, len(sizes))
	for i, n := range sizes {
		zs[i] = mat.NewDense(n, 4, nil)
		for r := 0; r < n; r++ {
			for k := 0; k < 4; k++ {
				zs[i].Set(r, k, rnd.NormFloat64())
			}
		}
		want[i] = m.LogLikelihood(nil, x, zs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 20; rep++ {
				i := (g + rep) % len(sizes)
				got := m.LogLikelihood(nil, x, zs[i])
				for r := range got {
					if got[r] != want[i][r] {
						errs <- fmt.Sprintf("goroutine %d: batch of %d, row %d: %v, want %v", g, sizes[i], r, got[r], want[i][r])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestLinearGaussianPosterior checks PosteriorNormal against Σ and μ computed
// from their definitions, and the mean-field variances against Λ.
func TestLinearGaussianPosterior(t *testing.T) {
	for i, s := range lgShapes {
		t.Run(fmt.Sprintf("D=%d,d=%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(6, uint64(i)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			for _, x := range testPoints(m, s.D, rnd) {
				lambda, sigma, mu := explicitPosterior(t, m, x)
				post := m.PosteriorNormal(x)
				var got mat.Dense
				got.Mul(post.Chol, post.Chol.T())
				for k := 0; k < s.d; k++ {
					if !near(post.Loc.At(0, k), mu[k], 1e-10) {
						t.Errorf("μ[%d] = %v, want %v", k, post.Loc.At(0, k), mu[k])
					}
					if post.Chol.At(k, k) <= 0 {
						t.Errorf("Chol[%d,%d] = %v, want > 0", k, k, post.Chol.At(k, k))
					}
					for l := 0; l < s.d; l++ {
						if !near(got.At(k, l), sigma.At(k, l), 1e-10) {
							t.Errorf("Σ[%d,%d] = %v, want %v", k, l, got.At(k, l), sigma.At(k, l))
						}
					}
				}
				mf := m.MeanField(x)
				for k := 0; k < s.d; k++ {
					if mf.Loc.At(0, k) != post.Loc.At(0, k) {
						t.Errorf("mean-field mean[%d] = %v, want the posterior mean %v", k, mf.Loc.At(0, k), post.Loc.At(0, k))
					}
					v := math.Exp(2 * mf.LogScale.At(0, k))
					if !near(v, 1/lambda.At(k, k), 1e-12) {
						t.Errorf("mean-field variance[%d] = %v, want 1/Λ_kk = %v", k, v, 1/lambda.At(k, k))
					}
					if v > sigma.At(k, k)*(1+1e-12) {
						t.Errorf("mean-field variance[%d] = %v exceeds the posterior variance %v", k, v, sigma.At(k, k))
					}
				}
			}
		})
	}
}

// TestLinearGaussianBayesOracle checks log p(x, z) − log p(z|x) = log p(x)
// with the prior and posterior densities evaluated by gonum, so that it does
// not depend on package dist.
func TestLinearGaussianBayesOracle(t *testing.T) {
	for i, s := range lgShapes {
		t.Run(fmt.Sprintf("D=%d,d=%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(7, uint64(i)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			for _, x := range testPoints(m, s.D, rnd) {
				post := m.PosteriorNormal(x)
				var postCov mat.SymDense
				postCov.SymOuterK(1, post.Chol)
				ev := m.LogEvidence(x)
				z := mat.NewDense(5, s.d, nil)
				for r := 0; r < 5; r++ {
					for k := 0; k < s.d; k++ {
						z.Set(r, k, 2*rnd.NormFloat64())
					}
				}
				ll := m.LogLikelihood(nil, x, z)
				for r := range ll {
					var prior float64
					for _, v := range z.RawRowView(r) {
						prior += distuv.UnitNormal.LogProb(v)
					}
					got := ll[r] + prior - mvnLogProb(t, z.RawRowView(r), post.Mean(), &postCov)
					if !near(got, ev, 1e-9) {
						t.Errorf("z=%v: log p(x,z) − log p(z|x) = %v, want log p(x) = %v", z.RawRowView(r), got, ev)
					}
				}
			}
		})
	}
}

// TestLinearGaussianBayes checks log p(x, z) − log p(z|x) = log p(x) through
// the model's own Prior and Posterior distributions and LogJoint.
func TestLinearGaussianBayes(t *testing.T) {
	for i, s := range lgShapes {
		t.Run(fmt.Sprintf("D=%d,d=%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(8, uint64(i)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			if p := m.Prior(); p.Dim() != s.d || p.Len() != 1 {
				t.Fatalf("prior has Dim %d, Len %d, want %d, 1", p.Dim(), p.Len(), s.d)
			}
			for _, x := range testPoints(m, s.D, rnd) {
				z := mat.NewDense(5, s.d, nil)
				for r := 0; r < 5; r++ {
					for k := 0; k < s.d; k++ {
						z.Set(r, k, 2*rnd.NormFloat64())
					}
				}
				joint := latent.LogJoint(nil, m, x, z)
				post := m.Posterior(x).LogProb(nil, z)
				ev := m.LogEvidence(x)
				for r := range joint {
					if got := joint[r] - post[r]; !near(got, ev, 1e-9) {
						t.Errorf("z=%v: log p(x,z) − log p(z|x) = %v, want log p(x) = %v", z.RawRowView(r), got, ev)
					}
				}
			}
		})
	}
}

// elboAt evaluates the analytic ELBO at the parameters p = (m, log s).
func elboAt(m latent.LinearGaussian, x []float64, p []float64) float64 {
	d := len(p) / 2
	q := dist.Normal{
		Loc:      mat.NewDense(1, d, append([]float64(nil), p[:d]...)),
		LogScale: mat.NewDense(1, d, append([]float64(nil), p[d:]...)),
	}
	return m.ELBO(x, q)
}

// TestLinearGaussianMeanFieldOptimal checks that MeanField maximises the
// analytic ELBO: its finite-difference gradient vanishes, every perturbation
// lowers the ELBO, and the remaining gap to log p(x) is KL(q‖p(z|x)).
func TestLinearGaussianMeanFieldOptimal(t *testing.T) {
	for i, s := range lgShapes {
		t.Run(fmt.Sprintf("D=%d,d=%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(9, uint64(i)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			for _, x := range testPoints(m, s.D, rnd) {
				mf := m.MeanField(x)
				p := append(append([]float64(nil), mat.Row(nil, 0, mf.Loc)...), mat.Row(nil, 0, mf.LogScale)...)
				f := func(p []float64) float64 { return elboAt(m, x, p) }
				best := f(p)

				// Central differences with step h have error about
				// h²|f'''| + ε|f|/h; with the default h ≈ 6e-6 that is well
				// below 1e-6·max(1, |f|) here. The gradient at a shifted
				// point shows the check can fail.
				grad := fd.Gradient(nil, f, p, &fd.Settings{Formula: fd.Central})
				tol := 1e-6 * math.Max(1, math.Abs(best))
				for k, g := range grad {
					if math.Abs(g) > tol {
						t.Errorf("∂ELBO/∂p[%d] = %v at the mean-field optimum, want 0 (±%v)", k, g, tol)
					}
				}
				shifted := append([]float64(nil), p...)
				shifted[0] += 0.1
				if g := fd.Gradient(nil, f, shifted, &fd.Settings{Formula: fd.Central}); floats.Norm(g, math.Inf(1)) <= tol {
					t.Errorf("gradient %v at a shifted point is within %v of 0: the check is blind", g, tol)
				}

				for k := range p {
					for _, delta := range []float64{-0.1, 0.1} {
						pp := append([]float64(nil), p...)
						pp[k] += delta
						if v := f(pp); v >= best {
							t.Errorf("perturbing p[%d] by %v raised the ELBO from %v to %v", k, delta, best, v)
						}
					}
				}

				lambda, _, _ := explicitPosterior(t, m, x)
				var chol mat.Cholesky
				if !chol.Factorize(lambda) {
					t.Fatal("Λ is not positive definite")
				}
				var sumLogDiag float64
				for k := 0; k < s.d; k++ {
					sumLogDiag += math.Log(lambda.At(k, k))
				}
				gap := 0.5 * (sumLogDiag - chol.LogDet())
				ev := m.LogEvidence(x)
				if best > ev+1e-9*math.Max(1, math.Abs(ev)) {
					t.Errorf("ELBO(mean field) = %v exceeds log p(x) = %v", best, ev)
				}
				if !near(ev-best, gap, 1e-9) {
					t.Errorf("log p(x) − ELBO(mean field) = %v, want ½(Σ log Λ_kk − log det Λ) = %v", ev-best, gap)
				}
				if s.d == 1 && !near(best, ev, 1e-12) {
					t.Errorf("d=1: ELBO(mean field) = %v, want log p(x) = %v (the posterior is diagonal)", best, ev)
				}
			}
		})
	}
}

// gaussKL returns KL(N(m1, S1) ‖ N(m2, S2)) from explicit matrices.
func gaussKL(t *testing.T, m1 []float64, s1 *mat.SymDense, m2 []float64, s2 *mat.SymDense) float64 {
	t.Helper()
	d := len(m1)
	var c1, c2 mat.Cholesky
	if !c1.Factorize(s1) || !c2.Factorize(s2) {
		t.Fatal("covariance is not positive definite")
	}
	var inv2 mat.SymDense
	if err := c2.InverseTo(&inv2); err != nil {
		t.Fatal(err)
	}
	var prod mat.Dense
	prod.Mul(&inv2, s1)
	diff := mat.NewVecDense(d, nil)
	diff.SubVec(mat.NewVecDense(d, m2), mat.NewVecDense(d, m1))
	return 0.5 * (mat.Trace(&prod) + mat.Inner(diff, &inv2, diff) - float64(d) + c2.LogDet() - c1.LogDet())
}

// TestLinearGaussianELBOIdentity checks ELBO(q) = log p(x) − KL(q‖p(z|x)) for
// random diagonal Gaussians q, with the KL from explicit matrices.
func TestLinearGaussianELBOIdentity(t *testing.T) {
	for i, s := range lgShapes {
		t.Run(fmt.Sprintf("D=%d,d=%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(10, uint64(i)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			for _, x := range testPoints(m, s.D, rnd) {
				_, sigma, mu := explicitPosterior(t, m, x)
				ev := m.LogEvidence(x)
				for rep := 0; rep < 3; rep++ {
					q := randomNormal(s.d, rnd)
					qCov := mat.NewSymDense(s.d, nil)
					for k := 0; k < s.d; k++ {
						qCov.SetSym(k, k, math.Exp(2*q.LogScale.At(0, k)))
					}
					kl := gaussKL(t, mat.Row(nil, 0, q.Loc), qCov, mu, sigma)
					got := m.ELBO(x, q)
					if !near(got, ev-kl, 1e-9) {
						t.Errorf("ELBO = %v, want log p(x) − KL(q‖p(z|x)) = %v − %v = %v", got, ev, kl, ev-kl)
					}
				}
			}
		})
	}
}

// TestLinearGaussianELBOMonteCarlo checks the analytic ELBO against the Monte
// Carlo average of log p(x, z) − log q(z) over z ~ q, within 4 standard
// errors of that average.
func TestLinearGaussianELBOMonteCarlo(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 4000
	}
	for i, s := range lgShapes {
		t.Run(fmt.Sprintf("D=%d,d=%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(11, uint64(i)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			x := testPoints(m, s.D, rnd)[0]
			q := randomNormal(s.d, rnd)
			loc, ls := mat.Row(nil, 0, q.Loc), mat.Row(nil, 0, q.LogScale)
			z := mat.NewDense(n, s.d, nil)
			logRatio := make([]float64, n)
			for r := 0; r < n; r++ {
				for k := 0; k < s.d; k++ {
					eps := rnd.NormFloat64()
					v := loc[k] + math.Exp(ls[k])*eps
					z.Set(r, k, v)
					logRatio[r] += distuv.UnitNormal.LogProb(v) - distuv.Normal{Mu: loc[k], Sigma: math.Exp(ls[k])}.LogProb(v)
				}
			}
			ll := m.LogLikelihood(nil, x, z)
			floats.Add(logRatio, ll)
			mean, sd := meanStd(logRatio)
			se := sd / math.Sqrt(float64(n))
			want := m.ELBO(x, q)
			if math.Abs(mean-want) > 4*se {
				t.Errorf("Monte Carlo ELBO = %v ± %v, analytic %v (%.1f standard errors apart)", mean, se, want, math.Abs(mean-want)/se)
			}
		})
	}
}

// meanStd returns the mean and sample standard deviation of xs.
func meanStd(xs []float64) (mean, sd float64) {
	for _, v := range xs {
		mean += v
	}
	mean /= float64(len(xs))
	var ss float64
	for _, v := range xs {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// checkMoments checks the sample mean and covariance of the rows of xs
// against want, each within z standard errors estimated from the sample:
// the standard error of a mean is sd/√n, and that of a covariance entry is
// the standard deviation of the centred products over √n.
func checkMoments(t *testing.T, xs *mat.Dense, wantMean []float64, wantCov mat.Symmetric, z float64) {
	t.Helper()
	n, D := xs.Dims()
	col := make([]float64, n)
	means := make([]float64, D)
	for j := 0; j < D; j++ {
		mat.Col(col, j, xs)
		mean, sd := meanStd(col)
		means[j] = mean
		if se := sd / math.Sqrt(float64(n)); math.Abs(mean-wantMean[j]) > z*se {
			t.Errorf("mean[%d] = %v ± %v, want %v", j, mean, se, wantMean[j])
		}
	}
	prod := make([]float64, n)
	for j := 0; j < D; j++ {
		for k := j; k < D; k++ {
			for r := 0; r < n; r++ {
				prod[r] = (xs.At(r, j) - means[j]) * (xs.At(r, k) - means[k])
			}
			cov, sd := meanStd(prod)
			if se := sd / math.Sqrt(float64(n)); math.Abs(cov-wantCov.At(j, k)) > z*se {
				t.Errorf("cov[%d,%d] = %v ± %v, want %v", j, k, cov, se, wantCov.At(j, k))
			}
		}
	}
}

func TestLinearGaussianSampleData(t *testing.T) {
	n := 40000
	if testing.Short() {
		n = 10000
	}
	for i, s := range []struct {
		D, d  int
		noise float64
	}{{1, 1, 0.5}, {4, 2, 0.5}, {3, 5, 0.2}} {
		t.Run(fmt.Sprintf("D=%d,d=%d", s.D, s.d), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(12, uint64(i)))
			m := latent.NewRandomLinearGaussian(s.D, s.d, s.noise, rnd)
			xs := mat.NewDense(n, s.D, nil)
			m.SampleData(xs, rnd)
			// 4.5 standard errors: D(D+3)/2 ≤ 14 checks, each failing by
			// chance with probability 7e-6.
			checkMoments(t, xs, m.B, explicitCov(m), 4.5)
		})
	}
}

func TestLinearGaussianValidate(t *testing.T) {
	good := func() latent.LinearGaussian {
		return latent.LinearGaussian{W: mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6}), B: []float64{0, 1, 2}, NoiseStd: 0.5}
	}
	for _, tc := range []struct {
		name   string
		modify func(*latent.LinearGaussian)
		want   string // "" for valid
	}{
		{"valid", func(*latent.LinearGaussian) {}, ""},
		{"nil W", func(m *latent.LinearGaussian) { m.W = nil }, "W is empty"},
		{"short B", func(m *latent.LinearGaussian) { m.B = m.B[:2] }, "B has 2 entries, want 3"},
		{"zero noise", func(m *latent.LinearGaussian) { m.NoiseStd = 0 }, "NoiseStd is 0"},
		{"negative noise", func(m *latent.LinearGaussian) { m.NoiseStd = -1 }, "NoiseStd is -1"},
		{"NaN noise", func(m *latent.LinearGaussian) { m.NoiseStd = math.NaN() }, "NoiseStd is NaN"},
		{"Inf noise", func(m *latent.LinearGaussian) { m.NoiseStd = math.Inf(1) }, "NoiseStd is +Inf"},
		{"NaN in W", func(m *latent.LinearGaussian) { m.W.Set(2, 1, math.NaN()) }, "W[2,1] is NaN"},
		{"Inf in B", func(m *latent.LinearGaussian) { m.B[1] = math.Inf(-1) }, "B[1] is -Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.modify(&m)
			err := m.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestNewRandomLinearGaussian(t *testing.T) {
	// Same seed, same model; and W's entries have variance 1/d: the sum of
	// squares of D·d of them is χ²_{Dd}/d, whose mean is D and whose standard
	// deviation is √(2Dd)/d.
	const D, d = 60, 10
	a := latent.NewRandomLinearGaussian(D, d, 0.5, rand.New(rand.NewPCG(13, 0)))
	b := latent.NewRandomLinearGaussian(D, d, 0.5, rand.New(rand.NewPCG(13, 0)))
	if !mat.Equal(a.W, b.W) || !floats.Equal(a.B, b.B) {
		t.Error("same seed gave different models")
	}
	if err := a.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	ss := mat.Norm(a.W, 2)
	ss *= ss
	if sd := math.Sqrt(2.0*D*d) / d; math.Abs(ss-D) > 4*sd {
		t.Errorf("Σ W_jk² = %v, want %v ± %v", ss, float64(D), 4*sd)
	}
}

// BenchmarkLinearGaussianLogLikelihood measures one call on a chunk of 4096
// latent rows with D=100, d=50, the shape package mc uses.
func BenchmarkLinearGaussianLogLikelihood(b *testing.B) {
	const D, d, n = 100, 50, 4096
	rnd := rand.New(rand.NewPCG(14, 0))
	m := latent.NewRandomLinearGaussian(D, d, 0.5, rnd)
	x := make([]float64, D)
	for j := range x {
		x[j] = rnd.NormFloat64()
	}
	z := mat.NewDense(n, d, nil)
	for r := 0; r < n; r++ {
		for k := 0; k < d; k++ {
			z.Set(r, k, rnd.NormFloat64())
		}
	}
	dst := make([]float64, n)
	b.ReportAllocs()
	b.SetBytes(n * d * 8)
	for b.Loop() {
		m.LogLikelihood(dst, x, z)
	}
}

// BenchmarkLinearGaussianLogEvidence measures the O(D d²) exact evidence for
// D=100, d=50.
func BenchmarkLinearGaussianLogEvidence(b *testing.B) {
	const D, d = 100, 50
	rnd := rand.New(rand.NewPCG(15, 0))
	m := latent.NewRandomLinearGaussian(D, d, 0.5, rnd)
	x := make([]float64, D)
	b.ReportAllocs()
	for b.Loop() {
		m.LogEvidence(x)
	}
}
