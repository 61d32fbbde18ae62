package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/ppl"
)

// The test model "shift": z ~ N(0, 1), x | z ~ N(b + z, 1) with a model
// parameter b, so that x ~ N(b, √2) exactly; its guide is the linear
// Gaussian q(z|x) = N(a·x + c, exp(s)²), which holds the exact posterior
// N((x − b)/2, ½).
func init() {
	RegisterModel(Model{
		Name:        "shift",
		Description: "test model: x ~ N(b + z, 1), z ~ N(0, 1)",
		Model:       shiftModel,
		Guide:       shiftGuide,
		DataDim:     1,
		Data:        shiftData,
		Exact: func(store *ppl.ParamStore, x []float64) float64 {
			return distuv.Normal{Mu: store.Get("b").At(0, 0), Sigma: math.Sqrt2}.LogProb(x[0])
		},
	})
}

func shiftModel(t *ppl.Tracer, x *ad.Var) {
	b := t.Param("b", ppl.Zeros(1, 1))
	t.Plate("data", x.R, func(p *ppl.Plate) {
		z := t.Sample("z", dist.StdNormal{D: 1})
		t.Observe("x", dist.Normal{Loc: ad.Add(b, z), LogScale: ad.Scalar(0)}, p.Data(x))
	})
}

func shiftGuide(t *ppl.Tracer, x *ad.Var) {
	a := t.Param("g.a", ppl.Zeros(1, 1))
	c := t.Param("g.c", ppl.Zeros(1, 1))
	s := t.Param("g.s", ppl.Zeros(1, 1))
	t.Plate("data", x.R, func(p *ppl.Plate) {
		t.Sample("z", dist.Normal{Loc: ad.Add(ad.Mul(a, p.Data(x)), c), LogScale: s})
	})
}

// shiftData draws 40 points from N(3, 2²).
func shiftData() (*dataset.Dataset, error) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for range 40 {
		fmt.Fprintf(&b, "%.6f\n", 3+2*rnd.NormFloat64())
	}
	return dataset.DecodeCSV(strings.NewReader(b.String()), "shift points")
}

// TestFitThenEstimate fits the registered test model and estimates its
// evidence with the fitted parameters: the fitted b is the data mean up to
// the fit's noise, and importance sampling with the fitted guide matches the
// exact log p(x) within its standard error.
func TestFitThenEstimate(t *testing.T) {
	params := filepath.Join(t.TempDir(), "fitted.safetensors")
	out, errOut, code := run(t, "fit", "--model", "shift", "--out", params, "--steps", "1500", "--batch", "10",
		"--lr", "0.05", "--k", "4", "--estimator", "stl", "--log-level", "error")
	if code != ExitOK {
		t.Fatalf("fit: exit %d, stderr:\n%s", code, errOut)
	}
	t.Log("\n" + out)
	for _, want := range []string{"shift", "1500", "next: vitool estimate-px --model shift --params"} {
		if !strings.Contains(out, want) {
			t.Errorf("fit output lacks %q:\n%s", want, out)
		}
	}
	store := ppl.NewParamStore(0)
	if err := store.Load(params); err != nil {
		t.Fatal(err)
	}
	ds, _ := shiftData()
	var mean float64
	for i := range ds.N {
		mean += float64(ds.Row(i)[0]) / float64(ds.N)
	}
	// The maximum-likelihood b is the mean; Adam at learning rate 0.05 with
	// minibatch noise ends within a few steps of it. The evidence is flat
	// near it: what matters is the estimate below.
	if b := store.Get("b").At(0, 0); math.Abs(b-mean) > 0.25 {
		t.Errorf("fitted b = %v, data mean %v", b, mean)
	}

	res := estimateJSONRun(t, "--model", "shift", "--params", params, "--k", "1000", "--method", "prior,is,elbo,iwae", "--reps", "4")
	if res.ExactLogPX == nil || res.NPoints != 40 || res.Model.LatentDim != 1 {
		t.Fatalf("output: exact %v, %d points, latent dim %d", res.ExactLogPX, res.NPoints, res.Model.LatentDim)
	}
	for _, r := range res.Results {
		if r.Error == nil || r.StdErr == nil {
			t.Fatalf("%s: no error or stderr", r.Method)
		}
		t.Logf("%-5s proposal %-5s: error %+.4f ± %.4f", r.Method, r.Proposal, *r.Error, *r.StdErr)
		if r.Method != "prior" && r.Proposal != "guide" {
			t.Errorf("%s: proposal %q, want guide", r.Method, r.Proposal)
		}
		switch r.Method {
		case "prior", "is":
			if math.Abs(*r.Error) > 4**r.StdErr+1e-9 {
				t.Errorf("%s: error %v beyond 4 standard errors %v", r.Method, *r.Error, *r.StdErr)
			}
		case "elbo", "iwae":
			if *r.Error > 4**r.StdErr {
				t.Errorf("%s: the bound is %v above log p(x) (stderr %v)", r.Method, *r.Error, *r.StdErr)
			}
		}
	}
}

