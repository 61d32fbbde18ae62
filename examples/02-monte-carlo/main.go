// Command 02-monte-carlo estimates the marginal likelihood log p(x) of
// linear-Gaussian models, whose exact values are known, by naive Monte Carlo
// from the prior,
//
//	log p̂(x) = log (1/K) Σₖ p(x|zₖ),  zₖ ~ p(z),
//
// and shows two things. First, the estimate converges as K grows, from far
// below the exact value. Second, what decides how many samples are needed is
// the Kullback–Leibler divergence from the prior to the posterior,
// KL(p(z|x) ‖ p(z)): about e^KL prior draws are needed before one lands where
// the posterior is (Chatterjee and Diaconis 2018). The example computes that
// KL exactly for models of latent dimension d = 1 … 20 and noise σ = 0.1 … 4,
// and measures the K that naive Monte Carlo needs for each: models of very
// different d but equal KL need the same K.
//
// It prints two tables and writes two figures to -out:
//
//	estimate_vs_k.png    log p̂(x) against K (log axis), the spread over repeats, the exact line
//	k_needed_vs_kl.png   the K needed (log axis) against KL(p(z|x) ‖ p(z)), one colour per d, with K = e^KL
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
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// config holds the example's settings, the flags every example takes; main
// fills it from the flags.
type config = notebook.Common

// The model of the K sweep (and of examples 03 and 04): D observed
// dimensions, d latent dimensions, noise σ. The KL study keeps D and varies
// d and σ.
const (
	dataDim  = 20
	sweepDim = 5
	noiseStd = 0.5
)

