package figure

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// mustPanic fails t unless f panics.
func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

func grayRGBA(g uint8) color.RGBA { return color.RGBA{R: g, G: g, B: g, A: 255} }

func TestGridPixels(t *testing.T) {
	// Two 2×2 images, row-major. a is asymmetric so that a transposed
	// tile would put 1 at (x=1, y=3) instead of (x=3, y=1).
	a := []float64{0, 1, 0.75, 0.25}
	b := []float64{0.25, 0, 1, 0.75}
	bg := grayRGBA(128)
	v0, v1, v75, v25 := grayRGBA(0), grayRGBA(255), grayRGBA(191), grayRGBA(64)
	for _, tc := range []struct {
		name    string
		images  [][]float64
		columns int
		opt     GridOptions
		size    image.Point
		want    map[image.Point]color.RGBA
	}{
		{
			name: "pad 1 scale 2 in a row", images: [][]float64{a, b}, columns: 2,
			opt:  GridOptions{Pad: 1, Scale: 2},
			size: image.Pt(11, 6), // 1 + 2*(4+1) by 1 + (4+1)
			want: map[image.Point]color.RGBA{
				{0, 0}: bg, {10, 5}: bg, {5, 3}: bg, {3, 5}: bg, // border and gutter
				{1, 1}: v0, {2, 2}: v0, // a(0,0) fills a 2×2 block
				{3, 1}: v1, {4, 2}: v1, // a(0,1): right of a(0,0)
				{1, 3}: v75, {2, 4}: v75, // a(1,0): below a(0,0)
				{3, 3}: v25, {4, 4}: v25,
				{6, 1}: v25, {8, 1}: v0, {6, 3}: v1, {9, 4}: v75, // b starts at x = 6
			},
		},
		{
			name: "column of two no padding", images: [][]float64{a, b}, columns: 1,
			opt:  GridOptions{},
			size: image.Pt(2, 4),
			want: map[image.Point]color.RGBA{
				{0, 0}: v0, {1, 0}: v1, {0, 1}: v75, {1, 1}: v25,
				{0, 2}: v25, {1, 2}: v0, {0, 3}: v1, {1, 3}: v75,
			},
		},
		{
			name: "more columns than images", images: [][]float64{a}, columns: 5,
			opt:  GridOptions{Pad: 2},
			size: image.Pt(6, 6),
			want: map[image.Point]color.RGBA{{1, 1}: bg, {2, 2}: v0, {3, 2}: v1, {4, 4}: bg},
		},
		{
			name: "partial last row is background", images: [][]float64{a, b, a}, columns: 2,
			opt:  GridOptions{Background: color.White},
			size: image.Pt(4, 4),
			want: map[image.Point]color.RGBA{{0, 2}: v0, {3, 2}: grayRGBA(255), {2, 3}: grayRGBA(255), {2, 2}: grayRGBA(255)},
		},
		{
			name: "nil tile is blank", images: [][]float64{nil, b}, columns: 2,
			opt:  GridOptions{Background: color.RGBA{B: 200, A: 255}},
			size: image.Pt(4, 2),
			want: map[image.Point]color.RGBA{{0, 0}: {B: 200, A: 255}, {1, 1}: {B: 200, A: 255}, {2, 0}: v25},
		},
		{
			name: "invert", images: [][]float64{a}, columns: 1,
			opt:  GridOptions{Invert: true},
			size: image.Pt(2, 2),
			want: map[image.Point]color.RGBA{{0, 0}: v1, {1, 0}: v0, {0, 1}: v25, {1, 1}: v75},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := Grid(tc.images, Shape{Rows: 2, Cols: 2}, tc.columns, tc.opt)
			if got := img.Bounds().Size(); got != tc.size {
				t.Fatalf("size %v, want %v", got, tc.size)
			}
			for p, want := range tc.want {
				if got := img.RGBAAt(p.X, p.Y); got != want {
					t.Errorf("pixel %v = %v, want %v", p, got, want)
				}
			}
		})
	}
}

func TestGridNonRectangular(t *testing.T) {
	// A 2×3 image (2 rows, 3 columns) must come out 3 wide and 2 high,
	// filled row by row.
	img := Grid([][]float32{{0, 0.2, 0.4, 0.6, 0.8, 1}}, Shape{Rows: 2, Cols: 3}, 1, GridOptions{})
	if got := img.Bounds().Size(); got != image.Pt(3, 2) {
		t.Fatalf("size %v, want (3,2)", got)
	}
	want := [][]uint8{{0, 51, 102}, {153, 204, 255}}
	for y, row := range want {
		for x, g := range row {
			if got := img.RGBAAt(x, y); got != grayRGBA(g) {
				t.Errorf("pixel (%d,%d) = %v, want gray %d", x, y, got, g)
			}
		}
	}
}

