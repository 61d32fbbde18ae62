package pxstudy

import (
	"math"
	"testing"
)

// TestRunSmall runs a small study and checks the relations it must show:
// importance sampling needs no more samples than naive prior sampling, the
// reported K meets the tolerance, and the ratio is consistent with the rows.
func TestRunSmall(t *testing.T) {
	c := Config{LatentDims: []int{1, 4}, DataDim: 12, Points: 2, Reps: 6, MaxK: 1 << 14, EqualK: 64, Seed: 3}
	rows, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	for _, r := range rows {
		if r.Reached() && r.RMSE > 0.1 {
			t.Errorf("d=%d %s: K=%d reported reached with RMSE %v > 0.1", r.LatentDim, r.Method, r.KNeeded, r.RMSE)
		}
		if !r.Reached() && r.RMSE <= 0.1 {
			t.Errorf("d=%d %s: not reached but RMSE %v ≤ 0.1", r.LatentDim, r.Method, r.RMSE)
		}
		if r.KTried > c.MaxK {
			t.Errorf("d=%d %s: tried K=%d beyond MaxK", r.LatentDim, r.Method, r.KTried)
		}
		if !(r.ELBOGap >= -1e-12) { // zero up to rounding when d = 1: mean-field q is exact

			t.Errorf("d=%d: ELBO gap %v is negative", r.LatentDim, r.ELBOGap)
		}
		if r.Method == "is" && !r.Reached() {
			t.Errorf("d=%d: importance sampling never reached the tolerance", r.LatentDim)
		}
	}
	for _, d := range c.LatentDims {
		ratio, _, ok := Ratio(rows, d)
		if !ok || !(ratio >= 1) {
			t.Errorf("d=%d: ratio %v (ok %v), want ≥ 1", d, ratio, ok)
		}
	}
	// The naive estimator's sample cost grows with the latent dimension.
	var need [2]int
	for _, r := range rows {
		if r.Method == "prior" {
			need[min(r.LatentDim/4, 1)] = r.KTried
		}
	}
	if !(need[1] > need[0]) {
		t.Errorf("prior sample cost: d=1 %d, d=4 %d; want growth with d", need[0], need[1])
	}
}

func TestRatioLowerBound(t *testing.T) {
	rows := []Row{
		{LatentDim: 3, Method: "prior", KTried: 1024, RMSE: 2},
		{LatentDim: 3, Method: "is", KNeeded: 4, KTried: 4, RMSE: 0.05},
	}
	r, lb, ok := Ratio(rows, 3)
	if !ok || !lb || r != 256 {
		t.Errorf("Ratio = %v, %v, %v; want 256, true, true", r, lb, ok)
	}
	if _, _, ok := Ratio(rows, 5); ok {
		t.Error("Ratio for a missing dimension reported ok")
	}
	if r, _, _ := Ratio(rows[:1], 3); !math.IsNaN(r) {
		t.Errorf("Ratio without an is row = %v, want NaN", r)
	}
}

func TestMeasureThroughput(t *testing.T) {
	th, err := MeasureThroughput(Config{DataDim: 10, Seed: 1}, 2, "is", 20000)
	if err != nil {
		t.Fatal(err)
	}
	if th.K != 20000 || !(th.SamplesPerSecond > 0) || th.AllocBytes == 0 {
		t.Errorf("got %+v", th)
	}
}
