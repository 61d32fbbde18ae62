package ad

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// tiny returns a 5-4-(2·2) encoder / 2-4-5 decoder VAE spec.
func tiny(obj Objective, lik Likelihood, act Activation, k, batch int) VAESpec {
	return VAESpec{
		Encoder:    MLP{Sizes: []int{5, 4, 4}, Act: act},
		Decoder:    MLP{Sizes: []int{2, 4, 5}, Act: act},
		Likelihood: lik,
		LogSigma:   -0.3,
		Objective:  obj,
		K:          k,
		Batch:      batch,
	}
}

type vaeCase struct {
	name string
	spec VAESpec
	beta float64
}

func vaeCases() []vaeCase {
	var cs []vaeCase
	for _, obj := range []Objective{ELBOAnalytic, ELBOSampled, IWAE} {
		for _, lik := range []Likelihood{Bernoulli, Gaussian} {
			for _, act := range []Activation{Tanh, ReLU, Softplus} {
				for _, k := range []int{1, 3} {
					beta := 1.0
					if k == 3 && act == Tanh {
						beta = 0.3 // warm-up weight
					}
					cs = append(cs, vaeCase{
						name: fmt.Sprintf("%v/%v/%v/K=%d/β=%g", obj, lik, act, k, beta),
						spec: tiny(obj, lik, act, k, 3),
						beta: beta,
					})
				}
			}
		}
	}
	return cs
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*(1+math.Max(math.Abs(a), math.Abs(b)))
}

// TestVAEMatchesReference checks every output of the float64 programs
// against the independent reference formulas.
func TestVAEMatchesReference(t *testing.T) {
	const tol = 1e-12
	for i, c := range vaeCases() {
		t.Run(c.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(1, uint64(i)))
			params := randParams(rnd, c.spec.ParamLens(), 0.7)
			D, L, K, B := c.spec.DataDim(), c.spec.Latent(), c.spec.K, c.spec.Batch
			x := randVec(rnd, B*D, c.spec.Likelihood == Bernoulli)
			eps := randVec(rnd, K*B*L, false)
			p, err := NewVAE(c.spec, params)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.SetBeta(c.beta)
			loss, err := p.Run(x, eps)
			if err != nil {
				t.Fatal(err)
			}
			want := refVAE(c.spec, params, x, eps, c.beta)
			if !relClose(loss, want.loss, tol) {
				t.Errorf("loss = %v, want %v", loss, want.loss)
			}
			cmp := func(name string, got, want []float64) {
				t.Helper()
				if len(got) != len(want) {
					t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
				}
				for j := range got {
					if !relClose(got[j], want[j], tol) {
						t.Errorf("%s[%d] = %v, want %v", name, j, got[j], want[j])
					}
				}
			}
			cmp("logLik", p.LogLik(), want.logLik)
			cmp("logRatio", p.LogRatio(), want.logRatio)
			cmp("KL", p.KL(), want.kl)
			mu, lv := p.Encoding(nil, nil)
			cmp("mu", mu, want.mu)
			cmp("logvar", lv, want.lv)
		})
	}
}

// TestVAEGradients checks the gradients of every objective against central
// finite differences of the float64 program's own loss on a fixed ε.
//
// In float64 the central difference with fd's default step h ≈ 6e-6 has
// truncation error O(h²·|f‴|) ≈ 1e-10 and rounding error O(ε·|f|/h) ≈ 1e-10
// for losses of order 10, so 1e-6 relative leaves four orders of margin
// while a wrong gradient term (of order 1e-2 or more here) cannot pass.
func TestVAEGradients(t *testing.T) {
	const tol = 1e-6
	for i, c := range vaeCases() {
		t.Run(c.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(2, uint64(i)))
			params := randParams(rnd, c.spec.ParamLens(), 0.7)
			D, L, K, B := c.spec.DataDim(), c.spec.Latent(), c.spec.K, c.spec.Batch
			x := randVec(rnd, B*D, c.spec.Likelihood == Bernoulli)
			eps := randVec(rnd, K*B*L, false)
			p, err := NewVAE(c.spec, params)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.SetBeta(c.beta)
			if _, err := p.Run(x, eps); err != nil {
				t.Fatal(err)
			}
			got := flatten(p.Grads())
			theta := flatten(params)
			f := func(th []float64) float64 {
				unflatten(params, th)
				l, err := p.Run(x, eps)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			want := fd.Gradient(nil, f, theta, &fd.Settings{Formula: fd.Central})
			unflatten(params, theta)
			for j := range got {
				if !relClose(got[j], want[j], tol) {
					t.Errorf("grad[%d] = %v, finite difference %v", j, got[j], want[j])
				}
			}
		})
	}
}

