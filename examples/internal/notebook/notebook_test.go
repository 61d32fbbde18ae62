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
	"strings"
	"testing"

	"github.com/vitool/vitool/figure"
)

func TestRegister(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want Common
	}{
		{"defaults", nil, Common{Out: filepath.Join("docs", "figures", "02-monte-carlo"), Seed: 1}},
		{"fast", []string{"-fast"}, Common{Fast: true, Out: filepath.Join("docs", "figures", "02-monte-carlo"), Seed: 1}},
		{"all", []string{"-full", "-out", "figs", "-seed", "7"}, Common{Full: true, Out: "figs", Seed: 7}},
		{"no figures", []string{"-out", ""}, Common{Seed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			var c Common
			c.Register(fs, "02-monte-carlo", "larger run", "folder for the figures")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if c != tt.want {
				t.Errorf("after %q: %+v, want %+v", tt.args, c, tt.want)
			}
		})
	}
}

// TestRegisterHelp checks the help texts, which the examples' -h prints.
func TestRegisterHelp(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var help bytes.Buffer
	fs.SetOutput(&help)
	var c Common
	c.Register(fs, "05-vae", "larger networks, 150 epochs (many minutes)", "folder for the figures")
	fs.PrintDefaults()
	want := `  -fast
    	small, quick run (as in the tests)
  -full
    	larger networks, 150 epochs (many minutes)
  -out string
    	folder for the figures (default "docs/figures/05-vae")
  -seed uint
    	random seed (default 1)
`
	if help.String() != want {
		t.Errorf("help:\n%s\nwant:\n%s", help.String(), want)
	}
}

func TestRunMain(t *testing.T) {
	tests := []struct {
		name               string
		err                error
		code               int
		wantOut, wantError string
	}{
		{"success", nil, 0, "report\n", ""},
		{"failure", errors.New("no data"), 1, "report\n", "03-importance-sampling: no data\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cfg := Common{Fast: true, Seed: 3}
			code := runMain("03-importance-sampling", cfg, func(c Common, w io.Writer) (int, error) {
				if c != cfg {
					t.Errorf("run called with %+v, want %+v", c, cfg)
				}
				io.WriteString(w, "report\n")
				return 42, tt.err
			}, &stdout, &stderr)
			if code != tt.code || stdout.String() != tt.wantOut || stderr.String() != tt.wantError {
				t.Errorf("status %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tt.code, tt.wantOut, tt.wantError)
			}
		})
	}
}

