package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun runs the example in fast mode and checks its claims: importance
// sampling with a good proposal beats naive Monte Carlo at the same K, the
// exact posterior gives the exact answer, and a too-narrow proposal has
// heavy-tailed weights (k̂ > 0.7, lower ESS/K than the good proposal).
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Fast: true, Out: t.TempDir(), Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var ks []int
	for _, r := range res.Rows {
		if r.Proposal == propPrior {
			ks = append(ks, r.K)
		}
	}
	kmax := ks[len(ks)-1]

	for _, k := range ks {
		if e := res.find(propExact, k); math.Abs(e.Mean-res.LogPX) > 1e-9 || e.Spread > 1e-9 {
			t.Errorf("exact posterior, K=%d: mean %.12g spread %.3g, want %.12g exactly", k, e.Mean, e.Spread, res.LogPX)
		}
		if k < 10 {
			continue
		}
		naive := res.find(propPrior, k)
		for _, p := range []string{propMF, propWrong} {
			if is := res.find(p, k); !(is.AbsErr < naive.AbsErr) {
				t.Errorf("K=%d: %s has mean |error| %.4g, naive %.4g: want IS below naive", k, p, is.AbsErr, naive.AbsErr)
			}
		}
	}

	good, narrow := res.find(propMF, kmax), res.find(propNarrow, kmax)
	if !(narrow.KHat > 0.7) {
		t.Errorf("too-narrow q at K=%d: k̂ = %.2f, want > 0.7", kmax, narrow.KHat)
	}
	if !(good.KHat < 0.7) {
		t.Errorf("mean-field q at K=%d: k̂ = %.2f, want < 0.7", kmax, good.KHat)
	}
	if !(narrow.ESSFrac < good.ESSFrac/10) {
		t.Errorf("ESS/K at K=%d: too narrow %.4f, mean-field %.4f: want ten times lower", kmax, narrow.ESSFrac, good.ESSFrac)
	}
	// The good proposal converges: its error at the largest K is within four
	// spreads of zero.
	if math.Abs(good.Mean-res.LogPX) > 4*good.Spread+1e-3 {
		t.Errorf("mean-field at K=%d: mean %.4f, exact %.4f, spread %.4f", kmax, good.Mean, res.LogPX, good.Spread)
	}

	if err := notebook.CheckPNGs(res.Figures, 3); err != nil {
		t.Error(err)
	}
}
