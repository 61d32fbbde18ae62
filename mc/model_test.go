package mc

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// linearGaussian returns a random probabilistic-PCA model and a data point
// drawn from it.
func linearGaussian(D, d int, noise float64, seed uint64) (latent.LinearGaussian, []float64) {
	rnd := rand.New(rand.NewPCG(seed, 0))
	m := latent.NewRandomLinearGaussian(D, d, noise, rnd)
	x := mat.NewDense(1, D, nil)
	m.SampleData(x, rnd)
	return m, x.RawRowView(0)
}

// scaled returns q with every standard deviation multiplied by c.
func scaled(q dist.Normal, c float64) dist.Normal {
	_, d := q.LogScale.Dims()
	ls := mat.NewDense(1, d, nil)
	for j := range d {
		ls.Set(0, j, q.LogScale.At(0, j)+math.Log(c))
	}
	return dist.Normal{Loc: q.Loc, LogScale: ls}
}

// unitAt returns N(μ, I) with μ the mean of q. Its precision I is below twice
// the posterior precision Λ = I + WᵀW/σ² ⪰ I, so the importance weights
// p(z|x)/q(z) have finite variance and the delta-method standard error
// applies.
func unitAt(q dist.Normal) dist.Normal {
	_, d := q.Loc.Dims()
	return dist.Normal{Loc: q.Loc, LogScale: mat.NewDense(1, d, nil)}
}

