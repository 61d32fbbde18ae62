package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/examples/internal/notebook"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// The d = 2 model of posterior_2d.png: D = 20 observed dimensions, noise
// planeNoise, and a W whose two columns have cosine planeCos, so that the
// posterior is a tilted ellipse; the data point is drawn from p(x | z*).
const (
	planeNoise  = 0.7
	planeCos    = 0.95
	planeDraws  = 500  // prior draws shown
	planeK      = 1000 // importance samples per estimate
	planeReps   = 20   // estimates per proposal
	planeRadius = 2    // contours at Mahalanobis distance 2: 86.5 % of the mass
)

// planeZ is the latent value z* that generated the data point.
var planeZ = []float64{1.5, -0.5}

// plane is the d = 2 model with its posterior, the proposals and the
// prior draws of posterior_2d.png.
type plane struct {
	Model latent.LinearGaussian
	X     []float64
	LogPX float64
	Post  dist.MultivariateNormal
	// PostSD holds the posterior's marginal standard deviations.
	PostSD [2]float64
	Qs     []planeQ // prior, mean-field, shifted and wider, too narrow
	// Draws are prior draws, Inside how many of them fall inside the
	// posterior's contour.
	Draws  *mat.Dense
	Inside int
}

// planeQ is one proposal on the d = 2 model.
type planeQ struct {
	Name    string
	Q       dist.Distribution
	Cov     *mat.SymDense
	Mean    []float64
	Reverse float64 // KL(q ‖ p(z|x)): the ELBO's gap
	Forward float64 // KL(p(z|x) ‖ q): about e^Forward importance samples are needed
	TailK   float64 // 1 − λ_min(Σ_q Σ_p⁻¹)
	AbsErr  float64 // mean |log p̂ − log p(x)| over planeReps estimates with K = planeK
	ESSFrac float64 // mean ESS/K
	KHat    float64 // mean Pareto k̂
}

// newPlane builds the d = 2 model and measures each proposal.
func newPlane(seed uint64) (plane, error) {
	rnd := rand.New(rand.NewPCG(seed, 2))
	base := latent.NewRandomLinearGaussian(dataDim, 2, planeNoise, rnd)
	// Mix the columns: w₂ ← cos·w₁ + sin·w₂, so that Wᵀ W, and with it the
	// posterior precision I + WᵀW/σ², has a large off-diagonal term.
	mix := mat.NewDense(2, 2, []float64{1, planeCos, 0, math.Sqrt(1 - planeCos*planeCos)})
	var w mat.Dense
	w.Mul(base.W, mix)
	m := latent.LinearGaussian{W: &w, B: base.B, NoiseStd: planeNoise}
	x := make([]float64, dataDim)
	for j := range x {
		x[j] = m.B[j] + w.At(j, 0)*planeZ[0] + w.At(j, 1)*planeZ[1] + planeNoise*rnd.NormFloat64()
	}
	pl := plane{Model: m, X: x, LogPX: m.LogEvidence(x), Post: m.PosteriorNormal(x)}
	cov := pl.Post.Covariance()
	pl.PostSD = [2]float64{math.Sqrt(cov.At(0, 0)), math.Sqrt(cov.At(1, 1))}

	mf := m.MeanField(x)
	for _, q := range []struct {
		name string
		q    dist.Distribution
	}{
		{propPrior, m.Prior()},
		{propMF, mf},
		{propWrong, shiftScale(mf, 0.5, 1.5)},
		{propNarrow, shiftScale(mf, 0, 0.3)},
	} {
		pq := planeQ{Name: q.name, Q: q.q, Cov: covariance(q.q, 2), Mean: make([]float64, 2)}
		if n, ok := q.q.(dist.Normal); ok {
			pq.Mean = mat.Row(nil, 0, n.Loc)
		}
		qm, err := dist.NewMultivariateNormal(pq.Mean, pq.Cov)
		if err != nil {
			return pl, err
		}
		rev, err := dist.KL(nil, qm, pl.Post)
		if err != nil {
			return pl, err
		}
		fwd, err := dist.KL(nil, pl.Post, qm)
		if err != nil {
			return pl, err
		}
		pq.Reverse, pq.Forward = rev[0], fwd[0]
		lm, err := lambdaMin(pq.Cov, cov)
		if err != nil {
			return pl, err
		}
		pq.TailK = 1 - lm
		for r := 0; r < planeReps; r++ {
			e, err := mc.Importance(m, q.q, x, planeK, mc.Config{Seed: mc.DeriveSeed(seed, 3, uint64(len(pl.Qs)), uint64(r))})
			if err != nil {
				return pl, err
			}
			pq.AbsErr += math.Abs(e.LogPX-pl.LogPX) / planeReps
			pq.ESSFrac += e.ESS / planeK / planeReps
			pq.KHat += e.KHat / planeReps
		}
		pl.Qs = append(pl.Qs, pq)
	}

	pl.Draws = mat.NewDense(planeDraws, 2, nil)
	m.Prior().Sample(pl.Draws, rnd)
	for i := 0; i < planeDraws; i++ {
		if pl.inside(pl.Draws.RawRowView(i)) {
			pl.Inside++
		}
	}
	return pl, nil
}

