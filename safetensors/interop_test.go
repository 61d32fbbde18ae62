package safetensors

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// interopScript loads a safetensors file in PyTorch and prints what torch
// sees as JSON: the metadata, each tensor's dtype, shape and values (as
// float64), and the output of the encoder.* weights loaded, strictly, into
// nn.Sequential(Linear(4, 3), Tanh(), Linear(3, 2)) and applied to a fixed
// input. It reads the file with safetensors.torch.load_file when the
// safetensors package is installed, and otherwise with a minimal reader that
// follows the format specification, building tensors with torch.frombuffer.
const interopScript = `
import json, struct, sys
import torch
from torch import nn

path = sys.argv[1]
DT = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16}
NAMES = {v: k for k, v in DT.items()}

try:
    from safetensors import safe_open
    from safetensors.torch import load_file
    mode = "safetensors.torch.load_file"
    tensors = load_file(path)
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
except ImportError:
    mode = "spec reader with torch.frombuffer"
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    buf = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = DT[info["dtype"]]
        if b == e:
            t = torch.empty(info["shape"], dtype=dt)
        else:
            t = torch.frombuffer(bytearray(buf[b:e]), dtype=dt).reshape(info["shape"])
        tensors[name] = t

enc = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
enc.load_state_dict({k[len("encoder."):]: v for k, v in tensors.items() if k.startswith("encoder.")}, strict=True)
x = torch.tensor([[0.5, -1.0, 2.0, 0.25]])
with torch.no_grad():
    y = enc(x).double().reshape(-1).tolist()

out = {
    "mode": mode,
    "torch": torch.__version__,
    "metadata": metadata,
    "tensors": {
        k: {"dtype": NAMES[v.dtype], "shape": list(v.shape), "values": v.double().reshape(-1).tolist()}
        for k, v in tensors.items()
    },
    "encoder_output": y,
}
print(json.dumps(out, allow_nan=False))
`

// findTorchPython returns a Python interpreter that can import torch, or ""
// if there is none. It tries $VITOOL_PYTHON, python3 on the PATH and the
// system's /usr/bin/python3, where Debian's python3-torch installs.
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

// TestPyTorchInterop writes a checkpoint with WriteFile and checks that
// PyTorch loads it with the same metadata, dtypes, shapes and values, and that
// the encoder weights load into an nn.Sequential and compute what we compute.
func TestPyTorchInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python and PyTorch")
	}
	python := findTorchPython()
	if python == "" {
		t.Skip("no python3 with torch (set VITOOL_PYTHON to choose an interpreter)")
	}

	w0 := []float32{0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8, 0.9, -1.0, 1.1, -1.2} // [3, 4]
	b0 := []float32{0.01, -0.02, 0.03}
	w2 := []float32{1.5, -0.5, 0.25, -2, 0.75, 1} // [2, 3]
	b2 := []float32{-0.1, 0.2}
	f := &File{
		Metadata: map[string]string{"latent": "2", "hidden": "3", "activation": "tanh", "likelihood": "gaussian", "note": `"quoted" ünïcödé <&>`},
		Tensors: map[string]Tensor{
			"encoder.0.weight": FromFloat32([]int{3, 4}, w0),
			"encoder.0.bias":   FromFloat32([]int{3}, b0),
			"encoder.2.weight": FromFloat32([]int{2, 3}, w2),
			"encoder.2.bias":   FromFloat32([]int{2}, b2),
			"extra.f64":        FromFloat64([]int{2}, []float64{math.Pi, -1e-300}),
			"extra.f16":        {DType: F16, Shape: []int{3}, Data: le16(0x3c00, 0xc100, 0x0001)},
			"extra.bf16":       {DType: BF16, Shape: []int{}, Data: le16(0xc020)},
			"extra.empty":      FromFloat32([]int{0, 3}, nil),
		},
	}
	path := filepath.Join(t.TempDir(), "vae.safetensors")
	if err := WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", interopScript, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", python, err, stderr.String())
	}
	var got struct {
		Mode     string
		Torch    string
		Metadata map[string]string
		Tensors  map[string]struct {
			DType  DType
			Shape  []int
			Values []float64
		}
		EncoderOutput []float64 `json:"encoder_output"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output: %v\n%s", err, out)
	}
	t.Logf("torch %s read the file with %s", got.Torch, got.Mode)

	if !reflect.DeepEqual(got.Metadata, f.Metadata) {
		t.Errorf("torch metadata = %v, want %v", got.Metadata, f.Metadata)
	}
	if len(got.Tensors) != len(f.Tensors) {
		t.Errorf("torch sees %d tensors, want %d", len(got.Tensors), len(f.Tensors))
	}
	for name, tn := range f.Tensors {
		g, ok := got.Tensors[name]
		if !ok {
			t.Errorf("torch lacks tensor %q", name)
			continue
		}
		if g.DType != tn.DType || !slices.Equal(g.Shape, tn.Shape) {
			t.Errorf("tensor %q: torch sees %s %v, want %s %v", name, g.DType, g.Shape, tn.DType, tn.Shape)
		}
		want, err := tn.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Values) != len(want) {
			t.Errorf("tensor %q: torch sees %d values, want %d", name, len(g.Values), len(want))
			continue
		}
		for i := range want {
			if g.Values[i] != want[i] {
				t.Errorf("tensor %q[%d]: torch sees %g, want %g", name, i, g.Values[i], want[i])
			}
		}
	}

	// y = W2 · tanh(W0 · x + b0) + b2 with W of shape [out, in]. Torch
	// computes in float32: its relative rounding error is a few units of
	// 2⁻²⁴ per operation, so 1e-5 is generous yet far below any layout
	// mistake (a transposed W changes the output at order 1).
	x := []float64{0.5, -1, 2, 0.25}
	h := make([]float64, 3)
	for i := range h {
		s := float64(b0[i])
		for j := range x {
			s += float64(w0[4*i+j]) * x[j]
		}
		h[i] = math.Tanh(s)
	}
	for i := 0; i < 2; i++ {
		want := float64(b2[i])
		for j := range h {
			want += float64(w2[3*i+j]) * h[j]
		}
		if i >= len(got.EncoderOutput) {
			t.Fatalf("torch returned %d outputs, want 2", len(got.EncoderOutput))
		}
		if d := math.Abs(got.EncoderOutput[i] - want); d > 1e-5 {
			t.Errorf("encoder output %d: torch %g, Go %g (difference %g)", i, got.EncoderOutput[i], want, d)
		}
	}
}
