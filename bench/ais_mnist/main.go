// Command ais_mnist draws the figure and prints the tables of
// docs/benchmarks.md §6, "The full-MNIST VAE: AIS 16 × 1,000 beside IS, IWAE
// and the ELBO", from the --json outputs of vitool estimate-px and vitool
// sandwich:
//
//	go run ./bench/ais_mnist -estimate est_is.json,est_ais_short.json,est_ais.json \
//		-sandwich sandwich.json -out docs/figures/benchmarks/ais_mnist.png
//
// The figure has three panels. The first two show, per test image, each
// row's log p̂(x) minus that of the last AIS row (the reference: give the
// longest AIS run last), with ± one standard error; the second leaves out the
// ELBO, to show IS, IWAE and shorter AIS runs at the scale of their
// differences from the reference. The third shows the BDMC lower and upper
// bounds, averaged over the simulated images, against the number of AIS
// steps. The tables go to standard output as Markdown. If no row of the
// estimates is an AIS row, the first panels show raw log p̂(x) instead of
// differences.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/vitool/vitool/figure"
)

// estimate is the part of estimate-px's JSON output that is used here. A
// null number (NaN or ±Inf in vitool) decodes as nil.
type estimate struct {
	NPoints int `json:"n_points"`
	Results []struct {
		Method     string   `json:"method"`
		K          int      `json:"k"`
		Reps       int      `json:"reps"`
		Steps      int      `json:"steps"`
		AcceptRate *float64 `json:"accept_rate"`
		GradEvals  int      `json:"grad_evals"`
		LogPX      *float64 `json:"log_px"`
		StdErr     *float64 `json:"stderr"`
		KHat       *float64 `json:"khat"`
		Seconds    float64  `json:"seconds"`
		PerPoint   []struct {
			LogPX  *float64 `json:"log_px"`
			StdErr *float64 `json:"stderr"`
			KHat   *float64 `json:"khat"`
		} `json:"per_point"`
	} `json:"results"`
}

// sandwich is the part of sandwich's JSON output that is used here.
type sandwich struct {
	NPoints int `json:"n_points"`
	Chains  int `json:"chains"`
	Results []struct {
		Steps       int      `json:"steps"`
		Lower       *float64 `json:"lower"`
		LowerStdErr *float64 `json:"lower_stderr"`
		Upper       *float64 `json:"upper"`
		UpperStdErr *float64 `json:"upper_stderr"`
		Gap         *float64 `json:"gap"`
		AcceptRate  *float64 `json:"accept_rate"`
		GradEvals   int      `json:"grad_evals"`
		Seconds     float64  `json:"seconds"`
	} `json:"results"`
}

// row is one estimator's result on every image.
type row struct {
	label      string    // as in the figure's legend: "IS-5000"
	method, k  string    // the table's method and K columns
	logPX, se  float64   // mean over the images
	khat       float64   // worst image's k̂, NaN if none
	perPoint   []float64 // log p̂(x) per image
	perSE      []float64 // its standard error per image
	perKHat    []float64 // its k̂ per image, NaN where there is none
	seconds    float64
	acceptRate float64 // AIS only; NaN otherwise
}

func main() {
	est := flag.String("estimate", "", "comma-separated JSON outputs of vitool estimate-px --json")
	sw := flag.String("sandwich", "", "JSON output of vitool sandwich --json (optional)")
	out := flag.String("out", "ais_mnist.png", "figure to write (.png, .svg or .pdf)")
	flag.Parse()
	if err := run(strings.Split(*est, ","), *sw, *out, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ais_mnist:", err)
		os.Exit(1)
	}
}

