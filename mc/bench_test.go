package mc

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// benchHuge adds K = 10^7 to the estimator benchmarks:
//
//	go test -run '^$' -bench 'Prior|Importance' -mc.huge ./mc
var benchHuge = flag.Bool("mc.huge", false, "also benchmark K = 10^7")

// benchCase is a LinearGaussian with d latent and D observed dimensions.
type benchCase struct {
	D, d int
}

func benchCases() []benchCase {
	var cs []benchCase
	for _, d := range []int{2, 10, 50} {
		cs = append(cs, benchCase{4 * d, d}, benchCase{100, d})
	}
	return cs
}

func benchKs() []int {
	if *benchHuge {
		return []int{1_000_000, 10_000_000}
	}
	return []int{1_000_000}
}

func benchModel(bc benchCase) (latent.LinearGaussian, []float64, dist.Normal) {
	rnd := rand.New(rand.NewPCG(1, 2))
	m := latent.NewRandomLinearGaussian(bc.D, bc.d, 0.5, rnd)
	x := mat.NewDense(1, bc.D, nil)
	m.SampleData(x, rnd)
	xs := x.RawRowView(0)
	return m, xs, scaled(m.MeanField(xs), 1.5)
}

// runBench runs est b.N times and reports draws per second.
func runBench(b *testing.B, k int, est func(c Config) (Estimate, error)) {
	b.ReportAllocs()
	var samples int
	for i := 0; b.Loop(); i++ {
		e, err := est(Config{Seed: uint64(i)})
		if err != nil {
			b.Fatal(err)
		}
		samples += e.Samples
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkPrior(b *testing.B) {
	for _, bc := range benchCases() {
		m, x, _ := benchModel(bc)
		for _, k := range benchKs() {
			b.Run(fmt.Sprintf("d=%d/D=%d/K=%d", bc.d, bc.D, k), func(b *testing.B) {
				runBench(b, k, func(c Config) (Estimate, error) { return Prior(m, x, k, c) })
			})
		}
	}
}

func BenchmarkImportance(b *testing.B) {
	for _, bc := range benchCases() {
		m, x, q := benchModel(bc)
		for _, k := range benchKs() {
			b.Run(fmt.Sprintf("d=%d/D=%d/K=%d", bc.d, bc.D, k), func(b *testing.B) {
				runBench(b, k, func(c Config) (Estimate, error) { return Importance(m, q, x, k, c) })
			})
		}
	}
}

// BenchmarkParetoKHat measures the k̂ fit alone on the tail retained for
// K = 10^6 and 10^7 (3000 and 9487 weights).
func BenchmarkParetoKHat(b *testing.B) {
	for _, s := range []int{1_000_000, 10_000_000} {
		m := tailLen(s)
		top := gpdLogSample(m+1, 0.5, rand.New(rand.NewPCG(1, 1)))
		b.Run(fmt.Sprintf("S=%d", s), func(b *testing.B) {
			sorted := append([]float64(nil), top...)
			for b.Loop() {
				khatFromTop(sorted)
			}
		})
	}
}
