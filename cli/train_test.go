package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/safetensors"
)

// tinyTrain are the flags of a small, fast training run on the embedded
// MNIST subset: 300 training images in 6 steps of 50, 100 test images.
var tinyTrain = []string{"--hidden", "16", "--train-n", "300", "--test-n", "100", "--batch", "50",
	"--progress", "never", "--log-level", "error"}

func trainArgs(cmd, out string, extra ...string) []string {
	args := append([]string{cmd, "--out", out}, tinyTrain...)
	if cmd == "train-vae" {
		args = append(args, "--latent", "2")
	} else {
		args = append(args, "--code", "2")
	}
	return append(args, extra...)
}

// runCtx is run with a context.
func runCtx(ctx context.Context, args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = Run(ctx, args, &out, &errb)
	return out.String(), errb.String(), code
}

// readCSV returns the records of a CSV file.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// checkPNG decodes a PNG file and checks that it is at least w×h pixels.
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < w || b.Dy() < h {
		t.Errorf("%s is %d×%d, want at least %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
}

// TestTrainEndToEnd trains a tiny VAE and a tiny AE for one epoch on the
// embedded MNIST subset and checks every output: the JSON line, the
// checkpoint (reloaded), the training state, the curve and the figures.
func TestTrainEndToEnd(t *testing.T) {
	for _, cmd := range []string{"train-vae", "train-ae"} {
		t.Run(cmd, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			out, errOut, code := run(t, trainArgs(cmd, dir, "--epochs", "1", "--json")...)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			var line map[string]any
			if err := json.Unmarshal([]byte(out), &line); err != nil || strings.Count(out, "\n") != 1 {
				t.Fatalf("stdout is not one JSON line: %q (%v)", out, err)
			}
			testKey := "test_elbo"
			if cmd == "train-ae" {
				testKey = "test_loss"
			}
			if line["epoch"] != 1.0 || line["steps"] != 6.0 {
				t.Errorf("JSON line %v", line)
			}
			if v, ok := line[testKey].(float64); !ok || (cmd == "train-vae" && !(v < 0 && v > -800)) || (cmd == "train-ae" && !(v > 0 && v < 1)) {
				t.Errorf("%s = %v", testKey, line[testKey])
			}

			m, err := checkpoint.Load(filepath.Join(dir, checkpoint.ModelFile))
			if err != nil {
				t.Fatal(err)
			}
			switch m := m.(type) {
			case *amortized.VAE:
				if cmd != "train-vae" || m.Config.Latent != 2 || !slices.Equal(m.Config.Hidden, []int{16}) || m.Config.DataDim != 784 {
					t.Errorf("%s saved %+v", cmd, m.Config)
				}
			case *amortized.AE:
				if cmd != "train-ae" || m.Config.Code != 2 || m.Config.Loss != amortized.BCE {
					t.Errorf("%s saved %+v", cmd, m.Config)
				}
			}
			r, err := checkpoint.LoadRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			if r.State.State.Epoch != 1 || r.State.State.Step != 0 || r.State.State.Adam.Step != 6 {
				t.Errorf("state at epoch %d, step %d, Adam step %d; want 1, 0, 6", r.State.State.Epoch, r.State.State.Step, r.State.State.Adam.Step)
			}
			// The model file is a plain state_dict: weights only.
			f, err := safetensors.ReadFile(filepath.Join(dir, checkpoint.ModelFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range f.Names() {
				if !strings.HasPrefix(name, "encoder.") && !strings.HasPrefix(name, "decoder.") {
					t.Errorf("model file holds %q", name)
				}
			}

			recs := readCSV(t, filepath.Join(dir, curveCSVFile))
			if len(recs) != 2 || !slices.Equal(recs[0], curveHeader(strings.TrimPrefix(cmd, "train-"))) || recs[1][0] != "1" {
				t.Errorf("curve.csv = %v", recs)
			}
			checkPNG(t, filepath.Join(dir, curvePNGFile), 100, 100)
			checkPNG(t, filepath.Join(dir, reconFile), 10*28, 2*28)
			checkPNG(t, filepath.Join(dir, samplesFile), 8*28, 8*28)
		})
	}
}

// modelTensors returns the tensors of a safetensors file by name.
func modelTensors(t *testing.T, path string) map[string]safetensors.Tensor {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f.Tensors
}

func sameTensors(a, b map[string]safetensors.Tensor) bool {
	if len(a) != len(b) {
		return false
	}
	for name, ta := range a {
		tb, ok := b[name]
		if !ok || !slices.Equal(ta.Shape, tb.Shape) || !bytes.Equal(ta.Data, tb.Data) {
			return false
		}
	}
	return true
}

// curveColumns returns the curve without the seconds column.
func curveColumns(t *testing.T, dir string) [][]string {
	recs := readCSV(t, filepath.Join(dir, curveCSVFile))
	for i := range recs {
		recs[i] = recs[i][:len(recs[i])-1]
	}
	return recs
}

// TestTrainResumeExact: two epochs straight, one epoch then --resume, and
// an interruption in the middle of the first epoch then --resume give the
// same weights, optimiser moments and learning curve, bit for bit.
func TestTrainResumeExact(t *testing.T) {
	for _, cmd := range []string{"train-vae", "train-ae"} {
		t.Run(cmd, func(t *testing.T) {
			base := t.TempDir()
			extra := []string{"--seed", "7"}
			if cmd == "train-vae" {
				extra = append(extra, "--objective", "iwae", "--k", "2", "--warmup", "1", "--clip", "50")
			} else {
				extra = append(extra, "--binarize", "fixed")
			}
			straight := filepath.Join(base, "straight")
			if _, e, code := run(t, trainArgs(cmd, straight, append(extra, "--epochs", "2")...)...); code != ExitOK {
				t.Fatalf("straight run: exit %d\n%s", code, e)
			}

			split := filepath.Join(base, "split")
			if _, e, code := run(t, trainArgs(cmd, split, append(extra, "--epochs", "1")...)...); code != ExitOK {
				t.Fatalf("first epoch: exit %d\n%s", code, e)
			}
			if _, e, code := run(t, cmd, "--resume", "--out", split, "--epochs", "2", "--progress", "never", "--log-level", "error"); code != ExitOK {
				t.Fatalf("resume: exit %d\n%s", code, e)
			}

			cut := filepath.Join(base, "cut")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			trainStepHook = func(_ checkpoint.Model, s amortized.StepStats) {
				if s.Epoch == 0 && s.Step == 2 {
					cancel()
				}
			}
			_, e, code := runCtx(ctx, append(trainArgs(cmd, cut, append(extra, "--epochs", "2")...), "--log-level", "warn")...)
			trainStepHook = nil
			if code != ExitOK || !strings.Contains(e, "resume with: vitool "+cmd+" --resume --out "+cut) {
				t.Fatalf("interrupted run: exit %d, stderr:\n%s", code, e)
			}
			r, err := checkpoint.LoadRun(cut)
			if err != nil {
				t.Fatal(err)
			}
			if st := r.State.State; st.Epoch != 0 || st.Step != 3 {
				t.Fatalf("interrupted at epoch %d, step %d; want 0, 3", st.Epoch, st.Step)
			}
			if _, e, code := run(t, cmd, "--resume", "--out", cut, "--progress", "never", "--log-level", "error"); code != ExitOK {
				t.Fatalf("resume after interruption: exit %d\n%s", code, e)
			}

			want := modelTensors(t, filepath.Join(straight, checkpoint.ModelFile))
			wantState := modelTensors(t, filepath.Join(straight, checkpoint.StateFile))
			wantCurve := curveColumns(t, straight)
			for _, dir := range []string{split, cut} {
				if !sameTensors(modelTensors(t, filepath.Join(dir, checkpoint.ModelFile)), want) {
					t.Errorf("%s: weights differ from the uninterrupted run", filepath.Base(dir))
				}
				if !sameTensors(modelTensors(t, filepath.Join(dir, checkpoint.StateFile)), wantState) {
					t.Errorf("%s: optimiser moments differ from the uninterrupted run", filepath.Base(dir))
				}
				if got := curveColumns(t, dir); !slices.EqualFunc(got, wantCurve, slices.Equal) {
					t.Errorf("%s: curve %v, want %v", filepath.Base(dir), got, wantCurve)
				}
			}
			// Another seed gives other weights: the comparison can fail.
			other := filepath.Join(base, "other")
			if _, e, code := run(t, trainArgs(cmd, other, "--seed", "8", "--epochs", "1")...); code != ExitOK {
				t.Fatalf("other seed: exit %d\n%s", code, e)
			}
			if sameTensors(modelTensors(t, filepath.Join(other, checkpoint.ModelFile)), modelTensors(t, filepath.Join(split, checkpoint.ModelFile))) {
				t.Error("seeds 7 and 8 gave the same weights")
			}
		})
	}
}

// TestTrainNotFinite: a NaN in the weights during the second epoch stops
// training with exit status 1 and a message naming the epoch and step; the
// checkpoint of the first epoch stays on disk.
func TestTrainNotFinite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	trainStepHook = func(m checkpoint.Model, s amortized.StepStats) {
		if s.Epoch == 1 && s.Step == 0 {
			m.(*amortized.VAE).Store.Unconstrained("decoder.0.weight").Set(0, 0, math.NaN())
		}
	}
	defer func() { trainStepHook = nil }()
	_, errOut, code := run(t, trainArgs("train-vae", dir, "--epochs", "3")...)
	if code != ExitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFailure, errOut)
	}
	for _, want := range []string{"epoch 2, step 2 of 6", "not finite", "last good checkpoint (after epoch 1)", dir} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	r, err := checkpoint.LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.State.State.Epoch != 1 || r.State.State.Step != 0 {
		t.Errorf("checkpoint at epoch %d, step %d; want 1, 0", r.State.State.Epoch, r.State.State.Step)
	}
	for name, p := range r.Model.Params() {
		for _, v := range p.Data {
			if math.IsNaN(float64(v)) {
				t.Fatalf("saved %s holds NaN", name)
			}
		}
	}
	if recs := readCSV(t, filepath.Join(dir, curveCSVFile)); len(recs) != 2 {
		t.Errorf("curve.csv has %d records, want a header and epoch 1", len(recs))
	}
}

