package amortized

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/internal/logspace"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

func tinyConfig(lik Likelihood, act Activation) VAEConfig {
	return VAEConfig{DataDim: 5, Latent: 2, Hidden: []int{4}, Activation: act, Likelihood: lik, LogSigma: -0.4}
}

func randData(rnd *rand.Rand, n, d int, binary bool) *mat.Dense {
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			if binary {
				if rnd.Float64() < 0.3+0.4*float64(j%2) {
					x.Set(i, j, 1)
				}
			} else {
				x.Set(i, j, rnd.NormFloat64())
			}
		}
	}
	return x
}

func close32(a, b float64) bool {
	return math.Abs(a-b) <= 1e-4*(1+math.Max(math.Abs(a), math.Abs(b)))
}

// TestModelGuideMatchEvaluation checks that the VAE's ppl model and guide
// are the model the evaluation methods compute: the guide draws from
// q(z|x) = Proposal(x), and every log-weight equals
// LogLikelihood + log p(z) − log q(z|x), for every likelihood and
// activation and K particles of a batch.
func TestModelGuideMatchEvaluation(t *testing.T) {
	for i, lik := range []Likelihood{Bernoulli, Gaussian} {
		for j, act := range []Activation{Tanh, ReLU, Softplus} {
			t.Run(fmt.Sprintf("%v/%v", lik, act), func(t *testing.T) {
				rnd := rand.New(rand.NewPCG(uint64(i), uint64(j)))
				cfg := tinyConfig(lik, act)
				cfg.Hidden = []int{6, 4}
				v, err := NewVAE(cfg, rnd)
				if err != nil {
					t.Fatal(err)
				}
				const B, K = 4, 3
				x := randData(rnd, B, 5, lik == Bernoulli)
				logw, g, _, err := ppl.LogWeights(v.Model(), v.Guide(), v.Store, x, K, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				z := g.Site("z").Value // K·B rows, k-major
				if len(logw) != K {
					t.Fatalf("%d log-weights, want K = %d", len(logw), K)
				}
				want := make([]float64, K)
				for b := range B {
					xb := x.RawRowView(b)
					q := v.Proposal(xb)
					zb := mat.NewDense(K, 2, nil)
					for k := range K {
						zb.SetRow(k, z.Data[(k*B+b)*2:(k*B+b+1)*2])
					}
					ll := v.LogLikelihood(nil, xb, zb)
					lp := v.Prior().LogProb(nil, zb)
					lq := q.LogProb(nil, zb)
					for k := range K {
						want[k] += ll[k] + lp[k] - lq[k]
					}
				}
				for k := range K {
					if !close32(logw[k], want[k]) {
						t.Errorf("log-weight %d = %v, from the evaluation methods %v", k, logw[k], want[k])
					}
				}
			})
		}
	}
}

// TestVAEGradientMatchesFiniteDifferences checks the gradient of the VAE's
// IWAE objective with respect to every weight of a tiny network against
// central finite differences on the same random numbers. The networks run
// in float32, so the step and the tolerance are those of float32.
func TestVAEGradientMatchesFiniteDifferences(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 3))
	cfg := tinyConfig(Bernoulli, Tanh)
	v, _ := NewVAE(cfg, rnd)
	x := randData(rnd, 3, 5, true)
	obj := ppl.Objective{Bound: ppl.BoundIWAE, K: 2}
	value := func() float64 {
		val, err := ppl.Evaluate(v.Model(), v.Guide(), v.Store, x, obj, rand.New(rand.NewPCG(9, 9)))
		if err != nil {
			t.Fatal(err)
		}
		return val
	}
	_, g, err := ppl.Gradient(v.Model(), v.Guide(), v.Store, x, obj, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-2
	for _, name := range v.ParamNames() {
		u := v.Store.Unconstrained(name).RawMatrix().Data
		for i := range u {
			orig := u[i]
			u[i] = orig + h
			up := value()
			u[i] = orig - h
			down := value()
			u[i] = orig
			fdv := (up - down) / (2 * h)
			got := g[name].RawMatrix().Data[i]
			if math.Abs(got-fdv) > 2e-3*(1+math.Abs(fdv)) {
				t.Errorf("%s[%d]: gradient %v, finite differences %v", name, i, got, fdv)
			}
		}
	}
}

