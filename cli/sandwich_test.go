package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestEstimateAIS checks estimate-px --method ais on the default model: one
// row per step count, K the chains, the JSON fields of AIS, and an estimate
// within reach of the exact value at the largest step count.
func TestEstimateAIS(t *testing.T) {
	out, errOut, code := run(t, "estimate-px", "--json", "--log-level", "error", "--method", "is,ais", "--k", "100",
		"--ais-steps", "5,50", "--chains", "8", "--leapfrog", "5", "--n", "2")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var res struct {
		ExactLogPX float64 `json:"exact_log_px"`
		Results    []struct {
			Method     string   `json:"method"`
			K          int      `json:"k"`
			Steps      int      `json:"steps"`
			LogPX      float64  `json:"log_px"`
			StdErr     float64  `json:"stderr"`
			AcceptRate *float64 `json:"accept_rate"`
			GradEvals  int      `json:"grad_evals"`
			Samples    int      `json:"samples"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Results) != 3 {
		t.Fatalf("%d results, want 3 (is, ais ×2)", len(res.Results))
	}
	for i, want := range []int{5, 50} {
		r := res.Results[1+i]
		if r.Method != "ais" || r.K != 8 || r.Steps != want || r.AcceptRate == nil || r.GradEvals <= 0 || r.Samples != 8*want*2 {
			t.Errorf("row %d: %+v", 1+i, r)
		}
	}
	last := res.Results[2]
	if d := math.Abs(last.LogPX - res.ExactLogPX); d > 4*last.StdErr+0.05 {
		t.Errorf("AIS with 50 steps: %v ± %v, exact %v", last.LogPX, last.StdErr, res.ExactLogPX)
	}
	table, errOut, code := run(t, "estimate-px", "--log-level", "error", "--method", "ais", "--ais-steps", "3", "--chains", "4", "--ais-start", "prior", "--n", "1")
	if code != ExitOK || !strings.Contains(table, "4 ×3 steps") || !strings.Contains(table, "prior") {
		t.Errorf("exit %d, table:\n%s%s", code, table, errOut)
	}
}

// TestAISBadInput checks that bad AIS flags and models are usage errors
// naming the flag.
func TestAISBadInput(t *testing.T) {
	mix := writeFile(t, "mix.json", `{"family":"gaussian-mixture","weights":[0.3,0.7],"means":[[0,0],[3,3]],"stds":[[1,1],[0.5,0.5]]}`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"estimate-px", "--method", "ais", "--chains", "0"}, "--chains"},
		{[]string{"estimate-px", "--method", "ais", "--ais-steps", "0"}, "--ais-steps"},
		{[]string{"estimate-px", "--method", "ais", "--ais-start", "posterior"}, "--ais-start"},
		{[]string{"estimate-px", "--method", "ais", "--leapfrog", "-1"}, "--leapfrog"},
		{[]string{"estimate-px", "--method", "ais", "--model", mix, "--n", "1"}, "discrete"},
		{[]string{"sandwich", "--model", mix}, "--model"},
		{[]string{"sandwich", "--n", "0"}, "--n"},
	} {
		_, errOut, code := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d naming %q", tc.args, code, errOut, ExitUsage, tc.want)
		}
	}
}

// TestSandwich checks that the sandwich command's bounds bracket the exact
// log p(x) of the default model within their standard errors, and that the
// gap shrinks with the steps.
func TestSandwich(t *testing.T) {
	out, errOut, code := run(t, "sandwich", "--json", "--log-level", "error", "--ais-steps", "3,60", "--chains", "8", "--leapfrog", "5", "--n", "2", "--ais-start", "prior")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var res struct {
		ExactLogPX float64 `json:"exact_log_px"`
		Results    []struct {
			Steps       int     `json:"steps"`
			Lower       float64 `json:"lower"`
			LowerStdErr float64 `json:"lower_stderr"`
			Upper       float64 `json:"upper"`
			UpperStdErr float64 `json:"upper_stderr"`
			Gap         float64 `json:"gap"`
			PerPoint    []struct {
				Lower, Upper float64
				Exact        float64 `json:"exact_log_px"`
			} `json:"per_point"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Results) != 2 {
		t.Fatalf("%d rows, want 2:\n%s", len(res.Results), out)
	}
	for _, r := range res.Results {
		if len(r.PerPoint) != 2 {
			t.Fatalf("steps %d: %d per-point rows, want 2", r.Steps, len(r.PerPoint))
		}
		var lo, up, ex float64
		for _, p := range r.PerPoint {
			lo, up, ex = lo+p.Lower/2, up+p.Upper/2, ex+p.Exact/2
		}
		if math.Abs(lo-r.Lower) > 1e-9 || math.Abs(up-r.Upper) > 1e-9 || math.Abs(ex-res.ExactLogPX) > 1e-9 {
			t.Errorf("steps %d: per-point means (%v, %v, exact %v), row (%v, %v, exact %v)", r.Steps, lo, up, ex, r.Lower, r.Upper, res.ExactLogPX)
		}
		if r.Lower > res.ExactLogPX+3*r.LowerStdErr || r.Upper < res.ExactLogPX-3*r.UpperStdErr {
			t.Errorf("steps %d: [%v, %v] does not bracket the exact %v", r.Steps, r.Lower, r.Upper, res.ExactLogPX)
		}
	}
	if !(math.Abs(res.Results[1].Gap) < res.Results[0].Gap) {
		t.Errorf("gap %v at 3 steps, %v at 60: it did not shrink", res.Results[0].Gap, res.Results[1].Gap)
	}
}
