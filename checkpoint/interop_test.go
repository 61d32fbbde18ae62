package checkpoint

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vitool/vitool/amortized"
)

// findTorchPython returns a Python interpreter that can import torch, or ""
// if there is none: $VITOOL_PYTHON, python3 on the PATH or /usr/bin/python3.
func findTorchPython() string {
	var candidates []string
	if p := os.Getenv("VITOOL_PYTHON"); p != "" {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "python3", "/usr/bin/python3")
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import torch").Run() == nil {
			return path
		}
	}
	return ""
}

// TestTorchLoadsVitool saves models with vitool, loads them in PyTorch with
// load_state_dict(strict=True) into nn.Sequential modules built from the
// metadata (testdata/torchvae.py), and checks that PyTorch computes what
// vitool computes.
func TestTorchLoadsVitool(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python and PyTorch")
	}
	python := findTorchPython()
	if python == "" {
		t.Skip("no python3 with torch (set VITOOL_PYTHON to choose an interpreter)")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "torchvae.py"))
	if err != nil {
		t.Fatal(err)
	}
	models := []struct {
		name string
		m    Model
		x, z [][]float64
	}{
		{"vae-gaussian-softplus", newVAE(t, amortized.VAEConfig{DataDim: 5, Latent: 2, Hidden: []int{6, 3}, Activation: amortized.Softplus,
			Likelihood: amortized.Gaussian, LogSigma: -0.75}, 7),
			[][]float64{{0.5, -1, 2, 0.25, 0}, {1, 1, -1, 0.5, 3}}, [][]float64{{0, 0}, {1, -2}, {0.3, 0.7}}},
		{"vae-bernoulli-relu", newVAE(t, amortized.VAEConfig{DataDim: 4, Latent: 3, Hidden: []int{5}, Activation: amortized.ReLU}, 8),
			[][]float64{{1, 0, 1, 1}, {0, 0.5, 0, 1}}, [][]float64{{0, 0, 0}, {1, -1, 2}}},
		{"ae-mse-tanh", newAE(t, amortized.AEConfig{DataDim: 4, Code: 2, Hidden: []int{3}, Activation: amortized.Tanh, Loss: amortized.MSE}, 9),
			[][]float64{{1, 0, 1, 1}, {0, 0.5, 0, 1}}, [][]float64{{0, 0}, {1, -1}}},
	}
	for _, c := range models {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ModelFile)
			if err := Save(path, c.m, map[string]string{MetaTrainEpoch: "3"}); err != nil {
				t.Fatal(err)
			}
			in, _ := json.Marshal(map[string]any{"x": c.x, "z": c.z})
			inPath := filepath.Join(dir, "inputs.json")
			if err := os.WriteFile(inPath, in, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(python, script, "eval", path, inPath)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("python: %v\n%s", err, stderr.String())
			}
			var e torchExpect
			if err := json.Unmarshal(out, &e); err != nil {
				t.Fatalf("python output %q: %v", out, err)
			}
			t.Logf("PyTorch read the file with %s", e.Reader)
			e.X, e.Z = c.x, c.z
			checkOutputs(t, c.m, e)
		})
	}
}
