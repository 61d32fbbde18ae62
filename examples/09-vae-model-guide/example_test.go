package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
)

// u is the unit roundoff of float64.
const u = 0x1p-53

// logLikTol bounds |a − b| for two float64 evaluations, in different orders
// of summation, of a log-likelihood ll of d independent coordinates from
// the same (bit-identical) decoder outputs.
//
// Recursive summation of d terms has an error of at most (d−1)·u·Σ|t_i|
// (Higham 2002, §4.2), plus a few u of relative error per term from exp,
// log and softplus, so each evaluation is within (d+4)·u·S of the exact
// value, S a bound on Σ|t_i|:
//
//   - Bernoulli, x in {0, 1}: dist.Bernoulli's terms x·l − softplus(l) are
//     all ≤ 0, so they sum in absolute value to |ll|; the VAE's terms
//     x·l − max(l, 0) are ≤ 0 too and its extra log Π(1 + e^−|l|) lies in
//     [0, d·log 2], so S = |ll| + d·log 2 bounds both.
//   - Gaussian: the terms −r²/(2σ²) − log σ − log(2π)/2 have
//     Σ|t_i| ≤ |ll| + 2d·(|log σ| + log(2π)/2).
func logLikTol(c amortized.VAEConfig, ll float64) float64 {
	d := float64(c.DataDim)
	s := math.Abs(ll) + d*math.Ln2
	if c.Likelihood == amortized.Gaussian {
		s = math.Abs(ll) + 2*d*(math.Abs(c.LogSigma)+0.5*math.Log(2*math.Pi))
	}
	return 2 * (d + 4) * u * s
}

// estimateTol bounds |ppl − built-in| for the evidence estimates of TestRun.
// Their log-weights differ only in log p(x|z) (the other terms and every
// draw are bit-identical, which TestRun checks), by at most
// logLikTol(ll) ≤ 4.4e-10 for any draw with |log p(x|z)| ≤ 2000 nats
// (D = 784; the run's draws are around 100–500). Every estimate is a mean
// (ELBO, IWAE over replicates) or log-mean-exp (IS, naive MC, each IWAE
// replicate) of the log-weights, and both are 1-Lipschitz in the largest
// change of a log-weight, so the estimates inherit the bound; 1e-9 leaves
// room for the estimators' own rounding, a few u·|log p̂(x)|.
const estimateTol = 1e-9

