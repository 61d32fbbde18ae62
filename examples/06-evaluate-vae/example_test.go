package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun trains a small VAE in fast mode and checks the headline claims:
// at K = 1000 naive prior sampling is far below importance sampling with the
// encoder, and ELBO ≤ IWAE-K ≲ IS within standard errors.
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
	if err := notebook.CheckPNGs(res.Figures, 1); err != nil {
		t.Error(err)
	}
}
