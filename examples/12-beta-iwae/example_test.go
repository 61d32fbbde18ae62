package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun trains the fast variants and checks the example's claims: a larger
// β buys a smaller rate with fewer or equally many active units and a worse
// test log-likelihood, and the IWAE-trained VAE has a higher test
// log-likelihood than the ELBO-trained one, by more than the paired standard
// error.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(config{Fast: true, Out: t.TempDir(), Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	base, strong, iwae := res.find(nameBase), res.find(betaName(4)), res.find(nameIWAE)
	if !(strong.Rate < base.Rate/2) {
		t.Errorf("rate: β = 4 %.2f nats, β = 1 %.2f: want less than half", strong.Rate, base.Rate)
	}
	if weakest := func(r row) float64 { return r.Activity[len(r.Activity)-1] }; !(weakest(strong) < weakest(base)) {
		t.Errorf("weakest dimension's activity: β = 4 %.3g, β = 1 %.3g: want smaller", weakest(strong), weakest(base))
	}
	if strong.Active > base.Active {
		t.Errorf("active units: β = 4 %d, β = 1 %d", strong.Active, base.Active)
	}
	if !(strong.Diff < -3*strong.DiffSE) {
		t.Errorf("log p̂(x), β = 4 minus β = 1: %.2f ± %.2f, want below by 3 se", strong.Diff, strong.DiffSE)
	}
	if !(iwae.Diff > 3*iwae.DiffSE) {
		t.Errorf("log p̂(x), IWAE minus ELBO: %.2f ± %.2f, want above by 3 se", iwae.Diff, iwae.DiffSE)
	}
	for _, r := range res.Rows {
		if len(r.Activity) != 8 || math.IsNaN(r.LogPX) || r.Active < 0 || r.Active > 8 {
			t.Errorf("%s: %d activities, log p̂ %.2f, %d active", r.Name, len(r.Activity), r.LogPX, r.Active)
		}
	}
	if err := notebook.CheckPNGs(res.Figures, 2); err != nil {
		t.Error(err)
	}
}
