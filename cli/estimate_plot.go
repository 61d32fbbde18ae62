package cli

import (
	"fmt"
	"math"

	"github.com/vitool/vitool/figure"
)

// writeEstimatePlot draws log p̂(x) against K, one line per method (and
// proposal) with ±2 standard errors, and the exact log p(x) as a reference
// line when it is known; the file extension picks the format.
func writeEstimatePlot(path string, in *estimateInput, exact []float64, rows []*estimateRow) error {
	var series []figure.Series
	xlabel := "K (samples per estimate)"
	index := map[string]int{}
	for _, r := range rows {
		name := r.method
		if r.proposal != "" {
			name += " (q: " + r.proposal + ")"
		}
		i, ok := index[name]
		if !ok {
			i = len(series)
			index[name] = i
			series = append(series, figure.Series{Name: name, Points: true})
		}
		s := &series[i]
		x := float64(r.k)
		if r.ais != nil {
			x *= float64(r.ais.steps) // chains × steps
			xlabel = "K (samples per estimate; ais: chains × steps)"
		}
		s.X = append(s.X, x)
		s.Y = append(s.Y, r.avg.LogPX)
		s.YErr = append(s.YErr, 2*r.avg.StdErr)
	}
	opt := figure.LineOptions{
		Title:  fmt.Sprintf("log p(x) estimates: %s, %d point(s)", in.modelName, len(in.points)),
		XLabel: xlabel,
		YLabel: "log p̂(x) (nats, mean over points)",
		LogX:   true,
	}
	if exact != nil {
		opt.Refs = []figure.RefLine{{Name: "exact log p(x)", Y: mean(exact)}}
	}
	p, err := figure.LinePlot(series, opt)
	if err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	// Naive estimates can sit hundreds of nats below the others at small K;
	// keep the informative range visible by clipping the y axis from below
	// at the lowest estimate with K ≥ 100, when there is one.
	lo := math.Inf(1)
	for _, r := range rows {
		if r.k >= 100 && r.avg.LogPX < lo {
			lo = r.avg.LogPX
		}
	}
	if !math.IsInf(lo, 1) && lo > p.Y.Min {
		p.Y.Min = lo - 0.1*(p.Y.Max-lo)
	}
	if err := figure.Save(path, p, 0, 0); err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	return nil
}
