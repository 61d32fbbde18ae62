package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/internal/atomicfile"
)

// Files written to the output folder besides the checkpoint.
const (
	curveCSVFile   = "curve.csv"
	curvePNGFile   = "curve.png"
	reconFile      = "reconstructions.png"
	samplesFile    = "samples.png"
	reconImages    = 10 // test images in reconstructions.png
	sampleImages   = 64 // prior samples in samples.png
	samplesColumns = 8
)

// curveRow is one epoch of the learning curve. Test is the test ELBO of a
// VAE or the test loss of an AE, NaN when there is no test data.
type curveRow struct {
	Epoch      int
	Beta       float64
	TrainLoss  float64
	TrainBound float64
	Test       float64
	Seconds    float64
}

// curveRowJSON is the stored form of a curveRow (NaN as null).
type curveRowJSON struct {
	Epoch      int      `json:"epoch"`
	Beta       *float64 `json:"beta"`
	TrainLoss  *float64 `json:"train_loss"`
	TrainBound *float64 `json:"train_bound"`
	Test       *float64 `json:"test"`
	Seconds    *float64 `json:"seconds"`
}

func finitePtr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func ptrValue(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// formatCurve encodes the curve as JSON, for the training-state file.
func formatCurve(rows []curveRow) string {
	out := make([]curveRowJSON, len(rows))
	for i, r := range rows {
		out[i] = curveRowJSON{Epoch: r.Epoch, Beta: finitePtr(r.Beta), TrainLoss: finitePtr(r.TrainLoss),
			TrainBound: finitePtr(r.TrainBound), Test: finitePtr(r.Test), Seconds: finitePtr(r.Seconds)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err) // plain numbers always encode
	}
	return string(b)
}

// parseCurve decodes a curve written by formatCurve.
func parseCurve(s string) ([]curveRow, error) {
	var in []curveRowJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("learning curve: %v", err)
	}
	rows := make([]curveRow, len(in))
	for i, r := range in {
		rows[i] = curveRow{Epoch: r.Epoch, Beta: ptrValue(r.Beta), TrainLoss: ptrValue(r.TrainLoss),
			TrainBound: ptrValue(r.TrainBound), Test: ptrValue(r.Test), Seconds: ptrValue(r.Seconds)}
	}
	return rows, nil
}

// curveHeader returns the CSV columns of the learning curve.
func curveHeader(kind string) []string {
	if kind == "vae" {
		return []string{"epoch", "beta", "train_loss", "train_elbo", "test_elbo", "seconds"}
	}
	return []string{"epoch", "train_loss", "test_loss", "seconds"}
}

