package figure

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/vitool/vitool/internal/atomicfile"
)

// Default size of a saved plot, used by Save when it is given a zero width or
// height. At the 96 dots per inch of PNG output this is 672×432 pixels.
const (
	DefaultWidth  = 7 * vg.Inch
	DefaultHeight = 4.5 * vg.Inch
)

// Palette is the sequence of colours given to the series of a line plot, in
// order, and to the labels of a scatter plot (label l gets Palette[l mod 10]).
// They are the ten "category10" colours of D3 and matplotlib, chosen to be
// told apart easily.
var Palette = []color.RGBA{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, // orange
	{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
	{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // red
	{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, // purple
	{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}, // brown
	{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, // pink
	{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, // grey
	{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}, // olive
	{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff}, // cyan
}

// Series is one curve of a line plot: the points (X[i], Y[i]). Points where
// X[i] or Y[i] is not finite are skipped and break the curve, so a gap in the
// data shows as a gap in the line; a point with no finite neighbour is drawn
// as a dot.
type Series struct {
	// Name labels the series in the legend; an empty name leaves it out.
	Name string

	// X and Y are the coordinates of the points; they must have the same
	// length.
	X, Y []float64

	// YErr, if not nil, holds an uncertainty for every point (for example
	// a standard error), drawn as the interval Y[i] ± |YErr[i]|. It must
	// have the length of Y. A non-finite YErr[i] draws no interval for
	// that point.
	YErr []float64

	// Band draws the intervals of YErr as a shaded band around the curve
	// rather than as error bars.
	Band bool

	// Points marks every point with a dot as well as joining the points
	// with a line.
	Points bool
}

// RefLine is a horizontal reference line across a line plot, such as the
// exact log-likelihood or a value reported in a paper.
type RefLine struct {
	// Name labels the line in the legend; an empty name leaves it out.
	Name string
	// Y is the height of the line. A line whose Y is not finite is left
	// out.
	Y float64
}

// LineOptions holds the settings of LinePlot. The zero value is an untitled
// plot with linear axes and the legend in the bottom right corner.
type LineOptions struct {
	// Title, XLabel and YLabel are the texts of the plot's title and axes.
	Title, XLabel, YLabel string

	// LogX makes the X axis logarithmic, with a labelled tick at each
	// power of ten, as for estimates against a number of samples K from 1
	// to 10⁶. Every finite X value must then be positive.
	LogX bool

	// Refs are horizontal reference lines, drawn dashed in dark grey.
	Refs []RefLine

	// LegendTop and LegendLeft move the legend to the top and to the left
	// edge of the plot. The default, bottom right, suits curves that rise,
	// as training ELBOs and IWAE bounds do.
	LegendTop, LegendLeft bool
}

// Styles of the plots' elements.
var (
	lineWidth  = vg.Points(1.5)
	dotRadius  = vg.Points(2.5)
	refColor   = color.RGBA{R: 0x40, G: 0x40, B: 0x40, A: 0xff}
	refDashes  = [][]vg.Length{{vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)}}
	bandAlpha  = 0.25
	gridColor  = color.Gray{Y: 0xe0}
	errBarsCap = vg.Points(4)
	border     = vg.Points(4) // blank margin around a saved plot
)

// LinePlot returns a plot of the series, each joined by a line in the next
// colour of Palette, with the reference lines of opt.Refs. Save writes it to
// a file.
//
// Non-finite values are skipped (see Series). LinePlot returns an error if no
// series has a single finite point, or if opt.LogX is set and a finite X
// value is not positive. It panics if a series' X and Y, or Y and a non-nil
// YErr, differ in length.
func LinePlot(series []Series, opt LineOptions) (*plot.Plot, error) {
	for _, s := range series {
		if len(s.X) != len(s.Y) {
			panic(fmt.Sprintf("figure: series %q has %d X values and %d Y values", s.Name, len(s.X), len(s.Y)))
		}
		if s.YErr != nil && len(s.YErr) != len(s.Y) {
			panic(fmt.Sprintf("figure: series %q has %d Y values and %d YErr values", s.Name, len(s.Y), len(s.YErr)))
		}
	}
	if opt.LogX {
		for _, s := range series {
			for i, x := range s.X {
				if isFinite(x) && x <= 0 {
					return nil, fmt.Errorf("figure: series %q: X[%d] = %g is not positive, as a logarithmic X axis needs", s.Name, i, x)
				}
			}
		}
	}

	p := newPlot(opt.Title, opt.XLabel, opt.YLabel)
	if opt.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	p.Legend.Top, p.Legend.Left = opt.LegendTop, opt.LegendLeft

	var points int
	for k, s := range series {
		c := Palette[k%len(Palette)]
		style := draw.LineStyle{Color: c, Width: lineWidth}
		glyph := draw.GlyphStyle{Color: c, Radius: dotRadius, Shape: draw.CircleGlyph{}}

		runs := finiteRuns(s.X, s.Y)
		var dots plotter.XYs
		for _, r := range runs {
			points += r.hi - r.lo
			if s.Points || r.hi-r.lo == 1 {
				for i := r.lo; i < r.hi; i++ {
					dots = append(dots, plotter.XY{X: s.X[i], Y: s.Y[i]})
				}
			}
		}
		if s.YErr != nil && s.Band {
			if err := addBands(p, s, runs, c); err != nil {
				return nil, err
			}
		}
		for _, r := range runs {
			if r.hi-r.lo < 2 {
				continue
			}
			l, err := plotter.NewLine(xys(s.X[r.lo:r.hi], s.Y[r.lo:r.hi]))
			if err != nil {
				return nil, fmt.Errorf("figure: series %q: %w", s.Name, err)
			}
			l.LineStyle = style
			p.Add(l)
		}
		if s.YErr != nil && !s.Band {
			if err := addErrorBars(p, s, c); err != nil {
				return nil, err
			}
		}
		if len(dots) > 0 {
			sc, err := plotter.NewScatter(dots)
			if err != nil {
				return nil, fmt.Errorf("figure: series %q: %w", s.Name, err)
			}
			sc.GlyphStyle = glyph
			p.Add(sc)
		}
		if s.Name != "" {
			thumbs := []plot.Thumbnailer{&plotter.Line{LineStyle: style}}
			if s.Points {
				thumbs = append(thumbs, &plotter.Scatter{GlyphStyle: glyph})
			}
			p.Legend.Add(s.Name, thumbs...)
		}
	}
	if points == 0 {
		return nil, errors.New("figure: line plot has no point with finite X and Y")
	}

	AddRefs(p, opt.Refs...)
	if opt.LogX && p.X.Min == p.X.Max {
		// A single X value: show the decade around it, as the linear
		// axis's ±1 would reach non-positive values.
		p.X.Min /= math.Sqrt(10)
		p.X.Max *= math.Sqrt(10)
	}
	widen(&p.X, opt.LogX)
	widen(&p.Y, false)
	return p, nil
}

// AddRefs draws refs across p as LineOptions.Refs are drawn: dashed in dark
// grey, the k-th with the k-th dash pattern, each named one in the legend,
// and p's Y range extended to take it. A line whose Y is not finite is left
// out. It serves plots that LinePlot does not make, such as a scatter or a
// bar chart.
func AddRefs(p *plot.Plot, refs ...RefLine) {
	for k, ref := range refs {
		if !isFinite(ref.Y) {
			continue
		}
		y := ref.Y
		f := plotter.NewFunction(func(float64) float64 { return y })
		f.Samples = 2
		f.LineStyle = draw.LineStyle{Color: refColor, Width: vg.Points(1.2), Dashes: refDashes[k%len(refDashes)]}
		p.Add(f)
		p.Y.Min = math.Min(p.Y.Min, y)
		p.Y.Max = math.Max(p.Y.Max, y)
		if ref.Name != "" {
			p.Legend.Add(ref.Name, f)
		}
	}
}

// margin is the fraction of an axis's data range that widen adds at each end,
// so that points and lines at the extremes do not sit on the frame and the
// outermost tick labels fit in the picture.
const margin = 0.05

// widen extends the range of a by margin times its length at each end, the
// length measured in powers of ten if log is set. A range of one value is
// left for gonum to widen.
func widen(a *plot.Axis, log bool) {
	if !(a.Min < a.Max) {
		return
	}
	if log {
		f := math.Pow(a.Max/a.Min, margin)
		a.Min /= f
		a.Max *= f
		return
	}
	d := margin * (a.Max - a.Min)
	a.Min -= d
	a.Max += d
}

// addBands adds to p the shaded bands Y ± |YErr| of s over each of the runs,
// split further where YErr is not finite.
func addBands(p *plot.Plot, s Series, runs []run, c color.RGBA) error {
	fillColor := color.NRGBA{R: c.R, G: c.G, B: c.B, A: uint8(math.Round(255 * bandAlpha))}
	for _, r := range runs {
		for _, b := range finiteRuns(s.X[r.lo:r.hi], s.YErr[r.lo:r.hi]) {
			lo, hi := r.lo+b.lo, r.lo+b.hi
			if hi-lo < 2 {
				continue
			}
			ring := make(plotter.XYs, 0, 2*(hi-lo))
			for i := lo; i < hi; i++ {
				ring = append(ring, plotter.XY{X: s.X[i], Y: s.Y[i] + math.Abs(s.YErr[i])})
			}
			for i := hi - 1; i >= lo; i-- {
				ring = append(ring, plotter.XY{X: s.X[i], Y: s.Y[i] - math.Abs(s.YErr[i])})
			}
			poly, err := plotter.NewPolygon(ring)
			if err != nil {
				return fmt.Errorf("figure: series %q: %w", s.Name, err)
			}
			poly.Color = fillColor
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
	}
	return nil
}

// addErrorBars adds to p an error bar Y ± |YErr| at every point of s where
// X, Y and YErr are all finite.
func addErrorBars(p *plot.Plot, s Series, c color.RGBA) error {
	var bars struct {
		plotter.XYs
		plotter.YErrors
	}
	for i := range s.Y {
		if isFinite(s.X[i]) && isFinite(s.Y[i]) && isFinite(s.YErr[i]) {
			e := math.Abs(s.YErr[i])
			bars.XYs = append(bars.XYs, plotter.XY{X: s.X[i], Y: s.Y[i]})
			bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{e, e})
		}
	}
	if len(bars.XYs) == 0 {
		return nil
	}
	eb, err := plotter.NewYErrorBars(bars)
	if err != nil {
		return fmt.Errorf("figure: series %q: %w", s.Name, err)
	}
	eb.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1)}
	eb.CapWidth = errBarsCap
	p.Add(eb)
	return nil
}

// ScatterOptions holds the settings of Scatter. The zero value is an
// untitled plot whose legend names each label by its number.
type ScatterOptions struct {
	// Title, XLabel and YLabel are the texts of the plot's title and axes.
	Title, XLabel, YLabel string

	// LabelNames[l], where present and not empty, is the legend's name
	// for label l; other labels are named by their number.
	LabelNames []string

	// Radius is the radius of each point's dot; zero means 1.5 points
	// (2 pixels in PNG output), which suits some thousands of points.
	Radius vg.Length

	// Circles are drawn over the points, centred at the origin, dashed in
	// dark grey (each with the next dash pattern), such as the circles of
	// radius 1 and 2 of N(0, I) in two dimensions, which hold 39% and 86%
	// of its mass. A circle whose radius is not finite and positive is
	// left out.
	Circles []Circle
}

// Circle is a circle centred at the origin of a scatter plot.
type Circle struct {
	// Name labels the circle in the legend; an empty name leaves it out.
	Name string
	// Radius is the circle's radius in data units.
	Radius float64
}

// Scatter returns a plot of the points (x[i], y[i]), such as the 2-D latent
// codes of a dataset. If labels is not nil, point i is coloured by its label
// labels[i] (label l gets Palette[l mod 10], with a different dot shape for
// each further ten labels), the legend lists every label in increasing
// order, and the points are drawn one label after another in that order.
// Save writes the plot to a file.
//
// Points with a non-finite coordinate are skipped; Scatter returns an error
// if no point is left. It panics if x and y, or x and a non-nil labels,
// differ in length.
func Scatter(x, y []float64, labels []int, opt ScatterOptions) (*plot.Plot, error) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("figure: Scatter with %d x values and %d y values", len(x), len(y)))
	}
	if labels != nil && len(labels) != len(x) {
		panic(fmt.Sprintf("figure: Scatter with %d points and %d labels", len(x), len(labels)))
	}
	radius := opt.Radius
	if radius == 0 {
		radius = vg.Points(1.5)
	}

	groups := make(map[int]plotter.XYs)
	for i := range x {
		if !isFinite(x[i]) || !isFinite(y[i]) {
			continue
		}
		l := 0
		if labels != nil {
			l = labels[i]
		}
		groups[l] = append(groups[l], plotter.XY{X: x[i], Y: y[i]})
	}
	if len(groups) == 0 {
		return nil, errors.New("figure: scatter plot has no point with finite coordinates")
	}
	keys := make([]int, 0, len(groups))
	for l := range groups {
		keys = append(keys, l)
	}
	slices.Sort(keys)

	p := newPlot(opt.Title, opt.XLabel, opt.YLabel)
	p.Legend.Top = true
	for _, l := range keys {
		sc, err := plotter.NewScatter(groups[l])
		if err != nil {
			return nil, fmt.Errorf("figure: scatter label %d: %w", l, err)
		}
		c, shape := labelStyle(l)
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: radius, Shape: shape}
		p.Add(sc)
		if labels != nil {
			p.Legend.Add(labelName(l, opt.LabelNames), &plotter.Scatter{
				GlyphStyle: draw.GlyphStyle{Color: c, Radius: vg.Points(3.5), Shape: shape},
			})
		}
	}
	for i, c := range opt.Circles {
		if !isFinite(c.Radius) || c.Radius <= 0 {
			continue
		}
		const n = 181
		pts := make(plotter.XYs, n)
		for j := range pts {
			a := 2 * math.Pi * float64(j) / (n - 1)
			pts[j] = plotter.XY{X: c.Radius * math.Cos(a), Y: c.Radius * math.Sin(a)}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("figure: circle %q: %w", c.Name, err)
		}
		l.LineStyle = draw.LineStyle{Color: refColor, Width: lineWidth, Dashes: refDashes[i%len(refDashes)]}
		p.Add(l)
		if c.Name != "" {
			p.Legend.Add(c.Name, l)
		}
	}
	widen(&p.X, false)
	widen(&p.Y, false)
	if labels != nil {
		// Leave a strip free of points on the right for the legend.
		p.X.Max += 0.15 * (p.X.Max - p.X.Min)
	}
	return p, nil
}

