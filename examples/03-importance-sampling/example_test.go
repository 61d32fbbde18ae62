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
// heavy-tailed weights (k̂ > 0.7, lower ESS/K than the good proposal). The
// exact tail indices: the optimal mean-field q's weights have an infinite
// variance (0.5 ≤ k < 0.7) yet its estimate converges, while the too-narrow
// q's error dwarfs its reported standard error. In two dimensions: the
// mean-field q is narrower than the posterior, and importance sampling's
// error follows KL(p(z|x) ‖ q), not KL(q ‖ p(z|x)).
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

	tails := map[string]tail{}
	for _, tl := range res.Tails {
		tails[tl.Proposal] = tl
	}
	if k := tails[propExact].K; math.Abs(k) > 1e-9 {
		t.Errorf("exact posterior: tail index %.3g, want 0 (constant weights)", k)
	}
	for _, p := range []string{propPrior, propWrong} {
		if k := tails[p].K; !(k <= 0) {
			t.Errorf("%s: tail index %.3f, want ≤ 0 (bounded weights)", p, k)
		}
	}
	if k := tails[propMF].K; !(k >= 0.5 && k < 0.7) {
		t.Errorf("mean-field: tail index %.3f, want in [0.5, 0.7): infinite variance, below the practical threshold", k)
	}
	if k := tails[propNarrow].K; !(k > 0.7) {
		t.Errorf("too narrow: tail index %.3f, want > 0.7", k)
	}
	// Finite variance: the reported standard error measures the spread over
	// repeats (within a factor 2, from a handful of repeats). The too-narrow
	// q's error is several times its reported standard error.
	if r := res.find(propWrong, kmax); !(r.Spread < 2*r.StdErr && r.Spread > r.StdErr/2) {
		t.Errorf("shifted q at K=%d: spread %.4f, reported stderr %.4f: want within a factor 2", kmax, r.Spread, r.StdErr)
	}
	if r := res.find(propNarrow, kmax); !(r.AbsErr > 3*r.StdErr) {
		t.Errorf("too-narrow q at K=%d: mean |error| %.4f, reported stderr %.4f: want the error > 3 stderr", kmax, r.AbsErr, r.StdErr)
	}

	pl := res.Plane
	byName := map[string]planeQ{}
	for _, q := range pl.Qs {
		byName[q.Name] = q
	}
	mf := byName[propMF]
	for j := 0; j < 2; j++ {
		if sd := math.Sqrt(mf.Cov.At(j, j)); !(sd < pl.PostSD[j]) {
			t.Errorf("d = 2: mean-field sd %.3f in z%d, posterior's %.3f: want narrower", sd, j+1, pl.PostSD[j])
		}
	}
	for _, q := range pl.Qs {
		if q.Name != propMF && !(mf.Reverse < q.Reverse) {
			t.Errorf("d = 2: KL(q‖p) %.3f for the mean-field, %.3f for %s: want the mean-field smallest", mf.Reverse, q.Reverse, q.Name)
		}
		for _, o := range pl.Qs {
			if q.Forward < o.Forward-0.5 && !(q.AbsErr < o.AbsErr) {
				t.Errorf("d = 2: %s has KL(p‖q) %.2f and error %.4f, %s %.2f and %.4f: want the error to follow KL(p‖q)",
					q.Name, q.Forward, q.AbsErr, o.Name, o.Forward, o.AbsErr)
			}
		}
	}
	if !(pl.Inside > 0 && pl.Inside < planeDraws/4) {
		t.Errorf("d = 2: %d of %d prior draws inside the posterior's contour", pl.Inside, planeDraws)
	}

	if err := notebook.CheckPNGs(res.Figures, 4); err != nil {
		t.Error(err)
	}
}
