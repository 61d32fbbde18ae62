package main

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun trains the autoencoders in fast mode and checks the example's
// first claim: a larger code reconstructs the training digits better.
// checkSpread checks the runs from several seeds behind the training
// curve's band.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Fast: true, Out: t.TempDir(), Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	// Rows 0-2 are the BCE autoencoders with codes 2, 8 and 32.
	for i := 1; i < 3; i++ {
		a, b := res.Rows[i-1], res.Rows[i]
		if !(b.TrainLoss < a.TrainLoss) {
			t.Errorf("train loss with code %d is %.4f, with code %d %.4f: want lower for the larger code", b.Code, b.TrainLoss, a.Code, a.TrainLoss)
		}
	}
	for _, r := range res.Rows {
		if math.IsNaN(r.TestMSE) || r.TestMSE <= 0 || r.TestMSE > 0.1 {
			t.Errorf("%s: test MSE %.4f, want in (0, 0.1)", r.Name, r.TestMSE)
		}
	}
	checkSpread(t, res)
	if err := notebook.CheckPNGs(res.Figures, 5); err != nil {
		t.Error(err)
	}
}

// checkSpread checks the runs from several seeds behind the training
// curve's band: the first seed's run is the main run, every seed's run
// improves, the seeds give different runs (sd > 0), and the spread of the
// final test loss is small beside what training gained.
func checkSpread(t *testing.T, res results) {
	t.Helper()
	if len(res.Spread) != len(banded) {
		t.Fatalf("%d spread rows, want %d", len(res.Spread), len(banded))
	}
	for k, r := range res.Spread {
		if len(r.Curves) != 3 {
			t.Fatalf("%s: %d curves, want 3", r.Name, len(r.Curves))
		}
		if main := res.Rows[banded[k]]; main.Name != r.Name || !slices.Equal(main.Curve, r.Curves[0]) {
			t.Errorf("%s: the first seed's curve is not the main run's (%s)", r.Name, main.Name)
		}
		var gains []float64
		for s, c := range r.Curves {
			first, last := c[0].TestLoss, c[len(c)-1].TestLoss
			if !(last < first) {
				t.Errorf("%s, seed %d: test loss %.4f after epoch 1, %.4f at the end: want lower", r.Name, s, first, last)
			}
			gains = append(gains, first-last)
		}
		gain, _ := notebook.MeanSD(gains)
		if !(r.TestSD > 0 && r.TestSD < gain/5) {
			t.Errorf("%s: final test loss %.4f ± %.4f over %d seeds, gain since epoch 1 %.4f: want 0 < sd < gain/5",
				r.Name, r.TestMean, r.TestSD, len(r.Curves), gain)
		}
	}
}