// TestTrainUsageErrors: bad flags and files exit with status 2 and a
// message naming the flag.
func TestTrainUsageErrors(t *testing.T) {
	tmp := t.TempDir()
	vaeRun := filepath.Join(tmp, "vae")
	if _, e, code := run(t, trainArgs("train-vae", vaeRun, "--epochs", "1")...); code != ExitOK {
		t.Fatalf("setup run: exit %d\n%s", code, e)
	}
	csv4 := writeFile(t, "four.csv", "0.1,0.2,0.3,0.4\n0.5,0.6,0.7,0.8\n")
	csv3 := writeFile(t, "three.csv", "0.1,0.2,0.3\n")
	big := writeFile(t, "big.csv", "0.1,0.2,0.3,0.4\n0.5,1.5,0.7,0.8\n")
	bad := writeFile(t, "bad.csv", "0.1,0.2\n0.5\n")
	emptyDir := t.TempDir()
	fresh := filepath.Join(tmp, "fresh")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"latent", []string{"train-vae", "--latent", "0"}, []string{"--latent", "0"}},
		{"code", []string{"train-ae", "--code", "-1"}, []string{"--code"}},
		{"hidden", []string{"train-vae", "--hidden", "20,x"}, []string{"--hidden", "20,x"}},
		{"activation", []string{"train-vae", "--activation", "gelu"}, []string{"--activation", "gelu"}},
		{"likelihood", []string{"train-vae", "--likelihood", "poisson"}, []string{"--likelihood", "poisson"}},
		{"log-sigma", []string{"train-vae", "--log-sigma", "NaN"}, []string{"--log-sigma"}},
		{"loss", []string{"train-ae", "--loss", "l1"}, []string{"--loss", "l1"}},
		{"objective", []string{"train-vae", "--objective", "best"}, []string{"--objective", "best"}},
		{"k", []string{"train-vae", "--k", "0"}, []string{"--k"}},
		{"estimator", []string{"train-vae", "--estimator", "reinforce"}, []string{"--estimator", "reinforce"}},
		{"rws with one particle", []string{"train-vae", "--objective", "iwae", "--estimator", "rws"}, []string{"--estimator rws", "K ≥ 2"}},
		{"dreg with the elbo", []string{"train-vae", "--estimator", "dreg"}, []string{"--estimator dreg", "IWAE"}},
		{"resume with another estimator", []string{"train-vae", "--resume", "--out", vaeRun, "--estimator", "dreg", "--epochs", "2"}, []string{"--estimator", "dreg", "differs", "standard"}},
		{"flow", []string{"train-vae", "--flow", "maf"}, []string{"--flow", "maf"}},
		{"flow-steps", []string{"train-vae", "--flow", "iaf", "--flow-steps", "0"}, []string{"--flow-steps", "0"}},
		{"flow-hidden", []string{"train-vae", "--flow", "iaf", "--flow-hidden", "-3"}, []string{"--flow-hidden", "-3"}},
		{"resume with another flow", []string{"train-vae", "--resume", "--out", vaeRun, "--flow", "iaf", "--epochs", "2"}, []string{"--flow", "iaf", "differs"}},
		{"beta", []string{"train-vae", "--beta", "-1"}, []string{"--beta"}},
		{"beta zero", []string{"train-vae", "--beta", "0"}, []string{"--beta"}},
		{"warmup", []string{"train-vae", "--warmup", "-2"}, []string{"--warmup"}},
		{"epochs", []string{"train-vae", "--epochs", "0"}, []string{"--epochs"}},
		{"batch", []string{"train-ae", "--batch", "0"}, []string{"--batch"}},
		{"lr", []string{"train-vae", "--lr", "0"}, []string{"--lr"}},
		{"clip", []string{"train-vae", "--clip", "-1"}, []string{"--clip"}},
		{"binarize", []string{"train-vae", "--binarize", "sometimes"}, []string{"--binarize", "sometimes"}},
		{"train-n", []string{"train-vae", "--train-n", "-1"}, []string{"--train-n"}},
		{"test-n", []string{"train-vae", "--test-n", "-1"}, []string{"--test-n"}},
		{"unknown flag", []string{"train-vae", "--latnet", "3"}, []string{"latnet"}},
		{"argument", []string{"train-vae", "extra"}, []string{"extra"}},
		{"missing data", []string{"train-vae", "--data", filepath.Join(tmp, "nope.csv")}, []string{"--data", "nope.csv"}},
		{"unknown embedded", []string{"train-vae", "--data", "embedded:cifar"}, []string{"--data", "cifar"}},
		{"malformed data", []string{"train-vae", "--data", bad}, []string{"--data", "bad.csv"}},
		{"not a data folder", []string{"train-vae", "--data", emptyDir}, []string{"--data", "not a data folder"}},
		{"values outside [0,1]", []string{"train-vae", "--data", big}, []string{"--data", "big.csv", "point 2, value 2", "Bernoulli"}},
		{"test dimension", []string{"train-ae", "--data", csv4, "--test-data", csv3}, []string{"--test-data", "three.csv", "3 values"}},
		{"existing checkpoint", []string{"train-vae", "--out", vaeRun}, []string{"--out", "--resume", "--force"}},
		{"resume without checkpoint", []string{"train-vae", "--resume", "--out", fresh}, []string{"--resume", "no checkpoint"}},
		{"resume conflicting flag", []string{"train-vae", "--resume", "--out", vaeRun, "--latent", "3", "--epochs", "2"}, []string{"--latent", "3", "differs"}},
		{"resume other data", []string{"train-vae", "--resume", "--out", vaeRun, "--train-n", "200", "--epochs", "2"}, []string{"--train-n"}},
		{"resume wrong command", []string{"train-ae", "--resume", "--out", vaeRun, "--epochs", "2"}, []string{"--resume", "train-vae"}},
		{"resume finished", []string{"train-vae", "--resume", "--out", vaeRun}, []string{"--epochs", "completed 1 epochs"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(slices.Clone(c.args), "--progress", "never", "--log-level", "error")
			if !slices.Contains(args, "--out") {
				args = append(args, "--out", filepath.Join(t.TempDir(), "out"))
			}
			_, errOut, code := run(t, args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitUsage, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	// Resuming on data whose content changed is refused.
	csvRun := filepath.Join(tmp, "csv")
	data := filepath.Join(tmp, "data.csv")
	os.WriteFile(data, []byte("0.1,0.2,0.3,0.4\n0.5,0.6,0.7,0.8\n0.9,1,0,0.2\n"), 0o644)
	if _, e, code := run(t, "train-ae", "--data", data, "--hidden", "3", "--code", "1", "--batch", "2", "--epochs", "1", "--out", csvRun, "--log-level", "error"); code != ExitOK {
		t.Fatalf("csv run: exit %d\n%s", code, e)
	}
	os.WriteFile(data, []byte("0.1,0.2,0.3,0.4\n0.5,0.6,0.7,0.8\n0.9,1,0,0.25\n"), 0o644)
	if _, e, code := run(t, "train-ae", "--resume", "--out", csvRun, "--epochs", "2", "--log-level", "error"); code != ExitUsage || !strings.Contains(e, "differ from those") {
		t.Errorf("resume on changed data: exit %d, stderr:\n%s", code, e)
	}

	// A damaged state file is a usage error naming it.
	f, err := safetensors.ReadFile(filepath.Join(vaeRun, checkpoint.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	f.Metadata[checkpoint.MetaEpoch] = "5"
	if err := safetensors.WriteFile(filepath.Join(vaeRun, checkpoint.StateFile), f); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "train-vae", "--resume", "--out", vaeRun, "--epochs", "9", "--log-level", "error")
	if code != ExitUsage || !strings.Contains(errOut, "not from the same moment") {
		t.Errorf("damaged state: exit %d, stderr:\n%s", code, errOut)
	}
}
