package figure_test

import (
	"fmt"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/vitool/vitool/figure"
	"gonum.org/v1/plot/vg"
)

func ExampleGrid() {
	// Two 2×2 images, row-major, padded by 1 pixel and scaled 2×.
	images := [][]float64{
		{0, 1, 0.75, 0.25},
		{0.25, 0, 1, 0.75},
	}
	img := figure.Grid(images, figure.Shape{Rows: 2, Cols: 2}, 2, figure.GridOptions{Pad: 1, Scale: 2})
	fmt.Println(img.Bounds())
	fmt.Println(img.RGBAAt(3, 1)) // pixel (row 0, column 1) of the first image
	// Output:
	// (0,0)-(11,6)
	// {255 255 255 255}
}

func ExampleInterleave() {
	// Originals above their reconstructions, three pairs to a row.
	originals := [][]float64{{0.1}, {0.2}, {0.3}, {0.4}}
	reconstructions := [][]float64{{0.11}, {0.19}, {0.32}, {0.41}}
	images := figure.Interleave(3, originals, reconstructions)
	img := figure.Grid(images, figure.Shape{Rows: 1, Cols: 1}, 3, figure.GridOptions{})
	fmt.Println(len(images), img.Bounds())
	// Output:
	// 12 (0,0)-(3,4)
}

func ExampleLinePlot() {
	k := []float64{1, 10, 100, 1000, 10000}
	iwae := figure.Series{
		Name:   "IWAE-K",
		X:      k,
		Y:      []float64{-95.1, -91.8, -90.2, -89.6, math.NaN()}, // a failed run is skipped
		YErr:   []float64{0.9, 0.5, 0.3, 0.2, 0.2},
		Points: true,
	}
	p, err := figure.LinePlot([]figure.Series{iwae}, figure.LineOptions{
		Title:  "Estimate of log p(x) against K",
		XLabel: "K",
		YLabel: "nats",
		LogX:   true,
		Refs:   []figure.RefLine{{Name: "exact", Y: -89.3}},
	})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "figure")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "k.png")
	if err := figure.Save(path, p, 6*vg.Inch, 4*vg.Inch); err != nil {
		log.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d pixels\n", cfg.Width, cfg.Height)
	// Output:
	// 576×384 pixels
}