// TestVAEFloat32 checks that the float32 program agrees with the float64
// one to single precision: losses within 1e-4 relative, gradients within
// 1e-3 of the largest gradient magnitude (float32 accumulations over a few
// dozen terms lose about 1e-6 relative each).
func TestVAEFloat32(t *testing.T) {
	for i, c := range vaeCases() {
		t.Run(c.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(3, uint64(i)))
			params := randParams(rnd, c.spec.ParamLens(), 0.7)
			D, L, K, B := c.spec.DataDim(), c.spec.Latent(), c.spec.K, c.spec.Batch
			x := randVec(rnd, B*D, c.spec.Likelihood == Bernoulli)
			eps := randVec(rnd, K*B*L, false)
			p64, err := NewVAE(c.spec, params)
			if err != nil {
				t.Fatal(err)
			}
			p32, err := NewVAE(c.spec, toF32s(params))
			if err != nil {
				t.Fatal(err)
			}
			p64.SetBeta(c.beta)
			p32.SetBeta(c.beta)
			l64, err := p64.Run(x, eps)
			if err != nil {
				t.Fatal(err)
			}
			l32, err := p32.Run(toF32(x), toF32(eps))
			if err != nil {
				t.Fatal(err)
			}
			if !relClose(l32, l64, 1e-4) {
				t.Errorf("float32 loss %v, float64 %v", l32, l64)
			}
			g64 := flatten(p64.Grads())
			var g32 []float64
			var scale float64
			for _, q := range p32.Grads() {
				for _, v := range q {
					g32 = append(g32, float64(v))
				}
			}
			for _, v := range g64 {
				scale = math.Max(scale, math.Abs(v))
			}
			for j := range g64 {
				if math.Abs(g32[j]-g64[j]) > 1e-3*scale {
					t.Errorf("grad[%d]: float32 %v, float64 %v", j, g32[j], g64[j])
				}
			}
		})
	}
}

// TestVAEParamsShared checks that programs read the caller's parameter
// slices on every run, and that running leaves parameters and inputs
// unchanged (the tape machine must not write into input registers).
func TestVAEParamsShared(t *testing.T) {
	spec := tiny(IWAE, Bernoulli, Tanh, 3, 4)
	rnd := rand.New(rand.NewPCG(4, 0))
	params := randParams(rnd, spec.ParamLens(), 0.5)
	x := randVec(rnd, spec.Batch*spec.DataDim(), true)
	eps := randVec(rnd, spec.K*spec.Batch*spec.Latent(), false)
	p, err := NewVAE(spec, params)
	if err != nil {
		t.Fatal(err)
	}
	before := flatten(params)
	xb, eb := append([]float64(nil), x...), append([]float64(nil), eps...)
	l1, _ := p.Run(x, eps)
	l1again, _ := p.Run(x, eps)
	if l1 != l1again {
		t.Errorf("rerun changed the loss: %v then %v", l1, l1again)
	}
	for j, v := range flatten(params) {
		if v != before[j] {
			t.Fatalf("Run modified parameter %d", j)
		}
	}
	for j := range x {
		if x[j] != xb[j] {
			t.Fatalf("Run modified x")
		}
	}
	for j := range eps {
		if eps[j] != eb[j] {
			t.Fatalf("Run modified eps")
		}
	}
	// Step along minus the gradient: the loss must change to the value the
	// reference gives for the new parameters.
	for i, g := range p.Grads() {
		for j := range g {
			params[i][j] -= 0.01 * g[j]
		}
	}
	l2, _ := p.Run(x, eps)
	want := refVAE(spec, params, x, eps, 1).loss
	if !relClose(l2, want, 1e-12) || l2 >= l1 {
		t.Errorf("after a gradient step loss = %v (was %v), reference %v", l2, l1, want)
	}
}

