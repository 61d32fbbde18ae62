package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
)

// run executes vitool with args and returns its stdout, stderr and exit code.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// writeFile writes content to name in a fresh temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEstimateDefaultTable(t *testing.T) {
	out, errOut, code := run(t, "estimate-px", "--k", "1,100,1000", "--log-level", "error")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"embedded default", "exact log p(x)", "prior", "is", "elbo", "iwae", "log p̂(x)", "k̂", "ESS", "error"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// estimateResult mirrors one entry of the --json "results" array.
type estimateResult struct {
	Method   string   `json:"method"`
	Proposal string   `json:"proposal"`
	K        int      `json:"k"`
	LogPX    *float64 `json:"log_px"`
	StdErr   *float64 `json:"stderr"`
	ESS      *float64 `json:"ess"`
	KHat     *float64 `json:"khat"`
	Seconds  *float64 `json:"seconds"`
	Error    *float64 `json:"error"`
	PerPoint []struct {
		LogPX      *float64 `json:"log_px"`
		ExactLogPX *float64 `json:"exact_log_px"`
	} `json:"per_point"`
}

type estimateOutput struct {
	Model struct {
		Family    string `json:"family"`
		LatentDim int    `json:"latent_dim"`
		DataDim   int    `json:"data_dim"`
	} `json:"model"`
	NPoints    int              `json:"n_points"`
	ExactLogPX *float64         `json:"exact_log_px"`
	Results    []estimateResult `json:"results"`
}

func estimateJSONRun(t *testing.T, args ...string) estimateOutput {
	t.Helper()
	out, errOut, code := run(t, append([]string{"estimate-px", "--json", "--log-level", "error"}, args...)...)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var res estimateOutput
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	for _, key := range []string{"model", "exact_log_px", "results"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("JSON lacks key %q", key)
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEstimateJSONStory checks the story the default run must tell: the
// estimators relate to the exact value as theory says.
func TestEstimateJSONStory(t *testing.T) {
	res := estimateJSONRun(t, "--k", "1,10,1000", "--method", "prior,is,elbo,elbo-kl,iwae")
	if res.Model.Family != "linear-gaussian" || res.ExactLogPX == nil {
		t.Fatalf("model %+v, exact %v", res.Model, res.ExactLogPX)
	}
	exact := *res.ExactLogPX
	if got, want := len(res.Results), 5*3; got != want {
		t.Fatalf("%d results, want %d", got, want)
	}
	byKey := map[string]estimateResult{}
	for _, r := range res.Results {
		if r.LogPX == nil || r.Seconds == nil || r.Error == nil {
			t.Fatalf("result %s K=%d has null required fields", r.Method, r.K)
		}
		// One draw has no spread: its standard error is infinite, encoded null.
		if (r.StdErr == nil) != (r.K == 1 && r.Method != "iwae") {
			t.Errorf("%s K=%d: stderr %v", r.Method, r.K, r.StdErr)
		}
		if len(r.PerPoint) != res.NPoints {
			t.Errorf("%s K=%d: %d per-point values, want %d", r.Method, r.K, len(r.PerPoint), res.NPoints)
		}
		if math.Abs(*r.Error-(*r.LogPX-exact)) > 1e-9 {
			t.Errorf("%s K=%d: error %v is not log_px − exact", r.Method, r.K, *r.Error)
		}
		byKey[r.Method+"/"+strconv.Itoa(r.K)] = r
	}
	is := byKey["is/1000"]
	if d := math.Abs(*is.LogPX - exact); d > 5**is.StdErr+1e-9 {
		t.Errorf("is K=1000: |error| %v exceeds 5 stderr %v", d, *is.StdErr)
	}
	if is.ESS == nil || is.KHat == nil {
		t.Errorf("is lacks ESS or k̂")
	}
	// Bounds: ELBO ≤ IWAE-K ≤ log p(x) up to a few standard errors.
	elbo, iwae := byKey["elbo/1000"], byKey["iwae/1000"]
	se := math.Hypot(*elbo.StdErr, *iwae.StdErr)
	if *elbo.LogPX > *iwae.LogPX+4*se {
		t.Errorf("ELBO %v above IWAE-1000 %v (se %v)", *elbo.LogPX, *iwae.LogPX, se)
	}
	if *iwae.LogPX > exact+4**iwae.StdErr {
		t.Errorf("IWAE-1000 %v above exact %v", *iwae.LogPX, exact)
	}
	// Naive sampling with one draw is far below the exact value.
	if p := byKey["prior/1"]; *p.LogPX > exact-1 {
		t.Errorf("prior K=1 is %v, expected far below exact %v", *p.LogPX, exact)
	}
}

// TestEstimateSameSeedAnyGOMAXPROCS checks that the numbers depend on the
// seed alone.
func TestEstimateSameSeedAnyGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var outs [2]estimateOutput
	for i, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		outs[i] = estimateJSONRun(t, "--k", "10,20000", "--seed", "7")
	}
	for i := range outs[0].Results {
		a, b := outs[0].Results[i], outs[1].Results[i]
		if *a.LogPX != *b.LogPX || *a.StdErr != *b.StdErr {
			t.Errorf("%s K=%d: GOMAXPROCS 1 gives %v±%v, 2 gives %v±%v", a.Method, a.K, *a.LogPX, *a.StdErr, *b.LogPX, *b.StdErr)
		}
	}
	other := estimateJSONRun(t, "--k", "10,20000", "--seed", "8")
	if *other.Results[0].LogPX == *outs[0].Results[0].LogPX {
		t.Error("a different seed gave the same number")
	}
}

