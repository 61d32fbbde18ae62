package notebook

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"gonum.org/v1/plot"

	"github.com/vitool/vitool/figure"
)

// Common holds the settings that every example takes from its flags; an
// example's main fills it with Register and flag.Parse, its test sets Fast.
type Common struct {
	Fast bool   // a small run, as in the tests (seconds)
	Full bool   // a larger run (minutes)
	Out  string // folder for the figures; empty writes none
	Seed uint64 // seed of every random draw
}

// Register defines the flags -fast, -full, -out and -seed on fs, storing
// their values in c. name is the example's folder name, such as
// "02-monte-carlo": the default of -out is docs/figures/NAME. fullHelp is the
// help text of -full, which says what the larger run does, and outHelp that
// of -out. The default seed is 1.
func (c *Common) Register(fs *flag.FlagSet, name, fullHelp, outHelp string) {
	fs.BoolVar(&c.Fast, "fast", false, "small, quick run (as in the tests)")
	fs.BoolVar(&c.Full, "full", false, fullHelp)
	fs.StringVar(&c.Out, "out", filepath.Join("docs", "figures", name), outHelp)
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed")
}

// Main is the end of an example's main function, after the flags are
// parsed: it calls run(cfg, os.Stdout), which prints the example's report,
// and discards the results (they are for the example's test). If run returns
// an error, Main prints "NAME: error" to standard error and exits with
// status 1.
func Main[C, R any](name string, cfg C, run func(C, io.Writer) (R, error)) {
	if code := runMain(name, cfg, run, os.Stdout, os.Stderr); code != 0 {
		os.Exit(code)
	}
}

// runMain is Main with its output streams as arguments; it returns the exit
// status.
func runMain[C, R any](name string, cfg C, run func(C, io.Writer) (R, error), stdout, stderr io.Writer) int {
	if _, err := run(cfg, stdout); err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return 1
	}
	return 0
}

// NewTable returns a table writing to w with vitool's layout (as the vitool
// command prints): headers kept as written and centred, cells
// right-aligned.
func NewTable(w io.Writer, header ...any) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignRight),
		tablewriter.WithHeaderAlignment(tw.AlignCenter),
	)
	t.Header(header...)
	return t
}

// PlusMinus formats an estimate v and its standard error se as "v ± se",
// with prec decimals for v and sePrec for se; an infinite or NaN se (an
// estimate from one draw) is left out.
func PlusMinus(v, se float64, prec, sePrec int) string {
	if math.IsInf(se, 0) || math.IsNaN(se) {
		return fmt.Sprintf("%.*f", prec, v)
	}
	return fmt.Sprintf("%.*f ± %.*f", prec, v, sePrec, se)
}

// Num formats v with the fmt verb format, such as "%.3f", or returns "–"
// for NaN (a quantity that is undefined, such as a standard error from one
// draw).
func Num(format string, v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

// Figures writes an example's figures into one folder and records the paths
// it wrote, in order.
type Figures struct {
	Dir   string   // the folder
	Paths []string // the files written so far
}

// NewFigures creates the folder dir, with its parents, and returns a Figures
// writing into it.
func NewFigures(dir string) (*Figures, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &Figures{Dir: dir}, nil
}

// Plot saves p at figure.Save's default size as the file name in the folder
// (the format follows the extension) and records its path.
func (f *Figures) Plot(name string, p *plot.Plot) error {
	path := filepath.Join(f.Dir, name)
	if err := figure.Save(path, p, 0, 0); err != nil {
		return err
	}
	f.Paths = append(f.Paths, path)
	return nil
}

// PNG writes img as the PNG file name in the folder and records its path.
func (f *Figures) PNG(name string, img image.Image) error {
	path := filepath.Join(f.Dir, name)
	if err := figure.WritePNG(path, img); err != nil {
		return err
	}
	f.Paths = append(f.Paths, path)
	return nil
}

// minSide is the smallest width and height, in pixels, that CheckPNGs
// accepts: every figure of the examples is larger.
const minSide = 100

// CheckPNGs returns an error unless paths names exactly want files, each a
// complete PNG image at least 100 pixels wide and high. The example tests
// call it on the figures that a run reports.
func CheckPNGs(paths []string, want int) error {
	if len(paths) != want {
		return fmt.Errorf("wrote %d figures, want %d: %v", len(paths), want, paths)
	}
	var errs []error
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		if s := img.Bounds().Size(); s.X < minSide || s.Y < minSide {
			errs = append(errs, fmt.Errorf("%s: %d×%d pixels, want at least %d×%d", p, s.X, s.Y, minSide, minSide))
		}
	}
	return errors.Join(errs...)
}
