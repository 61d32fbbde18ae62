package figure

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

var nan = math.NaN()

// decodePNG reads the PNG file at path.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// hasColor reports whether some pixel of img is exactly c.
func hasColor(img image.Image, c color.RGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == c {
				return true
			}
		}
	}
	return false
}

func TestLinePlotRanges(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name                   string
		series                 []Series
		opt                    LineOptions
		xMin, xMax, yMin, yMax float64
	}{
		{
			name:   "plain",
			series: []Series{{X: []float64{1, 2, 3}, Y: []float64{5, 4, 6}}},
			xMin:   1, xMax: 3, yMin: 4, yMax: 6,
		},
		{
			name:   "non-finite points skipped",
			series: []Series{{X: []float64{1, 2, nan, 4, 5}, Y: []float64{3, nan, 100, -inf, 2}}},
			xMin:   1, xMax: 5, yMin: 2, yMax: 3,
		},
		{
			name: "error bars widen the range",
			series: []Series{{X: []float64{1, 2, 3}, Y: []float64{5, 4, 6}, YErr: []float64{1, -0.5, nan}},
				{X: []float64{0, 1}, Y: []float64{5, 5}}},
			xMin: 0, xMax: 3, yMin: 3.5, yMax: 6,
		},
		{
			name:   "band widens the range",
			series: []Series{{X: []float64{1, 2, 3}, Y: []float64{5, 4, 6}, YErr: []float64{1, 1, 2}, Band: true}},
			xMin:   1, xMax: 3, yMin: 3, yMax: 8,
		},
		{
			name:   "reference lines widen the range, NaN reference ignored",
			series: []Series{{X: []float64{1, 2}, Y: []float64{5, 4}}},
			opt:    LineOptions{Refs: []RefLine{{Name: "exact", Y: 10}, {Y: -1}, {Name: "unknown", Y: nan}}},
			xMin:   1, xMax: 2, yMin: -1, yMax: 10,
		},
		{
			name:   "log X",
			series: []Series{{X: []float64{1, 10, 1e6, nan}, Y: []float64{-90, -88, -86, 0}}},
			opt:    LineOptions{LogX: true},
			xMin:   1, xMax: 1e6, yMin: -90, yMax: -86,
		},
		{
			name:   "log X single point gets a decade",
			series: []Series{{X: []float64{0.5}, Y: []float64{1}}},
			opt:    LineOptions{LogX: true},
			xMin:   0.5 / math.Sqrt(10), xMax: 0.5 * math.Sqrt(10), yMin: 1, yMax: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := LinePlot(tc.series, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			got := []float64{p.X.Min, p.X.Max, p.Y.Min, p.Y.Max}
			// LinePlot adds a margin of 5% of the data range at each end,
			// in powers of ten on a log axis.
			if tc.opt.LogX {
				f := math.Pow(tc.xMax/tc.xMin, 0.05)
				tc.xMin, tc.xMax = tc.xMin/f, tc.xMax*f
			} else {
				d := 0.05 * (tc.xMax - tc.xMin)
				tc.xMin, tc.xMax = tc.xMin-d, tc.xMax+d
			}
			d := 0.05 * (tc.yMax - tc.yMin)
			want := []float64{tc.xMin, tc.xMax, tc.yMin - d, tc.yMax + d}
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
					t.Errorf("ranges x [%g, %g] y [%g, %g], want x [%g, %g] y [%g, %g]",
						got[0], got[1], got[2], got[3], want[0], want[1], want[2], want[3])
					break
				}
			}
			_, isLog := p.X.Scale.(plot.LogScale)
			if isLog != tc.opt.LogX {
				t.Errorf("log scale %v, want %v", isLog, tc.opt.LogX)
			}
			// Drawing must not panic or fail.
			if err := Save(filepath.Join(t.TempDir(), "p.png"), p, 3*vg.Inch, 2*vg.Inch); err != nil {
				t.Errorf("Save: %v", err)
			}
		})
	}
}

func TestLinePlotErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		series []Series
		opt    LineOptions
		want   string // in the error message
	}{
		{"no series", nil, LineOptions{}, "no point"},
		{"all NaN", []Series{{X: []float64{1, 2}, Y: []float64{nan, nan}}}, LineOptions{Refs: []RefLine{{Y: 1}}}, "no point"},
		{"log X with zero", []Series{{Name: "iwae", X: []float64{0, 1}, Y: []float64{1, 2}}}, LineOptions{LogX: true}, `"iwae": X[0] = 0`},
		{"log X with negative", []Series{{X: []float64{1, -3}, Y: []float64{1, nan}}}, LineOptions{LogX: true}, "X[1] = -3"},
	} {
		_, err := LinePlot(tc.series, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestPlotPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"X and Y lengths", func() { _, _ = LinePlot([]Series{{X: []float64{1, 2}, Y: []float64{1}}}, LineOptions{}) }},
		{"YErr length", func() {
			_, _ = LinePlot([]Series{{X: []float64{1, 2}, Y: []float64{1, 2}, YErr: []float64{1}}}, LineOptions{})
		}},
		{"scatter x and y lengths", func() { _, _ = Scatter([]float64{1, 2}, []float64{1}, nil, ScatterOptions{}) }},
		{"scatter label count", func() { _, _ = Scatter([]float64{1, 2}, []float64{1, 2}, []int{0}, ScatterOptions{}) }},
		{"negative size", func() {
			p, _ := LinePlot([]Series{{X: []float64{1}, Y: []float64{1}}}, LineOptions{})
			_ = Save(filepath.Join(t.TempDir(), "p.png"), p, -1, 0)
		}},
	} {
		mustPanic(t, tc.name, tc.f)
	}
}

