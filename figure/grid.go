package figure

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/vitool/vitool/internal/atomicfile"
)

// Float is the constraint on the element type of the images that Grid,
// Rows and Interleave accept.
type Float interface {
	~float32 | ~float64
}

// Shape is the size of one image: Rows lines of Cols pixels, stored row by
// row (row-major, the order of MNIST's IDX files), so that pixel (r, c) of
// an image v is v[r*Cols+c].
type Shape struct {
	Rows, Cols int
}

// Colours used by Grid.
var (
	// GridBackground is the default colour of the padding between and
	// around the tiles of a grid, and of blank (nil) tiles: a mid grey, so
	// that tile edges stay visible both for white-on-black digits and, with
	// GridOptions.Invert, for black-on-white ones.
	GridBackground = color.RGBA{R: 128, G: 128, B: 128, A: 255}

	// NaNColor is the colour Grid paints a NaN pixel, so that a model that
	// produced NaN shows it instead of hiding it.
	NaNColor = color.RGBA{R: 255, A: 255}
)

// GridOptions holds the optional settings of Grid. The zero value is a grid
// without padding, at scale 1, drawn white on black.
type GridOptions struct {
	// Pad is the number of background pixels between neighbouring tiles
	// and around the border of the grid. It is not scaled.
	Pad int

	// Scale is the side of the square of output pixels that each image
	// pixel becomes; zero means 1.
	Scale int

	// Invert draws value 1 as black and value 0 as white (ink on paper)
	// instead of value 1 as white.
	Invert bool

	// Background is the colour of the padding and of blank tiles; nil
	// means GridBackground.
	Background color.Color

	// RowLabels, if not empty, labels the rows of tiles: RowLabels[r] is
	// written, right-aligned and vertically centred, in a white margin to
	// the left of tile row r, as wide as the longest label. ColLabels
	// likewise labels the tile columns, centred in a white margin above
	// them. An empty string leaves its row or column unlabelled; labels
	// beyond the last row or column are ignored. Any Unicode text that
	// gonum/plot's Liberation Sans font covers may be used (z₁ = −1.5,
	// 3 → 8).
	RowLabels, ColLabels []string

	// LabelSize is the height of the labels' font in pixels; zero means
	// 12.
	LabelSize int
}

// Grid tiles grayscale images into one picture, columns images to a row,
// filled row by row. Every image holds shape.Rows*shape.Cols values in
// row-major order; a nil image leaves its tile blank (background colour).
// The grid has min(columns, len(images)) tile columns and as many tile rows
// as needed; each tile is shape.Cols*Scale pixels wide and shape.Rows*Scale
// pixels high, with opt.Pad pixels of background between tiles and around
// the border. With opt.RowLabels or opt.ColLabels the picture is wider or
// higher by the white margins that hold them.
//
// Value 0 is black and value 1 white (reversed by opt.Invert), with gray
// level round(255*v); values outside [0, 1], infinities included, are
// clamped into it. A NaN value is painted NaNColor.
//
// Grid panics if images is empty, if columns < 1, if opt.Pad or opt.Scale is
// negative, or if a non-nil image does not hold shape.Rows*shape.Cols values.
func Grid[F Float](images [][]F, shape Shape, columns int, opt GridOptions) *image.RGBA {
	if len(images) == 0 {
		panic("figure: Grid of no images")
	}
	if columns < 1 {
		panic(fmt.Sprintf("figure: Grid with %d columns", columns))
	}
	if shape.Rows < 1 || shape.Cols < 1 {
		panic(fmt.Sprintf("figure: Grid with image shape %d×%d", shape.Rows, shape.Cols))
	}
	if opt.Pad < 0 || opt.Scale < 0 {
		panic(fmt.Sprintf("figure: Grid with negative padding %d or scale %d", opt.Pad, opt.Scale))
	}
	n := shape.Rows * shape.Cols
	for i, im := range images {
		if im != nil && len(im) != n {
			panic(fmt.Sprintf("figure: Grid image %d has %d values, want %d×%d = %d", i, len(im), shape.Rows, shape.Cols, n))
		}
	}
	s := max(opt.Scale, 1)
	bg := GridBackground
	if opt.Background != nil {
		bg = color.RGBAModel.Convert(opt.Background).(color.RGBA)
	}

	cols := min(columns, len(images))
	rows := (len(images) + cols - 1) / cols
	tileW, tileH := shape.Cols*s, shape.Rows*s
	width := opt.Pad + cols*(tileW+opt.Pad)
	height := opt.Pad + rows*(tileH+opt.Pad)
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	fill(dst, dst.Bounds(), bg)

	for i, im := range images {
		if im == nil {
			continue
		}
		x0 := opt.Pad + (i%cols)*(tileW+opt.Pad)
		y0 := opt.Pad + (i/cols)*(tileH+opt.Pad)
		for r := range shape.Rows {
			for c := range shape.Cols {
				col := gray(float64(im[r*shape.Cols+c]), opt.Invert)
				x, y := x0+c*s, y0+r*s
				fill(dst, image.Rect(x, y, x+s, y+s), col)
			}
		}
	}
	if hasLabel(opt.RowLabels) || hasLabel(opt.ColLabels) {
		return labelGrid(dst, opt, rows, cols, tileW, tileH)
	}
	return dst
}

// hasLabel reports whether labels holds a non-empty string.
func hasLabel(labels []string) bool {
	for _, l := range labels {
		if l != "" {
			return true
		}
	}
	return false
}