func TestEstimateMixtureModel(t *testing.T) {
	model := writeFile(t, "mix.json", `{"family":"gaussian-mixture","weights":[0.3,0.7],"means":[[0,0],[3,3]],"stds":[[1,1],[0.5,0.5]]}`)
	data := writeFile(t, "x.csv", "0.5,0.1\n2.9,3.2\n")
	res := estimateJSONRun(t, "--model", model, "--data", data, "--k", "1,100", "--method", "prior,is", "--proposal", "exact")
	if res.Model.Family != "gaussian-mixture" || res.NPoints != 2 {
		t.Fatalf("got %+v", res)
	}
	for _, r := range res.Results {
		if r.Method == "is" && math.Abs(*r.Error) > 1e-9 {
			t.Errorf("IS with the exact posterior is off by %v", *r.Error)
		}
	}
}

func TestEstimateSimulatesWithoutData(t *testing.T) {
	model := writeFile(t, "lg.json", `{"family":"linear-gaussian","W":[[1],[0.5],[-1]],"b":[0,1,2],"noise_std":0.5}`)
	res := estimateJSONRun(t, "--model", model, "--k", "10", "--method", "is", "--n", "3")
	if res.NPoints != 3 {
		t.Errorf("%d points, want 3", res.NPoints)
	}
}

