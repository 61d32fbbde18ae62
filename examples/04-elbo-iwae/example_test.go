package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun runs the example in fast mode and checks its claims: the ELBO gap
// equals KL(q ‖ p(z|x)); the Monte Carlo ELBOs agree with the closed form;
// and ELBO ≤ IWAE-K, rising with K, ≤ log p(x), within standard errors. Of
// the two Monte Carlo ELBOs, the fully sampled one has the smaller standard
// error near the posterior, the analytic-KL one far from it. STL beats the
// standard ELBO gradient near the optimum and loses far from it; DReG keeps
// a higher signal-to-noise ratio than the standard IWAE gradient, whose own
// falls with K.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Fast: true, Out: t.TempDir(), Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range res.Gaps {
		// Two closed forms of the same quantity.
		if math.Abs(g.Gap-g.KL) > 1e-8*(1+g.KL) {
			t.Errorf("%s: log p(x) − ELBO = %.10f, KL = %.10f", g.Proposal, g.Gap, g.KL)
		}
		if g.KL <= 0 {
			t.Errorf("%s: KL = %g, want > 0 for a non-posterior q", g.Proposal, g.KL)
		}
		for _, e := range []struct {
			name    string
			v, se   float64
			want    float64
			wantStr string
		}{
			{"mc.ELBO", g.ELBOMC.LogPX, g.ELBOMC.StdErr, g.ELBOExact, "closed-form ELBO"},
			{"mc.ELBOAnalyticKL", g.ELBOKL.LogPX, g.ELBOKL.StdErr, g.ELBOExact, "closed-form ELBO"},
			{"KL Monte Carlo", g.KLMC, g.KLMCS, g.KL, "closed-form KL"},
		} {
			if math.Abs(e.v-e.want) > 4*e.se {
				t.Errorf("%s: %s = %.4f ± %.4f, %s %.4f: more than 4 se apart", g.Proposal, e.name, e.v, e.se, e.wantStr, e.want)
			}
		}
	}

	for gi, name := range res.Proposals {
		var rows []iwaeRow
		for _, r := range res.IWAE {
			if r.Proposal == name {
				rows = append(rows, r)
			}
		}
		elbo := res.Gaps[gi].ELBOExact
		if first := rows[0]; first.K != 1 || math.Abs(first.Bound-elbo) > 4*first.StdErr {
			t.Errorf("%s: IWAE-%d = %.4f ± %.4f, ELBO %.4f", name, first.K, first.Bound, first.StdErr, elbo)
		}
		for i := 1; i < len(rows); i++ {
			a, b := rows[i-1], rows[i]
			// Common random numbers make neighbouring K strongly
			// correlated; the independent-error bound is conservative.
			if b.Bound < a.Bound-3*math.Hypot(a.StdErr, b.StdErr) {
				t.Errorf("%s: IWAE-%d = %.4f < IWAE-%d = %.4f", name, b.K, b.Bound, a.K, a.Bound)
			}
		}
		last := rows[len(rows)-1]
		if last.Bound > res.LogPX+4*last.StdErr {
			t.Errorf("%s: IWAE-%d = %.4f ± %.4f above log p(x) = %.4f", name, last.K, last.Bound, last.StdErr, res.LogPX)
		}
		// IWAE-K closes at least half of the ELBO gap by K = 1000.
		if !(res.LogPX-last.Bound < 0.5*(res.LogPX-elbo)) {
			t.Errorf("%s: IWAE-%d = %.4f closes less than half of the gap from ELBO %.4f to %.4f", name, last.K, last.Bound, elbo, res.LogPX)
		}
	}

	near, far := res.Gaps[0], res.Gaps[len(res.Gaps)-1] // mean-field, too narrow
	if !(near.ELBOMC.StdErr < near.ELBOKL.StdErr) {
		t.Errorf("%s: mc.ELBO stderr %.4g, mc.ELBOAnalyticKL %.4g: want the sampled ELBO less noisy near the posterior", near.Proposal, near.ELBOMC.StdErr, near.ELBOKL.StdErr)
	}
	if !(far.ELBOKL.StdErr < far.ELBOMC.StdErr) {
		t.Errorf("%s: mc.ELBO stderr %.4g, mc.ELBOAnalyticKL %.4g: want the analytic KL less noisy far from it", far.Proposal, far.ELBOMC.StdErr, far.ELBOKL.StdErr)
	}

	for _, r := range res.STL {
		if r.Delta <= 0.05 && !(r.STL.Variance < r.Standard.Variance/10) {
			t.Errorf("δ = %g: STL variance %.4g, standard %.4g: want STL ten times lower near the optimum", r.Delta, r.STL.Variance, r.Standard.Variance)
		}
		if r.Delta >= 0.5 && !(r.STL.Variance > r.Standard.Variance) {
			t.Errorf("δ = %g: STL variance %.4g, standard %.4g: want STL worse far from the optimum", r.Delta, r.STL.Variance, r.Standard.Variance)
		}
	}
	for _, r := range res.DReG {
		if !(r.DReG.SNR > r.Standard.SNR && r.DReG.Variance < r.Standard.Variance) {
			t.Errorf("K = %d: DReG variance %.4g, SNR %.3g; standard %.4g, %.3g", r.K, r.DReG.Variance, r.DReG.SNR, r.Standard.Variance, r.Standard.SNR)
		}
	}
	if first, last := res.DReG[1], res.DReG[len(res.DReG)-1]; !(last.Standard.SNR < first.Standard.SNR/2) {
		t.Errorf("standard IWAE gradient SNR %.3g at K = %d, %.3g at K = %d: want it to fall with K", first.Standard.SNR, first.K, last.Standard.SNR, last.K)
	}

	if err := notebook.CheckPNGs(res.Figures, 2); err != nil {
		t.Error(err)
	}
}