func TestFitJSONAndConvergence(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.safetensors")
	out, errOut, code := run(t, "fit", "--model", "shift", "--out", p, "--steps", "20000", "--batch", "0", "--lr", "0.05",
		"--window", "100", "--tol", "1e-3", "--json", "--log-level", "error")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res fitResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !res.Converged || res.Steps >= 20000 || len(res.Curve) != res.Steps || res.NPoints != 40 {
		t.Errorf("converged %v after %d steps (curve %d), %d points", res.Converged, res.Steps, len(res.Curve), res.NPoints)
	}
}

func TestModelsCommand(t *testing.T) {
	out, errOut, code := run(t, "models")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"shift", "test model", "yes"} {
		if !strings.Contains(out, want) {
			t.Errorf("models output lacks %q:\n%s", want, out)
		}
	}
}

func TestRegisteredBadInput(t *testing.T) {
	dir := t.TempDir()
	existing := writeFile(t, "existing.safetensors", "x")
	wrongShape := filepath.Join(dir, "wrong.safetensors")
	bad := ppl.NewParamStore(0)
	bad.Set("b", mat.NewDense(1, 2, nil), nil)
	if err := bad.Save(wrongShape); err != nil {
		t.Fatal(err)
	}
	twoCols := writeFile(t, "two.csv", "1,2\n3,4\n")
	out := filepath.Join(dir, "out.safetensors")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fit", "--out", out}, "--model is required"},
		{[]string{"fit", "--model", "nope", "--out", out}, `no model "nope" is registered (registered: boom, shift`},
		{[]string{"fit", "--model", "shift"}, "--out is required"},
		{[]string{"fit", "--model", "shift", "--out", existing}, "exists; pass --force"},
		{[]string{"fit", "--model", "shift", "--out", out, "--bound", "kl"}, `--bound: unknown value "kl"`},
		{[]string{"fit", "--model", "shift", "--out", out, "--estimator", "stl", "--bound", "iwae"}, "STL estimator is for the ELBO"},
		{[]string{"fit", "--model", "shift", "--out", out, "--estimator", "rws", "--bound", "iwae", "--k", "1"}, "RWS estimator needs K ≥ 2"},
		{[]string{"fit", "--model", "shift", "--out", out, "--k", "0"}, "--k: 0"},
		{[]string{"fit", "--model", "shift", "--out", out, "--baseline", "mean"}, `--baseline: unknown value "mean"`},
		{[]string{"fit", "--model", "shift", "--out", out, "--enumerate", "--bound", "iwae"}, "--enumerate: needs --bound elbo"},
		{[]string{"fit", "--model", "shift", "--out", out, "--lr", "-1"}, "--lr"},
		{[]string{"fit", "--model", "shift", "--out", out, "--params", wrongShape}, "--params: " + wrongShape},
		{[]string{"fit", "--model", "shift", "--out", out, "--params", existing}, "--params"},
		{[]string{"fit", "--model", "shift", "--out", out, "--data", twoCols}, "2 values per point, model \"shift\" wants 1"},
		{[]string{"estimate-px", "--params", wrongShape}, "--params: only a registered model"},
		{[]string{"estimate-px", "--model", "shift", "--method", "elbo-kl"}, "elbo-kl"},
		{[]string{"estimate-px", "--model", "shift", "--proposal", "exact"}, `no "exact" proposal (it offers guide, prior)`},
	} {
		_, errOut, code := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, ExitUsage, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v wrote %s", tc.args, out)
		}
	}
}

func TestRegisterModelPanics(t *testing.T) {
	for _, m := range []Model{
		{Name: "Bad Name", Model: shiftModel, Guide: shiftGuide},
		{Name: "shift", Model: shiftModel, Guide: shiftGuide},
		{Name: "no-guide", Model: shiftModel},
		{Name: "neg-dim", Model: shiftModel, Guide: shiftGuide, DataDim: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterModel(%q) did not panic", m.Name)
				}
			}()
			RegisterModel(m)
		}()
	}
}

// TestFitInterruptSaves cancels the run's context, as Ctrl-C does: fit
// finishes the step, saves the parameters reached and reports the interrupt.
func TestFitInterruptSaves(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"fit", "--model", "shift", "--out", p, "--steps", "1000", "--json", "--log-level", "warn"}, &out, &errb)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res fitResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if !res.Stopped || res.Steps != 1 || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("interrupted %v after %d steps; stderr %q", res.Stopped, res.Steps, errb.String())
	}
	if err := ppl.NewParamStore(0).Load(p); err != nil {
		t.Errorf("parameters not saved: %v", err)
	}
}
