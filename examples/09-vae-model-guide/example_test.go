package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/vitool/vitool/examples/internal/notebook"
)

// TestRun trains the pair in the fast setting and checks what the example
// claims: the ELBO rises during training; the pair and the built-in VAE
// give the same objective bit for bit and the same gradients to rounding;
// their evidence estimates agree to 1e-9 nats; and IS ≥ IWAE ≥ ELBO on the
// test digits, within the estimates' standard errors.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	res, err := run(notebook.Common{Fast: true, Seed: 1, Out: filepath.Join(dir, "fig")}, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	n := len(res.Curve)
	first, last := mean(res.Curve[:n/10+1]), mean(res.Curve[n-n/10-1:])
	if !(last > first+20) {
		t.Errorf("training ELBO went from %.2f to %.2f: no learning", first, last)
	}
	if !res.SameValue {
		t.Error("the pair and the built-in VAE give different objectives at the same parameters and seed")
	}
	if res.MaxGradDiff != 0 {
		t.Errorf("gradients differ by up to %v", res.MaxGradDiff)
	}
	byName := map[string]row{}
	for _, r := range res.Rows {
		byName[r.Method[:4]] = r
		// Both sides draw the same z; their log-weights differ by the order
		// of float64 sums over 784 pixels (about 1e-13 relative).
		if r.MaxDiff > 1e-9 {
			t.Errorf("%s: ppl and built-in differ by %v", r.Method, r.MaxDiff)
		}
	}
	is, iwae, elbo := byName["IS ("], byName["IWAE"], byName["ELBO"]
	if !(is.PPL > iwae.PPL-4*is.SE) || !(iwae.PPL > elbo.PPL-4*elbo.SE) {
		t.Errorf("want IS ≥ IWAE ≥ ELBO: %v, %v, %v", is.PPL, iwae.PPL, elbo.PPL)
	}
	if err := notebook.CheckPNGs(res.Figures, 2); err != nil {
		t.Error(err)
	}
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