// TestLogLikelihoodMatchesDist checks LogLikelihood against package dist
// applied to the decoder output.
func TestLogLikelihoodMatchesDist(t *testing.T) {
	for _, lik := range []Likelihood{Bernoulli, Gaussian} {
		rnd := rand.New(rand.NewPCG(7, uint64(lik)))
		v, err := NewVAE(tinyConfig(lik, Tanh), rnd)
		if err != nil {
			t.Fatal(err)
		}
		z := randData(rnd, 6, 2, false)
		x := randData(rnd, 1, 5, lik == Bernoulli).RawRowView(0)
		got := v.LogLikelihood(nil, x, z)
		out := v.Decode(z)
		var d dist.Distribution
		switch lik {
		case Bernoulli:
			d = dist.Bernoulli{Logits: out}
		case Gaussian:
			ls := mat.NewDense(6, 5, nil)
			for i := 0; i < 6; i++ {
				for j := 0; j < 5; j++ {
					ls.Set(i, j, v.Config.LogSigma)
				}
			}
			d = dist.Normal{Loc: out, LogScale: ls}
		}
		xs := mat.NewDense(6, 5, nil)
		for i := 0; i < 6; i++ {
			xs.SetRow(i, x)
		}
		want := d.LogProb(nil, xs)
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-9*(1+math.Abs(want[i])) {
				t.Errorf("%v: LogLikelihood[%d] = %v, dist gives %v", lik, i, got[i], want[i])
			}
		}
	}
}

func TestProposal(t *testing.T) {
	rnd := rand.New(rand.NewPCG(8, 0))
	v, _ := NewVAE(tinyConfig(Bernoulli, ReLU), rnd)
	x := []float64{1, 0, 1, 1, 0}
	q := v.Proposal(x).(dist.Normal)
	if q.Len() != 1 || q.Dim() != 2 {
		t.Fatalf("proposal Len %d Dim %d, want 1 and 2", q.Len(), q.Dim())
	}
	mu, lv := v.Encode(mat.NewDense(1, 5, x))
	for l := 0; l < 2; l++ {
		if q.Loc.At(0, l) != mu.At(0, l) || q.LogScale.At(0, l) != lv.At(0, l)/2 {
			t.Errorf("proposal (%v, %v), encoder (%v, %v/2)", q.Loc.At(0, l), q.LogScale.At(0, l), mu.At(0, l), lv.At(0, l))
		}
	}
}

// TestImportanceSampling plugs a VAE into mc: the importance-sampling
// estimate of log p(x) with the encoder as proposal must be finite and not
// below the analytic ELBO by more than three standard errors (it is an
// upper-biased-in-the-limit consistent estimator, the ELBO a lower bound).
func TestImportanceSampling(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 0))
	v, _ := NewVAE(VAEConfig{DataDim: 8, Latent: 2, Hidden: []int{6}, Activation: Tanh}, rnd)
	x := []float64{1, 0, 1, 1, 0, 0, 1, 0}
	est, err := mc.Importance(v, v.Proposal(x), x, 4000, mc.Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	q := v.Proposal(x).(dist.Normal)
	kl, err := dist.KL(nil, q, v.Prior())
	if err != nil {
		t.Fatal(err)
	}
	// ELBO by Monte Carlo over the reconstruction term.
	z := mat.NewDense(4000, 2, nil)
	eps := mat.NewDense(4000, 2, nil)
	q.RSample(z, eps, rand.New(rand.NewPCG(4, 0)))
	ll := v.LogLikelihood(nil, x, z)
	var m, s2 float64
	for _, l := range ll {
		m += l
	}
	m /= float64(len(ll))
	for _, l := range ll {
		s2 += (l - m) * (l - m)
	}
	se := math.Sqrt(s2 / float64(len(ll)-1) / float64(len(ll)))
	elbo := m - kl[0]
	t.Logf("IS %.4f ± %.4f, ELBO %.4f ± %.4f", est.LogPX, est.StdErr, elbo, se)
	if math.IsNaN(est.LogPX) || est.LogPX < elbo-3*math.Hypot(se, est.StdErr) {
		t.Errorf("IS estimate %v ± %v below ELBO %v ± %v", est.LogPX, est.StdErr, elbo, se)
	}
}

