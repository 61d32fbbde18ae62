package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun trains the autoencoders in fast mode and checks the example's
// first claim: a larger code reconstructs the training digits better.
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
	if err := notebook.CheckPNGs(res.Figures, 4); err != nil {
		t.Error(err)
	}
}
