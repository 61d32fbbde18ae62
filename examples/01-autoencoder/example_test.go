package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"testing"
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
	if len(res.Figures) != 4 {
		t.Fatalf("wrote %d figures, want 4", len(res.Figures))
	}
	for _, p := range res.Figures {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || c.Width < 100 || c.Height < 50 {
			t.Errorf("%s: %v, %d×%d", p, err, c.Width, c.Height)
		}
	}
}