// The two criteria of the KL study, in nats: K reaches the posterior when the
// median of log p̂(x) − log p(x) over the repeats is at least −reachTol
// (naive estimates err low: most are far below until K hits the posterior),
// and K is
// accurate when their root-mean-square error is at most tolerance (the
// criterion of vitool bench-px).
const (
	reachTol  = 0.5
	tolerance = 0.1
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

// klCase is one model of the KL study: latent dimension and noise.
type klCase struct {
	Dim   int
	Noise float64
}

// klRow is one data point of the KL study.
type klRow struct {
	Dim   int
	Noise float64
	// KL is KL(p(z|x) ‖ p(z)) in nats, exact.
	KL float64
	// Renyi2 is the Rényi divergence of order 2, D₂(p(z|x) ‖ p(z)) =
	// log E_p(z)[w²] with w = p(z|x)/p(z), exact: the relative variance of
	// the weights is e^D₂ − 1.
	Renyi2 float64
	// KReach is the smallest power of two K at which the median of
	// log p̂(x) − log p(x) over the repeats is at least −reachTol; 0 if no K
	// up to the study's largest reaches it.
	KReach int
	// KAccurate is the smallest power of two K at which the root-mean-square
	// error of log p̂(x) over the repeats is at most tolerance; 0 if not
	// reached.
	KAccurate int
	// RMSE is the root-mean-square error at KAccurate, or at the largest K
	// tried when it was not reached.
	RMSE float64
}

// Predicted returns the K at which the delta-method standard error of
// log p̂(x), √((e^D₂ − 1)/K), equals tolerance.
func (r klRow) Predicted() float64 { return math.Expm1(r.Renyi2) / (tolerance * tolerance) }

// fit is a least-squares line ln K = Intercept + Slope·v over the points
// that reached a criterion, with its coefficient of determination.
type fit struct {
	Intercept, Slope, R2 float64
}

// results is what the example measured.
type results struct {
	LogPX   float64 // exact log p(x) of the K-sweep point
	SweepKL float64 // KL(p(z|x) ‖ p(z)) of the K-sweep point
	// SweepRenyi2 is D₂(p(z|x) ‖ p(z)) of the K-sweep point (see klRow).
	SweepRenyi2 float64
	KRows       []kRow
	KLRows      []klRow // sorted by KL
	KMax        int     // the largest K of the KL study
	ByKL        fit     // ln KReach against KL
	ByDim       fit     // ln KReach against d
	Figures     []string
}

func main() {
	const name = "02-monte-carlo"
	var cfg config
	cfg.Register(flag.CommandLine, name, "larger run: K up to 10⁷, more repeats and points (minutes)", "folder for the figures")
	flag.Parse()
	notebook.Main(name, cfg, run)
}

// settings holds the sizes of a run.
type settings struct {
	ks     []int    // K of the sweep
	reps   int      // repeats per K of the sweep
	cases  []klCase // models of the KL study
	points int      // data points per model
	klReps int      // repeats per K of the KL study
	kMax   int      // largest K of the KL study
}

// allCases are the models of the KL study: for each d, noise levels that
// spread its KL(p(z|x) ‖ p(z)) from about 1 to beyond reach.
var allCases = []klCase{
	{1, 2}, {1, 0.5}, {1, 0.1},
	{2, 2}, {2, 1}, {2, 0.5}, {2, 0.25}, {2, 0.1},
	{5, 2}, {5, 1}, {5, 0.5}, {5, 0.25},
	{10, 2}, {10, 1}, {10, 0.5},
	{20, 4}, {20, 2}, {20, 1}, {20, 0.5},
}

// sizes returns the settings for the configured size.
func sizes(cfg config) settings {
	switch {
	case cfg.Fast:
		fast := []klCase{{1, 0.5}, {2, 2}, {2, 0.25}, {5, 2}, {5, 0.5}, {10, 1}, {20, 2}, {20, 1}}
		return settings{ks: powers(4), reps: 8, cases: fast, points: 1, klReps: 8, kMax: 1 << 14}
	case cfg.Full:
		return settings{ks: powers(7), reps: 50, cases: allCases, points: 4, klReps: 32, kMax: 1 << 22}
	default:
		return settings{ks: powers(6), reps: 20, cases: allCases, points: 2, klReps: 16, kMax: 1 << 20}
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
	set := sizes(cfg)
	res := results{KMax: set.kMax}

	// Part 1: one model, one data point, K from 1 to 10⁶.
	rnd := rand.New(rand.NewPCG(cfg.Seed, 1))
	model := latent.NewRandomLinearGaussian(dataDim, sweepDim, noiseStd, rnd)
	x := sampleData(model, 1, rnd)[0]
	res.LogPX = model.LogEvidence(x)
	kl, d2, err := divergences(model, x)
	if err != nil {
		return res, err
	}
	res.SweepKL, res.SweepRenyi2 = kl, d2
	for ki, k := range set.ks {
		ests := make([]mc.Estimate, set.reps)
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
	fmt.Fprintf(w, "KL(p(z|x) ‖ p(z)) = %.2f nats, e^KL = %.0f; D₂(p(z|x) ‖ p(z)) = %.2f nats, (e^D₂ − 1)/%g² = %.3g; %d independent repeats per K\n\n",
		res.SweepKL, math.Exp(res.SweepKL), res.SweepRenyi2, tolerance, math.Expm1(res.SweepRenyi2)/(tolerance*tolerance), set.reps)
	t := notebook.NewTable(w, "K", "mean log p̂", "spread (sd)", "mean |error|", "reported stderr", "ESS", "k̂")
	for _, r := range res.KRows {
		t.Append(fmt.Sprint(r.K), f3(r.Mean), f3(r.Spread), f3(r.AbsErr), f3(r.StdErr), fmt.Sprintf("%.1f", r.ESS), f2(r.KHat))
	}
	if err := t.Render(); err != nil {
		return res, err
	}

	// Part 2: the K needed against KL(p(z|x) ‖ p(z)), over models of
	// different latent dimension and noise.
	for ci, c := range set.cases {
		rnd := rand.New(rand.NewPCG(cfg.Seed, uint64(100+ci)))
		m := latent.NewRandomLinearGaussian(dataDim, c.Dim, c.Noise, rnd)
		for p, x := range sampleData(m, set.points, rnd) {
			row, err := kNeeded(m, x, set, mc.DeriveSeed(cfg.Seed, 2, uint64(ci), uint64(p)))
			if err != nil {
				return res, err
			}
			row.Noise = c.Noise
			res.KLRows = append(res.KLRows, row)
		}
	}
	slices.SortStableFunc(res.KLRows, func(a, b klRow) int { return cmpFloat(a.KL, b.KL) })
	reach := func(r klRow) int { return r.KReach }
	res.ByKL = fitLogK(res.KLRows, reach, func(r klRow) float64 { return r.KL })
	res.ByDim = fitLogK(res.KLRows, reach, func(r klRow) float64 { return float64(r.Dim) })

	fmt.Fprintf(w, "\nK needed against KL(p(z|x) ‖ p(z)): the smallest power of two K at which the median error ≥ −%g nats (reach)\n", reachTol)
	fmt.Fprintf(w, "and the RMSE ≤ %g nats (accurate); %d repeats per K, up to K = %d; D = %d, %d data points per model.\n", tolerance, set.klReps, set.kMax, dataDim, set.points)
	fmt.Fprintf(w, "D₂ is the Rényi divergence of order 2; (e^D₂ − 1)/%g² is the K at which the delta-method stderr is %g.\n\n", tolerance, tolerance)
	t = notebook.NewTable(w, "d", "σ", "KL", "e^KL", "K reach", "reach / e^KL", "D₂", "(e^D₂−1)/0.01", "K accurate", "accurate / predicted")
	for _, r := range res.KLRows {
		reach, rRatio := fmt.Sprintf("> %d", set.kMax), "–"
		if r.KReach > 0 {
			reach, rRatio = fmt.Sprint(r.KReach), fmt.Sprintf("%.2g", float64(r.KReach)/math.Exp(r.KL))
		}
		acc, aRatio := fmt.Sprintf("> %d", set.kMax), "–"
		if r.KAccurate > 0 {
			acc, aRatio = fmt.Sprint(r.KAccurate), fmt.Sprintf("%.2g", float64(r.KAccurate)/r.Predicted())
		}
		t.Append(fmt.Sprint(r.Dim), fmt.Sprint(r.Noise), fmt.Sprintf("%.2f", r.KL), fmt.Sprintf("%.3g", math.Exp(r.KL)), reach, rRatio,
			fmt.Sprintf("%.2f", r.Renyi2), fmt.Sprintf("%.3g", r.Predicted()), acc, aRatio)
	}
	if err := t.Render(); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "\nLeast squares over the points that reached the posterior: ln K reach = %.2f + %.2f·KL (R² = %.2f); against d alone: R² = %.2f\n",
		res.ByKL.Intercept, res.ByKL.Slope, res.ByKL.R2, res.ByDim.R2)

	if cfg.Out != "" {
		figs, err := writeFigures(cfg.Out, res)
		res.Figures = figs
		if err != nil {
			return res, err
		}
		fmt.Fprintf(w, "\nFigures: %v\n", figs)
	}
	return res, nil
}

// divergences returns KL(p(z|x) ‖ p(z)), by dist.KL in closed form (the
// exact posterior, a multivariate normal, against the standard-normal
// prior), and the Rényi divergence of order 2,
//
//	D₂ = log ∫ p(z|x)²/p(z) dz = −log|Σ| − ½ log|A| + ½ bᵀA⁻¹b − μᵀΣ⁻¹μ,
//
// with p(z|x) = N(μ, Σ), A = 2Σ⁻¹ − I and b = 2Σ⁻¹μ (A is positive
// definite because Σ ≤ I for a linear-Gaussian posterior).
func divergences(m latent.LinearGaussian, x []float64) (kl, renyi2 float64, err error) {
	post := m.PosteriorNormal(x)
	k, err := dist.KL(nil, post, m.Prior())
	if err != nil {
		return 0, 0, err
	}
	var chol mat.Cholesky
	if !chol.Factorize(post.Covariance()) {
		return 0, 0, fmt.Errorf("posterior covariance is not positive definite")
	}
	var prec mat.SymDense // Σ⁻¹
	if err := chol.InverseTo(&prec); err != nil {
		return 0, 0, err
	}
	d := post.Dim()
	a := mat.NewSymDense(d, nil)
	a.ScaleSym(2, &prec)
	for i := 0; i < d; i++ {
		a.SetSym(i, i, a.At(i, i)-1)
	}
	var cholA mat.Cholesky
	if !cholA.Factorize(a) {
		return 0, 0, fmt.Errorf("2Σ⁻¹ − I is not positive definite")
	}
	mu := mat.NewVecDense(d, post.Mean())
	var b, aib mat.VecDense
	b.MulVec(&prec, mu) // Σ⁻¹μ = b/2
	if err := cholA.SolveVecTo(&aib, &b); err != nil {
		return 0, 0, err
	}
	renyi2 = -chol.LogDet() - 0.5*cholA.LogDet() + 2*mat.Dot(&b, &aib) - mat.Dot(mu, &b)
	return k[0], renyi2, nil
}

// kNeeded doubles K from 1 until the root-mean-square error of set.klReps
// naive estimates of log p(x) is at most tolerance, or K passes set.kMax,
// and records where the median error log p̂(x) − log p(x) first rises to
// −reachTol.
// Repeat r at K = 2ʲ draws with the seed mc.DeriveSeed(seed, j, r).
func kNeeded(m latent.LinearGaussian, x []float64, set settings, seed uint64) (klRow, error) {
	row := klRow{Dim: m.LatentDim()}
	var err error
	if row.KL, row.Renyi2, err = divergences(m, x); err != nil {
		return row, err
	}
	exact := m.LogEvidence(x)
	errs := make([]float64, set.klReps)
	for j, k := 0, 1; k <= set.kMax; j, k = j+1, 2*k {
		var sq float64
		for r := range errs {
			e, err := mc.Prior(m, x, k, mc.Config{Seed: mc.DeriveSeed(seed, uint64(j), uint64(r))})
			if err != nil {
				return row, err
			}
			sq += (e.LogPX - exact) * (e.LogPX - exact)
			errs[r] = e.LogPX - exact
		}
		if row.KReach == 0 && median(errs) >= -reachTol {
			row.KReach = k
		}
		row.RMSE = math.Sqrt(sq / float64(set.klReps))
		if row.RMSE <= tolerance {
			row.KAccurate = k
			if row.KReach == 0 {
				row.KReach = k
			}
			return row, nil
		}
	}
	return row, nil
}

// median returns the median of v, reordering v.
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// fitLogK fits ln k(row) = a + b·v(row) by least squares over the rows
// whose k is positive (the criterion was reached).
func fitLogK(rows []klRow, k func(klRow) int, v func(klRow) float64) fit {
	var xs, ys []float64
	for _, r := range rows {
		if k(r) > 0 {
			xs = append(xs, v(r))
			ys = append(ys, math.Log(float64(k(r))))
		}
	}
	n := float64(len(xs))
	var mx, my float64
	for i := range xs {
		mx += xs[i] / n
		my += ys[i] / n
	}
	var sxx, sxy, syy float64
	for i := range xs {
		sxx += (xs[i] - mx) * (xs[i] - mx)
		sxy += (xs[i] - mx) * (ys[i] - my)
		syy += (ys[i] - my) * (ys[i] - my)
	}
	b := sxy / sxx
	return fit{Intercept: my - b*mx, Slope: b, R2: sxy * sxy / (sxx * syy)}
}

// cmpFloat orders a before b when a < b.
func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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

func writeFigures(dir string, res results) ([]string, error) {
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
		Title:  fmt.Sprintf("Naive Monte Carlo, d = %d, KL(p(z|x) ‖ p(z)) = %.1f nats", sweepDim, res.SweepKL),
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
		p.Title.Text += "; small K lie below the plot"
	}
	if err := figs.Plot("estimate_vs_k.png", p); err != nil {
		return figs.Paths, err
	}

	p, err = kNeededPlot(res)
	if err != nil {
		return figs.Paths, err
	}
	err = figs.Plot("k_needed_vs_kl.png", p)
	return figs.Paths, err
}

// kNeededPlot returns the K needed against KL(p(z|x) ‖ p(z)) on a
// logarithmic K axis, one colour per latent dimension: dots where naive
// Monte Carlo reaches the posterior, squares where it becomes accurate, and
// grey triangles at the top for points that never reached it; the dashed
// line is K = e^KL.
func kNeededPlot(res results) (*plot.Plot, error) {
	var dims []int
	for _, r := range res.KLRows {
		if !slices.Contains(dims, r.Dim) {
			dims = append(dims, r.Dim)
		}
	}
	slices.Sort(dims)
	var xs, ys []float64
	var labels []int
	var names []string
	for i, d := range dims {
		names = append(names, fmt.Sprintf("d = %d", d))
		for _, r := range res.KLRows {
			if r.Dim == d && r.KReach > 0 {
				xs = append(xs, r.KL)
				ys = append(ys, math.Log10(float64(r.KReach)))
				labels = append(labels, i)
			}
		}
	}
	p, err := figure.Scatter(xs, ys, labels, figure.ScatterOptions{
		Title:      fmt.Sprintf("Prior samples needed (D = %d): dots reach the posterior, squares are accurate", dataDim),
		XLabel:     "KL(p(z|x) ‖ p(z)) (nats)",
		YLabel:     "K needed (prior samples)",
		LabelNames: names,
		Radius:     vg.Points(3.5),
	})
	if err != nil {
		return nil, err
	}
	klMax := 0.0
	for _, r := range res.KLRows {
		klMax = math.Max(klMax, r.KL)
	}
	add := func(pts plotter.XYs, g draw.GlyphStyle) (*plotter.Scatter, error) {
		if len(pts) == 0 {
			return nil, nil
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = g
		p.Add(sc)
		return sc, nil
	}
	// The accurate K, as open squares in each dimension's colour.
	var square *plotter.Scatter
	for i, d := range dims {
		var pts plotter.XYs
		for _, r := range res.KLRows {
			if r.Dim == d && r.KAccurate > 0 {
				pts = append(pts, plotter.XY{X: r.KL, Y: math.Log10(float64(r.KAccurate))})
			}
		}
		sc, err := add(pts, draw.GlyphStyle{Color: figure.Palette[i%len(figure.Palette)], Radius: vg.Points(4), Shape: draw.BoxGlyph{}})
		if err != nil {
			return nil, err
		}
		if sc != nil && square == nil {
			square = sc
		}
	}
	// Points beyond reach, as grey triangles at the top.
	var beyond plotter.XYs
	for _, r := range res.KLRows {
		if r.KReach == 0 || r.KAccurate == 0 {
			beyond = append(beyond, plotter.XY{X: r.KL, Y: math.Log10(float64(res.KMax))})
		}
	}
	grey := figure.Palette[7]
	tri, err := add(beyond, draw.GlyphStyle{Color: grey, Radius: vg.Points(4), Shape: draw.PyramidGlyph{}})
	if err != nil {
		return nil, err
	}
	fn := plotter.NewFunction(func(kl float64) float64 { return kl / math.Ln10 }) // log₁₀ e^KL
	fn.XMin, fn.XMax = 0, klMax+0.5
	fn.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
	p.Add(fn)
	p.Legend.Add("K = e^KL", fn)
	if square != nil {
		p.Legend.Add(fmt.Sprintf("squares: RMSE ≤ %g nats", tolerance), &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: grey, Radius: vg.Points(4), Shape: draw.BoxGlyph{}}})
	}
	if tri != nil {
		p.Legend.Add(fmt.Sprintf("not reached by K = %d", res.KMax), tri)
	}

	p.X.Min, p.X.Max = 0, klMax+0.5
	// The K axis holds log₁₀ K, labelled with K.
	top := math.Log10(float64(res.KMax))
	p.Y.Min, p.Y.Max = -0.3, top+0.3
	p.Y.Tick.Marker = powerTicks(p.Y.Min, p.Y.Max)
	p.Legend.Top, p.Legend.Left = false, false // the lower right is empty
	return p, nil
}

// powerTicks returns the ticks of an axis holding log₁₀ K over [lo, hi]: a
// labelled tick at every power of ten, unlabelled ones at its multiples 2 to
// 9.
func powerTicks(lo, hi float64) plot.ConstantTicks {
	var ticks []plot.Tick
	for e := math.Floor(lo); e <= hi; e++ {
		for m := 1; m <= 9; m++ {
			v := e + math.Log10(float64(m))
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 {
				t.Label = powerLabel(int(e))
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// powerLabel writes 10ᵉ (e ≥ 0) as a whole number, its digits grouped in
// threes from 10,000 on: 1, 10, 100, 1000, 10,000, 100,000, 1,000,000.
func powerLabel(e int) string {
	digits := "1" + strings.Repeat("0", e)
	if e < 4 {
		return digits
	}
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// f3 and f2 format v with 3 or 2 decimals, or "–" for NaN.
func f3(v float64) string { return notebook.Num("%.3f", v) }
func f2(v float64) string { return notebook.Num("%.2f", v) }