func TestNewTable(t *testing.T) {
	var b bytes.Buffer
	tab := NewTable(&b, "K", "mean log p̂")
	tab.Append("1", "-12.5")
	tab.Append("1000", "-3.25")
	if err := tab.Render(); err != nil {
		t.Fatal(err)
	}
	want := `┌──────┬────────────┐
│  K   │ mean log p̂ │
├──────┼────────────┤
│    1 │      -12.5 │
│ 1000 │      -3.25 │
└──────┴────────────┘
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestPlusMinus(t *testing.T) {
	tests := []struct {
		v, se        float64
		prec, sePrec int
		want         string
	}{
		{-93.123456, 0.0456, 4, 4, "-93.1235 ± 0.0456"},
		{-93.123456, 0.0456, 2, 2, "-93.12 ± 0.05"},
		{-183.76629, 0.2345, 4, 2, "-183.7663 ± 0.23"},
		{-93.123456, math.Inf(1), 4, 4, "-93.1235"},
		{-93.123456, math.NaN(), 2, 2, "-93.12"},
		{1, 0, 1, 1, "1.0 ± 0.0"},
	}
	for _, tt := range tests {
		if got := PlusMinus(tt.v, tt.se, tt.prec, tt.sePrec); got != tt.want {
			t.Errorf("PlusMinus(%v, %v, %d, %d) = %q, want %q", tt.v, tt.se, tt.prec, tt.sePrec, got, tt.want)
		}
	}
}

func TestNum(t *testing.T) {
	tests := []struct {
		format string
		v      float64
		want   string
	}{
		{"%.3f", 1.23456, "1.235"},
		{"%.2f", math.NaN(), "–"},
		{"%.1f", math.Inf(-1), "-Inf"},
	}
	for _, tt := range tests {
		if got := Num(tt.format, tt.v); got != tt.want {
			t.Errorf("Num(%q, %v) = %q, want %q", tt.format, tt.v, got, tt.want)
		}
	}
}

// writeImage writes a w×h PNG image to path.
func writeImage(t *testing.T, path string, w, h int) {
	t.Helper()
	if err := figure.WritePNG(path, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
}

func TestFigures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs", "figures", "xx")
	figs, err := NewFigures(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := figs.PNG("grid.png", image.NewGray(image.Rect(0, 0, 120, 110))); err != nil {
		t.Fatal(err)
	}
	p, err := figure.LinePlot([]figure.Series{{Name: "y = x", X: []float64{1, 2, 3}, Y: []float64{1, 2, 3}}}, figure.LineOptions{Title: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := figs.Plot("plot.png", p); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "grid.png"), filepath.Join(dir, "plot.png")}
	if strings.Join(figs.Paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths %v, want %v", figs.Paths, want)
	}
	if err := CheckPNGs(figs.Paths, 2); err != nil {
		t.Error(err)
	}

	// A failed write records nothing.
	if err := figs.Plot("plot.nope", p); err == nil {
		t.Error("Plot to an unknown format: no error")
	}
	if err := figs.PNG(filepath.Join("missing", "grid.png"), image.NewGray(image.Rect(0, 0, 1, 1))); err == nil {
		t.Error("PNG into a missing folder: no error")
	}
	if len(figs.Paths) != 2 {
		t.Errorf("paths after failed writes: %v", figs.Paths)
	}

	// The folder cannot be made below a file.
	file := filepath.Join(dir, "grid.png")
	if _, err := NewFigures(filepath.Join(file, "sub")); err == nil {
		t.Error("NewFigures below a file: no error")
	}
}

func TestCheckPNGs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.png")
	writeImage(t, good, 200, 100)
	good2 := filepath.Join(dir, "good2.png")
	writeImage(t, good2, 100, 300)
	narrow := filepath.Join(dir, "narrow.png")
	writeImage(t, narrow, 99, 300)
	flat := filepath.Join(dir, "flat.png")
	writeImage(t, flat, 300, 50)
	text := filepath.Join(dir, "text.png")
	if err := os.WriteFile(text, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A PNG cut short: its header (and size) read fine, its pixels do not.
	var full bytes.Buffer
	if err := png.Encode(&full, image.NewGray(image.Rect(0, 0, 200, 200))); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.png")
	if err := os.WriteFile(cut, full.Bytes()[:full.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.png")

	tests := []struct {
		name  string
		paths []string
		want  int
		ok    bool
	}{
		{"good", []string{good, good2}, 2, true},
		{"none", nil, 0, true},
		{"too few", []string{good}, 2, false},
		{"too many", []string{good, good2}, 1, false},
		{"narrow", []string{good, narrow}, 2, false},
		{"flat", []string{flat}, 1, false},
		{"not a PNG", []string{text}, 1, false},
		{"truncated", []string{cut}, 1, false},
		{"missing", []string{missing}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPNGs(tt.paths, tt.want)
			if (err == nil) != tt.ok {
				t.Errorf("CheckPNGs(%v, %d) = %v, want ok %v", tt.paths, tt.want, err, tt.ok)
			}
		})
	}
}

func TestSeeds(t *testing.T) {
	a, b := Seeds(1, 5), Seeds(1, 5)
	if len(a) != 5 || a[0] != 1 {
		t.Fatalf("Seeds(1, 5) = %v: want 5 seeds starting with 1", a)
	}
	seen := map[uint64]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("Seeds(1, 5) differs between calls: %v and %v", a, b)
		}
		if seen[a[i]] {
			t.Errorf("Seeds(1, 5) = %v: seed %d repeats", a, a[i])
		}
		seen[a[i]] = true
	}
	if c := Seeds(2, 5); c[1] == a[1] {
		t.Errorf("Seeds(2, 5) = %v shares its second seed with Seeds(1, 5) = %v", c, a)
	}
	if got := Seeds(1, 3); got[2] != a[2] {
		t.Errorf("Seeds(1, 3) = %v is not a prefix of Seeds(1, 5) = %v", got, a)
	}
}

func TestParallel(t *testing.T) {
	out := make([]int, 20)
	if err := Parallel(len(out), func(i int) error { out[i] = i * i; return nil }); err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != i*i {
			t.Errorf("out[%d] = %d, want %d", i, v, i*i)
		}
	}
	err := Parallel(4, func(i int) error {
		if i%2 == 1 {
			return fmt.Errorf("run %d failed", i)
		}
		return nil
	})
	if err == nil || err.Error() != "run 1 failed" {
		t.Errorf("Parallel error %v, want that of run 1", err)
	}
}

func TestMeanSD(t *testing.T) {
	m, sd := MeanSD([]float64{1, 2, 3, 6})
	if m != 3 || math.Abs(sd-math.Sqrt(14.0/3)) > 1e-12 {
		t.Errorf("MeanSD(1, 2, 3, 6) = %v, %v; want 3, %v", m, sd, math.Sqrt(14.0/3))
	}
	if m, sd := MeanSD([]float64{4}); m != 4 || !math.IsNaN(sd) {
		t.Errorf("MeanSD(4) = %v, %v; want 4, NaN", m, sd)
	}
}

func TestBand(t *testing.T) {
	x := []float64{1, 2, 3}
	s := Band("loss", x, [][]float64{{1, 2, 3}, {3, 2, 5}})
	if s.Name != "loss" || !s.Band || len(s.X) != 3 {
		t.Fatalf("Band: %+v", s)
	}
	wantY, wantErr := []float64{2, 2, 4}, []float64{math.Sqrt2, 0, math.Sqrt2}
	for i := range x {
		if s.Y[i] != wantY[i] || math.Abs(s.YErr[i]-wantErr[i]) > 1e-12 {
			t.Errorf("point %d: %v ± %v, want %v ± %v", i, s.Y[i], s.YErr[i], wantY[i], wantErr[i])
		}
	}
	if _, err := figure.LinePlot([]figure.Series{s}, figure.LineOptions{}); err != nil {
		t.Error(err)
	}
	for _, runs := range [][][]float64{{{1, 2, 3}}, {{1, 2, 3}, {1, 2}}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Band of %v: no panic", runs)
				}
			}()
			Band("bad", x, runs)
		}()
	}
}

func TestBandOf(t *testing.T) {
	type row struct{ epoch, loss float64 }
	runs := [][]row{{{1, 1}, {2, 2}, {3, 3}}, {{1, 3}, {2, 2}, {3, 5}}}
	got := BandOf("loss", runs, func(r row) float64 { return r.epoch }, func(r row) float64 { return r.loss })
	want := Band("loss", []float64{1, 2, 3}, [][]float64{{1, 2, 3}, {3, 2, 5}})
	for i := range want.X {
		if got.X[i] != want.X[i] || got.Y[i] != want.Y[i] || got.YErr[i] != want.YErr[i] {
			t.Errorf("point %d: (%v, %v ± %v), want (%v, %v ± %v)", i, got.X[i], got.Y[i], got.YErr[i], want.X[i], want.Y[i], want.YErr[i])
		}
	}
}
