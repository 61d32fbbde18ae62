package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/ppl"
)

// The gradient study uses the small linear-Gaussian model of ppl's
// TestGradientVarianceTable (D = 4, d = 2, σ = 0.7, seed 3), whose numbers
// docs/benchmarks.md §4 records, with the same guides and random streams,
// so that the example reproduces them.
const (
	gradD, gradLatent = 4, 2
	gradNoise         = 0.7
	gradModelSeed     = 3
	gradStream        = 11  // gradient s draws from PCG(s, gradStream)
	gradDelta         = 0.2 // distance of the IWAE guide from the mean-field optimum
)

// stlRow compares the standard and STL gradients of the ELBO (K = 1) at a
// distance Delta from the mean-field optimum.
type stlRow struct {
	Delta         float64
	Standard, STL gradStats
}

// dregRow compares the standard and DReG gradients of IWAE-K.
type dregRow struct {
	K              int
	Standard, DReG gradStats
}

// gradStats summarises n gradient estimates for the guide's parameters.
type gradStats struct {
	// Variance is the total variance, summed over the parameters.
	Variance float64
	// SNR is the signal-to-noise ratio |E g| / √Variance, E g the mean
	// gradient vector.
	SNR float64
}

// gradSizes returns the number of gradients per cell, the distances of the
// STL table and the K of the DReG table.
func gradSizes(cfg config) (n int, deltas []float64, ks []int) {
	deltas = []float64{0.5, 0.2, 0.05, 0.01}
	switch {
	case cfg.Fast:
		return 400, deltas, []int{1, 2, 8, 32, 128}
	case cfg.Full:
		return 4000, deltas, []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}
	}
	return 1000, deltas, []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}
}

// gradModel returns the model of the gradient study as a ppl model, its
// mean-field optimum for x, and x.
func gradModel() (ppl.Model, latent.LinearGaussian, []float64) {
	rnd := rand.New(rand.NewPCG(gradModelSeed, 1))
	lg := latent.NewRandomLinearGaussian(gradD, gradLatent, gradNoise, rnd)
	xm := mat.NewDense(1, gradD, nil)
	lg.SampleData(xm, rnd)
	wt := ad.FromDense(mat.DenseCopyOf(lg.W.T()))
	b := ad.Row(lg.B)
	ls := ad.Scalar(math.Log(lg.NoiseStd))
	model := func(t *ppl.Tracer, x *ad.Var) {
		z := t.Sample("z", dist.StdNormal{D: gradLatent})
		t.Observe("x", dist.Normal{Loc: ad.Add(ad.MatMul(z, wt), b), LogScale: ls}, x)
	}
	return model, lg, xm.RawRowView(0)
}

// offsetGuide is a mean-field guide with parameters "q.loc" and
// "q.log_scale", initialised at the optimum for x moved by delta: every
// loc + delta, every log-scale − delta.
func offsetGuide(lg latent.LinearGaussian, x []float64, delta float64) ppl.Guide {
	q := lg.MeanField(x)
	loc, ls := mat.DenseCopyOf(q.Loc), mat.DenseCopyOf(q.LogScale)
	loc.Apply(func(_, _ int, v float64) float64 { return v + delta }, loc)
	ls.Apply(func(_, _ int, v float64) float64 { return v - delta }, ls)
	return func(t *ppl.Tracer, x *ad.Var) {
		l := t.Param("q.loc", ppl.Value(loc))
		s := t.Param("q.log_scale", ppl.Value(ls))
		t.Sample("z", dist.Normal{Loc: l, LogScale: s})
	}
}

// guideGradStats draws n gradients of obj with respect to the guide's
// parameters, gradient s from the stream PCG(s, gradStream), and returns
// their total variance and signal-to-noise ratio.
func guideGradStats(model ppl.Model, guide ppl.Guide, x []float64, obj ppl.Objective, n int) (gradStats, error) {
	store := ppl.NewParamStore(0)
	xm := mat.NewDense(1, len(x), append([]float64(nil), x...))
	var sum, sum2 []float64
	for s := 0; s < n; s++ {
		_, g, err := ppl.Gradient(model, guide, store, xm, obj, rand.New(rand.NewPCG(uint64(s), gradStream)))
		if err != nil {
			return gradStats{}, err
		}
		flat := append(append([]float64(nil), g["q.loc"].RawMatrix().Data...), g["q.log_scale"].RawMatrix().Data...)
		if sum == nil {
			sum, sum2 = make([]float64, len(flat)), make([]float64, len(flat))
		}
		for i, v := range flat {
			sum[i] += v
			sum2[i] += v * v
		}
	}
	var st gradStats
	var norm2 float64
	nf := float64(n)
	for i := range sum {
		m := sum[i] / nf
		st.Variance += (sum2[i] - nf*m*m) / (nf - 1)
		norm2 += m * m
	}
	st.SNR = math.Sqrt(norm2 / st.Variance)
	return st, nil
}