func TestFiniteRuns(t *testing.T) {
	for _, tc := range []struct {
		a, b []float64
		want []run
	}{
		{[]float64{1, 2, 3}, []float64{1, 2, 3}, []run{{0, 3}}},
		{[]float64{1, nan, 3, 4}, []float64{1, 2, 3, 4}, []run{{0, 1}, {2, 4}}},
		{[]float64{1, 2, 3, 4}, []float64{nan, 2, math.Inf(-1), 4}, []run{{1, 2}, {3, 4}}},
		{[]float64{nan}, []float64{1}, nil},
		{nil, nil, nil},
	} {
		if got := finiteRuns(tc.a, tc.b); !slices.Equal(got, tc.want) {
			t.Errorf("finiteRuns(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		labels []string // labelled ticks, in order
		n      int      // number of ticks
	}{
		{1, 1e6, []string{"1", "10", "100", "1000", "10,000", "100,000", "1,000,000"}, 6*9 + 1},
		{1, 1000, []string{"1", "10", "100", "1000"}, 3*9 + 1},
		{1, 1e7, []string{"1e0", "1e1", "1e2", "1e3", "1e4", "1e5", "1e6", "1e7"}, 7*9 + 1},
		{2e4, 4e5, []string{"20,000", "50,000", "100,000", "200,000"}, 8 + 4},
		{0.05, 20, []string{"0.1", "1", "10"}, 5 + 9 + 9 + 2},
		{2, 8, []string{"2", "5"}, 7},
		{2.1, 3.9, []string{"3"}, 1},
		{1e-8, 1e-3, []string{"1e-8", "1e-7", "1e-6", "1e-5", "1e-4", "1e-3"}, 5*9 + 1},
	} {
		ticks := logTicks{}.Ticks(tc.lo, tc.hi)
		var labels []string
		for _, tk := range ticks {
			if tk.Value < tc.lo*(1-1e-9) || tk.Value > tc.hi*(1+1e-9) {
				t.Errorf("[%g, %g]: tick %g out of range", tc.lo, tc.hi, tk.Value)
			}
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if !slices.Equal(labels, tc.labels) || len(ticks) != tc.n {
			t.Errorf("[%g, %g]: %d ticks labelled %q, want %d labelled %q", tc.lo, tc.hi, len(ticks), labels, tc.n, tc.labels)
		}
	}
}

func TestSaveLinePlot(t *testing.T) {
	k := []float64{1, 10, 100, 1000, 1e4, 1e5, 1e6}
	series := []Series{
		{Name: "IWAE", X: k, Y: []float64{-95, -92, -90, nan, -89, -88.7, -88.6}, YErr: []float64{1, 0.8, 0.5, 0.3, 0.2, 0.1, 0.1}, Points: true},
		{Name: "band", X: k, Y: []float64{-96, -93, -91, -90, -89.5, -89.2, -89}, YErr: []float64{1, 1, 1, 1, 1, 1, 1}, Band: true},
	}
	p, err := LinePlot(series, LineOptions{Title: "t", XLabel: "K", YLabel: "log p(x)", LogX: true, Refs: []RefLine{{Name: "exact", Y: -88.5}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		w, h          vg.Length
		width, height int
	}{
		{4 * vg.Inch, 3 * vg.Inch, 384, 288},
		{0, 0, 672, 432},
	} {
		path := filepath.Join(dir, "k.png")
		if err := Save(path, p, tc.w, tc.h); err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, path)
		if got := img.Bounds().Size(); got != image.Pt(tc.width, tc.height) {
			t.Errorf("size %v, want %dx%d", got, tc.width, tc.height)
		}
		for i := range series {
			if !hasColor(img, Palette[i]) {
				t.Errorf("no pixel of series %d's colour %v", i, Palette[i])
			}
		}
	}
	// Other formats by extension; unknown or missing extensions fail.
	for _, name := range []string{"k.svg", "k.pdf"} {
		if err := Save(filepath.Join(dir, name), p, 0, 0); err != nil {
			t.Errorf("Save %s: %v", name, err)
		}
	}
	for _, name := range []string{"k.xyz", "k"} {
		if err := Save(filepath.Join(dir, name), p, 0, 0); err == nil {
			t.Errorf("Save %s: no error", name)
		}
	}
	if err := Save(filepath.Join(dir, "missing", "k.png"), p, 0, 0); err == nil {
		t.Error("Save into a missing directory: no error")
	}
	checkOnlyFile(t, dir, "k.pdf", "k.png", "k.svg")
}

// TestLegendInsideDataArea draws the headline estimate-against-K plot (X up
// to 10⁶, error bars, the X label of estimate-px --plot: gonum then ends the
// X axis well before the canvas edge) with the legend in each corner and
// checks that no pixel of a series' colour (a legend thumbnail) lies right
// of the X axis, where gonum would put a right-hand legend, against the
// canvas edge.
func TestLegendInsideDataArea(t *testing.T) {
	k := []float64{1, 10, 100, 1000, 1e4, 1e5, 1e6}
	series := []Series{
		{Name: "prior", X: k, Y: []float64{-449, -300, -175, -142, -94, -92, -88}, YErr: []float64{nan, 9, 5, 3, 1, 1, 1}, Points: true},
		{Name: "is (q: encoder)", X: k, Y: []float64{-83, -82, -82, -82, -82, -82, -82}, YErr: []float64{nan, 1, 1, 0.5, 0.2, 0.1, 0.1}, Points: true},
	}
	dir := t.TempDir()
	for _, top := range []bool{false, true} {
		for _, left := range []bool{false, true} {
			p, err := LinePlot(series, LineOptions{Title: "t", XLabel: "K (samples per estimate)", YLabel: "log p(x)", LogX: true, LegendTop: top, LegendLeft: left})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "legend.png")
			if err := Save(path, p, 0, 0); err != nil {
				t.Fatal(err)
			}
			img := decodePNG(t, path)
			end := axisEnd(img)
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := end + 1; x < b.Max.X; x++ {
					got := color.RGBAModel.Convert(img.At(x, y))
					if got == Palette[0] || got == Palette[1] {
						t.Fatalf("legend top=%v left=%v: pixel (%d, %d) of a series' colour right of the X axis, which ends at x = %d", top, left, x, y, end)
					}
				}
			}
			if p.Legend.XOffs != 0 {
				t.Errorf("Save left the legend offset at %v", p.Legend.XOffs)
			}
		}
	}
}

// axisEnd returns the right end of the X axis line of a plot image: the
// last grey pixel of the row with the longest run of grey (not white, not
// coloured) pixels.
func axisEnd(img image.Image) int {
	b := img.Bounds()
	best, end := 0, b.Max.X-1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		run := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xc000 && r == g && g == bl {
				run++
				if run > best {
					best, end = run, x
				}
			} else {
				run = 0
			}
		}
	}
	return end
}

