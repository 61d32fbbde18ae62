package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun runs the example in fast mode and checks what it claims: the error
// of naive Monte Carlo shrinks as K grows; the K it needs grows like e^KL
// with KL = KL(p(z|x) ‖ p(z)), whatever the latent dimension; and once there,
// the K for an RMSE of 0.1 nats is the delta method's (e^D₂ − 1)/0.1².
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

	// The KL study: KL ≤ D₂ (Rényi divergences grow with their order), and
	// the K that reaches the posterior grows like e^KL: the slope of ln K on
	// KL is near 1, KL explains it better than d does, and no point that
	// reached needed fewer than e^KL/4 or more than 16·e^KL samples (powers
	// of two, a handful of repeats).
	reached := 0
	for _, r := range res.KLRows {
		if !(r.KL > 0 && r.Renyi2 >= r.KL) {
			t.Errorf("d = %d, σ = %g: KL = %.3f, D₂ = %.3f; want 0 < KL ≤ D₂", r.Dim, r.Noise, r.KL, r.Renyi2)
		}
		if r.KReach == 0 {
			continue
		}
		reached++
		if ratio := float64(r.KReach) / math.Exp(r.KL); ratio < 0.25 || ratio > 16 {
			t.Errorf("d = %d, σ = %g: K reach = %d, e^KL = %.3g (ratio %.2g)", r.Dim, r.Noise, r.KReach, math.Exp(r.KL), ratio)
		}
		// Once accurate, the delta method predicts K within the factor 2 of
		// the power-of-two grid, and the noise of the RMSE over few repeats.
		if r.KAccurate > 0 {
			if ratio := float64(r.KAccurate) / r.Predicted(); ratio < 0.25 || ratio > 4 {
				t.Errorf("d = %d, σ = %g: K accurate = %d, (e^D₂ − 1)/0.01 = %.3g (ratio %.2g)", r.Dim, r.Noise, r.KAccurate, r.Predicted(), ratio)
			}
		}
	}
	if reached < 5 {
		t.Errorf("only %d points reached the posterior", reached)
	}
	if s := res.ByKL.Slope; s < 0.6 || s > 1.6 {
		t.Errorf("ln K reach = %.2f + %.2f·KL: want a slope near 1", res.ByKL.Intercept, s)
	}
	if !(res.ByKL.R2 > 0.7 && res.ByKL.R2 > 2*res.ByDim.R2) {
		t.Errorf("R² of ln K reach: %.2f on KL, %.2f on d; want KL to explain it, d much less", res.ByKL.R2, res.ByDim.R2)
	}

	if err := notebook.CheckPNGs(res.Figures, 2); err != nil {
		t.Error(err)
	}
}