func TestAE(t *testing.T) {
	for i, loss := range []AELoss{MSE, BCE} {
		for _, act := range []Activation{Tanh, ReLU, Softplus} {
			spec := AESpec{
				Encoder: MLP{Sizes: []int{5, 4, 2}, Act: act},
				Decoder: MLP{Sizes: []int{2, 4, 5}, Act: act},
				Loss:    loss,
				Batch:   3,
			}
			t.Run(fmt.Sprintf("%v/%v", loss, act), func(t *testing.T) {
				rnd := rand.New(rand.NewPCG(5, uint64(i)))
				params := randParams(rnd, spec.ParamLens(), 0.7)
				x := randVec(rnd, spec.Batch*5, loss == BCE)
				p, err := NewAE(spec, params)
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				got, err := p.Run(x)
				if err != nil {
					t.Fatal(err)
				}
				want, perEx := refAE(spec, params, x)
				if !relClose(got, want, 1e-12) {
					t.Errorf("loss = %v, want %v", got, want)
				}
				for b, v := range p.PerExample() {
					if !relClose(v, perEx[b], 1e-12) {
						t.Errorf("per-example loss %d = %v, want %v", b, v, perEx[b])
					}
				}
				grads := flatten(p.Grads())
				theta := flatten(params)
				fdg := fd.Gradient(nil, func(th []float64) float64 {
					unflatten(params, th)
					l, err := p.Run(x)
					if err != nil {
						t.Fatal(err)
					}
					return l
				}, theta, &fd.Settings{Formula: fd.Central})
				for j := range grads {
					if !relClose(grads[j], fdg[j], 1e-6) {
						t.Errorf("grad[%d] = %v, finite difference %v", j, grads[j], fdg[j])
					}
				}
			})
		}
	}
}

func TestSpecValidate(t *testing.T) {
	ok := tiny(ELBOAnalytic, Bernoulli, Tanh, 1, 2)
	cases := []struct {
		name string
		mod  func(s *VAESpec)
	}{
		{"encoder output", func(s *VAESpec) { s.Encoder.Sizes = []int{5, 4, 3} }},
		{"decoder output", func(s *VAESpec) { s.Decoder.Sizes = []int{2, 4, 6} }},
		{"K", func(s *VAESpec) { s.K = 0 }},
		{"batch", func(s *VAESpec) { s.Batch = 0 }},
		{"objective", func(s *VAESpec) { s.Objective = 9 }},
		{"likelihood", func(s *VAESpec) { s.Likelihood = 9 }},
		{"activation", func(s *VAESpec) { s.Encoder.Act = 9 }},
		{"sizes", func(s *VAESpec) { s.Encoder.Sizes = []int{5} }},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid spec rejected: %v", err)
	}
	for _, c := range cases {
		s := ok
		s.Encoder.Sizes = append([]int(nil), ok.Encoder.Sizes...)
		s.Decoder.Sizes = append([]int(nil), ok.Decoder.Sizes...)
		c.mod(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: invalid spec accepted", c.name)
		}
		if _, err := NewVAE[float64](s, nil); err == nil {
			t.Errorf("%s: NewVAE accepted invalid spec", c.name)
		}
	}
}

func TestNotFinite(t *testing.T) {
	spec := tiny(ELBOAnalytic, Gaussian, Tanh, 1, 2)
	rnd := rand.New(rand.NewPCG(6, 0))
	params := randParams(rnd, spec.ParamLens(), 0.5)
	x := randVec(rnd, 2*5, false)
	x[3] = math.NaN()
	p, err := NewVAE(spec, params)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(x, randVec(rnd, 2*2, false))
	if !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN input gave error %v, want ErrNotFinite", err)
	}
}
