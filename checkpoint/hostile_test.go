package checkpoint

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/safetensors"
)

// craft writes a safetensors file with the given metadata and float32
// tensors and returns its bytes.
func craft(t testing.TB, meta map[string]string, tensors map[string][]int) []byte {
	t.Helper()
	f := &safetensors.File{Metadata: meta, Tensors: map[string]safetensors.Tensor{}}
	for name, shape := range tensors {
		n := 1
		for _, d := range shape {
			n *= d
		}
		f.Tensors[name] = safetensors.FromFloat32(shape, make([]float32, n))
	}
	var b bytes.Buffer
	if err := safetensors.Encode(&b, f); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestLoadHostile loads crafted checkpoints whose metadata describes a
// huge model, and checks that each is refused with a message naming the
// file, allocating no more than a small multiple of the file's size.
func TestLoadHostile(t *testing.T) {
	vae := func(dataDim, latent, hidden string) map[string]string {
		return map[string]string{"model": "vae", "data_dim": dataDim, "latent": latent, "hidden": hidden,
			"activation": "tanh", "likelihood": "bernoulli"}
	}
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"huge hidden", craft(t, vae("784", "2", "100000000"), nil), `missing tensor "decoder.0.bias"`},
		{"huge latent", craft(t, vae("4", "2000000000", ""), map[string][]int{"encoder.0.weight": {2, 4}}), `missing tensor`},
		{"huge data dim", craft(t, vae("9223372036854775807", "2", ""), nil), "missing tensor"},
		{"overflowing hidden", craft(t, vae("784", "2", "4611686018427387904,4611686018427387904"), nil), "missing tensor"},
		{"shape lies", craft(t, vae("3", "1", ""), map[string][]int{
			"encoder.0.weight": {2, 3}, "encoder.0.bias": {2}, "decoder.0.weight": {3, 1}, "decoder.0.bias": {1000000}}),
			`"decoder.0.bias" has shape [1000000], want [3]`},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".safetensors")
			if err := os.WriteFile(path, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			var err error
			alloc := allocated(func() { _, err = Load(path) })
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one naming %s and saying %q", err, path, c.want)
			}
			if limit := uint64(1<<20 + 64*len(c.file)); alloc > limit {
				t.Errorf("loading a %d-byte file allocated %d bytes, want at most %d", len(c.file), alloc, limit)
			}
		})
	}
}

// allocated returns the bytes that f allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLoadNonFinite checks that a checkpoint with a NaN or infinite weight
// is refused with a message naming the file and the tensor.
func TestLoadNonFinite(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		m := newVAE(t, amortized.VAEConfig{DataDim: 5, Latent: 2, Hidden: []int{3}, Activation: amortized.Tanh}, 1)
		m.Store.Unconstrained("encoder.2.weight").RawMatrix().Data[4] = float64(bad)
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := SaveVAE(path, m); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `tensor "encoder.2.weight": element 4`) {
			t.Errorf("weight %v: err = %v, want one naming the file and tensor \"encoder.2.weight\"", bad, err)
		}
	}
}

// FuzzLoad loads arbitrary bytes as a checkpoint: it must return a model
// or an error naming the file, never panic, and a model it returns must
// have finite weights. The seed corpus holds the checked-in checkpoints
// and crafted ones.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"vae_bernoulli.safetensors", "vae_gaussian.safetensors", "ae_bce.safetensors"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(craft(f, map[string]string{"model": "vae", "data_dim": "784", "latent": "2", "hidden": "100000000",
		"activation": "tanh", "likelihood": "bernoulli"}, nil))
	f.Add(craft(f, map[string]string{"latent": "1", "hidden": "", "activation": "relu", "likelihood": "gaussian", "log_sigma": "0"},
		map[string][]int{"encoder.0.weight": {2, 3}, "encoder.0.bias": {2}, "decoder.0.weight": {3, 1}, "decoder.0.bias": {3}}))
	f.Add(craft(f, map[string]string{"format": StateFormat, "version": "1"}, nil))
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":1}        "))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "fuzz.safetensors")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Load(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for name, p := range m.Params() {
			for _, v := range p.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("loaded a non-finite weight in %s", name)
				}
			}
		}
		// A training-state file must not panic either.
		_, _ = LoadTrainState(path)
	})
}
