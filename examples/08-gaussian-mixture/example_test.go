package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun runs the example in fast mode and checks what it claims: SVI with
// score-function gradients recovers the mixture and reaches the maximum of
// the likelihood, the guide reaches the exact posterior, the Monte Carlo
// estimates agree with the exact values, the baseline lowers the variance of
// the guide's gradient and the gradient is unbiased.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Fast: true, Out: t.TempDir(), Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "exact log p(x)") {
		t.Errorf("output lacks the exact log p(x):\n%s", out.String())
	}

	// Fitted against true parameters, up to label switching: within four
	// sampling standard errors of a component's mean, σ̂/√(n ŵ), and of
	// its weight, √(ŵ(1−ŵ)/n). These are the errors of the maximum
	// likelihood estimate from n = 300 points, which SVI approximates.
	for c, cp := range res.Components {
		for j := range 2 {
			if d := math.Abs(cp.FitMean[j] - cp.Mean[j]); d > 4*cp.SEMean {
				t.Errorf("component %d: fitted mean[%d] = %.3f, true %.3f: off by %.3f > 4 × %.3f", c+1, j, cp.FitMean[j], cp.Mean[j], d, cp.SEMean)
			}
		}
		if d := math.Abs(cp.FitWeight - cp.Weight); d > 4*cp.SEWeight {
			t.Errorf("component %d: fitted weight %.3f, true %.3f: off by %.3f > 4 × %.3f", c+1, cp.FitWeight, cp.Weight, d, cp.SEWeight)
		}
	}
	if d := math.Abs(res.FitSigma - res.Sigma); d > 4*res.Sigma/math.Sqrt(4*float64(res.N)) {
		t.Errorf("fitted σ = %.3f, true %.3f", res.FitSigma, res.Sigma)
	}

	// SVI agrees with EM, the exact maximum-likelihood estimate, to well
	// within the sampling error of that estimate (one standard error).
	for c, cp := range res.Components {
		for j := range 2 {
			if d := math.Abs(cp.FitMean[j] - cp.MLEMean[j]); d > cp.SEMean {
				t.Errorf("component %d: SVI mean[%d] = %.3f, EM %.3f: off by %.3f > %.3f", c+1, j, cp.FitMean[j], cp.MLEMean[j], d, cp.SEMean)
			}
		}
		if d := math.Abs(cp.FitWeight - cp.MLEWeight); d > cp.SEWeight {
			t.Errorf("component %d: SVI weight %.3f, EM %.3f: off by %.3f > %.3f", c+1, cp.FitWeight, cp.MLEWeight, d, cp.SEWeight)
		}
	}

	// Maximum likelihood: the fit beats the generating parameters (as the
	// maximum-likelihood estimate does, by about (number of parameters)/2n
	// per point), cannot beat EM's maximum, and falls short of it by little
	// next to the sampling error of the mean log-likelihood, sd/√n ≈ 0.06.
	if !(res.LogPXFit > res.LogPXTrue) || res.LogPXFit > res.LogPXMLE+1e-9 || res.LogPXMLE-res.LogPXFit > res.LogPXSE/10 {
		t.Errorf("mean log p(x): fit %.5f, want between the truth's %.5f and the maximum %.5f, within %.5f of the maximum", res.LogPXFit, res.LogPXTrue, res.LogPXMLE, res.LogPXSE/10)
	}

	// The guide's family contains the posterior: the ELBO gap, the mean
	// KL(q ‖ p(c|x)), is non-negative and negligible next to the sampling
	// error of the mean log-likelihood itself, sd(log p(x))/√n ≈ 0.06.
	gap := res.LogPXFit - res.ELBOExact
	if gap < -1e-12 || gap > res.LogPXSE/5 {
		t.Errorf("ELBO gap %.3g, want in [0, %.3g]", gap, res.LogPXSE/5)
	}

	// The Monte Carlo estimates agree with the exact values within their
	// standard errors (plus, for IS, the bound on the bias of a log-mean).
	if d := math.Abs(res.ELBO - res.ELBOExact); d > 4*res.ELBOSE {
		t.Errorf("ELBO estimate %.5f ± %.5f, exact %.5f", res.ELBO, res.ELBOSE, res.ELBOExact)
	}
	if d := math.Abs(res.IS - res.LogPXFit); d > 4*res.ISSE+res.ISBias {
		t.Errorf("IS estimate %.5f ± %.5f, exact %.5f", res.IS, res.ISSE, res.LogPXFit)
	}

	// The gradient study, rows in pairs (baseline, none) per setting.
	if len(res.Grad) != 6 {
		t.Fatalf("%d rows in the gradient study, want 6", len(res.Grad))
	}
	for i := 0; i < len(res.Grad); i += 2 {
		b, n := res.Grad[i], res.Grad[i+1]
		if !b.Baseline || n.Baseline {
			t.Fatalf("rows %d, %d are not a (baseline, none) pair", i, i+1)
		}
		// The baseline lowers the variance of the guide's score-function
		// gradient (tenfold and more here), and cannot change the model's
		// gradient, which has no score term: the same draws give the same
		// model gradients.
		if !(b.GuideVar < n.GuideVar/2) {
			t.Errorf("%s/%s: guide gradient variance %.4g with the baseline, %.4g without: want at most half", b.Setting, b.Points, b.GuideVar, n.GuideVar)
		}
		if math.Abs(b.ModelVar-n.ModelVar) > 1e-9*n.ModelVar {
			t.Errorf("%s/%s: model gradient variance %.6g with the baseline, %.6g without: want equal", b.Setting, b.Points, b.ModelVar, n.ModelVar)
		}
		// Unbiased: near the decision boundary, where every class is drawn
		// often, the mean over seeds is within its standard error of the
		// exact gradient for all 19 parameters. With 38 z-scores, one
		// exceeds 4.5 by chance with probability 38 × 6.8e-6 ≈ 3e-4.
		for _, r := range []gradRow{b, n} {
			if r.Points == "boundary" && !(r.MaxZ < 4.5) {
				t.Errorf("%s/%s, baseline %v: mean gradient %.2f standard errors from the exact one", r.Setting, r.Points, r.Baseline, r.MaxZ)
			}
		}
	}

	if err := notebook.CheckPNGs(res.Figures, 1); err != nil {
		t.Error(err)
	}
}
