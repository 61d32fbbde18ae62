package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestEstimateRefine runs estimate-px --refine on a small trained VAE: the
// rows name the refined proposal, the numbers are the same for any number
// of workers, they differ from the unrefined encoder's, an interrupt stops
// the refinement with the interrupted status, and a model without an
// encoder is refused with a usage error.
func TestEstimateRefine(t *testing.T) {
	out := filepath.Join(t.TempDir(), "vae")
	if _, e, code := run(t, trainArgs("train-vae", out, "--epochs", "1")...); code != ExitOK {
		t.Fatalf("train-vae: exit %d\n%s", code, e)
	}
	args := []string{"--model", out, "--method", "is,elbo", "--k", "50", "--n", "3", "--refine", "20"}
	one := estimateJSONRun(t, append(args, "--workers", "1")...)
	two := estimateJSONRun(t, append(args, "--workers", "2")...)
	plain := estimateJSONRun(t, args[:len(args)-2]...)
	for i, r := range one.Results {
		if r.Proposal != "encoder, refined (20 steps)" {
			t.Errorf("row %d: proposal %q", i, r.Proposal)
		}
		if *r.LogPX != *two.Results[i].LogPX {
			t.Errorf("%s: %v with one worker, %v with two", r.Method, *r.LogPX, *two.Results[i].LogPX)
		}
		if *r.LogPX == *plain.Results[i].LogPX {
			t.Errorf("%s: refined and plain encoder both give %v", r.Method, *r.LogPX)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A million steps would take hours: the refinement must stop at once.
	long := append([]string{"estimate-px", "--log-level", "error"}, args[:len(args)-1]...)
	if _, e, code := runCtx(ctx, append(long, "1000000")...); code != ExitInterrupted {
		t.Errorf("interrupted refinement: exit %d, want %d\n%s", code, ExitInterrupted, e)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", out, "--refine", "-1"}, "--refine: -1"},
		{[]string{"--refine", "5"}, "--refine: needs a VAE"},
		{[]string{"--model", out, "--proposal", "prior", "--refine", "5"}, "--refine: needs a VAE"},
		{[]string{"--model", out, "--method", "prior", "--refine", "5"}, "--refine: no method"},
	} {
		_, e, code := run(t, append([]string{"estimate-px", "--log-level", "error", "--k", "10", "--n", "2"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(e, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, e, ExitUsage, c.want)
		}
	}
}