func TestGridClamp(t *testing.T) {
	values := []float64{-0.5, 1.5, math.Inf(1), math.Inf(-1), math.NaN(), 0.5}
	want := []color.RGBA{grayRGBA(0), grayRGBA(255), grayRGBA(255), grayRGBA(0), NaNColor, grayRGBA(128)}
	for _, invert := range []bool{false, true} {
		img := Grid([][]float64{values}, Shape{Rows: 1, Cols: len(values)}, 1, GridOptions{Invert: invert})
		for i, w := range want {
			if invert && w != NaNColor {
				w = grayRGBA(255 - w.R)
			}
			if invert && i == 5 {
				w = grayRGBA(128) // round(255*0.5) either way
			}
			if got := img.RGBAAt(i, 0); got != w {
				t.Errorf("invert=%v: value %v drawn %v, want %v", invert, values[i], got, w)
			}
		}
	}
}

func TestGridPanics(t *testing.T) {
	ok := [][]float64{{0, 0, 0, 0}}
	s := Shape{Rows: 2, Cols: 2}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"no images", func() { Grid([][]float64{}, s, 1, GridOptions{}) }},
		{"zero columns", func() { Grid(ok, s, 0, GridOptions{}) }},
		{"wrong length", func() { Grid([][]float64{{0, 0, 0}}, s, 1, GridOptions{}) }},
		{"negative pad", func() { Grid(ok, s, 1, GridOptions{Pad: -1}) }},
		{"negative scale", func() { Grid(ok, s, 1, GridOptions{Scale: -2}) }},
		{"empty shape", func() { Grid(ok, Shape{}, 1, GridOptions{}) }},
		{"rows of nothing", func() { Rows[float64]() }},
		{"interleave zero columns", func() { Interleave(0, ok) }},
		{"interleave no sets", func() { Interleave[float64](3) }},
		{"interleave unequal sets", func() { Interleave(3, ok, [][]float64{}) }},
	} {
		mustPanic(t, tc.name, tc.f)
	}
}

// tags returns, for each image, its single value, or -1 for a nil image.
func tags(images [][]float64) []float64 {
	out := make([]float64, len(images))
	for i, im := range images {
		out[i] = -1
		if im != nil {
			out[i] = im[0]
		}
	}
	return out
}

// tagged returns single-value images with the given values.
func tagged(vs ...float64) [][]float64 {
	out := make([][]float64, len(vs))
	for i, v := range vs {
		out[i] = []float64{v}
	}
	return out
}

func TestRows(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rows    [][][]float64
		want    []float64
		columns int
	}{
		{"equal rows", [][][]float64{tagged(1, 2, 3), tagged(4, 5, 6)}, []float64{1, 2, 3, 4, 5, 6}, 3},
		{"ragged rows", [][][]float64{tagged(1), tagged(2, 3, 4), tagged(5, 6)}, []float64{1, -1, -1, 2, 3, 4, 5, 6, -1}, 3},
		{"empty row", [][][]float64{tagged(1, 2), nil}, []float64{1, 2, -1, -1}, 2},
	} {
		images, columns := Rows(tc.rows...)
		if columns != tc.columns || !slices.Equal(tags(images), tc.want) {
			t.Errorf("%s: got %v with %d columns, want %v with %d", tc.name, tags(images), columns, tc.want, tc.columns)
		}
	}
}