func TestScatter(t *testing.T) {
	var x, y []float64
	var labels []int
	for l := range 10 {
		for j := range 5 {
			x = append(x, float64(l))
			y = append(y, float64(j))
			labels = append(labels, l)
		}
	}
	x = append(x, nan, 3)
	y = append(y, 1, math.Inf(1))
	labels = append(labels, 4, 4)

	p, err := Scatter(x, y, labels, ScatterOptions{Title: "latent", XLabel: "z₁", YLabel: "z₂"})
	if err != nil {
		t.Fatal(err)
	}
	// Data ranges x [0, 9] and y [0, 4], with margins of 5% and a strip of
	// 15% for the legend.
	if math.Abs(p.Y.Min+0.2) > 1e-12 || math.Abs(p.Y.Max-4.2) > 1e-12 || math.Abs(p.X.Min+0.45) > 1e-12 || math.Abs(p.X.Max-(9.45+0.15*9.9)) > 1e-12 {
		t.Errorf("ranges x [%g, %g] y [%g, %g], want x [-0.45, 10.935] and y [-0.2, 4.2]", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "z.png")
	if err := Save(path, p, 5*vg.Inch, 4*vg.Inch); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path)
	if got := img.Bounds().Size(); got != image.Pt(480, 384) {
		t.Errorf("size %v, want 480x384", got)
	}
	for l := range 10 {
		if !hasColor(img, Palette[l]) {
			t.Errorf("no pixel of label %d's colour %v", l, Palette[l])
		}
	}
	checkOnlyFile(t, dir, "z.png")

	if _, err := Scatter([]float64{nan}, []float64{1}, nil, ScatterOptions{}); err == nil {
		t.Error("Scatter with no finite point: no error")
	}
}

func TestLabelStyle(t *testing.T) {
	seen := make(map[color.RGBA]bool)
	for l := range 10 {
		c, _ := labelStyle(l)
		seen[c] = true
	}
	if len(seen) != 10 {
		t.Errorf("labels 0-9 get %d distinct colours, want 10", len(seen))
	}
	for _, l := range []int{10, 23, -1, -11} {
		c, shape := labelStyle(l)
		c0, shape0 := labelStyle(((l % 10) + 10) % 10)
		if c != c0 {
			t.Errorf("label %d colour %v, want that of label %d", l, c, ((l%10)+10)%10)
		}
		if shape == shape0 {
			t.Errorf("label %d has the dot shape of label %d", l, ((l%10)+10)%10)
		}
	}
	if got := labelName(3, []string{"a", "b", "", "d"}); got != "d" {
		t.Errorf("labelName(3) = %q, want d", got)
	}
	if got := labelName(2, []string{"a", "b", ""}); got != "2" {
		t.Errorf("labelName(2) = %q, want 2", got)
	}
}

