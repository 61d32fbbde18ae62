package main

import (
	"bytes"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun runs the example in fast mode and checks its claims: with T = 1
// AIS is importance sampling, the gap shrinks with T, at the largest T the
// bounds bracket the exact log p(x) within three standard errors (at small
// T the log-weights spread over a hundred nats and one lucky chain can lift
// the lower bound above the truth: the bounds hold in expectation), and
// there AIS beats naive Monte Carlo given the same number of evaluations.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Fast: true, Out: t.TempDir(), Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rows[0].EqualsIS {
		t.Error("T = 1: forward AIS differs from importance sampling with the prior")
	}
	mid, last := res.Rows[len(res.Rows)-2], res.Rows[len(res.Rows)-1]
	if r := last; r.Lower > res.LogPX+3*r.LoSE || r.Upper < res.LogPX-3*r.UpSE {
		t.Errorf("T = %d: [%.3f, %.3f] does not bracket the exact %.3f", r.T, r.Lower, r.Upper, res.LogPX)
	}
	if !(last.Gap < mid.Gap) || !(mid.Gap < res.Rows[0].Gap) {
		t.Errorf("gaps %.3f, %.3f, %.3f at T = 1, %d, %d: want them shrinking", res.Rows[0].Gap, mid.Gap, last.Gap, mid.T, last.T)
	}
	if e, n := last.Lower-res.LogPX, last.Naive-res.LogPX; !(e*e < n*n) {
		t.Errorf("T = %d: AIS error %.3f, naive MC with the same budget %.3f", last.T, e, n)
	}
	if err := notebook.CheckPNGs(res.Figures, 1); err != nil {
		t.Error(err)
	}
	t.Log("\n" + out.String())
}
