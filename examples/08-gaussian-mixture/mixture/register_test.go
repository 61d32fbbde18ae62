package mixture

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vitool/vitool/cli"
	"github.com/vitool/vitool/ppl"
)

// runCLI runs the command tree in process, as mixtool would.
func runCLI(t *testing.T, args ...string) (stdout string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), append(args, "--log-level", "error"), &out, &errOut)
	if code != cli.ExitOK {
		t.Errorf("%s: exit code %d, stderr:\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String(), code
}

// TestRegisterTwice checks that Register may be called again (a second
// cli.RegisterModel of the same name would panic) and that the models
// command lists the model.
func TestRegisterTwice(t *testing.T) {
	Register()
	Register()
	out, _ := runCLI(t, "models")
	if !strings.Contains(out, Name) || !strings.Contains(out, "yes") {
		t.Errorf("models does not list %q with its data and exact log p(x):\n%s", Name, out)
	}
}

// TestCLIFitEstimate fits the registered model with the fit command, on
// the whole data set at every step and on random minibatches of the plate
// (--batch), and estimates its evidence with estimate-px, in process: every
// command succeeds, both fits reach a likelihood above that of the
// parameters that generated the data (as the maximum-likelihood estimate
// does, by about the number of parameters over 2n per point), estimate-px
// shows the exact log p(x) at the fitted parameters, and importance sampling
// with the fitted guide agrees with it within its standard error.
func TestCLIFitEstimate(t *testing.T) {
	Register()
	ds, err := Data()
	if err != nil {
		t.Fatal(err)
	}
	m, truth := Mixture{C: Components}, True()
	var generating float64
	for _, x := range Points(ds) {
		generating += truth.LogEvidence(x) / float64(ds.N)
	}
	var params string
	var fitted float64
	for _, tc := range []struct {
		name string
		args []string
	}{
		// Minibatches add noise: a smaller learning rate and more (cheaper)
		// steps reach the same region.
		{"batch", []string{"--steps", "1000", "--batch", "32", "--lr", "0.01", "--k", "4"}},
		{"whole", []string{"--steps", "300", "--lr", "0.05", "--k", "4"}},
	} {
		params = filepath.Join(t.TempDir(), tc.name+".safetensors")
		out, code := runCLI(t, append([]string{"fit", "--model", Name, "--out", params}, tc.args...)...)
		if code != cli.ExitOK {
			return
		}
		if !strings.Contains(out, "next: ") || !strings.Contains(out, "estimate-px --model "+Name) {
			t.Errorf("%s: fit output lacks the next step:\n%s", tc.name, out)
		}
		store := ppl.NewParamStore(0)
		if err := store.Load(params); err != nil {
			t.Fatal(err)
		}
		fitted = 0
		for _, x := range Points(ds) {
			fitted += m.Exact(store, x) / float64(ds.N)
		}
		if !(fitted > generating) {
			t.Errorf("%s: mean log p(x) at the fitted parameters %.5f, at the generating ones %.5f: want higher", tc.name, fitted, generating)
		}
	}

	// estimate-px on the parameters of the last fit.
	out, code := runCLI(t, "estimate-px", "--model", Name, "--params", params, "--k", "10,1000", "--method", "is,elbo")
	if code != cli.ExitOK {
		return
	}
	if want := fmt.Sprintf("exact log p(x) = %.4f", fitted); !strings.Contains(out, want) {
		t.Errorf("estimate-px output lacks %q:\n%s", want, out)
	}

	out, code = runCLI(t, "estimate-px", "--model", Name, "--params", params, "--k", "1000", "--method", "is", "--json")
	if code != cli.ExitOK {
		return
	}
	var res struct {
		Exact   float64 `json:"exact_log_px"`
		Results []struct {
			LogPX  float64 `json:"log_px"`
			StdErr float64 `json:"stderr"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("estimate-px --json: %v\n%s", err, out)
	}
	if math.Abs(res.Exact-fitted) > 1e-9 {
		t.Errorf("estimate-px's exact log p(x) %.10f, Mixture.Exact %.10f", res.Exact, fitted)
	}
	if len(res.Results) != 1 {
		t.Fatalf("estimate-px --json: %d results, want 1", len(res.Results))
	}
	// The row is the mean over the n points, with standard error
	// √(Σ se²)/n; the log of a mean of weights is biased low by about se²/2
	// per point, n·stderr²/2 on the mean.
	is := res.Results[0]
	if d := math.Abs(is.LogPX - fitted); d > 4*is.StdErr+float64(ds.N)*is.StdErr*is.StdErr/2 {
		t.Errorf("IS estimate %.5f ± %.5f, exact %.5f", is.LogPX, is.StdErr, fitted)
	}
}