// TestEstimateBadInput checks that every kind of bad input gets exit code 2
// and one error line naming the file or flag and the problem.
func TestEstimateBadInput(t *testing.T) {
	goodModel := `{"family":"linear-gaussian","W":[[1,0],[0,1],[1,1]],"b":[0,0,0],"noise_std":0.5}`
	model := func(content string) string { return writeFile(t, "model.json", content) }
	data := func(name, content string) string { return writeFile(t, name, content) }
	good := model(goodModel)
	for _, tc := range []struct {
		name  string
		args  []string
		wants []string // substrings of the error line
	}{
		{"unknown family", []string{"--model", model(`{"family":"banana"}`)}, []string{"model.json", "banana"}},
		{"W b mismatch", []string{"--model", model(`{"family":"linear-gaussian","W":[[1,0],[0,1]],"b":[0,0,0],"noise_std":0.5}`)}, []string{"model.json", "b"}},
		{"ragged W", []string{"--model", model(`{"family":"linear-gaussian","W":[[1,0],[0]],"b":[0,0],"noise_std":0.5}`)}, []string{"model.json", "W"}},
		{"zero noise", []string{"--model", model(`{"family":"linear-gaussian","W":[[1]],"b":[0],"noise_std":0}`)}, []string{"model.json", "noise_std"}},
		{"negative noise", []string{"--model", model(`{"family":"linear-gaussian","W":[[1]],"b":[0],"noise_std":-1}`)}, []string{"model.json", "noise_std"}},
		{"malformed JSON", []string{"--model", model(`{"family":"linear-gaussian",`)}, []string{"model.json"}},
		{"empty model", []string{"--model", model(``)}, []string{"model.json"}},
		{"missing model", []string{"--model", filepath.Join(t.TempDir(), "nope.json")}, []string{"nope.json"}},
		{"NaN in data", []string{"--model", good, "--data", data("x.csv", "1,2,3\n1,NaN,3\n")}, []string{"x.csv"}},
		{"empty data", []string{"--model", good, "--data", data("x.csv", "")}, []string{"x.csv"}},
		{"malformed CSV", []string{"--model", good, "--data", data("x.csv", "1,2,3\n1,2\n")}, []string{"x.csv"}},
		{"non-numeric CSV", []string{"--model", good, "--data", data("x.csv", "1,2,3\n1,two,3\n")}, []string{"x.csv"}},
		{"malformed NPY", []string{"--model", good, "--data", data("x.npy", "\x93NUMPY garbage")}, []string{"x.npy"}},
		{"data dimension", []string{"--model", good, "--data", data("x.csv", "1,2\n3,4\n")}, []string{"x.csv", "3"}},
		{"bad k", []string{"--k", "0"}, []string{"--k"}},
		{"bad k list", []string{"--k", "10,,100"}, []string{"--k"}},
		{"bad method", []string{"--method", "prior,magic"}, []string{"--method", "magic"}},
		{"bad proposal", []string{"--proposal", "psychic"}, []string{"--proposal", "psychic"}},
		{"unavailable proposal", []string{"--model", model(`{"family":"gaussian-mixture","weights":[1],"means":[[0]],"stds":[[1]]}`), "--proposal", "fitted", "--data", data("x.csv", "0\n")}, []string{"--proposal", "fitted"}},
		{"bad reps", []string{"--reps", "0"}, []string{"--reps"}},
		{"bad binarize", []string{"--binarize", "maybe"}, []string{"--binarize", "maybe"}},
		{"unknown flag", []string{"--frobnicate"}, []string{"frobnicate"}},
		{"bad log level", []string{"--log-level", "loud"}, []string{"--log-level"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"estimate-px"}, tc.args...)
			if !slices.Contains(tc.args, "--log-level") {
				args = append(args, "--log-level", "error") // keep stderr to the error line
			}
			out, errOut, code := run(t, args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, ExitUsage, out, errOut)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 {
				t.Errorf("want one error line, got %d:\n%s", len(lines), errOut)
			}
			for _, w := range tc.wants {
				if !strings.Contains(errOut, w) {
					t.Errorf("error %q lacks %q", strings.TrimSpace(errOut), w)
				}
			}
			if out != "" {
				t.Errorf("stdout not empty on error:\n%s", out)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	_, errOut, code := run(t, "estimate-everything")
	if code != ExitUsage || !strings.Contains(errOut, "estimate-everything") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestBenchPXSmall(t *testing.T) {
	args := []string{"bench-px", "--dims", "1,3", "--data-dim", "8", "--reps", "4", "--max-k", "4096", "--equal-k", "32", "--throughput-k", "2000", "--log-level", "error"}
	out, errOut, code := run(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"K needed", "prior (naive)", "is (fitted q)", "K(prior) / K(is)", "samples/s", "peak heap"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = run(t, append(args, "--json")...)
	if code != ExitOK {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var res struct {
		Efficiency []map[string]any `json:"efficiency"`
		Ratios     []map[string]any `json:"ratios"`
		Throughput []map[string]any `json:"throughput"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(res.Efficiency) != 4 || len(res.Ratios) != 2 || len(res.Throughput) != 4 {
		t.Errorf("got %d efficiency rows, %d ratios, %d throughput rows; want 4, 2, 4", len(res.Efficiency), len(res.Ratios), len(res.Throughput))
	}
	if _, ok := res.Efficiency[0]["k_needed"]; !ok {
		t.Errorf("efficiency rows lack k_needed: %v", res.Efficiency[0])
	}
	if _, _, code := run(t, "bench-px", "--dims", "8", "--data-dim", "8"); code != ExitUsage {
		t.Errorf("latent dim ≥ data dim: exit %d, want %d", code, ExitUsage)
	}
}

func TestEstimatePlot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "px.png")
	if _, errOut, code := run(t, "estimate-px", "--k", "1,100", "--method", "prior,is", "--plot", path, "--log-level", "error"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Errorf("plot is only %v", b)
	}
	_, errOut, code := run(t, "estimate-px", "--k", "10", "--plot", filepath.Join(t.TempDir(), "px.bmp"), "--log-level", "error")
	if code != ExitUsage || !strings.Contains(errOut, "--plot") {
		t.Errorf("unsupported plot format: exit %d, stderr %q", code, errOut)
	}
}

// TestEstimateAutoencoderRejected checks that an autoencoder checkpoint, which
// defines no p(x), is a usage error naming the file.
func TestEstimateAutoencoderRejected(t *testing.T) {
	ae, err := amortized.NewAE(amortized.AEConfig{DataDim: 784, Code: 2, Hidden: []int{8}, Activation: amortized.Tanh, Loss: amortized.BCE}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ae.safetensors")
	if err := checkpoint.SaveAE(path, ae); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "estimate-px", "--model", path, "--log-level", "error")
	if code != ExitUsage || !strings.Contains(errOut, "ae.safetensors") || !strings.Contains(errOut, "autoencoder") {
		t.Errorf("exit %d, stderr %q; want exit %d naming the file and saying it is an autoencoder", code, errOut, ExitUsage)
	}
}
