// Command refine_mnist prints the tables and draws the figure that compare
// importance sampling with the encoder's proposal against the same proposal
// refined per image (vitool estimate-px --refine N), from the --json outputs
// of vitool estimate-px:
//
//	go run ./bench/refine_mnist \
//		-runs 'diagonal, ELBO=diag-r0.json:diag-r200.json;IAF, ELBO=iaf-r0.json:iaf-r200.json' \
//		-out docs/figures/benchmarks/refine_mnist.png
//
// Each entry of -runs is LABEL=PLAIN:REFINED, where PLAIN is the output of a
// run with the encoder's proposal and REFINED that of the same run with
// --refine; entries are separated by semicolons, as a label may hold commas.
// Every file needs an "is" row and an "elbo" row with per-image results.
//
// Per image, the gap IS − ELBO estimates KL(q‖p(z|x)) in nats, and k̂ is the
// Pareto k̂ of the IS weights. The first table gives, per model and proposal,
// the IS and ELBO estimates, the mean gap and the median and mean of k̂ and
// how many images have k̂ < 0.7; the second pools every image of every file
// and gives the fraction with k̂ < 0.7 per bin of the gap ([0, 1), [1, 2),
// [2, 3), [3, 4), [4, 6) and [6, ∞) nats, and "< 0" if an image's IS
// estimate falls below its ELBO), showing how small the gap must be for
// k̂ < 0.7. The figure's left panel plots k̂ against the gap for every
// image of every run, the colour giving the proposal, with the line
// k̂ = 0.7; the right panel shows per model the fraction of images with
// k̂ < 0.7 under each proposal, beside the line at one half. Null numbers
// (NaN or ±Inf in vitool) are left out of the statistics, and the tables
// count them.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/vitool/vitool/figure"
)

// kHatGood is the threshold below which importance sampling is trusted.
const kHatGood = 0.7

// gapEdges are the upper edges of the bins of the second table, in nats;
// the last bin has no upper edge.
var gapEdges = []float64{1, 2, 3, 4, 6}

// estimate is the part of estimate-px's JSON output that is used here. A
// null number (NaN or ±Inf in vitool) decodes as nil.
type estimate struct {
	Results []result `json:"results"`
}

// result is one row of estimate-px's JSON output.
type result struct {
	Method   string   `json:"method"`
	Proposal string   `json:"proposal"`
	K        int      `json:"k"`
	LogPX    *float64 `json:"log_px"`
	StdErr   *float64 `json:"stderr"`
	PerPoint []struct {
		LogPX *float64 `json:"log_px"`
		KHat  *float64 `json:"khat"`
	} `json:"per_point"`
}

// side is one file reduced to what is used: the IS and ELBO rows' estimates
// and, per image, k̂ and the gap IS − ELBO (NaN where missing).
type side struct {
	proposal        string
	logPX, se, elbo float64
	khat, gap       []float64
}

// pair is one -runs entry: a model with the encoder's proposal and refined.
type pair struct {
	label            string
	plain, refined   side
	plainF, refinedF string // the files, for messages
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "refine_mnist:", err)
		os.Exit(2)
	}
}

// run parses the flags in args, reads the files, prints the tables to w and
// writes the figure.
func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("refine_mnist", flag.ContinueOnError)
	runs := fs.String("runs", "", "semicolon-separated LABEL=PLAIN.json:REFINED.json entries, outputs of vitool estimate-px --json without and with --refine (labels may hold commas)")
	out := fs.String("out", "refine_mnist.png", "figure to write (.png, .svg or .pdf)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	pairs, err := parseRuns(*runs)
	if err != nil {
		return err
	}
	for i := range pairs {
		if err := pairs[i].load(); err != nil {
			return err
		}
	}
	printTables(w, pairs)
	return drawFigure(*out, pairs)
}

// parseRuns splits the -runs flag into its entries, without reading files.
func parseRuns(s string) ([]pair, error) {
	var pairs []pair
	for _, e := range strings.Split(s, ";") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		label, files, ok := strings.Cut(e, "=")
		plain, refined, ok2 := strings.Cut(files, ":")
		if !ok || !ok2 || strings.TrimSpace(label) == "" || plain == "" || refined == "" {
			return nil, fmt.Errorf("-runs entry %q is not LABEL=PLAIN.json:REFINED.json", e)
		}
		pairs = append(pairs, pair{label: strings.TrimSpace(label), plainF: plain, refinedF: refined})
	}
	if len(pairs) == 0 {
		return nil, errors.New("no runs (give -runs LABEL=PLAIN.json:REFINED.json;...)")
	}
	return pairs, nil
}

// load reads both files of p.
func (p *pair) load() error {
	var err error
	if p.plain, err = readSide(p.plainF, "encoder"); err != nil {
		return err
	}
	p.refined, err = readSide(p.refinedF, "refined")
	return err
}