// labelStyle returns the colour and dot shape of label l.
func labelStyle(l int) (color.RGBA, draw.GlyphDrawer) {
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}
	n := len(Palette)
	c := ((l % n) + n) % n
	s := (l - c) / n
	s = ((s % len(shapes)) + len(shapes)) % len(shapes)
	return Palette[c], shapes[s]
}

// labelName returns the legend name of label l.
func labelName(l int, names []string) string {
	if l >= 0 && l < len(names) && names[l] != "" {
		return names[l]
	}
	return strconv.Itoa(l)
}

// Save writes p to path in the format named by the file's extension (.png,
// .svg, .pdf, .eps, .jpg, .tif), width wide and height high; a zero width or
// height means DefaultWidth or DefaultHeight. PNG output has 96 dots per
// inch. The file is written atomically, with permission bits 0644.
//
// Save returns an error if the extension names no supported format or the
// file cannot be written. It panics if width or height is negative.
func Save(path string, p *plot.Plot, width, height vg.Length) error {
	return SaveRow(path, []*plot.Plot{p}, width, height)
}

// SaveRow writes plots side by side into one file, as Save writes one: each
// panel width × height (zero: DefaultWidth, DefaultHeight), their axes
// aligned, a right-hand legend kept inside each panel's data area. It
// panics if plots is empty or a size is negative.
func SaveRow(path string, plots []*plot.Plot, width, height vg.Length) error {
	if width < 0 || height < 0 || len(plots) == 0 {
		panic(fmt.Sprintf("figure: SaveRow of %d plots with size %v×%v", len(plots), width, height))
	}
	if width == 0 {
		width = DefaultWidth
	}
	if height == 0 {
		height = DefaultHeight
	}
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if format == "" {
		return fmt.Errorf("figure: %s: no file extension to choose the format (.png, .svg, .pdf)", path)
	}
	c, err := draw.NewFormattedCanvas(vg.Length(len(plots))*width, height, format)
	if err != nil {
		return fmt.Errorf("figure: %s: %w", path, err)
	}
	dc := draw.Crop(draw.New(c), border, -border, border, -border)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: 3 * border}
	for j, pc := range plot.Align([][]*plot.Plot{plots}, tiles, dc)[0] {
		p := plots[j]
		dx := legendShift(p, pc)
		p.Legend.XOffs += dx
		p.Draw(pc)
		p.Legend.XOffs -= dx
	}
	err = atomicfile.WriteFile(path, 0o644, func(w io.Writer) error {
		_, err := c.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("figure: %w", err)
	}
	return nil
}