// TestRun runs the example in fast mode and checks what it claims: the
// float32 pair reproduces the built-in VAE's network outputs and draws bit
// for bit and its estimates to within float64 summation error, the float64
// pair differs from the float32 VAE by float32 rounding only, far below the
// Monte Carlo standard errors, and the estimates are ordered
// ELBO ≤ IWAE ≲ IS and naive MC ≲ IS as the theory says.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Common: notebook.Common{Fast: true, Out: t.TempDir(), Seed: 1}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Config.Likelihood != amortized.Bernoulli {
		t.Fatalf("likelihood %v, the bounds below are for Bernoulli", res.Config.Likelihood)
	}

	// Stage by stage: the encoder's outputs, the draws and the decoder's
	// outputs are the same float32 operations in the same order (the same
	// blas32.Gemm calls on the same shapes), and log q(z|x) and log p(z)
	// are the same dist code on the same values, so they must be equal.
	for _, s := range res.Stages[:5] {
		if s.Identical[float32Arith] != s.N {
			t.Errorf("float32 pair, %s: %d of %d values equal bit for bit (max |Δ| %.3g), want all", s.Name, s.Identical[float32Arith], s.N, s.MaxDiff[float32Arith])
		}
	}
	// The log-likelihoods, and so the log-weights, differ only by the order
	// of the float64 sums.
	bad, worst := 0, 0.0 // draws above their bound, largest |Δ|/bound
	for i, ll := range res.LogLik {
		r := math.Abs(res.DiffLogW[float32Arith][i]) / logLikTol(res.Config, ll)
		worst = math.Max(worst, r)
		if r > 1 {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("float32 pair: the log-weights of %d of %d draws differ by more than the summation bound (worst: %.3g× the bound)", bad, len(res.LogLik), worst)
	}
	for _, r := range res.Rows {
		name := methodNames[r.Method]
		if r.MaxDiff[float32Arith] > estimateTol {
			t.Errorf("%s: float32 pair differs from the built-in VAE by %.3g, want ≤ %g", name, r.MaxDiff[float32Arith], estimateTol)
		}
		// The float64 pair differs from the float32 VAE by float32 rounding
		// (unit roundoff 6e-8): the logits, sums of 256 products, move by
		// about 1e-6, and a log-likelihood sums 784 such changes times
		// x − σ(l), of either sign. That is far below the Monte Carlo
		// error of any estimate: check a thousandth of the smallest
		// per-image standard error, about 1e-4 here.
		if tol := 1e-3 * r.MinStdErr; !(r.MaxDiff[float64Arith] < tol) {
			t.Errorf("%s: float64 pair differs from the built-in VAE by %.3g, want < %.3g (1e-3 standard errors)", name, r.MaxDiff[float64Arith], tol)
		}
	}
	// The float64 pair must really compute otherwise, or the comparison
	// above measures nothing.
	if s := res.Stages[4]; s.Identical[float64Arith] == s.N {
		t.Errorf("float64 pair: %s bit-identical to the float32 VAE", s.Name)
	}

	// The estimators' ordering, within standard errors.
	est := func(m int) mc.Estimate { return res.Rows[m].BuiltIn }
	below := func(lo, hi mc.Estimate, what string) {
		t.Helper()
		if lo.LogPX > hi.LogPX+3*math.Hypot(lo.StdErr, hi.StdErr) {
			t.Errorf("%s: %.3f ± %.3f above %.3f ± %.3f", what, lo.LogPX, lo.StdErr, hi.LogPX, hi.StdErr)
		}
	}
	below(est(methELBO), est(methIWAE), "ELBO ≤ IWAE")
	below(est(methIWAE), est(methIS), "IWAE-50 ≤ IS-500 (IS is one replicate of IWAE-500)")
	below(est(methPrior), est(methIS), "naive MC ≲ IS (naive MC is biased down)")
	if !(est(methIWAE).LogPX > est(methELBO).LogPX) {
		t.Errorf("IWAE %.3f not above the ELBO %.3f", est(methIWAE).LogPX, est(methELBO).LogPX)
	}

	if err := notebook.CheckPNGs(res.Figures, 1); err != nil {
		t.Error(err)
	}
}

// storeFromParams fills a ParamStore from the VAE's tensors, by name, as
// ppl.ParamStore.Load does from a checkpoint: rank-1 biases become 1×n rows.
func storeFromParams(v *amortized.VAE) *ppl.ParamStore {
	s := ppl.NewParamStore()
	for name, p := range v.Params() {
		r, c := 1, p.Shape[0]
		if len(p.Shape) == 2 {
			r, c = p.Shape[0], p.Shape[1]
		}
		d := make([]float64, len(p.Data))
		for i, x := range p.Data {
			d[i] = float64(x)
		}
		s.Set(name, mat.NewDense(r, c, d))
	}
	return s
}

// smallVAE returns an untrained VAE with the given activation and likelihood
// and a data point for it.
func smallVAE(t *testing.T, act amortized.Activation, lik amortized.Likelihood) (*amortized.VAE, []float64) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(3, uint64(act)*10+uint64(lik)))
	v, err := amortized.NewVAE(amortized.VAEConfig{
		DataDim: 30, Latent: 3, Hidden: []int{12, 7}, Activation: act, Likelihood: lik, LogSigma: -1,
	}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	return v, dataPoint(v.Config, rnd)
}