// inside reports whether z lies inside the posterior's contour, within
// Mahalanobis distance planeRadius of its mean.
func (pl plane) inside(z []float64) bool {
	lp := pl.Post.LogProb(nil, mat.NewDense(1, 2, z))[0]
	peak := pl.Post.LogProb(nil, mat.NewDense(1, 2, pl.Post.Mean()))[0]
	return 2*(peak-lp) <= planeRadius*planeRadius
}

// print writes the d = 2 table.
func (pl plane) print(w io.Writer) error {
	mu := pl.Post.Mean()
	fmt.Fprintf(w, "\nThe same proposals with d = 2 (D = %d, σ = %g, columns of W with cosine %g, x drawn from p(x | z = (%g, %g)));\n",
		dataDim, planeNoise, planeCos, planeZ[0], planeZ[1])
	fmt.Fprintf(w, "posterior mean (%.2f, %.2f), marginal sds (%.2f, %.2f); %d of %d prior draws fall inside its 86 %% contour.\n",
		mu[0], mu[1], pl.PostSD[0], pl.PostSD[1], pl.Inside, planeDraws)
	fmt.Fprintf(w, "Importance sampling with K = %d, mean over %d estimates; log p(x) = %.4f\n\n", planeK, planeReps, pl.LogPX)
	t := notebook.NewTable(w, "proposal q", "sds of q", "KL(q ‖ p(z|x))", "KL(p(z|x) ‖ q)", "e^KL(p‖q)", "tail index k", "ESS/K", "k̂", "mean |error|")
	for _, q := range pl.Qs {
		k := fmt.Sprintf("%.3f", q.TailK)
		if q.TailK <= 0 {
			k = "≤ 0 (bounded)"
		}
		t.Append(q.Name, fmt.Sprintf("%.2f, %.2f", math.Sqrt(q.Cov.At(0, 0)), math.Sqrt(q.Cov.At(1, 1))),
			fmt.Sprintf("%.3f", q.Reverse), fmt.Sprintf("%.3f", q.Forward), fmt.Sprintf("%.3g", math.Exp(q.Forward)), k,
			fmt.Sprintf("%.3f", q.ESSFrac), fmt.Sprintf("%.2f", q.KHat), fmt.Sprintf("%.4f", q.AbsErr))
	}
	return t.Render()
}

// ellipse returns the contour at Mahalanobis distance planeRadius of the
// Gaussian with mean mu and covariance cov, as a closed curve.
func ellipse(mu []float64, cov *mat.SymDense) plotter.XYs {
	var ch mat.Cholesky
	ch.Factorize(cov)
	var l mat.TriDense
	ch.LTo(&l)
	const n = 200
	pts := make(plotter.XYs, n+1)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / n
		c, s := planeRadius*math.Cos(a), planeRadius*math.Sin(a)
		pts[i].X = mu[0] + l.At(0, 0)*c
		pts[i].Y = mu[1] + l.At(1, 0)*c + l.At(1, 1)*s
	}
	return pts
}

// save draws the prior draws and the contours, and writes the figure to
// path.
func (pl plane) save(path string) error {
	var xs, ys []float64
	var labels []int
	const outside, in = 7, 3 // grey and red in figure.Palette
	for i := 0; i < planeDraws; i++ {
		z := pl.Draws.RawRowView(i)
		xs, ys = append(xs, z[0]), append(ys, z[1])
		if pl.inside(z) {
			labels = append(labels, in)
		} else {
			labels = append(labels, outside)
		}
	}
	names := make([]string, 8)
	names[outside] = "prior draws z ~ p(z)"
	names[in] = fmt.Sprintf("the %d of %d inside the posterior's contour", pl.Inside, planeDraws)
	p, err := figure.Scatter(xs, ys, labels, figure.ScatterOptions{
		Title:      "d = 2: contours holding 86 % of each distribution's mass",
		XLabel:     "z₁",
		YLabel:     "z₂",
		LabelNames: names,
		Radius:     vg.Points(1.5),
	})
	if err != nil {
		return err
	}
	curve := func(name string, pts plotter.XYs, c int, width float64, dashes []vg.Length) error {
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.LineStyle = draw.LineStyle{Color: figure.Palette[c], Width: vg.Points(width), Dashes: dashes}
		p.Add(l)
		p.Legend.Add(name, l)
		return nil
	}
	dash := []vg.Length{vg.Points(5), vg.Points(3)}
	colours := map[string]int{propPrior: 7, propMF: 2, propWrong: 0, propNarrow: 4}
	names2 := map[string]string{
		propPrior:  "prior p(z) = N(0, I)",
		propMF:     "mean-field q (minimises KL(q ‖ p(z|x)))",
		propWrong:  "q shifted, 1.5× wider",
		propNarrow: "q too narrow (mean-field × 0.3)",
	}
	for _, q := range pl.Qs {
		var dashes []vg.Length
		if q.Name == propPrior {
			dashes = dash
		}
		if err := curve(names2[q.Name], ellipse(q.Mean, q.Cov), colours[q.Name], 1.8, dashes); err != nil {
			return err
		}
	}
	if err := curve("posterior p(z|x)", ellipse(pl.Post.Mean(), pl.Post.Covariance()), 1, 2.5, nil); err != nil {
		return err
	}
	// Equal scales on both axes, with room on the right for the legend.
	p.X.Min, p.X.Max = -3.3, 7.2
	p.Y.Min, p.Y.Max = -3.3, 3.3
	p.Legend.Top, p.Legend.Left = true, false
	return figure.Save(path, p, 9*vg.Inch, 6*vg.Inch)
}
