package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun runs the example in fast mode and checks what it claims: the error
// of naive Monte Carlo shrinks as K grows, and at a fixed K it grows with the
// latent dimension.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Fast: true, Out: t.TempDir(), Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "exact log p(x)") {
		t.Errorf("output lacks the exact value:\n%s", out.String())
	}

	// Error shrinks with K: the largest K is far better than the smallest, and
	// its mean error is within a few spreads of zero.
	first, last := res.KRows[0], res.KRows[len(res.KRows)-1]
	if !(last.AbsErr < first.AbsErr/10) {
		t.Errorf("mean |error| at K=%d is %.3g, at K=%d %.3g: want a tenfold decrease", first.K, first.AbsErr, last.K, last.AbsErr)
	}
	for i := 1; i < len(res.KRows); i++ {
		if res.KRows[i].AbsErr > res.KRows[i-1].AbsErr*1.5 {
			t.Errorf("mean |error| rises from %.3g at K=%d to %.3g at K=%d", res.KRows[i-1].AbsErr, res.KRows[i-1].K, res.KRows[i].AbsErr, res.KRows[i].K)
		}
	}
	// The estimate converges: at the largest K the mean is within 4 spreads
	// (over repeats, divided by √repeats) of the exact value, plus the
	// Jensen bias of about spread²/2.
	tol := 4*last.Spread + last.Spread*last.Spread
	if d := last.Mean - res.LogPX; d > tol || d < -tol {
		t.Errorf("mean estimate at K=%d is %.3f, exact %.3f (tolerance %.3f)", last.K, last.Mean, res.LogPX, tol)
	}

	// At each fixed K the error grows with d (largest d against smallest).
	byK := map[int][]dimRow{}
	for _, r := range res.DimRows {
		byK[r.K] = append(byK[r.K], r)
	}
	for k, rows := range byK {
		lo, hi := rows[0], rows[len(rows)-1]
		if !(hi.AbsErr > 3*lo.AbsErr) {
			t.Errorf("K=%d: mean |error| %.3g at d=%d, %.3g at d=%d: want growth with d", k, lo.AbsErr, lo.Dim, hi.AbsErr, hi.Dim)
		}
		if !(hi.PostVolume < lo.PostVolume) {
			t.Errorf("posterior volume should shrink with d")
		}
	}

	if err := notebook.CheckPNGs(res.Figures, 2); err != nil {
		t.Error(err)
	}
}
