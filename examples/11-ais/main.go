// Command 11-ais teaches annealed importance sampling (AIS) and the
// bidirectional Monte Carlo sandwich on a linear-Gaussian model whose exact
// log p(x) is known.
//
// AIS walks C chains from the prior p(z) to the posterior p(z|x) through the
// geometric path π_t(z) ∝ p(z) p(x|z)^{β_t}, 0 = β_0 < … < β_T = 1, moving
// each chain by one Hamiltonian Monte Carlo transition per step and
// accumulating the log-weight
//
//	log w = Σ_t (β_t − β_{t−1}) log p(x|z_{t−1}).
//
// Each w is an unbiased estimate of p(x), so log (1/C) Σ w_c is a stochastic
// lower bound. On data simulated from the model, z* ~ p(z), x ~ p(x|z*), the
// latent z* is an exact posterior draw; AIS run backwards from z* gives an
// unbiased estimate of 1/p(x), hence a stochastic upper bound. The gap
// between the two bounds shrinks to zero with T: it says how many steps AIS
// needs, without knowing the answer.
//
// The example prints one table (T, gradient evaluations, lower and upper
// bounds, gap, exact value, and naive Monte Carlo with as many likelihood
// evaluations as AIS spends gradients) and writes one figure to -out:
//
//	sandwich.png   lower and upper bounds against T, with the exact log p(x)
//
// Usage:
//
//	go run ./examples/11-ais [-fast | -full] [-out DIR] [-seed N]
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// config holds the example's settings, the flags every example takes.
type config = notebook.Common

// The model: D = 50 observed and d = 10 latent dimensions with little noise,
// so that the posterior is far narrower than the prior and naive Monte Carlo
// fails.
const (
	dataDim   = 50
	latentDim = 10
	noiseStd  = 0.3
	chains    = 16
)

// row is one number of steps T.
type row struct {
	T            int
	GradEvals    int     // gradient evaluations of one bound, warm-up included
	Lower, LoSE  float64 // forward AIS
	Upper, UpSE  float64 // reverse AIS from z*
	Gap          float64
	Accept       float64
	Naive, NaSE  float64 // naive Monte Carlo with GradEvals samples
	EqualsIS     bool    // T = 1: forward AIS is importance sampling from the prior
	NaiveSamples int
}

// results is what the example measured.
type results struct {
	LogPX   float64
	Rows    []row
	Figures []string
}

func main() {
	const name = "11-ais"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger run: up to T = 10,000 steps", "folder for the figure")
	flag.Parse()
	notebook.Main(name, cfg, run)
}

