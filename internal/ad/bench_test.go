package ad

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkVAERun measures one forward and backward pass of the reference
// architecture (784-200-200-(2·50) encoder, 50-200-200-784 decoder, tanh,
// Bernoulli, batch 100, analytic-KL ELBO) in float32, without the optimiser.
func BenchmarkVAERun(b *testing.B) {
	spec := VAESpec{
		Encoder:    MLP{Sizes: []int{784, 200, 200, 100}, Act: Tanh},
		Decoder:    MLP{Sizes: []int{50, 200, 200, 784}, Act: Tanh},
		Likelihood: Bernoulli,
		Objective:  ELBOAnalytic,
		K:          1,
		Batch:      100,
	}
	rnd := rand.New(rand.NewPCG(1, 1))
	params := toF32s(randParams(rnd, spec.ParamLens(), 0.05))
	x := toF32(randVec(rnd, 100*784, true))
	eps := toF32(randVec(rnd, 100*50, false))
	p, err := NewVAE(spec, params)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Run(x, eps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(spec.Batch)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