// readSide reads one estimate-px output; proposal names it if the file does
// not. Every error names the file.
func readSide(path, proposal string) (side, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return side{}, err
	}
	var e estimate
	if err := json.Unmarshal(b, &e); err != nil {
		return side{}, fmt.Errorf("%s: %w", path, err)
	}
	s, err := reduce(e, proposal)
	if err != nil {
		return side{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// reduce takes the first "is" and "elbo" rows of e.
func reduce(e estimate, proposal string) (side, error) {
	is, elbo := findRow(e, "is"), findRow(e, "elbo")
	switch {
	case is == nil:
		return side{}, errors.New(`no "is" row`)
	case elbo == nil:
		return side{}, errors.New(`no "elbo" row`)
	case len(is.PerPoint) == 0:
		return side{}, errors.New(`the "is" row has no per_point results`)
	case len(is.PerPoint) != len(elbo.PerPoint):
		return side{}, fmt.Errorf(`the "is" row has %d per_point results and the "elbo" row %d`,
			len(is.PerPoint), len(elbo.PerPoint))
	}
	s := side{proposal: is.Proposal, logPX: val(is.LogPX), se: val(is.StdErr), elbo: val(elbo.LogPX)}
	if s.proposal == "" {
		s.proposal = proposal
	}
	for i, p := range is.PerPoint {
		s.khat = append(s.khat, val(p.KHat))
		s.gap = append(s.gap, val(p.LogPX)-val(elbo.PerPoint[i].LogPX))
	}
	return s, nil
}

// findRow returns e's first row of the method, or nil.
func findRow(e estimate, method string) *result {
	for i := range e.Results {
		if e.Results[i].Method == method {
			return &e.Results[i]
		}
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

// finite returns the finite values of v.
func finite(v []float64) []float64 {
	var f []float64
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			f = append(f, x)
		}
	}
	return f
}

// mean returns the mean of the finite values of v, NaN if there are none.
func mean(v []float64) float64 {
	f := finite(v)
	if len(f) == 0 {
		return math.NaN()
	}
	return stat.Mean(f, nil)
}

// median returns the median of the finite values of v, NaN if there are
// none.
func median(v []float64) float64 {
	f := finite(v)
	if len(f) == 0 {
		return math.NaN()
	}
	slices.Sort(f)
	n := len(f)
	if n%2 == 1 {
		return f[n/2]
	}
	return (f[n/2-1] + f[n/2]) / 2
}

// good returns the number of values of khat below kHatGood (NaN is not).
func good(khat []float64) int {
	n := 0
	for _, k := range khat {
		if k < kHatGood {
			n++
		}
	}
	return n
}

// num formats v with the given decimals, a Unicode minus, and "–" for NaN.
func num(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strings.Replace(fmt.Sprintf("%.*f", decimals, v), "-", "−", 1)
}

// printTables prints the per-run table and the pooled table by gap.
func printTables(w io.Writer, pairs []pair) {
	fmt.Fprintln(w, "| model | proposal | IS log p̂(x) | ELBO | mean gap IS − ELBO (nats) | k̂ median | k̂ mean | images with k̂ < 0.7 |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, p := range pairs {
		for _, s := range []side{p.plain, p.refined} {
			fmt.Fprintf(w, "| %s | %s | %s ± %s | %s | %s | %s | %s | %s |\n",
				p.label, s.proposal, num(s.logPX, 3), num(s.se, 3), num(s.elbo, 3),
				num(mean(s.gap), 2), num(median(s.khat), 2), num(mean(s.khat), 2), goodCell(s))
		}
	}
	fmt.Fprintln(w)
	printBins(w, pairs)
}

// goodCell returns "n / N" for the images of s with k̂ < 0.7, noting the
// images that have no k̂ or no gap.
func goodCell(s side) string {
	c := fmt.Sprintf("%d / %d", good(s.khat), len(s.khat))
	if m := len(s.khat) - len(finite(s.khat)); m > 0 {
		c += fmt.Sprintf(" (%d without k̂)", m)
	}
	if m := len(s.gap) - len(finite(s.gap)); m > 0 {
		c += fmt.Sprintf(" (%d without a gap)", m)
	}
	return c
}

// binOf returns the index of the gap bin of g: 0 for a negative gap, then
// one per bin of gapEdges from [0, 1) on.
func binOf(g float64) int {
	if g < 0 {
		return 0
	}
	b := 1
	for _, e := range gapEdges {
		if g >= e {
			b++
		}
	}
	return b
}

// binName returns the label of bin b of binOf.
func binName(b int) string {
	switch {
	case b == 0:
		return "< 0"
	case b == 1:
		return fmt.Sprintf("[0, %g)", gapEdges[0])
	case b <= len(gapEdges):
		return fmt.Sprintf("[%g, %g)", gapEdges[b-2], gapEdges[b-1])
	}
	return fmt.Sprintf("[%g, ∞)", gapEdges[len(gapEdges)-1])
}

// printBins prints, pooled over every file, the fraction of images with
// k̂ < 0.7 per bin of the gap. The bin of negative gaps is shown only if it
// holds an image.
func printBins(w io.Writer, pairs []pair) {
	n := make([]int, len(gapEdges)+2)
	g := make([]int, len(n))
	skipped := 0
	for _, p := range pairs {
		for _, s := range []side{p.plain, p.refined} {
			for i, k := range s.khat {
				if len(finite([]float64{k, s.gap[i]})) < 2 {
					skipped++
					continue
				}
				b := binOf(s.gap[i])
				n[b]++
				if k < kHatGood {
					g[b]++
				}
			}
		}
	}
	fmt.Fprintln(w, "| gap IS − ELBO (nats) | images | with k̂ < 0.7 | fraction |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: |")
	for b := range n {
		if b == 0 && n[b] == 0 {
			continue
		}
		frac := math.NaN()
		if n[b] > 0 {
			frac = float64(g[b]) / float64(n[b])
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s |\n", binName(b), n[b], g[b], num(frac, 2))
	}
	if skipped > 0 {
		fmt.Fprintf(w, "\n%d images without k̂ or gap left out.\n", skipped)
	}
}

// drawFigure writes the two panels side by side to out.
func drawFigure(out string, pairs []pair) error {
	left, err := scatterPanel(pairs)
	if err != nil {
		return err
	}
	right, err := barPanel(pairs)
	if err != nil {
		return err
	}
	return figure.SaveRow(out, []*plot.Plot{left, right}, 4.5*vg.Inch, 4.5*vg.Inch)
}

// scatterPanel plots k̂ against the gap per image, every run pooled: the
// encoder's proposal in blue and the refined one in orange
// (figure.Palette); the tables tell the runs apart.
func scatterPanel(pairs []pair) (*plot.Plot, error) {
	var x, y []float64
	var labels []int
	names := []string{"encoder's proposal", "refined"}
	for _, p := range pairs {
		for j, s := range []side{p.plain, p.refined} {
			for i, k := range s.khat {
				x, y, labels = append(x, s.gap[i]), append(y, k), append(labels, j)
			}
		}
	}
	p, err := figure.Scatter(x, y, labels, figure.ScatterOptions{
		Title:  "Per test image",
		XLabel: "IS − ELBO per image (nats)", YLabel: "Pareto k̂",
		LabelNames: names, Radius: vg.Points(2.5),
	})
	if err != nil {
		return nil, err
	}
	// The legend goes top right, above the points: the y range grows by
	// half for it.
	p.Legend.Top = true
	p.Y.Min = math.Min(p.Y.Min, kHatGood-0.1)
	p.Y.Max = math.Max(p.Y.Max, kHatGood+0.1)
	p.Y.Max += 0.15 * (p.Y.Max - p.Y.Min)
	figure.AddRefs(p, figure.RefLine{Name: "k̂ = 0.7", Y: kHatGood})
	return p, nil
}

// barPanel draws, per run, the fraction of images with k̂ < 0.7 under each
// proposal as grouped bars, with a line at one half.
func barPanel(pairs []pair) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Images with k̂ < 0.7"
	p.Y.Label.Text = "fraction of images"
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = color.Gray{Y: 0xe0}, color.Gray{Y: 0xe0}
	p.Add(g)
	width := min(vg.Points(40), vg.Points(90)/vg.Length(len(pairs)))
	for j, name := range []string{"encoder", "refined"} {
		var v plotter.Values
		for _, q := range pairs {
			s := []side{q.plain, q.refined}[j]
			v = append(v, float64(good(s.khat))/float64(len(s.khat)))
		}
		b, err := plotter.NewBarChart(v, width)
		if err != nil {
			return nil, err
		}
		b.Color, b.LineStyle.Width, b.Offset = figure.Palette[j], 0, (vg.Length(j)-0.5)*width
		p.Add(b)
		p.Legend.Add(name, b)
	}
	figure.AddRefs(p, figure.RefLine{Name: "most images", Y: 0.5})
	labels := make([]string, len(pairs))
	for i, q := range pairs {
		// One line per part of the label, so that many runs fit.
		labels[i] = strings.ReplaceAll(q.label, ", ", "\n")
	}
	p.NominalX(labels...)
	// Give each run a slot of width one, so that the labels fit in the
	// plot and leave the other panel its width.
	p.X.Min, p.X.Max, p.Y.Padding = -0.5, float64(len(pairs))-0.5, 0
	p.Y.Min, p.Y.Max = 0, 1.3
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(6), -vg.Points(4)
	return p, nil
}
