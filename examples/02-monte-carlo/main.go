// Command 02-monte-carlo estimates the marginal likelihood log p(x) of a
// linear-Gaussian model, whose exact value is known, by naive Monte Carlo
// from the prior,
//
//	log p̂(x) = log (1/K) Σₖ p(x|zₖ),  zₖ ~ p(z),
//
// and shows two things: the estimate converges as K grows, from far below the
// exact value, and the number of samples needed explodes as the latent
// dimension d grows, because the posterior occupies an exponentially small
// part of the prior's volume.
//
// It prints two tables and writes two figures to -out:
//
//	estimate_vs_k.png   log p̂(x) against K (log axis), the spread over repeats, the exact line
//	error_vs_dim.png    the error log p̂(x) − log p(x) against d, one line per K
//
// Usage:
//
//	go run ./examples/02-monte-carlo [-fast | -full] [-out DIR] [-seed N]
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"

	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// config holds the example's settings, the flags every example takes; main
// fills it from the flags.
type config = notebook.Common

// The model: D observed dimensions and noise σ are fixed; the latent
// dimension d varies.
const (
	dataDim  = 20
	noiseStd = 0.5
	sweepDim = 5 // latent dimension of the K sweep
)

// kRow is one line of the K sweep, summarised over repeats.
type kRow struct {
	K       int
	Mean    float64 // mean of log p̂ over repeats
	Spread  float64 // standard deviation of log p̂ over repeats
	AbsErr  float64 // mean |log p̂ − log p(x)|
	StdErr  float64 // mean of the reported (delta-method) standard error
	ESS     float64 // mean Kish effective sample size
	KHat    float64 // mean Pareto k̂ (NaN when undefined)
	Repeats int
}

// dimRow is one cell of the dimension sweep: latent dimension d at K samples,
// averaged over data points and repeats.
type dimRow struct {
	Dim    int
	K      int
	Bias   float64 // mean log p̂ − log p(x)
	AbsErr float64 // mean |log p̂ − log p(x)|
	ESS    float64 // mean Kish effective sample size
	// PostVolume is log₁₀ of the ratio of posterior to prior volume,
	// Σᵢ log₁₀ σᵢ over the posterior's principal standard deviations: the
	// fraction of prior draws that land near the posterior.
	PostVolume float64
}

// results is what the example measured.
type results struct {
	LogPX   float64 // exact log p(x) of the K-sweep point
	KRows   []kRow
	DimRows []dimRow
	Figures []string // paths written
}

func main() {
	const name = "02-monte-carlo"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger run: K up to 10⁷ and more repeats (minutes)", "folder for the figures")
	flag.Parse()
	notebook.Main(name, cfg, run)
}

// settings returns the K values, repeats, dimensions and data points per
// dimension for the configured size.
func settings(cfg config) (ks []int, reps int, dims []int, dimKs []int, points int) {
	dims = []int{2, 5, 10, 20}
	switch {
	case cfg.Fast:
		return []int{1, 10, 100, 1000, 10000}, 8, dims, []int{100, 10000}, 3
	case cfg.Full:
		return powers(7), 50, dims, []int{100, 10000, 1000000}, 10
	default:
		return powers(6), 20, dims, []int{100, 10000, 1000000}, 5
	}
}

// powers returns 1, 10, …, 10ⁿ.
func powers(n int) []int {
	ks := []int{1}
	for i := 0; i < n; i++ {
		ks = append(ks, ks[len(ks)-1]*10)
	}
	return ks
}