// csvFloat formats v exactly, or as an empty field when it is not finite.
func csvFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// writeCurveCSV writes the learning curve as CSV, atomically.
func writeCurveCSV(path, kind string, rows []curveRow) error {
	return atomicfile.WriteFile(path, 0o666, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(curveHeader(kind)); err != nil {
			return err
		}
		for _, r := range rows {
			rec := []string{strconv.Itoa(r.Epoch), csvFloat(r.Beta), csvFloat(r.TrainLoss), csvFloat(r.TrainBound), csvFloat(r.Test), csvFloat(r.Seconds)}
			if kind != "vae" {
				rec = []string{strconv.Itoa(r.Epoch), csvFloat(r.TrainLoss), csvFloat(r.Test), csvFloat(r.Seconds)}
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// writeCurvePNG plots the learning curve. It writes nothing when no value
// is finite yet.
func writeCurvePNG(path, kind string, rows []curveRow) error {
	x := make([]float64, len(rows))
	train := make([]float64, len(rows))
	test := make([]float64, len(rows))
	for i, r := range rows {
		x[i] = float64(r.Epoch)
		if kind == "vae" {
			train[i] = r.TrainBound
		} else {
			train[i] = r.TrainLoss
		}
		test[i] = r.Test
	}
	opt := figure.LineOptions{XLabel: "epoch"}
	var series []figure.Series
	if kind == "vae" {
		opt.Title, opt.YLabel = "VAE learning curve", "ELBO (nats per example)"
		series = []figure.Series{{Name: "train ELBO (β = 1)", X: x, Y: train, Points: true}, {Name: "test ELBO", X: x, Y: test, Points: true}}
	} else {
		opt.Title, opt.YLabel, opt.LegendTop = "Autoencoder learning curve", "loss per value", true
		series = []figure.Series{{Name: "train loss", X: x, Y: train, Points: true}, {Name: "test loss", X: x, Y: test, Points: true}}
	}
	p, err := figure.LinePlot(series, opt)
	if err != nil {
		return nil // no finite point yet
	}
	return figure.Save(path, p, 0, 0)
}

// imageShape returns the image shape of d's points: the stored one, or a
// square when D is a perfect square; ok is false otherwise.
func imageShape(d *dataset.Dataset) (figure.Shape, bool) {
	if d.Rows > 0 && d.Cols > 0 && d.Rows*d.Cols == d.D {
		return figure.Shape{Rows: d.Rows, Cols: d.Cols}, true
	}
	s := int(math.Round(math.Sqrt(float64(d.D))))
	if s*s == d.D {
		return figure.Shape{Rows: s, Cols: s}, true
	}
	return figure.Shape{}, false
}

// writeOutputs writes the learning curve and the figures.
func (r *trainRun) writeOutputs() error {
	kind := r.s.kind
	if err := writeCurveCSV(filepath.Join(r.out, curveCSVFile), kind, r.curve); err != nil {
		return err
	}
	if err := writeCurvePNG(filepath.Join(r.out, curvePNGFile), kind, r.curve); err != nil {
		return err
	}
	shape, ok := imageShape(r.train)
	if !ok {
		r.log.Debug().Int("data_dim", r.train.D).Msg("data are not images: no reconstructions.png or samples.png")
		return nil
	}
	opt := figure.GridOptions{Pad: 2, Scale: 2}
	src := r.test
	if src == nil {
		src = r.train
	}
	n := min(reconImages, src.N)
	x := mat.NewDense(n, src.D, nil)
	orig := make([][]float64, n)
	for i := range n {
		orig[i] = src.Float64Row(nil, i)
		x.SetRow(i, orig[i])
	}
	recon := rowsOf(decoderMean(r.model, encodeMean(r.model, x)))
	images, cols := figure.Rows(orig, recon)
	if err := figure.WritePNG(filepath.Join(r.out, reconFile), figure.Grid(images, shape, cols, opt)); err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(samplesSeed, 0))
	z := mat.NewDense(sampleImages, latentDim(r.model), nil)
	for i := range sampleImages {
		for j := range latentDim(r.model) {
			z.Set(i, j, rnd.NormFloat64())
		}
	}
	samples := rowsOf(decoderMean(r.model, z))
	return figure.WritePNG(filepath.Join(r.out, samplesFile), figure.Grid(samples, shape, samplesColumns, opt))
}

func latentDim(m checkpoint.Model) int {
	switch m := m.(type) {
	case *amortized.VAE:
		return m.Config.Latent
	case *amortized.AE:
		return m.Config.Code
	}
	panic(fmt.Sprintf("cli: unknown model %T", m))
}

// encodeMean returns the point code of a VAE (amortized.VAE.Code: μ(x), or
// its image under an IAF encoder's flow) or the code of an AE.
func encodeMean(m checkpoint.Model, x mat.Matrix) *mat.Dense {
	switch m := m.(type) {
	case *amortized.VAE:
		return m.Code(x)
	case *amortized.AE:
		return m.Encode(x)
	}
	panic(fmt.Sprintf("cli: unknown model %T", m))
}

// decoderMean returns the mean of p(x|z) (VAE) or the reconstruction (AE)
// for each row of z: the sigmoid of the logits for a Bernoulli likelihood
// or the bce loss, the decoder output otherwise.
func decoderMean(m checkpoint.Model, z mat.Matrix) *mat.Dense {
	switch m := m.(type) {
	case *amortized.VAE:
		return m.DecodeMean(z)
	case *amortized.AE:
		return m.DecodeMean(z)
	}
	panic(fmt.Sprintf("cli: unknown model %T", m))
}

func rowsOf(m *mat.Dense) [][]float64 {
	r, _ := m.Dims()
	rows := make([][]float64, r)
	for i := range rows {
		rows[i] = mat.Row(nil, i, m)
	}
	return rows
}

// epochJSON is the --json line of one epoch.
type epochJSON struct {
	Epoch      int        `json:"epoch"`
	Epochs     int        `json:"epochs"`
	Steps      int        `json:"steps"`
	Beta       *jsonFloat `json:"beta,omitempty"`
	TrainLoss  jsonFloat  `json:"train_loss"`
	TrainELBO  *jsonFloat `json:"train_elbo,omitempty"`
	TestELBO   *jsonFloat `json:"test_elbo,omitempty"`
	TestLoss   *jsonFloat `json:"test_loss,omitempty"`
	Seconds    jsonFloat  `json:"seconds"`
	ImagesPerS jsonFloat  `json:"images_per_second"`
}

// writeEpochJSON writes one compact JSON object and a newline.
func writeEpochJSON(w io.Writer, kind string, r curveRow, epochs, steps int, ips float64) error {
	j := epochJSON{Epoch: r.Epoch, Epochs: epochs, Steps: steps, TrainLoss: jsonFloat(r.TrainLoss),
		Seconds: jsonFloat(r.Seconds), ImagesPerS: jsonFloat(ips)}
	p := func(v float64) *jsonFloat { f := jsonFloat(v); return &f }
	if kind == "vae" {
		j.Beta, j.TrainELBO, j.TestELBO = p(r.Beta), p(r.TrainBound), p(r.Test)
	} else {
		j.TestLoss = p(r.Test)
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