// legendInset is the gap between a right-aligned legend and the right edge
// of the data area.
const legendInset = 4 // points

// legendShift returns the horizontal shift that keeps p's legend inside its
// data area when p is drawn on c. gonum aligns a right-hand legend with the
// canvas's right edge, which lies beyond the data area when the last X tick
// label needs room; the legend's thumbnails then sit outside the frame, and
// at the canvas edge they are cut off. A left-hand legend starts at the Y
// axis and needs no shift.
func legendShift(p *plot.Plot, c draw.Canvas) vg.Length {
	if p.Legend.Left {
		return 0
	}
	return p.DataCanvas(c).Max.X - c.Max.X - vg.Points(legendInset)
}

// newPlot returns an empty plot with the given texts and light grid lines.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	g := plotter.NewGrid()
	g.Vertical.Color = gridColor
	g.Horizontal.Color = gridColor
	p.Add(g)
	return p
}

// run is the half-open range [lo, hi) of indices of a run of points.
type run struct{ lo, hi int }

// finiteRuns returns the maximal runs of consecutive indices i at which a[i]
// and b[i] are both finite.
func finiteRuns(a, b []float64) []run {
	var runs []run
	start := -1
	for i := range a {
		ok := isFinite(a[i]) && isFinite(b[i])
		switch {
		case ok && start < 0:
			start = i
		case !ok && start >= 0:
			runs = append(runs, run{start, i})
			start = -1
		}
	}
	if start >= 0 {
		runs = append(runs, run{start, len(a)})
	}
	return runs
}