// TestELBOBelowIWAE compares the analytic-KL ELBO with the IWAE-10 bound
// of the VAE, per example on independent noise: the mean IWAE bound must
// exceed the mean ELBO by more than three standard errors of the
// difference.
func TestELBOBelowIWAE(t *testing.T) {
	rnd := rand.New(rand.NewPCG(10, 0))
	cfg := VAEConfig{DataDim: 12, Latent: 3, Hidden: []int{8}, Activation: Tanh}
	v, _ := NewVAE(cfg, rnd)
	const B = 300
	x := randData(rnd, B, 12, true)
	d := make([]float64, B)
	for b := range B {
		xb := x.Slice(b, b+1, 0, 12)
		e, err1 := ppl.Evaluate(v.Model(), v.Guide(), v.Store, xb, ppl.Objective{K: 1, AnalyticKL: true}, rand.New(rand.NewPCG(uint64(b), 1)))
		w, err2 := ppl.Evaluate(v.Model(), v.Guide(), v.Store, xb, ppl.Objective{Bound: ppl.BoundIWAE, K: 10}, rand.New(rand.NewPCG(uint64(b), 2)))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		d[b] = w - e
	}
	var m, s2 float64
	for _, v := range d {
		m += v / B
	}
	for _, v := range d {
		s2 += (v - m) * (v - m)
	}
	se := math.Sqrt(s2 / (B - 1) / B)
	t.Logf("mean IWAE-10 − ELBO = %.4f ± %.4f", m, se)
	if m <= 3*se {
		t.Errorf("mean IWAE-10 − ELBO = %v, standard error %v", m, se)
	}
}

func TestParamsRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 0))
	cfg := VAEConfig{DataDim: 7, Latent: 3, Hidden: []int{5, 4}, Activation: Softplus, Likelihood: Gaussian, LogSigma: 0.25}
	v, _ := NewVAE(cfg, rnd)
	p := v.Params()
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{
		"decoder.0.bias", "decoder.0.weight", "decoder.2.bias", "decoder.2.weight", "decoder.4.bias", "decoder.4.weight",
		"encoder.0.bias", "encoder.0.weight", "encoder.2.bias", "encoder.2.weight", "encoder.4.bias", "encoder.4.weight",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	shapes := map[string][]int{"encoder.0.weight": {5, 7}, "encoder.4.weight": {6, 4}, "encoder.4.bias": {6}, "decoder.0.weight": {4, 3}, "decoder.4.weight": {7, 5}}
	for n, s := range shapes {
		if !slices.Equal(p[n].Shape, s) {
			t.Errorf("%s shape %v, want %v", n, p[n].Shape, s)
		}
	}
	meta := cfg.Metadata()
	cfg2, err := ParseVAEConfig(meta)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewVAEFromParams(cfg2, p)
	if err != nil {
		t.Fatal(err)
	}
	z := randData(rnd, 3, 3, false)
	if !mat.Equal(w.Decode(z), v.Decode(z)) {
		t.Error("rebuilt VAE decodes differently")
	}
	x := randData(rnd, 3, 7, false)
	m1, l1 := v.Encode(x)
	m2, l2 := w.Encode(x)
	if !mat.Equal(m1, m2) || !mat.Equal(l1, l2) {
		t.Error("rebuilt VAE encodes differently")
	}
	// Copies, not shared.
	w.Store.Unconstrained("encoder.0.weight").RawMatrix().Data[0]++
	if v.Params()["encoder.0.weight"].Data[0] == w.Params()["encoder.0.weight"].Data[0] {
		t.Error("NewVAEFromParams shares memory with its input")
	}
	// Errors.
	bad := map[string]Tensor{}
	for k, t := range p {
		bad[k] = t
	}
	bad["decoder.2.weight"] = Tensor{Shape: []int{4, 4}, Data: make([]float32, 16)}
	if _, err := NewVAEFromParams(cfg, bad); err == nil {
		t.Error("wrong shape accepted")
	}
	delete(bad, "decoder.2.weight")
	if _, err := NewVAEFromParams(cfg, bad); err == nil {
		t.Error("missing tensor accepted")
	}
	for _, k := range []string{MetaModel, MetaLatent, MetaHidden, MetaActivation, MetaLikelihood, MetaLogSigma} {
		m := cfg.Metadata()
		m[k] = "x"
		if _, err := ParseVAEConfig(m); err == nil {
			t.Errorf("metadata with %s = x accepted", k)
		}
	}
	ac := AEConfig{DataDim: 6, Code: 2, Hidden: []int{3}, Activation: ReLU, Loss: BCE}
	ac2, err := ParseAEConfig(ac.Metadata())
	if err != nil || !slices.Equal(ac2.Hidden, ac.Hidden) || ac2.Code != 2 || ac2.Loss != BCE || ac2.Activation != ReLU {
		t.Errorf("AE metadata round trip: %+v, %v", ac2, err)
	}
	a, _ := NewAE(ac, rnd)
	a2, err := NewAEFromParams(ac2, a.Params())
	if err != nil {
		t.Fatal(err)
	}
	xa := randData(rnd, 2, 6, true)
	if !mat.Equal(a.Decode(a.Encode(xa)), a2.Decode(a2.Encode(xa))) {
		t.Error("rebuilt AE differs")
	}
}