// labelGrid returns the tiled picture grid inside white margins holding
// opt.RowLabels to its left and opt.ColLabels above it.
func labelGrid(grid *image.RGBA, opt GridOptions, rows, cols, tileW, tileH int) *image.RGBA {
	size := opt.LabelSize
	if size <= 0 {
		size = 12
	}
	// At 72 dots per inch a point is a pixel.
	face := font.DefaultCache.Lookup(font.Font{Typeface: "Liberation", Variant: "Sans"}, vg.Length(size))
	const gap = 4 // pixels between a label and the tiles, and at the margin's edge
	rowLabels := opt.RowLabels[:min(len(opt.RowLabels), rows)]
	colLabels := opt.ColLabels[:min(len(opt.ColLabels), cols)]
	left, top := 0, 0
	for _, l := range rowLabels {
		left = max(left, int(math.Ceil(float64(face.Width(l))))+2*gap)
	}
	if hasLabel(colLabels) {
		top = int(math.Ceil(float64(face.Extents().Height))) + 2*gap
	}
	gw, gh := grid.Bounds().Dx(), grid.Bounds().Dy()
	w, h := left+gw, top+gh
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(w), vg.Length(h)), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))
	c.SetColor(color.Black)
	ext := face.Extents()
	// vg's y axis points up from the bottom edge; baselines are placed so
	// that a label's ascent and descent are centred on its row or margin.
	for r, l := range rowLabels {
		if l == "" {
			continue
		}
		cy := float64(top + opt.Pad + r*(tileH+opt.Pad) + tileH/2) // from the top
		base := float64(h) - cy - float64(ext.Ascent-ext.Descent)/2
		x := float64(left-gap) - float64(face.Width(l))
		c.FillString(face, vg.Point{X: vg.Length(x), Y: vg.Length(base)}, l)
	}
	for i, l := range colLabels {
		if l == "" {
			continue
		}
		cx := float64(left + opt.Pad + i*(tileW+opt.Pad) + tileW/2)
		x := cx - float64(face.Width(l))/2
		base := float64(h-top+gap) + float64(ext.Descent)
		c.FillString(face, vg.Point{X: vg.Length(x), Y: vg.Length(base)}, l)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), c.Image(), image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect(left, top, w, h), grid, image.Point{}, draw.Src)
	return dst
}

// gray returns the colour of value v: NaNColor for NaN, otherwise the gray
// level round(255*v) with v clamped to [0, 1], reversed if invert is set.
func gray(v float64, invert bool) color.RGBA {
	if math.IsNaN(v) {
		return NaNColor
	}
	v = math.Min(math.Max(v, 0), 1)
	if invert {
		v = 1 - v
	}
	g := uint8(math.Round(255 * v))
	return color.RGBA{R: g, G: g, B: g, A: 255}
}

// fill paints the rectangle r of dst with c.
func fill(dst *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
		}
	}
}

// Rows arranges images so that each slice in rows fills one row of a grid:
// it returns the images in row order, each row padded with nil (blank) tiles
// to the length of the longest row, and that length, the number of columns
// to pass to Grid. It suits interpolation strips, one latent path per row,
// and small comparison figures such as originals above their
// reconstructions:
//
//	images, columns := figure.Rows(originals, reconstructions)
//	img := figure.Grid(images, figure.Shape{Rows: 28, Cols: 28}, columns, opt)
//
// Rows panics if rows is empty or every row is.
func Rows[F Float](rows ...[][]F) (images [][]F, columns int) {
	for _, r := range rows {
		columns = max(columns, len(r))
	}
	if columns == 0 {
		panic("figure: Rows of no images")
	}
	images = make([][]F, 0, len(rows)*columns)
	for _, r := range rows {
		images = append(images, r...)
		for range columns - len(r) {
			images = append(images, nil)
		}
	}
	return images, columns
}

// Interleave arranges sets of equally many images for comparison over
// several grid rows when a set is too long for one: the first columns images
// of every set, one grid row per set, then the next columns images of every
// set, and so on. The last block is padded with nil (blank) tiles so that
// matching images stay aligned. Pass the result to Grid with the same number
// of columns; for sets {originals, reconstructions} each row of originals is
// directly above the row of their reconstructions.
//
// Interleave panics if columns < 1, if sets is empty or if the sets differ in
// length.
func Interleave[F Float](columns int, sets ...[][]F) [][]F {
	if columns < 1 {
		panic(fmt.Sprintf("figure: Interleave with %d columns", columns))
	}
	if len(sets) == 0 {
		panic("figure: Interleave of no sets")
	}
	n := len(sets[0])
	for i, s := range sets {
		if len(s) != n {
			panic(fmt.Sprintf("figure: Interleave set %d has %d images, set 0 has %d", i, len(s), n))
		}
	}
	blocks := (n + columns - 1) / columns
	out := make([][]F, 0, blocks*columns*len(sets))
	for b := range blocks {
		lo, hi := b*columns, min((b+1)*columns, n)
		for _, s := range sets {
			out = append(out, s[lo:hi]...)
			for range columns - (hi - lo) {
				out = append(out, nil)
			}
		}
	}
	return out
}

// WritePNG writes img to path as a PNG file, atomically: the file at path is
// either left as it was or replaced by the complete picture, with permission
// bits 0644.
func WritePNG(path string, img image.Image) error {
	err := atomicfile.WriteFile(path, 0o644, func(w io.Writer) error {
		return png.Encode(w, img)
	})
	if err != nil {
		return fmt.Errorf("figure: %w", err)
	}
	return nil
}