// run reads the outputs, prints the tables to w and writes the figure to out.
func run(estFiles []string, swFile, out string, w io.Writer) error {
	var rows []row
	for _, f := range estFiles {
		if f == "" {
			continue
		}
		var e estimate
		if err := readJSON(f, &e); err != nil {
			return err
		}
		rows = append(rows, estimateRows(e)...)
	}
	if len(rows) == 0 {
		return errors.New("no estimate rows (give -estimate)")
	}
	var s *sandwich
	if swFile != "" {
		s = new(sandwich)
		if err := readJSON(swFile, s); err != nil {
			return err
		}
	}
	printTables(w, rows, s)
	return drawFigure(out, rows, s)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// val returns *p, or NaN for a null number.
func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func estimateRows(e estimate) []row {
	var rows []row
	for _, r := range e.Results {
		x := row{
			method: r.Method, logPX: val(r.LogPX), se: val(r.StdErr),
			khat: math.NaN(), seconds: r.Seconds, acceptRate: val(r.AcceptRate),
		}
		switch r.Method {
		case "ais":
			x.label = fmt.Sprintf("AIS-%d×%d", r.K, r.Steps)
			x.k = fmt.Sprintf("%d chains × %d steps", r.K, r.Steps)
		case "iwae":
			x.label = fmt.Sprintf("IWAE-%d", r.K)
			x.k = fmt.Sprintf("%d ×%d", r.K, r.Reps)
		default:
			x.label = fmt.Sprintf("%s-%d", strings.ToUpper(r.Method), r.K)
			x.k = fmt.Sprint(r.K)
		}
		for _, p := range r.PerPoint {
			x.perPoint = append(x.perPoint, val(p.LogPX))
			x.perSE = append(x.perSE, val(p.StdErr))
			x.perKHat = append(x.perKHat, val(p.KHat))
			if k := val(p.KHat); !math.IsNaN(k) && (math.IsNaN(x.khat) || k > x.khat) {
				x.khat = k
			}
		}
		rows = append(rows, x)
	}
	return rows
}

// num formats v with the given decimals, a Unicode minus, and "–" for NaN.
func num(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strings.Replace(fmt.Sprintf("%.*f", decimals, v), "-", "−", 1)
}

func printTables(w io.Writer, rows []row, s *sandwich) {
	fmt.Fprintln(w, "| method | K | log p̂(x) | stderr | k̂ (worst image) | per image (± stderr) | time |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | --- | ---: |")
	for _, r := range rows {
		var per []string
		for i, v := range r.perPoint {
			per = append(per, num(v, 2)+" ± "+num(r.perSE[i], 2))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %.0f s |\n",
			r.method, r.k, num(r.logPX, 3), num(r.se, 3), num(r.khat, 2), strings.Join(per, ", "), r.seconds)
	}
	printPerImage(w, rows)
	if s == nil {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| steps | lower | ± | upper | ± | gap | acceptance | ∇ evaluations (both bounds) | time |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range s.Results {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %d | %.0f s |\n",
			r.Steps, num(val(r.Lower), 3), num(val(r.LowerStdErr), 2), num(val(r.Upper), 3),
			num(val(r.UpperStdErr), 2), num(val(r.Gap), 2), num(val(r.AcceptRate), 2), r.GradEvals, r.Seconds)
	}
}

// printPerImage prints, per image, the k̂ of the IS rows and every other
// row's log p̂(x) minus the last AIS row's, if there is an AIS row.
func printPerImage(w io.Writer, rows []row) {
	var ais *row
	for i := range rows {
		if rows[i].method == "ais" {
			ais = &rows[i]
		}
	}
	if ais == nil {
		return
	}
	head, rule := "| image | "+ais.label+" log p̂(x) |", "| ---: | ---: |"
	for _, r := range rows {
		if r.method == "is" {
			head, rule = head+" k̂ ("+r.label+") |", rule+" ---: |"
		}
	}
	for i, r := range rows {
		if &rows[i] != ais {
			head, rule = head+" "+r.label+" − "+ais.label+" |", rule+" ---: |"
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, rule)
	for i, a := range ais.perPoint {
		line := fmt.Sprintf("| %d | %s |", i+1, num(a, 2))
		for _, r := range rows {
			if r.method == "is" {
				line += " " + num(r.perKHat[i], 2) + " |"
			}
		}
		for j, r := range rows {
			if &rows[j] != ais {
				line += " " + num(r.perPoint[i]-a, 2) + " |"
			}
		}
		fmt.Fprintln(w, line)
	}
}

// perImage returns the series of the per-image panels: each row's log p̂(x)
// minus the reference (AIS) row's, at X = image number plus a small offset
// per row. NaNs between the images keep figure.LinePlot from joining them,
// so every image's value is a dot with its error bar. With skipELBO the ELBO
// rows become empty, unnamed series, so that every method keeps its colour.
func perImage(rows []row, ref []float64, skipELBO bool) []figure.Series {
	var series []figure.Series
	for k, r := range rows {
		off := 0.3 * (float64(k)/float64(max(len(rows)-1, 1)) - 0.5)
		s := figure.Series{Name: r.label, Points: true}
		skip := skipELBO && strings.HasPrefix(r.method, "elbo")
		if skip {
			s.Name = ""
		}
		for i, v := range r.perPoint {
			if i > 0 {
				s.X, s.Y, s.YErr = append(s.X, math.NaN()), append(s.Y, math.NaN()), append(s.YErr, math.NaN())
			}
			d := v
			if ref != nil {
				d -= ref[i]
			}
			if skip {
				d = math.NaN()
			}
			s.X, s.Y, s.YErr = append(s.X, float64(i+1)+off), append(s.Y, d), append(s.YErr, r.perSE[i])
		}
		series = append(series, s)
	}
	return series
}

func drawFigure(out string, rows []row, s *sandwich) error {
	var ref []float64
	yLabel := "log p̂(x) (nats)"
	for _, r := range rows {
		if r.method == "ais" {
			ref, yLabel = r.perPoint, "log p̂(x) − "+r.label+" (nats)"
		}
	}
	var ticks plot.ConstantTicks
	for i := range rows[0].perPoint {
		ticks = append(ticks, plot.Tick{Value: float64(i + 1), Label: fmt.Sprint(i + 1)})
	}
	var plots []*plot.Plot
	for _, skip := range []bool{false, true} {
		title := "Per test image, all methods"
		if skip {
			title = "Without the ELBO"
		}
		p, err := figure.LinePlot(perImage(rows, ref, skip), figure.LineOptions{
			Title: title, XLabel: "test image", YLabel: yLabel, LegendLeft: true,
		})
		if err != nil {
			return err
		}
		p.X.Tick.Marker = ticks
		plots = append(plots, p)
	}
	if s != nil && len(s.Results) > 0 {
		lo := figure.Series{Name: "lower (forward AIS)", Points: true}
		up := figure.Series{Name: "upper (reverse AIS)", Points: true}
		for _, r := range s.Results {
			x := float64(r.Steps)
			lo.X, lo.Y, lo.YErr = append(lo.X, x), append(lo.Y, val(r.Lower)), append(lo.YErr, val(r.LowerStdErr))
			up.X, up.Y, up.YErr = append(up.X, x), append(up.Y, val(r.Upper)), append(up.YErr, val(r.UpperStdErr))
		}
		p, err := figure.LinePlot([]figure.Series{lo, up}, figure.LineOptions{
			Title:  fmt.Sprintf("BDMC, %d simulated images, %d chains", s.NPoints, s.Chains),
			XLabel: "AIS steps", YLabel: "log p(x) bound (nats)", LogX: true, LegendTop: true,
		})
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}
	return figure.SaveRow(out, plots, 6*vg.Inch, 4.5*vg.Inch)
}