// TestScatterCircles checks that circles widen the ranges to hold them and
// are drawn, and that bad radii are left out.
func TestScatterCircles(t *testing.T) {
	x, y := []float64{0, 0.5}, []float64{0, 0.5}
	tests := []struct {
		name    string
		circles []Circle
		radius  float64 // the largest drawn circle; 0 for none
	}{
		{"none", nil, 0},
		{"two", []Circle{{Name: "1σ", Radius: 1}, {Name: "2σ", Radius: 2}}, 2},
		{"unnamed", []Circle{{Radius: 3}}, 3},
		{"bad radii left out", []Circle{{Name: "neg", Radius: -1}, {Name: "nan", Radius: nan}, {Name: "inf", Radius: math.Inf(1)}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Scatter(x, y, nil, ScatterOptions{Circles: tc.circles})
			if err != nil {
				t.Fatal(err)
			}
			r := tc.radius
			if r == 0 {
				if p.X.Min < -0.1 || p.Y.Max > 0.6 {
					t.Errorf("ranges x [%g, %g] y [%g, %g] wider than the points", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
				}
			} else if !(p.X.Min <= -r && p.X.Max >= r && p.Y.Min <= -r && p.Y.Max >= r) {
				t.Errorf("ranges x [%g, %g] y [%g, %g] do not hold the circle of radius %g", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max, r)
			}
			// Text is antialiased and hits the circles' grey in a few
			// pixels; a circle gives hundreds.
			path := filepath.Join(t.TempDir(), "c.png")
			if err := Save(path, p, 4*vg.Inch, 4*vg.Inch); err != nil {
				t.Fatal(err)
			}
			if got := countColor(decodePNG(t, path), refColor); (got > 100) != (tc.radius > 0) {
				t.Errorf("%d pixels of the circles' colour; want a circle drawn: %v", got, tc.radius > 0)
			}
		})
	}
}

// countColor returns the number of pixels of img of colour c.
func countColor(img image.Image, c color.RGBA) int {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == c {
				n++
			}
		}
	}
	return n
}

// TestSaveRow draws two plots side by side: the image is two panels wide,
// and each plot's colour appears in its own half.
func TestSaveRow(t *testing.T) {
	k := []float64{1, 10, 100}
	var plots []*plot.Plot
	for i := range 2 {
		series := make([]Series, i+1)
		for j := range series {
			series[j] = Series{Name: "s", X: k, Y: []float64{1, 2, 3}}
		}
		p, err := LinePlot(series, LineOptions{Title: "t"})
		if err != nil {
			t.Fatal(err)
		}
		plots = append(plots, p)
	}
	path := filepath.Join(t.TempDir(), "row.png")
	if err := SaveRow(path, plots, 3*vg.Inch, 2*vg.Inch); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path)
	if got := img.Bounds().Size(); got != image.Pt(576, 192) {
		t.Fatalf("size %v, want 576x192", got)
	}
	left := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(0, 0, 288, 192))
	if hasColor(left, Palette[1]) {
		t.Error("the second plot's second series appears in the left panel")
	}
	if !hasColor(img, Palette[1]) {
		t.Error("the second plot's second series is not drawn")
	}
}

// TestAddRefs checks that AddRefs extends the Y range to each finite line,
// takes a non-finite one without harm, and draws the lines in their colour.
func TestAddRefs(t *testing.T) {
	p, err := Scatter([]float64{0, 1}, []float64{0, 1}, nil, ScatterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	AddRefs(p, RefLine{Name: "high", Y: 5}, RefLine{Y: -2}, RefLine{Name: "nan", Y: math.NaN()})
	if p.Y.Min > -2 || p.Y.Max < 5 {
		t.Errorf("Y range [%v, %v], want it to hold −2 and 5", p.Y.Min, p.Y.Max)
	}
	path := filepath.Join(t.TempDir(), "refs.png")
	if err := Save(path, p, 0, 0); err != nil {
		t.Fatal(err)
	}
	if !hasColor(decodePNG(t, path), refColor) {
		t.Error("no pixel of the reference lines' colour")
	}
}
