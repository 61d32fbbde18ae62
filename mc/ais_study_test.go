package mc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// BenchmarkAISStudyD50 is the evidence of docs/benchmarks.md §6: on the
// d = 50 linear-Gaussian model of the sample-efficiency study (bench-px, §1:
// D = 100, σ = 0.5, seed 1, 2 points, 16 replicates per point), it doubles
// the number of AIS steps T until the root-mean-square error of log p̂ over
// the 32 estimates is at most 0.1 nats, and reports the gradient
// evaluations per estimate there (16 chains, 10 leapfrog steps, warm-up
// included), from the fitted mean-field q and from the prior. Run it with
//
//	go test ./mc/ -run '^$' -bench AISStudyD50 -benchtime 1x -v
func BenchmarkAISStudyD50(b *testing.B) {
	const (
		seed, d, D, noise = 1, 50, 100, 0.5
		points, reps, tol = 2, 16, 0.1
		chains            = 16
	)
	// The model and data of pxstudy.newProblem for d = 50.
	rnd := rand.New(rand.NewPCG(DeriveSeed(seed, 0x6d6f64, d), 0))
	m := latent.NewRandomLinearGaussian(D, d, noise, rnd)
	xm := mat.NewDense(points, D, nil)
	m.SampleData(xm, rnd)
	for b.Loop() {
		for _, start := range []string{"fitted", "prior"} {
			for T := 8; T <= 1<<14; T *= 2 {
				var se, bias, acc float64
				evals := 0
				for i := range points {
					x := mat.Row(nil, i, xm)
					exact := m.LogEvidence(x)
					var q dist.Distribution = m.Prior()
					if start == "fitted" {
						q = m.MeanField(x)
					}
					for r := range reps {
						est, err := AIS(m, q, x, AISConfig{Steps: T, Chains: chains}, Config{Seed: DeriveSeed(seed, 0xa15, uint64(T), uint64(i), uint64(r))})
						if err != nil {
							b.Fatal(err)
						}
						e := est.LogPX - exact
						se += e * e
						bias += e
						acc += est.AcceptRate
						evals = est.GradEvals
					}
				}
				n := float64(points * reps)
				rmse := math.Sqrt(se / n)
				fmt.Printf("start %-6s T = %5d: RMSE %.4f, bias %+.4f, acceptance %.2f, gradient evaluations per estimate %d\n", start, T, rmse, bias/n, acc/n, evals)
				if rmse <= tol {
					b.ReportMetric(float64(evals), "grads/"+start)
					break
				}
			}
		}
	}
}