func run(cfg config, w io.Writer) (results, error) {
	ks, reps, dims, dimKs, points := settings(cfg)
	var res results

	// Part 1: one model, one data point, K from 1 to 10⁶.
	rnd := rand.New(rand.NewPCG(cfg.Seed, 1))
	model := latent.NewRandomLinearGaussian(dataDim, sweepDim, noiseStd, rnd)
	x := sampleData(model, 1, rnd)[0]
	res.LogPX = model.LogEvidence(x)
	for ki, k := range ks {
		ests := make([]mc.Estimate, reps)
		for r := range ests {
			e, err := mc.Prior(model, x, k, mc.Config{Seed: mc.DeriveSeed(cfg.Seed, 1, uint64(ki), uint64(r))})
			if err != nil {
				return res, err
			}
			ests[r] = e
		}
		res.KRows = append(res.KRows, summariseK(k, ests, res.LogPX))
	}
	fmt.Fprintf(w, "Naive Monte Carlo on a linear-Gaussian model, D = %d, d = %d, σ = %g; exact log p(x) = %.3f\n",
		dataDim, sweepDim, noiseStd, res.LogPX)
	fmt.Fprintf(w, "(%d independent repeats per K)\n\n", reps)
	t := notebook.NewTable(w, "K", "mean log p̂", "spread (sd)", "mean |error|", "reported stderr", "ESS", "k̂")
	for _, r := range res.KRows {
		t.Append(fmt.Sprint(r.K), f3(r.Mean), f3(r.Spread), f3(r.AbsErr), f3(r.StdErr), fmt.Sprintf("%.1f", r.ESS), f2(r.KHat))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	// Part 2: latent dimension d at fixed K, several models and points.
	for di, d := range dims {
		rnd := rand.New(rand.NewPCG(cfg.Seed, uint64(100+d)))
		m := latent.NewRandomLinearGaussian(dataDim, d, noiseStd, rnd)
		xs := sampleData(m, points, rnd)
		vol := posteriorLogVolume(m, xs[0])
		for ki, k := range dimKs {
			row := dimRow{Dim: d, K: k, PostVolume: vol}
			n := 0
			for p, x := range xs {
				exact := m.LogEvidence(x)
				for r := 0; r < reps/2+1; r++ {
					e, err := mc.Prior(m, x, k, mc.Config{Seed: mc.DeriveSeed(cfg.Seed, 2, uint64(di), uint64(ki), uint64(p), uint64(r))})
					if err != nil {
						return res, err
					}
					row.Bias += e.LogPX - exact
					row.AbsErr += math.Abs(e.LogPX - exact)
					row.ESS += e.ESS
					n++
				}
			}
			row.Bias /= float64(n)
			row.AbsErr /= float64(n)
			row.ESS /= float64(n)
			res.DimRows = append(res.DimRows, row)
		}
	}
	fmt.Fprintf(w, "\nError against the latent dimension d (D = %d, σ = %g; %d points × %d repeats per cell)\n\n",
		dataDim, noiseStd, points, reps/2+1)
	t = notebook.NewTable(w, "d", "log₁₀ posterior/prior volume", "K", "mean log p̂ − log p", "mean |error|", "ESS")
	for _, r := range res.DimRows {
		t.Append(fmt.Sprint(r.Dim), fmt.Sprintf("%.1f", r.PostVolume), fmt.Sprint(r.K), f3(r.Bias), f3(r.AbsErr), fmt.Sprintf("%.1f", r.ESS))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	if cfg.Out != "" {
		figs, err := writeFigures(cfg.Out, res, dimKs)
		res.Figures = figs
		if err != nil {
			return res, err
		}
		fmt.Fprintf(w, "\nFigures: %v\n", figs)
	}
	return res, nil
}

// sampleData draws n points from the model.
func sampleData(m latent.LinearGaussian, n int, rnd *rand.Rand) [][]float64 {
	x := mat.NewDense(n, m.DataDim(), nil)
	m.SampleData(x, rnd)
	out := make([][]float64, n)
	for i := range out {
		out[i] = mat.Row(nil, i, x)
	}
	return out
}

// posteriorLogVolume returns log₁₀ of √det Σ, the posterior covariance's
// volume relative to the prior's (whose covariance is I): the product of the
// posterior's principal standard deviations. For a linear-Gaussian model it
// does not depend on x.
func posteriorLogVolume(m latent.LinearGaussian, x []float64) float64 {
	post := m.PosteriorNormal(x)
	var lv float64
	for i := 0; i < post.Dim(); i++ {
		lv += math.Log10(post.Chol.At(i, i))
	}
	return lv
}

// summariseK reduces the repeats at one K.
func summariseK(k int, ests []mc.Estimate, exact float64) kRow {
	r := kRow{K: k, Repeats: len(ests)}
	nk := 0
	for _, e := range ests {
		r.Mean += e.LogPX
		r.AbsErr += math.Abs(e.LogPX - exact)
		r.ESS += e.ESS
		if !math.IsInf(e.StdErr, 0) {
			r.StdErr += e.StdErr
		}
		if !math.IsNaN(e.KHat) {
			r.KHat += e.KHat
			nk++
		}
	}
	n := float64(len(ests))
	r.Mean /= n
	r.AbsErr /= n
	r.ESS /= n
	r.StdErr /= n
	if nk > 0 {
		r.KHat /= float64(nk)
	} else {
		r.KHat = math.NaN()
	}
	if k == 1 {
		r.StdErr = math.NaN() // undefined for a single draw
	}
	for _, e := range ests {
		r.Spread += (e.LogPX - r.Mean) * (e.LogPX - r.Mean)
	}
	r.Spread = math.Sqrt(r.Spread / (n - 1))
	return r
}

func writeFigures(dir string, res results, dimKs []int) ([]string, error) {
	figs, err := notebook.NewFigures(dir)
	if err != nil {
		return nil, err
	}

	// Estimate against K with the spread over repeats as a band.
	s := figure.Series{Name: "naive MC: mean ± sd over repeats", Band: true, Points: true}
	for _, r := range res.KRows {
		s.X = append(s.X, float64(r.K))
		s.Y = append(s.Y, r.Mean)
		s.YErr = append(s.YErr, r.Spread)
	}
	p, err := figure.LinePlot([]figure.Series{s}, figure.LineOptions{
		Title:  fmt.Sprintf("Naive Monte Carlo from the prior (D = %d, d = %d)", dataDim, sweepDim),
		XLabel: "K (prior samples)",
		YLabel: "log p̂(x) (nats)",
		LogX:   true,
		Refs:   []figure.RefLine{{Name: "exact log p(x)", Y: res.LogPX}},
	})
	if err != nil {
		return figs.Paths, err
	}
	// K = 1 and 10 sit tens of nats below; keep the convergence visible by
	// clipping the y axis at the lowest band edge with K ≥ 100.
	lo := res.LogPX
	for _, r := range res.KRows {
		if r.K >= 100 {
			lo = math.Min(lo, r.Mean-r.Spread)
		}
	}
	p.Y.Min = lo - 0.5*(res.LogPX-lo)
	p.Y.Max = res.LogPX + 0.25*(res.LogPX-lo)
	if res.KRows[0].Mean < p.Y.Min {
		p.Title.Text += "; small K lie below the plot (see the table)"
	}
	if err := figs.Plot("estimate_vs_k.png", p); err != nil {
		return figs.Paths, err
	}

	// Error against d, one line per K.
	var series []figure.Series
	for _, k := range dimKs {
		s := figure.Series{Name: fmt.Sprintf("K = %d", k), Points: true}
		for _, r := range res.DimRows {
			if r.K == k {
				s.X = append(s.X, float64(r.Dim))
				s.Y = append(s.Y, r.Bias)
			}
		}
		series = append(series, s)
	}
	p, err = figure.LinePlot(series, figure.LineOptions{
		Title:      fmt.Sprintf("Naive Monte Carlo error against latent dimension (D = %d)", dataDim),
		XLabel:     "latent dimension d",
		YLabel:     "mean log p̂(x) − log p(x) (nats)",
		Refs:       []figure.RefLine{{Name: "no error", Y: 0}},
		LegendLeft: true,
	})
	if err != nil {
		return figs.Paths, err
	}
	var ticks []plot.Tick
	for _, r := range res.DimRows {
		if r.K == dimKs[0] {
			ticks = append(ticks, plot.Tick{Value: float64(r.Dim), Label: fmt.Sprint(r.Dim)})
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	err = figs.Plot("error_vs_dim.png", p)
	return figs.Paths, err
}

// f3 and f2 format v with 3 or 2 decimals, or "–" for NaN.
func f3(v float64) string { return notebook.Num("%.3f", v) }
func f2(v float64) string { return notebook.Num("%.2f", v) }
