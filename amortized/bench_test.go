package amortized

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/vi"
)

// refVAE returns the reference architecture: 784-200-200-(2·50) encoder,
// 50-200-200-784 decoder, tanh, Bernoulli likelihood.
func refVAE(b *testing.B) *VAE {
	v, err := NewVAE(VAEConfig{DataDim: 784, Latent: 50, Hidden: []int{200, 200}, Activation: Tanh, Likelihood: Bernoulli},
		rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkTrainStep measures one training step of the reference VAE
// (batch 100, analytic-KL ELBO, Adam): ε draws, forward and backward pass,
// optimiser update.
func BenchmarkTrainStep(b *testing.B) {
	v := refVAE(b)
	rnd := rand.New(rand.NewPCG(2, 2))
	x := mat.NewDense(100, 784, nil)
	for i := 0; i < 100; i++ {
		for j := 0; j < 784; j++ {
			if rnd.Float64() < 0.13 {
				x.Set(i, j, 1)
			}
		}
	}
	tr, err := NewVAETrainer(v, TrainConfig{BatchSize: 100, Adam: vi.AdamConfig{LR: 1e-3}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tr.TrainStep(x); err != nil { // compile outside the timer
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.TrainStep(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkDecoderLogLik measures importance-sampling evaluation: log p(x|z)
// of the reference decoder for a chunk of 1000 z's per call.
func BenchmarkDecoderLogLik(b *testing.B) {
	v := refVAE(b)
	rnd := rand.New(rand.NewPCG(3, 3))
	z := mat.NewDense(1000, 50, nil)
	for i := 0; i < 1000; i++ {
		for j := 0; j < 50; j++ {
			z.Set(i, j, rnd.NormFloat64())
		}
	}
	x := make([]float64, 784)
	for j := range x {
		if rnd.Float64() < 0.13 {
			x[j] = 1
		}
	}
	dst := make([]float64, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.LogLikelihood(dst, x, z)
	}
	b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "passes/s")
}
