package cli

import (
	"fmt"

	"github.com/vitool/vitool/figure"
)

// writeEstimatePlot draws log p̂(x) against K, one line per method (and
// proposal) with ±2 standard errors, and the exact log p(x) as a reference
// line when it is known; the file extension picks the format. The Y axis
// spans every estimate, so that naive sampling's climb from far below shows.
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
	// The whole range, on purpose: naive estimates climb from hundreds of
	// nats below at small K, which is the point of the plot; the others sit
	// near the top, and the legend in the empty bottom right.
	if err := figure.Save(path, p, 0, 0); err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	return nil
}