func TestLinearGaussianEstimators(t *testing.T) {
	m, x := linearGaussian(8, 2, 0.5, 1)
	exact := m.LogEvidence(x)
	mf := m.MeanField(x)
	q := unitAt(mf)
	closedELBO := m.ELBO(x, mf)
	c := Config{Seed: 2}

	// IWAE-K is biased below log p(x) by about Var(w)/(2K p²) = se_K²/2,
	// with se_K the delta-method standard error of one K-sample estimate;
	// allow twice that on top of the replicate noise.
	const kIWAE = 2000
	imp, err := Importance(m, q, x, kIWAE, Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	iwaeBias := imp.StdErr * imp.StdErr

	for _, tc := range []struct {
		name  string
		run   func() (Estimate, error)
		want  float64
		slack float64
	}{
		{"prior", func() (Estimate, error) { return Prior(m, x, 200_000, c) }, exact, 0},
		{"importance", func() (Estimate, error) { return Importance(m, q, x, 200_000, c) }, exact, 0},
		{"importance mean-field×1.5", func() (Estimate, error) { return Importance(m, scaled(mf, 1.5), x, 200_000, c) }, exact, 0},
		{"elbo", func() (Estimate, error) { return ELBO(m, mf, x, 100_000, c) }, closedELBO, 0},
		{"elbo analytic kl", func() (Estimate, error) { return ELBOAnalyticKL(m, mf, x, 100_000, c) }, closedELBO, 0},
		{"iwae", func() (Estimate, error) { return IWAE(m, q, x, kIWAE, 100, c) }, exact, iwaeBias},
	} {
		e, err := tc.run()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !(math.Abs(e.LogPX-tc.want) < 4*e.StdErr+tc.slack) || math.IsInf(e.StdErr, 0) {
			t.Errorf("%s: %v ± %v, want %v", tc.name, e.LogPX, e.StdErr, tc.want)
		}
		t.Logf("%-26s %.5f ± %.5f (want %.5f) ESS %.0f k̂ %.2f", tc.name, e.LogPX, e.StdErr, tc.want, e.ESS, e.KHat)
	}
}

func TestLinearGaussianExactPosterior(t *testing.T) {
	for _, dims := range [][2]int{{3, 1}, {8, 2}, {40, 10}} {
		m, x := linearGaussian(dims[0], dims[1], 0.3, 4)
		exact := m.LogEvidence(x)
		post := m.Posterior(x)
		e, err := Importance(m, post, x, 10_000, Config{Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(e.LogPX-exact) > 1e-9 || !(e.StdErr < 1e-9) {
			t.Errorf("D=%d d=%d: IS with p(z|x) gives %v ± %v, want exactly %v", dims[0], dims[1], e.LogPX, e.StdErr, exact)
		}
		iw, err := IWAE(m, post, x, 10, 100, Config{Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(iw.LogPX-exact) > 1e-9 || !(iw.StdErr < 1e-9) {
			t.Errorf("D=%d d=%d: IWAE with p(z|x) gives %v ± %v, want exactly %v", dims[0], dims[1], iw.LogPX, iw.StdErr, exact)
		}
	}
}

// TestBoundOrdering checks E[ELBO] ≤ E[IWAE-10] ≤ E[IWAE-100] ≤ log p(x)
// with the mean-field proposal, whose gap KL(q‖p(z|x)) is large here. Each
// step must be significant: the difference must exceed four standard errors
// of the difference (the estimates are independent, or positively correlated
// through common random numbers, which only makes this conservative).
func TestBoundOrdering(t *testing.T) {
	m, x := linearGaussian(20, 5, 0.3, 6)
	exact := m.LogEvidence(x)
	mf := m.MeanField(x)
	t.Logf("log p(x) = %.4f, closed-form ELBO = %.4f", exact, m.ELBO(x, mf))
	elbo, err := ELBO(m, mf, x, 20_000, Config{Seed: DeriveSeed(7, 0)})
	if err != nil {
		t.Fatal(err)
	}
	// IWAE-1 is the ELBO in expectation.
	iw1, err := IWAE(m, mf, x, 1, 20_000, Config{Seed: DeriveSeed(7, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if se := math.Hypot(iw1.StdErr, elbo.StdErr); math.Abs(iw1.LogPX-elbo.LogPX) > 4*se {
		t.Errorf("IWAE-1 = %v and ELBO = %v differ by more than 4·%v", iw1.LogPX, elbo.LogPX, se)
	}
	chain := []Estimate{elbo}
	for _, k := range []int{10, 100} {
		e, err := IWAE(m, mf, x, k, 2000, Config{Seed: DeriveSeed(7, uint64(k))})
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, e)
	}
	for i, e := range chain {
		t.Logf("%s K=%d: %.4f ± %.4f", e.Method, e.K, e.LogPX, e.StdErr)
		if e.LogPX > exact+4*e.StdErr {
			t.Errorf("%s K=%d = %v ± %v exceeds log p(x) = %v", e.Method, e.K, e.LogPX, e.StdErr, exact)
		}
		if i == 0 {
			continue
		}
		prev := chain[i-1]
		se := math.Hypot(e.StdErr, prev.StdErr)
		if !(e.LogPX-prev.LogPX > 4*se) {
			t.Errorf("%s K=%d = %v is not significantly above %s K=%d = %v (se %v)",
				e.Method, e.K, e.LogPX, prev.Method, prev.K, prev.LogPX, se)
		}
	}
}

func TestELBOFormsAgree(t *testing.T) {
	m, x := linearGaussian(12, 3, 0.4, 8)
	for _, q := range []dist.Normal{m.MeanField(x), scaled(m.MeanField(x), 1.7)} {
		closed := m.ELBO(x, q)
		a, err := ELBO(m, q, x, 50_000, Config{Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		b, err := ELBOAnalyticKL(m, q, x, 50_000, Config{Seed: 10})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(a.LogPX-b.LogPX) > 4*math.Hypot(a.StdErr, b.StdErr) {
			t.Errorf("ELBO %v ± %v and ELBOAnalyticKL %v ± %v disagree", a.LogPX, a.StdErr, b.LogPX, b.StdErr)
		}
		if !within(a.LogPX, closed, a.StdErr) || !within(b.LogPX, closed, b.StdErr) {
			t.Errorf("ELBO %v ± %v, ELBOAnalyticKL %v ± %v, closed form %v", a.LogPX, a.StdErr, b.LogPX, b.StdErr, closed)
		}
	}
}

func TestLinearGaussianDeterministic(t *testing.T) {
	m, x := linearGaussian(8, 2, 0.5, 11)
	checkDeterministic(t, estimators(m, m.MeanField(x), x, true))
}

// TestCalibration checks that the reported standard errors are right: over
// n independent seeds the z-scores (estimate − exact)/StdErr must have mean 0
// and standard deviation 1 within four of their own standard errors, 1/√n and
// about 1/√(2(n−1)). K is large enough that the delta method holds (the bias
// of the log, about StdErr²/2, is a small fraction of StdErr).
func TestCalibration(t *testing.T) {
	m, x := linearGaussian(8, 2, 0.5, 12)
	exact := m.LogEvidence(x)
	mf := m.MeanField(x)
	q := unitAt(mf)
	closedELBO := m.ELBO(x, mf)
	const n = 200
	for _, tc := range []struct {
		name string
		run  func(c Config) (Estimate, error)
		want float64
	}{
		{"prior", func(c Config) (Estimate, error) { return Prior(m, x, 20_000, c) }, exact},
		{"importance", func(c Config) (Estimate, error) { return Importance(m, q, x, 20_000, c) }, exact},
		{"elbo", func(c Config) (Estimate, error) { return ELBO(m, mf, x, 1000, c) }, closedELBO},
		{"elbo analytic kl", func(c Config) (Estimate, error) { return ELBOAnalyticKL(m, mf, x, 1000, c) }, closedELBO},
	} {
		var zs moments
		var maxSE float64
		for s := range uint64(n) {
			e, err := tc.run(Config{Seed: DeriveSeed(13, s)})
			if err != nil {
				t.Fatal(err)
			}
			zs.add((e.LogPX - tc.want) / e.StdErr)
			maxSE = math.Max(maxSE, e.StdErr)
		}
		mean, _ := zs.result()
		sd := math.Sqrt(zs.m2 / float64(zs.n-1))
		t.Logf("%s: z mean %.3f sd %.3f (max stderr %.4f)", tc.name, mean, sd, maxSE)
		if math.Abs(mean) > 4/math.Sqrt(n) || math.Abs(sd-1) > 4/math.Sqrt(2*(n-1)) {
			t.Errorf("%s: z-scores have mean %.3f and sd %.3f, want 0 and 1", tc.name, mean, sd)
		}
	}
}

// mixture returns a random Gaussian mixture and a data point drawn from it.
func mixture(k, D int, seed uint64) (latent.GaussianMixture, []float64) {
	rnd := rand.New(rand.NewPCG(seed, 0))
	m := latent.NewRandomGaussianMixture(k, D, rnd)
	x := mat.NewDense(1, D, nil)
	m.SampleData(x, rnd)
	return m, x.RawRowView(0)
}

// mixtureELBO returns the exact ELBO Σ_k q_k (log p(x, k) − log q_k) of a
// categorical q with probabilities probs, by enumeration.
func mixtureELBO(m latent.GaussianMixture, x, probs []float64) float64 {
	z := mat.NewDense(len(probs), 1, nil)
	for k := range probs {
		z.Set(k, 0, float64(k))
	}
	ll := m.LogLikelihood(nil, x, z)
	var e float64
	for k, p := range probs {
		e += p * (ll[k] + math.Log(m.Weights[k]) - math.Log(p))
	}
	return e
}

func TestGaussianMixtureEstimators(t *testing.T) {
	m, x := mixture(4, 2, 14)
	exact := m.LogEvidence(x)
	uniform := dist.Categorical{Logits: mat.NewDense(1, 4, nil)}
	closedELBO := mixtureELBO(m, x, []float64{0.25, 0.25, 0.25, 0.25})
	c := Config{Seed: 15}
	const kIWAE = 50
	imp, err := Importance(m, uniform, x, kIWAE, c)
	if err != nil {
		t.Fatal(err)
	}
	iwaeBias := imp.StdErr * imp.StdErr
	for _, tc := range []struct {
		name  string
		run   func() (Estimate, error)
		want  float64
		slack float64
	}{
		{"prior", func() (Estimate, error) { return Prior(m, x, 100_000, c) }, exact, 0},
		{"importance", func() (Estimate, error) { return Importance(m, uniform, x, 100_000, c) }, exact, 0},
		{"elbo", func() (Estimate, error) { return ELBO(m, uniform, x, 100_000, c) }, closedELBO, 0},
		{"elbo analytic kl", func() (Estimate, error) { return ELBOAnalyticKL(m, uniform, x, 100_000, c) }, closedELBO, 0},
		{"iwae", func() (Estimate, error) { return IWAE(m, uniform, x, kIWAE, 2000, c) }, exact, iwaeBias},
	} {
		e, err := tc.run()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !(math.Abs(e.LogPX-tc.want) < 4*e.StdErr+tc.slack) || math.IsInf(e.StdErr, 0) {
			t.Errorf("%s: %v ± %v, want %v", tc.name, e.LogPX, e.StdErr, tc.want)
		}
		t.Logf("%-18s %.5f ± %.5f (want %.5f) ESS %.0f k̂ %.2f", tc.name, e.LogPX, e.StdErr, tc.want, e.ESS, e.KHat)
	}
	e, err := Importance(m, m.Posterior(x), x, 1000, c)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(e.LogPX-exact) > 1e-9 || !(e.StdErr < 1e-9) {
		t.Errorf("IS with p(z|x): %v ± %v, want exactly %v", e.LogPX, e.StdErr, exact)
	}
}