func run(cfg config, w io.Writer) (results, error) {
	steps := []int{1, 3, 10, 30, 100, 300, 1000}
	switch {
	case cfg.Fast:
		steps = []int{1, 10, 300}
	case cfg.Full:
		steps = append(steps, 3000, 10000)
	}

	// The model, and one data point simulated with its latent z*.
	rnd := rand.New(rand.NewPCG(cfg.Seed, 11))
	model := latent.NewRandomLinearGaussian(dataDim, latentDim, noiseStd, rnd)
	zstar := make([]float64, latentDim)
	for k := range zstar {
		zstar[k] = rnd.NormFloat64()
	}
	x := make([]float64, dataDim)
	mat.NewVecDense(dataDim, x).MulVec(model.W, mat.NewVecDense(latentDim, zstar))
	for j := range x {
		x[j] += model.B[j] + noiseStd*rnd.NormFloat64()
	}
	res := results{LogPX: model.LogEvidence(x)}

	for i, T := range steps {
		c := mc.Config{Seed: mc.DeriveSeed(cfg.Seed, uint64(i))}
		s, err := mc.AISSandwich(model, model.Prior(), x, zstar, mc.AISConfig{Steps: T, Chains: chains}, c)
		if err != nil {
			return res, err
		}
		r := row{T: T, GradEvals: s.Lower.GradEvals, Lower: s.Lower.LogPX, LoSE: s.Lower.StdErr,
			Upper: s.Upper.LogPX, UpSE: s.Upper.StdErr, Gap: s.Gap, Accept: s.Lower.AcceptRate}
		if T == 1 {
			is, err := mc.Importance(model, model.Prior(), x, chains, mc.Config{Seed: c.Seed, ChunkSize: mc.DefaultAISChunk})
			if err != nil {
				return res, err
			}
			r.EqualsIS = math.Abs(is.LogPX-s.Lower.LogPX) < 1e-9
		}
		// Naive Monte Carlo with as many evaluations as AIS spent gradients.
		r.NaiveSamples = max(r.GradEvals, chains)
		naive, err := mc.Prior(model, x, r.NaiveSamples, mc.Config{Seed: mc.DeriveSeed(cfg.Seed, 99, uint64(i))})
		if err != nil {
			return res, err
		}
		r.Naive, r.NaSE = naive.LogPX, naive.StdErr
		res.Rows = append(res.Rows, r)
	}

	fmt.Fprintf(w, "AIS from the prior on a linear-Gaussian model, D = %d, d = %d, σ = %g; %d chains, %d leapfrog steps per transition\n",
		dataDim, latentDim, noiseStd, chains, mc.DefaultLeapfrog)
	fmt.Fprintf(w, "x simulated with its latent z*; exact log p(x) = %.4f\n\n", res.LogPX)
	t := notebook.NewTable(w, "T", "gradients", "lower (forward)", "upper (reverse)", "gap", "accept", "naive MC, same budget")
	for _, r := range res.Rows {
		t.Append(fmt.Sprint(r.T), fmt.Sprint(r.GradEvals), notebook.PlusMinus(r.Lower, r.LoSE, 3, 2),
			notebook.PlusMinus(r.Upper, r.UpSE, 3, 2), fmt.Sprintf("%.3f", r.Gap), notebook.Num("%.2f", r.Accept),
			fmt.Sprintf("%s (K = %d)", notebook.PlusMinus(r.Naive, r.NaSE, 3, 2), r.NaiveSamples))
	}
	if err := t.Render(); err != nil {
		return res, err
	}
	if res.Rows[0].EqualsIS {
		fmt.Fprintln(w, "\nWith T = 1 the forward bound is importance sampling from the prior, draw for draw.")
	}

	if cfg.Out != "" {
		figs, err := notebook.NewFigures(cfg.Out)
		if err != nil {
			return res, err
		}
		lo := figure.Series{Name: "lower bound: forward AIS", Points: true}
		up := figure.Series{Name: "upper bound: reverse AIS from z*", Points: true}
		for _, r := range res.Rows {
			lo.X, lo.Y, lo.YErr = append(lo.X, float64(r.T)), append(lo.Y, r.Lower), append(lo.YErr, 2*r.LoSE)
			up.X, up.Y, up.YErr = append(up.X, float64(r.T)), append(up.Y, r.Upper), append(up.YErr, 2*r.UpSE)
		}
		p, err := figure.LinePlot([]figure.Series{lo, up}, figure.LineOptions{
			Title:     fmt.Sprintf("The BDMC sandwich closes on log p(x) as AIS steps grow (%d chains, ±2 stderr)", chains),
			XLabel:    "T (annealing steps)",
			YLabel:    "log p(x) bounds (nats)",
			LogX:      true,
			LegendTop: true,
			Refs:      []figure.RefLine{{Name: "exact log p(x)", Y: res.LogPX}},
		})
		if err != nil {
			return res, err
		}
		p.Y.Min, p.Y.Max = math.Max(p.Y.Min, res.LogPX-25), math.Min(p.Y.Max, res.LogPX+25)
		if err := figs.Plot("sandwich.png", p); err != nil {
			return res, err
		}
		res.Figures = figs.Paths
		fmt.Fprintf(w, "\nFigures: %v\n", figs.Paths)
	}
	return res, nil
}
