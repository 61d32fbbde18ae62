package main

import (
	"io"
	"math"
	"testing"
)

// TestRun runs the example in fast mode and checks what it teaches: the
// full-rank guide recovers the exact posterior, the mean-field guide has a
// larger ELBO gap, and importance sampling with a fitted guide beats naive
// prior sampling at equal K and agrees with the exact evidence.
func TestRun(t *testing.T) {
	res, err := run(fastConfig(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.meanErrFull > 0.01 || res.covErrFull > 0.01 {
		t.Errorf("full-rank guide: mean error %v, covariance error %v; want the exact posterior (≤ 0.01)", res.meanErrFull, res.covErrFull)
	}
	gapFull, gapDiag := res.exactLogPX-res.elboFull, res.exactLogPX-res.elboDiag
	if math.Abs(gapFull) > 0.01 || !(gapDiag > gapFull) {
		t.Errorf("ELBO gaps: full-rank %v (want ≈ 0), mean-field %v (want larger)", gapFull, gapDiag)
	}
	last := map[string]float64{}
	for _, e := range res.estimates {
		last[e.method] = math.Abs(e.est.LogPX - res.exactLogPX)
		if e.method == "is (full-rank guide)" && e.k > 1 && last[e.method] > 4*e.est.StdErr+1e-3 {
			t.Errorf("IS with the full-rank guide at K=%d is off by %v (stderr %v)", e.k, last[e.method], e.est.StdErr)
		}
	}
	if !(last["is (full-rank guide)"] < last["prior"]) {
		t.Errorf("at the largest K, IS error %v is not below the naive error %v", last["is (full-rank guide)"], last["prior"])
	}
}