// TestInit checks the PyTorch-style initialisation bounds, the float32
// rounding and the seeding.
func TestInit(t *testing.T) {
	cfg := VAEConfig{DataDim: 16, Latent: 2, Activation: Tanh}
	v, _ := NewVAE(cfg, rand.New(rand.NewPCG(1, 1)))
	v2, _ := NewVAE(cfg, rand.New(rand.NewPCG(1, 1)))
	w, w2 := v.Params()["encoder.0.weight"].Data, v2.Params()["encoder.0.weight"].Data
	var maxAbs float64
	for i, x := range w {
		maxAbs = math.Max(maxAbs, math.Abs(float64(x)))
		if x != w2[i] {
			t.Fatal("same seed gave different weights")
		}
		if s := v.Store.Get("encoder.0.weight").RawMatrix().Data[i]; s != float64(x) {
			t.Fatalf("stored weight %v is not the float32 value %v", s, x)
		}
	}
	if maxAbs > 0.25 || maxAbs < 0.2 {
		t.Errorf("max |w| = %v, want close to 1/√16 = 0.25 from below", maxAbs)
	}
}

func TestSampleData(t *testing.T) {
	rnd := rand.New(rand.NewPCG(12, 0))
	v, _ := NewVAE(tinyConfig(Bernoulli, Tanh), rnd)
	x := mat.NewDense(50, 5, nil)
	v.SampleData(x, rnd)
	for _, e := range x.RawMatrix().Data {
		if e != 0 && e != 1 {
			t.Fatalf("Bernoulli sample %v", e)
		}
	}
}

func ExampleVAE() {
	rnd := rand.New(rand.NewPCG(1, 2))
	vae, err := NewVAE(VAEConfig{DataDim: 4, Latent: 2, Hidden: []int{8}, Activation: Tanh, Likelihood: Bernoulli}, rnd)
	if err != nil {
		panic(err)
	}
	data := mat.NewDense(4, 4, []float64{
		1, 1, 0, 0,
		0, 0, 1, 1,
		1, 1, 0, 0,
		0, 0, 1, 1,
	})
	tr, err := NewVAETrainer(vae, TrainConfig{BatchSize: 2, Adam: vi.AdamConfig{LR: 0.01}, Seed: 1})
	if err != nil {
		panic(err)
	}
	first, _ := tr.RunEpoch(data)
	var last EpochStats
	for e := 0; e < 200; e++ {
		last, _ = tr.RunEpoch(data)
	}
	fmt.Println(last.Bound > first.Bound)
	x := data.RawRowView(0)
	est, err := mc.Importance(vae, vae.Proposal(x), x, 1000, mc.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(est.LogPX > last.Bound-1)
	// Output:
	// true
	// true
}

// TestConcurrentLogLikelihood evaluates one VAE from several goroutines, as
// mc's workers do, and checks every result against the serial one.
func TestConcurrentLogLikelihood(t *testing.T) {
	rnd := rand.New(rand.NewPCG(13, 0))
	v, _ := NewVAE(VAEConfig{DataDim: 30, Latent: 4, Hidden: []int{16, 16}, Activation: Softplus}, rnd)
	x := randData(rnd, 1, 30, true).RawRowView(0)
	zs := make([]*mat.Dense, 8)
	want := make([][]float64, len(zs))
	for i := range zs {
		zs[i] = randData(rnd, 50+i, 4, false)
		want[i] = v.LogLikelihood(nil, x, zs[i])
	}
	got := make([][]float64, len(zs))
	done := make(chan int)
	for i := range zs {
		go func() {
			got[i] = v.LogLikelihood(nil, x, zs[i])
			done <- i
		}()
	}
	for range zs {
		<-done
	}
	for i := range zs {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("goroutine %d got a different result", i)
		}
	}
}

