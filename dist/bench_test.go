package dist

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Chunk shape used by package mc.
const benchRows, benchDim = 4096, 50

func benchMatrix(r, c int, seed uint64) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	StdNormal{D: c}.Sample(m, rand.New(rand.NewPCG(seed, 0)))
	return m
}

func BenchmarkNormalLogProb(b *testing.B) {
	x := benchMatrix(benchRows, benchDim, 1)
	dst := make([]float64, benchRows)
	for _, bc := range []struct {
		name string
		n    Normal
	}{
		{"broadcast", Normal{benchMatrix(1, benchDim, 2), benchMatrix(1, benchDim, 3)}},
		{"batched", Normal{benchMatrix(benchRows, benchDim, 2), benchMatrix(benchRows, benchDim, 3)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(8 * benchRows * benchDim)
			for b.Loop() {
				bc.n.LogProb(dst, x)
			}
		})
	}
}

func BenchmarkNormalSample(b *testing.B) {
	dst := mat.NewDense(benchRows, benchDim, nil)
	rnd := rand.New(rand.NewPCG(1, 0))
	for _, bc := range []struct {
		name string
		n    Normal
	}{
		{"broadcast", Normal{benchMatrix(1, benchDim, 2), benchMatrix(1, benchDim, 3)}},
		{"batched", Normal{benchMatrix(benchRows, benchDim, 2), benchMatrix(benchRows, benchDim, 3)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(8 * benchRows * benchDim)
			for b.Loop() {
				bc.n.Sample(dst, rnd)
			}
		})
	}
}

func BenchmarkMultivariateNormalLogProb(b *testing.B) {
	a := benchMatrix(benchDim, benchDim, 4)
	var cov mat.SymDense
	cov.SymOuterK(1.0/benchDim, a)
	for i := 0; i < benchDim; i++ {
		cov.SetSym(i, i, cov.At(i, i)+1)
	}
	m, err := NewMultivariateNormal(make([]float64, benchDim), &cov)
	if err != nil {
		b.Fatal(err)
	}
	x := benchMatrix(benchRows, benchDim, 1)
	dst := make([]float64, benchRows)
	b.SetBytes(8 * benchRows * benchDim)
	for b.Loop() {
		m.LogProb(dst, x)
	}
}

func BenchmarkMultivariateNormalSample(b *testing.B) {
	m, _ := NewMultivariateNormal(make([]float64, benchDim), func() *mat.SymDense {
		s := mat.NewSymDense(benchDim, nil)
		for i := 0; i < benchDim; i++ {
			s.SetSym(i, i, 2)
		}
		return s
	}())
	dst := mat.NewDense(benchRows, benchDim, nil)
	rnd := rand.New(rand.NewPCG(1, 0))
	for b.Loop() {
		m.Sample(dst, rnd)
	}
}

func BenchmarkBernoulliLogProb(b *testing.B) {
	x := mat.NewDense(benchRows, 784, nil)
	Bernoulli{benchMatrix(1, 784, 2)}.Sample(x, rand.New(rand.NewPCG(1, 0)))
	l := benchMatrix(benchRows, 784, 3)
	dst := make([]float64, benchRows)
	for b.Loop() {
		Bernoulli{l}.LogProb(dst, x)
	}
}

// BenchmarkFlowSampleLogProb draws a chunk of 4096 rows from the IAF
// encoders of the VAEs in docs/benchmarks.md §6 (L = 16; 2 steps with
// H = 64, 8 with H = 128, each with an H-unit context) and scores them, by Sample then LogProb (the
// sequential inverse) and by SampleLogProb (the forward pass), as the
// importance-sampling estimators of package mc do:
//
//	go test -run '^$' -bench FlowSampleLogProb ./dist
func BenchmarkFlowSampleLogProb(b *testing.B) {
	const L = 16
	rnd := newRand(3)
	for _, fc := range []struct{ steps, h int }{{2, 64}, {8, 128}} {
		ts := make(ComposeTransform, fc.steps)
		for i := range ts {
			ts[i] = newIAF(rnd, L, fc.h, fc.h, i%2 == 1)
		}
		q := NewFlowDistribution(Normal{Loc: randVar(rnd, 1, L, 1), LogScale: randVar(rnd, 1, L, 0.3)}, ts)
		z := mat.NewDense(benchRows, L, nil)
		lp := make([]float64, benchRows)
		for _, path := range []struct {
			name string
			run  func(*rand.Rand)
		}{
			{"Sample+LogProb", func(r *rand.Rand) { q.Sample(z, r); q.LogProb(lp, z) }},
			{"SampleLogProb", func(r *rand.Rand) { q.SampleLogProb(z, lp, r) }},
		} {
			b.Run(fmt.Sprintf("steps=%d/H=%d/%s", fc.steps, fc.h, path.name), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 0))
				for b.Loop() {
					path.run(r)
				}
				b.ReportMetric(benchRows*float64(b.N)/b.Elapsed().Seconds(), "draws/s")
			})
		}
	}
}
