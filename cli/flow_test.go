package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
)

// TestTrainIAFEndToEnd trains a VAE with an IAF encoder for one epoch,
// checks that the checkpoint records the flow, and estimates log p(x) with
// the flow as the encoder proposal.
func TestTrainIAFEndToEnd(t *testing.T) {
	out := filepath.Join(t.TempDir(), "iaf")
	if _, e, code := run(t, trainArgs("train-vae", out, "--epochs", "1", "--flow", "iaf", "--flow-steps", "3", "--flow-hidden", "5")...); code != ExitOK {
		t.Fatalf("train-vae --flow iaf: exit %d\n%s", code, e)
	}
	v, err := checkpoint.LoadVAE(filepath.Join(out, checkpoint.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	if c := v.Config; c.Flow != amortized.FlowIAF || c.FlowSteps != 3 || c.FlowHidden != 5 {
		t.Fatalf("checkpoint config %+v, want an IAF of 3 steps of width 5", c)
	}
	o, e, code := run(t, "estimate-px", "--model", out, "--method", "is", "--proposal", "encoder", "--k", "20", "--n", "2")
	if code != ExitOK {
		t.Fatalf("estimate-px: exit %d\n%s", code, e)
	}
	if !strings.Contains(o, "encoder") {
		t.Errorf("estimate-px output lacks the encoder proposal:\n%s", o)
	}
}