// dataPoint returns a data point for a VAE with configuration c: binary for
// a Bernoulli likelihood, in [0, 1] for a Gaussian one.
func dataPoint(c amortized.VAEConfig, rnd *rand.Rand) []float64 {
	x := make([]float64, c.DataDim)
	for i := range x {
		x[i] = rnd.Float64()
		if c.Likelihood == amortized.Bernoulli {
			x[i] = math.Round(x[i])
		}
	}
	return x
}

// builtInDraws returns k draws from vae.Proposal(x) with the stream
// (seed, 0), their decoder outputs, log-likelihoods and log-weights, as mc
// computes them.
func builtInDraws(v *amortized.VAE, x []float64, k int, seed uint64) (z, out *mat.Dense, ll, lw []float64) {
	q := v.Proposal(x)
	z = mat.NewDense(k, v.LatentDim(), nil)
	q.Sample(z, rand.New(rand.NewPCG(seed, 0)))
	out = v.Decode(z)
	ll = v.LogLikelihood(nil, x, z)
	lw = slices.Clone(ll)
	floats.Add(lw, v.Prior().LogProb(nil, z))
	floats.Sub(lw, q.LogProb(nil, z))
	return z, out, ll, lw
}

// TestPairMatchesVAE checks the float32 pair against the built-in VAE for
// every activation and both likelihoods on untrained networks (parameters
// copied from vae.Params), and on the checkpoints that PyTorch wrote for
// package checkpoint's interoperability tests (parameters read by
// ppl.ParamStore.Load): the draws and decoder outputs bit for bit, the
// log-weights within the summation bound, and the ELBO of mc with the same
// seed within the largest per-draw bound.
func TestPairMatchesVAE(t *testing.T) {
	type load func(t *testing.T) (*amortized.VAE, *ppl.ParamStore, []float64)
	untrained := func(act amortized.Activation, lik amortized.Likelihood) load {
		return func(t *testing.T) (*amortized.VAE, *ppl.ParamStore, []float64) {
			v, x := smallVAE(t, act, lik)
			return v, storeFromParams(v), x
		}
	}
	fromFile := func(path string) load {
		return func(t *testing.T) (*amortized.VAE, *ppl.ParamStore, []float64) {
			v, err := checkpoint.LoadVAE(path)
			if err != nil {
				t.Fatal(err)
			}
			store := ppl.NewParamStore()
			if err := store.Load(path); err != nil {
				t.Fatal(err)
			}
			return v, store, dataPoint(v.Config, rand.New(rand.NewPCG(3, 0)))
		}
	}
	type testCase struct {
		name string
		load load
	}
	var cases []testCase
	for _, act := range []amortized.Activation{amortized.Tanh, amortized.ReLU, amortized.Softplus} {
		for _, lik := range []amortized.Likelihood{amortized.Bernoulli, amortized.Gaussian} {
			cases = append(cases, testCase{fmt.Sprintf("untrained %v/%v", act, lik), untrained(act, lik)})
		}
	}
	for _, f := range []string{"vae_bernoulli", "vae_gaussian"} {
		cases = append(cases, testCase{"pytorch " + f, fromFile(filepath.Join("..", "..", "checkpoint", "testdata", f+".safetensors"))})
	}
	const k = 64
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, store, x := tc.load(t)
			p := newPair(v.Config, float32Arith)
			z, out, ll, lw := builtInDraws(v, x, k, 9)
			logw, g, m, err := ppl.LogWeights(p.model, p.guide, store, x, k, rand.New(rand.NewPCG(9, 0)))
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(g.Site("z").Value, z) {
				t.Errorf("draws of z differ from vae.Proposal's")
			}
			var pout *mat.Dense
			switch d := m.Site("x").Dist.(type) {
			case dist.Bernoulli:
				pout = d.Logits
			case dist.Normal:
				pout = d.Loc
			}
			if !mat.Equal(pout, out) {
				t.Errorf("decoder outputs differ from vae.Decode's")
			}
			maxTol, bad := 0.0, 0
			for i := range lw {
				tol := logLikTol(v.Config, ll[i])
				maxTol = math.Max(maxTol, tol)
				if math.Abs(logw[i]-lw[i]) > tol {
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("the log-weights of %d of %d draws differ by more than the summation bound", bad, k)
			}
			c := mc.Config{Seed: 4}
			want, err := mc.ELBO(v, v.Proposal(x), x, 1000, c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ppl.ELBO(p.model, p.guide, store, x, 1000, c)
			if err != nil {
				t.Fatal(err)
			}
			// The ELBO is the mean of the log-weights; the per-draw bound
			// is computed from these draws' log-likelihoods, so allow 4×
			// for other draws of the same model.
			if d := math.Abs(got.LogPX - want.LogPX); d > 4*maxTol {
				t.Errorf("ELBO: ppl %v, built-in %v, |Δ| = %.3g > %.3g", got.LogPX, want.LogPX, d, 4*maxTol)
			}
		})
	}
}

