package dist

import (
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