func TestInterleave(t *testing.T) {
	orig := tagged(1, 2, 3, 4, 5)
	recon := tagged(11, 12, 13, 14, 15)
	for _, tc := range []struct {
		name    string
		columns int
		sets    [][][]float64
		want    []float64
	}{
		{"one block", 5, [][][]float64{orig, recon}, []float64{1, 2, 3, 4, 5, 11, 12, 13, 14, 15}},
		{"two blocks padded", 3, [][][]float64{orig, recon}, []float64{1, 2, 3, 11, 12, 13, 4, 5, -1, 14, 15, -1}},
		{"alternating", 1, [][][]float64{orig[:2], recon[:2]}, []float64{1, 11, 2, 12}},
		{"three sets", 2, [][][]float64{orig[:2], recon[:2], tagged(21, 22)}, []float64{1, 2, 11, 12, 21, 22}},
		{"wide", 8, [][][]float64{orig[:2], recon[:2]}, []float64{1, 2, -1, -1, -1, -1, -1, -1, 11, 12, -1, -1, -1, -1, -1, -1}},
	} {
		if got := tags(Interleave(tc.columns, tc.sets...)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWritePNG(t *testing.T) {
	images := [][]float64{{0, 1, 0.75, math.NaN()}, {0.25, 0, 1, 0.75}}
	img := Grid(images, Shape{Rows: 2, Cols: 2}, 2, GridOptions{Pad: 1, Scale: 3})
	dir := t.TempDir()
	path := filepath.Join(dir, "grid.png")
	if err := os.WriteFile(path, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(path, img); err != nil {
		t.Fatalf("WritePNG: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.Bounds() != img.Bounds() {
		t.Fatalf("decoded bounds %v, want %v", got.Bounds(), img.Bounds())
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if g, w := color.RGBAModel.Convert(got.At(x, y)), img.RGBAAt(x, y); g != w {
				t.Fatalf("decoded pixel (%d,%d) = %v, want %v", x, y, g, w)
			}
		}
	}
	checkOnlyFile(t, dir, "grid.png")
}

func TestWritePNGError(t *testing.T) {
	dir := t.TempDir()
	img := Grid([][]float64{{1}}, Shape{Rows: 1, Cols: 1}, 1, GridOptions{})
	if err := WritePNG(filepath.Join(dir, "missing", "grid.png"), img); err == nil {
		t.Error("WritePNG into a missing directory: no error")
	}
	checkOnlyFile(t, dir)
}

// checkOnlyFile fails t unless dir holds exactly the named files.
func checkOnlyFile(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("directory holds %q, want %q", got, names)
	}
}

// TestGridLabels checks that row and column labels widen and heighten the
// picture by white margins, write ink into them only next to labelled rows and
// columns, and leave the tiles as they are.
func TestGridLabels(t *testing.T) {
	images := [][]float64{{1, 1, 1, 1}, {0, 0, 0, 0}, {1, 0, 1, 0}, {0.5, 0.5, 0.5, 0.5}}
	s := Shape{Rows: 2, Cols: 2}
	opt := GridOptions{Pad: 1, Scale: 10}
	plain := Grid(images, s, 2, opt)
	tests := []struct {
		name     string
		rows     []string
		cols     []string
		wantLeft bool // a left margin
		wantTop  bool // a top margin
		inkRows  []bool
		inkCols  []bool
		wantSame bool // no labels: the plain grid
	}{
		{name: "none", wantSame: true},
		{name: "empty strings", rows: []string{"", ""}, wantSame: true},
		{name: "rows", rows: []string{"VAE, z ~ N(0, I)", ""}, wantLeft: true, inkRows: []bool{true, false}},
		{name: "columns", cols: []string{"", "−1.5"}, wantTop: true, inkCols: []bool{false, true}},
		{name: "both, extra labels ignored", rows: []string{"a", "b", "c"}, cols: []string{"x", "y", "z"}, wantLeft: true, wantTop: true,
			inkRows: []bool{true, true}, inkCols: []bool{true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opt
			o.RowLabels, o.ColLabels = tc.rows, tc.cols
			img := Grid(images, s, 2, o)
			pw, ph := plain.Bounds().Dx(), plain.Bounds().Dy()
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			if tc.wantSame {
				if w != pw || h != ph || !bytes.Equal(img.Pix, plain.Pix) {
					t.Fatalf("unlabelled grid differs from the plain one (%d×%d, want %d×%d)", w, h, pw, ph)
				}
				return
			}
			left, top := w-pw, h-ph
			if (left > 0) != tc.wantLeft || (top > 0) != tc.wantTop {
				t.Fatalf("margins left %d, top %d; want left %v, top %v", left, top, tc.wantLeft, tc.wantTop)
			}
			// The tiles are copied unchanged.
			for y := 0; y < ph; y++ {
				for x := 0; x < pw; x++ {
					if img.RGBAAt(left+x, top+y) != plain.RGBAAt(x, y) {
						t.Fatalf("tile pixel (%d, %d) changed", x, y)
					}
				}
			}
			dark := func(r image.Rectangle) bool {
				for y := r.Min.Y; y < r.Max.Y; y++ {
					for x := r.Min.X; x < r.Max.X; x++ {
						if img.RGBAAt(x, y).R < 128 {
							return true
						}
					}
				}
				return false
			}
			tile := 2*10 + 1
			for r, want := range tc.inkRows {
				band := image.Rect(0, top+1+r*tile, left, top+1+r*tile+20)
				if got := dark(band); got != want {
					t.Errorf("row %d label ink %v, want %v", r, got, want)
				}
			}
			for c, want := range tc.inkCols {
				band := image.Rect(left+1+c*tile, 0, left+1+c*tile+20, top)
				if got := dark(band); got != want {
					t.Errorf("column %d label ink %v, want %v", c, got, want)
				}
			}
		})
	}
}
