package cli

import (
	"fmt"
	"io"
	"math"
	"strconv"
)

// estimateJSON is the --json output of estimate-px.
type estimateJSON struct {
	Model      modelJSON    `json:"model"`
	Data       string       `json:"data"`
	NPoints    int          `json:"n_points"`
	Seed       uint64       `json:"seed"`
	ExactLogPX jsonFloat    `json:"exact_log_px"` // mean over points; null when unknown
	Results    []resultJSON `json:"results"`
}

type modelJSON struct {
	Family    string `json:"family"`
	Source    string `json:"source"`
	LatentDim int    `json:"latent_dim"`
	DataDim   int    `json:"data_dim"`
}

// resultJSON is one method at one K, averaged over the data points.
type resultJSON struct {
	Method           string      `json:"method"`
	Proposal         string      `json:"proposal,omitempty"`
	K                int         `json:"k"`
	Reps             int         `json:"reps,omitempty"`
	Steps            int         `json:"steps,omitempty"`       // ais: annealing steps; K is the chains
	AcceptRate       *jsonFloat  `json:"accept_rate,omitempty"` // ais: mean HMC acceptance
	GradEvals        int         `json:"grad_evals,omitempty"`  // ais: gradient evaluations, all points
	LogPX            jsonFloat   `json:"log_px"`
	StdErr           jsonFloat   `json:"stderr"`
	ESS              jsonFloat   `json:"ess"`
	KHat             jsonFloat   `json:"khat"`
	Error            jsonFloat   `json:"error"` // log_px − exact_log_px; null when unknown
	Seconds          float64     `json:"seconds"`
	Samples          int         `json:"samples"`
	SamplesPerSecond jsonFloat   `json:"samples_per_second"`
	PerPoint         []pointJSON `json:"per_point"`
}

// pointJSON is one method at one K on one data point.
type pointJSON struct {
	LogPX      jsonFloat `json:"log_px"`
	StdErr     jsonFloat `json:"stderr"`
	ESS        jsonFloat `json:"ess"`
	KHat       jsonFloat `json:"khat"`
	ExactLogPX jsonFloat `json:"exact_log_px"`
	Seconds    float64   `json:"seconds"`
}

func writeEstimateJSON(w io.Writer, in *estimateInput, seed uint64, exact []float64, rows []*estimateRow) error {
	out := estimateJSON{
		Model: modelJSON{
			Family:    in.modelName,
			Source:    in.modelSource,
			LatentDim: in.model.LatentDim(),
			DataDim:   in.model.DataDim(),
		},
		Data:       in.dataName,
		NPoints:    len(in.points),
		Seed:       seed,
		ExactLogPX: jsonFloat(math.NaN()),
		Results:    []resultJSON{},
	}
	if exact != nil {
		out.ExactLogPX = jsonFloat(mean(exact))
	}
	for _, r := range rows {
		res := resultJSON{
			Method:           r.method,
			Proposal:         r.proposal,
			K:                r.k,
			Reps:             r.reps,
			LogPX:            jsonFloat(r.avg.LogPX),
			StdErr:           jsonFloat(r.avg.StdErr),
			ESS:              jsonFloat(r.avg.ESS),
			KHat:             jsonFloat(r.avg.KHat),
			Error:            jsonFloat(r.errVsExact()),
			Seconds:          seconds(r.avg.Elapsed),
			Samples:          r.avg.Samples,
			SamplesPerSecond: jsonFloat(r.avg.SamplesPerSecond()),
		}
		res.Steps, res.AcceptRate, res.GradEvals = r.aisJSON()
		for i, p := range r.points {
			pj := pointJSON{
				LogPX:      jsonFloat(p.LogPX),
				StdErr:     jsonFloat(p.StdErr),
				ESS:        jsonFloat(p.ESS),
				KHat:       jsonFloat(p.KHat),
				ExactLogPX: jsonFloat(math.NaN()),
				Seconds:    seconds(p.Elapsed),
			}
			if exact != nil {
				pj.ExactLogPX = jsonFloat(exact[i])
			}
			res.PerPoint = append(res.PerPoint, pj)
		}
		out.Results = append(out.Results, res)
	}
	return writeJSON(w, out)
}

// khatLimit is the Pareto k̂ above which an importance-sampling estimate is
// not to be trusted (Vehtari et al., Pareto smoothed importance sampling).
const khatLimit = 0.7

// khatMark follows a k̂ above khatLimit in the table; khatNote, printed once
// below a table that has one, explains it.
const (
	khatMark = " !"
	khatNote = "! k̂ > 0.7 on at least one point: the importance weights are so heavy-tailed that the estimate and its stderr are unreliable (more samples or a better proposal help)"
)

// fmtKHat formats a row's k̂ (the largest over its points) and reports
// whether it is above khatLimit, marking it if so.
func fmtKHat(khat float64) (string, bool) {
	s := fmtNum("%.2f", khat)
	if khat > khatLimit {
		return s + khatMark, true
	}
	return s, false
}

func writeEstimateTable(w io.Writer, in *estimateInput, exact []float64, rows []*estimateRow) error {
	fmt.Fprintf(w, "model: %s (%s), latent dim %d, data dim %d; data: %s, %d point(s)\n",
		in.modelName, in.modelSource, in.model.LatentDim(), in.model.DataDim(), in.dataName, len(in.points))
	if exact != nil {
		fmt.Fprintf(w, "exact log p(x) = %.4f (mean over points); rows are means over points\n", mean(exact))
	} else {
		fmt.Fprintln(w, "exact log p(x) unknown for this model; rows are means over points")
	}
	header := []any{"method", "q", "K", "log p̂(x)", "stderr", "ESS", "k̂", "time", "samples/s"}
	if exact != nil {
		header = append(header[:4], append([]any{"error"}, header[4:]...)...)
	}
	t := newTable(w, header...)
	marked := false
	for _, r := range rows {
		k := strconv.Itoa(r.k)
		if r.reps > 0 {
			k = fmt.Sprintf("%d ×%d", r.k, r.reps)
		}
		if r.ais != nil {
			k = r.ais.kCell(r.k)
		}
		cells := []any{r.method, r.proposal, k, fmtNum("%.4f", r.avg.LogPX)}
		if exact != nil {
			cells = append(cells, fmtNum("%+.4f", r.errVsExact()))
		}
		khat, mark := fmtKHat(r.avg.KHat)
		marked = marked || mark
		cells = append(cells,
			fmtNum("%.2g", r.avg.StdErr),
			fmtNum("%.3g", r.avg.ESS),
			khat,
			fmtDuration(r.avg.Elapsed),
			fmtNum("%.3g", r.avg.SamplesPerSecond()),
		)
		if err := t.Append(cells...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if marked {
		fmt.Fprintln(w, khatNote)
	}
	return nil
}