// TestMismatchDetected checks that the comparison can fail: a ppl pair whose
// parameters or guide differ slightly from the built-in VAE's gives an ELBO
// far outside the tolerance that the matching pair meets.
func TestMismatchDetected(t *testing.T) {
	v, x := smallVAE(t, amortized.ReLU, amortized.Bernoulli)
	c := mc.Config{Seed: 5}
	const k = 500
	want, err := mc.ELBO(v, v.Proposal(x), x, k, c)
	if err != nil {
		t.Fatal(err)
	}
	// The matching pair's tolerance: logLikTol at a log-likelihood 10×
	// the ELBO's magnitude, generous for these draws.
	tol := logLikTol(v.Config, 10*want.LogPX)

	// A guide that takes the encoder's log σ² for log σ (a plausible bug).
	badGuide := func(t *ppl.Tracer, x []float64) {
		out := network(t, "encoder", len(v.Config.Hidden)+1, v.Config.Activation, mat.NewDense(1, len(x), x), float32Arith)
		L := v.Config.Latent
		t.Sample("z", dist.Normal{Loc: mat.DenseCopyOf(out.Slice(0, 1, 0, L)), LogScale: mat.DenseCopyOf(out.Slice(0, 1, L, 2*L))})
	}
	good := newPair(v.Config, float32Arith)
	tests := []struct {
		name    string
		perturb string // parameter scaled by 1.001; empty for none
		guide   ppl.Guide
		match   bool
	}{
		{name: "matching pair", guide: good.guide, match: true},
		{name: "decoder.0.weight scaled", perturb: "decoder.0.weight", guide: good.guide},
		{name: "decoder.4.bias scaled", perturb: "decoder.4.bias", guide: good.guide},
		{name: "encoder.0.weight scaled", perturb: "encoder.0.weight", guide: good.guide},
		{name: "encoder.4.bias scaled", perturb: "encoder.4.bias", guide: good.guide},
		{name: "guide uses log σ² as log σ", guide: badGuide},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := storeFromParams(v)
			if tt.perturb != "" {
				p := store.Get(tt.perturb)
				if p == nil {
					t.Fatalf("no parameter %q", tt.perturb)
				}
				var q mat.Dense
				q.Scale(1.001, p)
				store.Set(tt.perturb, &q)
			}
			got, err := ppl.ELBO(good.model, tt.guide, store, x, k, c)
			if err != nil {
				t.Fatal(err)
			}
			d := math.Abs(got.LogPX - want.LogPX)
			if tt.match && d > tol {
				t.Errorf("ELBO %v, built-in %v: |Δ| = %.3g > %.3g", got.LogPX, want.LogPX, d, tol)
			}
			if !tt.match && d <= 1e3*tol {
				t.Errorf("ELBO %v, built-in %v: |Δ| = %.3g, want a change far above the tolerance %.3g", got.LogPX, want.LogPX, d, tol)
			}
		})
	}
}