// xys returns the points (x[i], y[i]).
func xys(x, y []float64) plotter.XYs {
	pts := make(plotter.XYs, len(x))
	for i := range x {
		pts[i] = plotter.XY{X: x[i], Y: y[i]}
	}
	return pts
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// logTicks marks a logarithmic axis: a labelled tick at every power of ten
// in range and unlabelled ticks at its multiples 2 to 9. Labels are plain
// numbers (0.001 to 1,000,000) when every labelled power lies in that span,
// and "1en" otherwise: the plot's fonts lack some superscript digits and
// gonum's LaTeX handler has no superscripts, so 10ⁿ cannot be drawn. A range
// spanning less than two powers of ten gets labels at the multiples 1, 2 and
// 5 as well, or at every tick if that is still fewer than two.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= 0 || lo > hi {
		panic(fmt.Sprintf("figure: logarithmic axis over [%g, %g]", lo, hi))
	}
	const tol = 1e-9
	eLo := int(math.Floor(math.Log10(lo)))
	eHi := int(math.Ceil(math.Log10(hi)))
	type mark struct {
		v    float64
		e, m int
	}
	var marks []mark
	for e := eLo; e <= eHi; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow10(e)
			if v >= lo*(1-tol) && v <= hi*(1+tol) {
				marks = append(marks, mark{v, e, m})
			}
		}
	}
	label := func(m mark) bool { return m.m == 1 }
	count := func() (n int) {
		for _, m := range marks {
			if label(m) {
				n++
			}
		}
		return n
	}
	if count() < 2 {
		label = func(m mark) bool { return m.m == 1 || m.m == 2 || m.m == 5 }
		if count() < 2 {
			label = func(mark) bool { return true }
		}
	}
	powers := true
	for _, m := range marks {
		if label(m) && m.m != 1 {
			powers = false
		}
	}
	plain := !powers
	if powers {
		plain = true
		for _, m := range marks {
			if label(m) && (m.e < -3 || m.e > 6) {
				plain = false
			}
		}
	}
	ticks := make([]plot.Tick, len(marks))
	for i, m := range marks {
		ticks[i].Value = m.v
		if !label(m) {
			continue
		}
		if plain {
			ticks[i].Label = plainNumber(m.v)
		} else {
			ticks[i].Label = "1e" + strconv.Itoa(m.e)
		}
	}
	return ticks
}

// plainNumber formats v in plain decimal notation, grouping the digits of
// whole numbers of 10,000 and more in threes with commas.
func plainNumber(v float64) string {
	if v != math.Trunc(v) || v < 1e4 {
		return strconv.FormatFloat(v, 'g', 12, 64)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
