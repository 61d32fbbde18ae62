package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestExact checks the quadrature: the posterior means agree with the
// reference values to their rounding, and doubling the nodes changes
// nothing beyond 1e-9.
func TestExact(t *testing.T) {
	l1, m1, t1 := exact(100000)
	l2, m2, t2 := exact(200000)
	if math.Abs(l1-l2) > 1e-9 || math.Abs(m1-m2) > 1e-9 || math.Abs(t1-t2) > 1e-9 {
		t.Errorf("quadrature not converged: (%v, %v, %v) and (%v, %v, %v)", l1, m1, t1, l2, m2, t2)
	}
	if math.Abs(m2-refMu) > 0.05 || math.Abs(t2-refTau) > 0.05 {
		t.Errorf("posterior means μ = %v, τ = %v; reference %v, %v", m2, t2, refMu, refTau)
	}
}

// TestRun runs the example in fast mode and checks what it claims: the
// non-centred fits give IS estimates of log p(y) that agree with the exact
// value and with IWAE, k̂ below 0.7 and IS posterior means that agree with
// the quadrature; the centred fits are flagged by k̂ above 0.7; no ELBO
// exceeds log p(y).
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Fast: true, Out: t.TempDir(), Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "exact log p(y)") {
		t.Errorf("output lacks the exact log p(y):\n%s", out.String())
	}
	for _, f := range res.Fits {
		name := f.Form + ", " + f.Guide
		if f.ELBO.LogPX > res.ExactLogPY+3*f.ELBO.StdErr {
			t.Errorf("%s: ELBO %v ± %v above log p(y) = %v", name, f.ELBO.LogPX, f.ELBO.StdErr, res.ExactLogPY)
		}
		if f.Form == "centred" {
			if !(f.IS.KHat > 0.7) {
				t.Errorf("%s: k̂ = %v, want > 0.7 (the funnel)", name, f.IS.KHat)
			}
			continue
		}
		if !(f.IS.KHat < 0.7) {
			t.Errorf("%s: k̂ = %v, want < 0.7", name, f.IS.KHat)
		}
		if d := math.Abs(f.IS.LogPX - res.ExactLogPY); d > 3*f.IS.StdErr {
			t.Errorf("%s: IS %v ± %v, exact %v", name, f.IS.LogPX, f.IS.StdErr, res.ExactLogPY)
		}
		if d := math.Abs(f.IS.LogPX - f.IWAE.LogPX); d > 3*math.Hypot(f.IS.StdErr, f.IWAE.StdErr) {
			t.Errorf("%s: IS %v ± %v and IWAE %v ± %v disagree", name, f.IS.LogPX, f.IS.StdErr, f.IWAE.LogPX, f.IWAE.StdErr)
		}
		if d := math.Abs(f.ISMu - res.ExactMu); d > 3*f.ISMuSE {
			t.Errorf("%s: IS posterior mean of μ %v ± %v, exact %v", name, f.ISMu, f.ISMuSE, res.ExactMu)
		}
		if d := math.Abs(f.ISTau - res.ExactTau); d > 3*f.ISTauSE {
			t.Errorf("%s: IS posterior mean of τ %v ± %v, exact %v", name, f.ISTau, f.ISTauSE, res.ExactTau)
		}
	}
	if err := notebook.CheckPNGs(res.Figures, 2); err != nil {
		t.Error(err)
	}
}