// TestDecodeMean checks that DecodeMean is σ(Decode) for a Bernoulli VAE
// and a BCE autoencoder, and Decode itself for Gaussian and MSE models.
func TestDecodeMean(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	z := mat.NewDense(3, 2, []float64{0, 1, -2, 0.5, 3, -1})
	for _, lik := range []Likelihood{Bernoulli, Gaussian} {
		v, err := NewVAE(VAEConfig{DataDim: 4, Latent: 2, Hidden: []int{3}, Activation: Tanh, Likelihood: lik}, rnd)
		if err != nil {
			t.Fatal(err)
		}
		out, mean := v.Decode(z), v.DecodeMean(z)
		for i := range 3 {
			for j := range 4 {
				want := out.At(i, j)
				if lik == Bernoulli {
					want = 1 / (1 + math.Exp(-want))
				}
				if got := mean.At(i, j); math.Abs(got-want) > 1e-15 {
					t.Errorf("%v: DecodeMean[%d,%d] = %v, want %v", lik, i, j, got, want)
				}
			}
		}
	}
	for _, loss := range []AELoss{BCE, MSE} {
		a, err := NewAE(AEConfig{DataDim: 4, Code: 2, Hidden: []int{3}, Activation: Tanh, Loss: loss}, rnd)
		if err != nil {
			t.Fatal(err)
		}
		out, mean := a.Decode(z), a.DecodeMean(z)
		want := out.At(1, 2)
		if loss == BCE {
			want = 1 / (1 + math.Exp(-want))
		}
		if got := mean.At(1, 2); math.Abs(got-want) > 1e-15 {
			t.Errorf("%v: DecodeMean = %v, want %v", loss, got, want)
		}
	}
}

// TestBernoulliLogLik checks the blocked-product form against the per-pixel
// sum of softplus terms, over dimensions that cross several blocks, with
// logits from tame to saturated (±800) and binary and fractional data.
func TestBernoulliLogLik(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	for _, D := range []int{1, 7, 784, 2500} {
		for _, scale := range []float64{0.1, 5, 40, 800} {
			x, l := make([]float64, D), make([]float64, D)
			var want, sumAbs float64
			for d := range D {
				l[d] = scale * rnd.NormFloat64()
				x[d] = float64(rnd.IntN(2))
				if d%3 == 0 {
					x[d] = rnd.Float64()
				}
				lf := float64(l[d])
				term := x[d]*lf - logspace.Softplus(lf)
				want += term
				sumAbs += math.Abs(term) + math.Abs(lf)
			}
			got := bernoulliLogLik(x, l)
			// Recursive summation of D terms errs by at most (D−1)·u·Σ|terms|
			// (Higham, Accuracy and Stability, §4.2); both sides carry such an
			// error, and the product's relative error of about D·u becomes an
			// absolute error of D·u in its logarithm.
			const u = 0x1p-53
			tol := 2*float64(D)*u*sumAbs + float64(D)*u
			if math.Abs(got-want) > tol {
				t.Errorf("D=%d, scale %v: got %v, want %v (diff %v > %v)", D, scale, got, want, got-want, tol)
			}
		}
	}
}

// TestParseNames checks that every enumeration parses its own String names
// back and rejects others with a message listing the accepted names.
func TestParseNames(t *testing.T) {
	for _, a := range []Activation{Tanh, ReLU, Softplus} {
		if got, err := ParseActivation(a.String()); err != nil || got != a {
			t.Errorf("ParseActivation(%q) = %v, %v", a.String(), got, err)
		}
	}
	for _, l := range []Likelihood{Bernoulli, Gaussian} {
		if got, err := ParseLikelihood(l.String()); err != nil || got != l {
			t.Errorf("ParseLikelihood(%q) = %v, %v", l.String(), got, err)
		}
	}
	for _, l := range []AELoss{MSE, BCE} {
		if got, err := ParseAELoss(l.String()); err != nil || got != l {
			t.Errorf("ParseAELoss(%q) = %v, %v", l.String(), got, err)
		}
	}
	for _, tc := range []struct {
		parse func(string) error
		want  string
	}{
		{func(s string) error { _, err := ParseActivation(s); return err }, `amortized: activation "sine": want tanh, relu or softplus`},
		{func(s string) error { _, err := ParseLikelihood(s); return err }, `amortized: likelihood "sine": want bernoulli or gaussian`},
		{func(s string) error { _, err := ParseAELoss(s); return err }, `amortized: autoencoder loss "sine": want mse or bce`},
	} {
		if err := tc.parse("sine"); err == nil || err.Error() != tc.want {
			t.Errorf("got error %v, want %q", err, tc.want)
		}
	}
}
