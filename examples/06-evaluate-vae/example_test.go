package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun trains a small VAE in fast mode and checks the headline claims:
// at K = 1000 naive prior sampling is far below importance sampling with the
// encoder, ELBO ≤ IWAE-K ≲ IS within standard errors, the reported standard
// error of IS is too small where k̂ > 0.7, and a per-image fit splits the
// ELBO's gap into a positive amortisation gap and an approximation gap.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Common: notebook.Common{Fast: true, Out: t.TempDir(), Seed: 1}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	const k = 1000
	prior, is, elbo, iwae := res.find(methPrior, k), res.find(methIS, k), res.find(methELBO, k), res.find(methIWAE, k)
	// "Far below": by several nats, and by many times the reported
	// standard errors.
	if gap := is.LogPX - prior.LogPX; !(gap > 5 && gap > 10*math.Hypot(is.StdErr, prior.StdErr)) {
		t.Errorf("K=%d: prior sampling %.2f ± %.2f, IS %.2f ± %.2f: want prior far below", k, prior.LogPX, prior.StdErr, is.LogPX, is.StdErr)
	}
	if !(elbo.LogPX < iwae.LogPX+3*math.Hypot(elbo.StdErr, iwae.StdErr)) {
		t.Errorf("K=%d: ELBO %.2f ± %.2f above IWAE %.2f ± %.2f", k, elbo.LogPX, elbo.StdErr, iwae.LogPX, iwae.StdErr)
	}
	// IS with K samples is one draw of the IWAE-K variable, so the two agree
	// in expectation; IWAE must not exceed IS by more than the noise.
	if iwae.LogPX > is.LogPX+4*math.Hypot(is.StdErr, iwae.StdErr)+0.5 {
		t.Errorf("K=%d: IWAE %.2f ± %.2f above IS %.2f ± %.2f", k, iwae.LogPX, iwae.StdErr, is.LogPX, is.StdErr)
	}
	if !(iwae.LogPX > elbo.LogPX) {
		t.Errorf("K=%d: IWAE %.2f not above ELBO %.2f", k, iwae.LogPX, elbo.LogPX)
	}
	// Where the weights are heavy-tailed (k̂ > 0.7 for some image), the
	// delta-method standard error of IS understates the spread that IWAE's
	// replicates measure.
	heavy := 0
	for _, a := range res.Agree {
		if a.Heavy == 0 {
			continue
		}
		heavy++
		if !(a.SESpread > a.SEReported) {
			t.Errorf("K=%d, k̂ %.2f: IS's reported se %.3f not below the measured %.3f", a.K, a.KHat, a.SEReported, a.SESpread)
		}
	}
	// Measured by the spread of the replicates, the two agree.
	for _, a := range res.Agree {
		if math.Abs(a.ZSpread) > 3 {
			t.Errorf("K=%d: IS − IWAE-K = %.2f, %.1f measured standard errors", a.K, a.Diff, a.ZSpread)
		}
	}
	if heavy == 0 {
		t.Errorf("no K with k̂ > 0.7 for IS: %+v", res.Agree)
	}
	// The per-image fit raises the ELBO (the amortisation gap is positive),
	// and log p̂(x) stays above the fitted ELBO (the approximation gap is
	// not negative), each beyond three standard errors.
	g := res.Gap
	if !(g.Amortisation > 3*g.AmortisationSE && g.Amortisation > 0.5) {
		t.Errorf("amortisation gap %.2f ± %.2f: want clearly positive", g.Amortisation, g.AmortisationSE)
	}
	if !(g.Approximation > -3*g.ApproximationSE) {
		t.Errorf("approximation gap %.2f ± %.2f: want not negative", g.Approximation, g.ApproximationSE)
	}
	if err := notebook.CheckPNGs(res.Figures, 3); err != nil {
		t.Error(err)
	}
}