// gradientStudy measures the STL and DReG tables and prints them.
func gradientStudy(cfg config, w io.Writer) ([]stlRow, []dregRow, error) {
	n, deltas, ks := gradSizes(cfg)
	model, lg, x := gradModel()
	var stl []stlRow
	for _, delta := range deltas {
		g := offsetGuide(lg, x, delta)
		r := stlRow{Delta: delta}
		var err error
		if r.Standard, err = guideGradStats(model, g, x, ppl.Objective{K: 1}, n); err != nil {
			return nil, nil, err
		}
		if r.STL, err = guideGradStats(model, g, x, ppl.Objective{K: 1, Estimator: ppl.STL}, n); err != nil {
			return nil, nil, err
		}
		stl = append(stl, r)
	}
	var dreg []dregRow
	g := offsetGuide(lg, x, gradDelta)
	for _, k := range ks {
		r := dregRow{K: k}
		var err error
		if r.Standard, err = guideGradStats(model, g, x, ppl.Objective{Bound: ppl.BoundIWAE, K: k}, n); err != nil {
			return nil, nil, err
		}
		if r.DReG, err = guideGradStats(model, g, x, ppl.Objective{Bound: ppl.BoundIWAE, K: k, Estimator: ppl.DReG}, n); err != nil {
			return nil, nil, err
		}
		dreg = append(dreg, r)
	}

	fmt.Fprintf(w, "\nGradient estimators for the guide (ppl.Gradient), linear-Gaussian model D = %d, d = %d, σ = %g, mean-field guide;\n", gradD, gradLatent, gradNoise)
	fmt.Fprintf(w, "%d gradients per cell. ELBO (K = 1): total variance against the distance δ from the optimum\n\n", n)
	t := notebook.NewTable(w, "δ", "standard", "STL", "standard / STL")
	for _, r := range stl {
		t.Append(fmt.Sprint(r.Delta), g4(r.Standard.Variance), g4(r.STL.Variance), fmt.Sprintf("%.3g", r.Standard.Variance/r.STL.Variance))
	}
	if err := t.Render(); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(w, "\nIWAE-K at δ = %g: total variance and signal-to-noise ratio |E g| / √variance\n\n", gradDelta)
	t = notebook.NewTable(w, "K", "standard", "DReG", "standard / DReG", "SNR standard", "SNR DReG")
	for _, r := range dreg {
		t.Append(fmt.Sprint(r.K), g4(r.Standard.Variance), g4(r.DReG.Variance), fmt.Sprintf("%.3g", r.Standard.Variance/r.DReG.Variance),
			fmt.Sprintf("%.3g", r.Standard.SNR), fmt.Sprintf("%.3g", r.DReG.SNR))
	}
	return stl, dreg, t.Render()
}

// snrPlot returns the signal-to-noise ratio of the two IWAE gradient
// estimators against K, on logarithmic axes, with the K^(−1/2) slope of
// Rainforth et al. (2018) through the standard estimator's first point.
func snrPlot(dreg []dregRow) (*plot.Plot, error) {
	std := figure.Series{Name: "standard (reparameterised) IWAE gradient", Points: true}
	dr := figure.Series{Name: "DReG (Tucker et al. 2018)", Points: true}
	for _, r := range dreg {
		k := float64(r.K)
		std.X, std.Y = append(std.X, k), append(std.Y, math.Log10(r.Standard.SNR))
		dr.X, dr.Y = append(dr.X, k), append(dr.Y, math.Log10(r.DReG.SNR))
	}
	p, err := figure.LinePlot([]figure.Series{std, dr}, figure.LineOptions{
		Title:     fmt.Sprintf("Signal-to-noise ratio of the guide's IWAE-K gradient (δ = %g from the optimum)", gradDelta),
		XLabel:    "K (particles)",
		YLabel:    "SNR = |E g| / √(total variance)",
		LogX:      true,
		LegendTop: true,
	})
	if err != nil {
		return nil, err
	}
	// The slope 1/√K, through the standard estimator's last point.
	last := dreg[len(dreg)-1]
	slope := func(k float64) float64 { return math.Log10(last.Standard.SNR * math.Sqrt(float64(last.K)/k)) }
	ref := plotter.NewFunction(slope)
	ref.XMin, ref.XMax = float64(dreg[0].K), float64(last.K)
	ref.LineStyle = draw.LineStyle{Color: figure.Palette[7], Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
	p.Add(ref)
	p.Legend.Add("slope 1/√K (Rainforth et al. 2018)", ref)
	p.Y.Max = math.Max(p.Y.Max, slope(ref.XMin)) + 0.3 // room for the legend above the curves
	// The Y axis holds log₁₀ SNR; label it with SNR.
	var ticks []plot.Tick
	for e := math.Floor(p.Y.Min); e <= p.Y.Max; e++ {
		for m := 1; m <= 9; m++ {
			v := e + math.Log10(float64(m))
			if v < p.Y.Min || v > p.Y.Max {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = fmt.Sprint(float64(m) * math.Pow(10, e))
			}
			ticks = append(ticks, t)
		}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	return p, nil
}

// g4 formats v with four significant digits.
func g4(v float64) string { return fmt.Sprintf("%.4g", v) }
