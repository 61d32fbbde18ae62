package checkpoint

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/safetensors"
)

func newVAE(t *testing.T, cfg amortized.VAEConfig, seed uint64) *amortized.VAE {
	t.Helper()
	v, err := amortized.NewVAE(cfg, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newAE(t *testing.T, cfg amortized.AEConfig, seed uint64) *amortized.AE {
	t.Helper()
	a, err := amortized.NewAE(cfg, rand.New(rand.NewPCG(seed, 2)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sameParams reports whether a and b have the same tensors, bit for bit.
func sameParams(a, b Model) bool {
	pa, pb := a.Params(), b.Params()
	if len(pa) != len(pb) {
		return false
	}
	for name, ta := range pa {
		tb, ok := pb[name]
		if !ok || !slices.Equal(ta.Shape, tb.Shape) ||
			!slices.EqualFunc(ta.Data, tb.Data, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
			return false
		}
	}
	return true
}

func TestSaveLoadRoundTrip(t *testing.T) {
	models := []struct {
		name string
		m    Model
	}{
		{"vae-bernoulli-tanh", newVAE(t, amortized.VAEConfig{DataDim: 7, Latent: 2, Hidden: []int{5, 3}, Activation: amortized.Tanh}, 1)},
		{"vae-gaussian-relu", newVAE(t, amortized.VAEConfig{DataDim: 4, Latent: 3, Hidden: []int{6}, Activation: amortized.ReLU,
			Likelihood: amortized.Gaussian, LogSigma: -1.25}, 2)},
		{"vae-no-hidden", newVAE(t, amortized.VAEConfig{DataDim: 3, Latent: 1, Activation: amortized.Softplus}, 3)},
		{"ae-mse", newAE(t, amortized.AEConfig{DataDim: 6, Code: 2, Hidden: []int{4}, Activation: amortized.ReLU, Loss: amortized.MSE}, 4)},
		{"ae-bce", newAE(t, amortized.AEConfig{DataDim: 6, Code: 2, Hidden: []int{5, 4}, Activation: amortized.Softplus, Loss: amortized.BCE}, 5)},
	}
	for _, c := range models {
		t.Run(c.name, func(t *testing.T) {
			// Special values survive too.
			p := c.m.Params()["decoder.0.bias"]
			p.Data[0] = -math.MaxFloat32
			p.Data[len(p.Data)-1] = math.SmallestNonzeroFloat32
			path := filepath.Join(t.TempDir(), "m.safetensors")
			if err := Save(path, c.m, map[string]string{"note": "x"}); err != nil {
				t.Fatal(err)
			}
			got, meta, err := LoadWithMetadata(path)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(c.m) || !sameParams(got, c.m) || meta["note"] != "x" {
				t.Fatalf("loaded %T differs from the saved %T (metadata %v)", got, c.m, meta)
			}
			switch m := c.m.(type) {
			case *amortized.VAE:
				if g := got.(*amortized.VAE); !reflect.DeepEqual(g.Config, m.Config) {
					t.Errorf("config %+v, want %+v", g.Config, m.Config)
				}
				if v, err := LoadVAE(path); err != nil || !sameParams(v, m) {
					t.Errorf("LoadVAE: %v", err)
				}
				if _, err := LoadAE(path); err == nil || !strings.Contains(err.Error(), "not an autoencoder") {
					t.Errorf("LoadAE of a VAE: %v", err)
				}
			case *amortized.AE:
				if g := got.(*amortized.AE); !reflect.DeepEqual(g.Config, m.Config) {
					t.Errorf("config %+v, want %+v", g.Config, m.Config)
				}
				if a, err := LoadAE(path); err != nil || !sameParams(a, m) {
					t.Errorf("LoadAE: %v", err)
				}
				if _, err := LoadVAE(path); err == nil || !strings.Contains(err.Error(), "not a VAE") {
					t.Errorf("LoadVAE of an AE: %v", err)
				}
			}
		})
	}
}

// TestSaveIsPlainStateDict: the file holds F32 tensors with PyTorch's names
// and shapes, and the architecture metadata, nothing else.
func TestSaveIsPlainStateDict(t *testing.T) {
	v := newVAE(t, amortized.VAEConfig{DataDim: 6, Latent: 2, Hidden: []int{4}, Activation: amortized.Tanh}, 1)
	path := filepath.Join(t.TempDir(), "v.safetensors")
	if err := SaveVAE(path, v); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"encoder.0.weight": {4, 6}, "encoder.0.bias": {4}, "encoder.2.weight": {4, 4}, "encoder.2.bias": {4},
		"decoder.0.weight": {4, 2}, "decoder.0.bias": {4}, "decoder.2.weight": {6, 4}, "decoder.2.bias": {6},
	}
	if len(f.Tensors) != len(want) {
		t.Errorf("tensors %v, want %v", f.Names(), want)
	}
	for name, shape := range want {
		if tn, ok := f.Tensors[name]; !ok || tn.DType != safetensors.F32 || !slices.Equal(tn.Shape, shape) {
			t.Errorf("tensor %s = %v %v, want F32 %v", name, tn.DType, tn.Shape, shape)
		}
	}
	wantMeta := map[string]string{"model": "vae", "data_dim": "6", "latent": "2", "hidden": "4", "activation": "tanh", "likelihood": "bernoulli"}
	if !reflect.DeepEqual(f.Metadata, wantMeta) {
		t.Errorf("metadata %v, want %v", f.Metadata, wantMeta)
	}
	if err := Save(path, v, map[string]string{"hidden": "9"}); err == nil {
		t.Error("extra metadata overriding the architecture accepted")
	}
}

// TestLoadMinimalMetadata loads a VAE whose metadata has only the keys a
// PyTorch user is asked to write (latent, hidden, activation, likelihood):
// the model kind and data dimension are inferred from the file.
func TestLoadMinimalMetadata(t *testing.T) {
	dir := t.TempDir()
	v := newVAE(t, amortized.VAEConfig{DataDim: 6, Latent: 2, Hidden: []int{4, 3}, Activation: amortized.ReLU}, 3)
	full := filepath.Join(dir, "full.safetensors")
	if err := SaveVAE(full, v); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	f.Metadata = map[string]string{"latent": "2", "hidden": "4,3", "activation": "relu", "likelihood": "bernoulli"}
	minimal := filepath.Join(dir, "minimal.safetensors")
	if err := safetensors.WriteFile(minimal, f); err != nil {
		t.Fatal(err)
	}
	got, err := LoadVAE(minimal)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.DataDim != 6 || !sameParams(got, v) {
		t.Errorf("loaded %+v, want the saved VAE", got.Config)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	v := newVAE(t, amortized.VAEConfig{DataDim: 6, Latent: 2, Hidden: []int{4}, Activation: amortized.Tanh}, 1)
	good := filepath.Join(dir, "good.safetensors")
	if err := SaveVAE(good, v); err != nil {
		t.Fatal(err)
	}
	base, err := safetensors.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		edit   func(f *safetensors.File)
		substr []string
	}{
		{"missing tensor", func(f *safetensors.File) { delete(f.Tensors, "decoder.2.weight") }, []string{`missing tensor "decoder.2.weight"`}},
		{"wrong shape", func(f *safetensors.File) {
			f.Tensors["decoder.2.weight"] = safetensors.FromFloat32([]int{6, 3}, make([]float32, 18))
		}, []string{`"decoder.2.weight" has shape [6 3], want [6 4]`}},
		{"hidden disagrees", func(f *safetensors.File) { f.Metadata["hidden"] = "5" }, []string{`has shape [4], want [5]`}},
		{"unknown activation", func(f *safetensors.File) { f.Metadata["activation"] = "gelu" }, []string{`activation "gelu"`}},
		{"unknown likelihood", func(f *safetensors.File) { f.Metadata["likelihood"] = "poisson" }, []string{`likelihood "poisson"`}},
		{"bad latent", func(f *safetensors.File) { f.Metadata["latent"] = "two" }, []string{`latent = "two"`}},
		{"unknown model", func(f *safetensors.File) { f.Metadata["model"] = "gan" }, []string{`model = "gan"`}},
		{"no model key", func(f *safetensors.File) { delete(f.Metadata, "model"); delete(f.Metadata, "likelihood") }, []string{`no "model" key`}},
		{"no metadata", func(f *safetensors.File) { f.Metadata = nil }, []string{"no __metadata__"}},
		{"extra tensor", func(f *safetensors.File) {
			f.Tensors["encoder.4.weight"] = safetensors.FromFloat32([]int{1}, []float32{1})
		}, []string{`unexpected tensor "encoder.4.weight"`}},
		{"integer tensor", func(f *safetensors.File) {
			f.Tensors["encoder.0.bias"] = safetensors.Tensor{DType: safetensors.I32, Shape: []int{4}, Data: make([]byte, 16)}
		}, []string{`"encoder.0.bias"`, "I32"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &safetensors.File{Metadata: map[string]string{}, Tensors: map[string]safetensors.Tensor{}}
			for k, val := range base.Metadata {
				f.Metadata[k] = val
			}
			for k, val := range base.Tensors {
				f.Tensors[k] = val
			}
			c.edit(f)
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".safetensors")
			if err := safetensors.WriteFile(path, f); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range append(c.substr, path) {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
	missing := filepath.Join(dir, "nope.safetensors")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	// F64 weights, as torch.save of a double model would give, load.
	f64 := &safetensors.File{Metadata: base.Metadata, Tensors: map[string]safetensors.Tensor{}}
	for name, tn := range v.Params() {
		d := make([]float64, len(tn.Data))
		for i, x := range tn.Data {
			d[i] = float64(x)
		}
		f64.Tensors[name] = safetensors.FromFloat64(tn.Shape, d)
	}
	p := filepath.Join(dir, "f64.safetensors")
	if err := safetensors.WriteFile(p, f64); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadVAE(p); err != nil || !sameParams(got, v) {
		t.Errorf("F64 checkpoint: %v", err)
	}
}

// torchExpect is the .json file of a PyTorch-written fixture.
type torchExpect struct {
	Metadata       map[string]string `json:"metadata"`
	X              [][]float64       `json:"x"`
	Z              [][]float64       `json:"z"`
	Mu             [][]float64       `json:"mu"`
	LogVar         [][]float64       `json:"logvar"`
	Decoded        [][]float64       `json:"decoded"`
	LogLik         [][]float64       `json:"loglik"`
	Code           [][]float64       `json:"code"`
	Reconstruction [][]float64       `json:"reconstruction"`
	Reader         string            `json:"reader"`
}

func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

// near compares values computed in float32 by two implementations (torch
// and gonum) that may sum in different orders: a few float32 ulps of the
// magnitudes involved.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-5*(1+math.Max(math.Abs(a), math.Abs(b)))
}

func checkMatrix(t *testing.T, what string, got mat.Matrix, want [][]float64) {
	t.Helper()
	r, c := got.Dims()
	if r != len(want) || c != len(want[0]) {
		t.Fatalf("%s is %d×%d, want %d×%d", what, r, c, len(want), len(want[0]))
	}
	for i := range want {
		for j := range want[i] {
			if !near(got.At(i, j), want[i][j]) {
				t.Errorf("%s[%d][%d] = %.9g, PyTorch %.9g", what, i, j, got.At(i, j), want[i][j])
			}
		}
	}
}

// checkOutputs compares vitool's outputs of m with what PyTorch computed.
func checkOutputs(t *testing.T, m Model, e torchExpect) {
	t.Helper()
	x, z := dense(e.X), dense(e.Z)
	switch m := m.(type) {
	case *amortized.VAE:
		mu, lv := m.Encode(x)
		checkMatrix(t, "μ(x)", mu, e.Mu)
		checkMatrix(t, "log σ²(x)", lv, e.LogVar)
		checkMatrix(t, "decoder(z)", m.Decode(z), e.Decoded)
		for i := range e.X {
			ll := m.LogLikelihood(nil, e.X[i], z)
			for k := range ll {
				if !near(ll[k], e.LogLik[i][k]) {
					t.Errorf("log p(x_%d|z_%d) = %.9g, PyTorch %.9g", i, k, ll[k], e.LogLik[i][k])
				}
			}
		}
	case *amortized.AE:
		code := m.Encode(x)
		checkMatrix(t, "code(x)", code, e.Code)
		checkMatrix(t, "decoder(z)", m.Decode(z), e.Decoded)
		checkMatrix(t, "decoder(code(x))", m.Decode(code), e.Reconstruction)
	}
}

// TestTorchFixtures loads checkpoints written by PyTorch (testdata/
// torchvae.py) and checks that vitool computes what PyTorch computed:
// encoder outputs, decoder outputs and log p(x|z).
func TestTorchFixtures(t *testing.T) {
	for _, name := range []string{"vae_bernoulli", "vae_gaussian", "ae_bce"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var e torchExpect
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			m, meta, err := LoadWithMetadata(filepath.Join("testdata", name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(meta, e.Metadata) {
				t.Errorf("metadata %v, want %v", meta, e.Metadata)
			}
			checkOutputs(t, m, e)
		})
	}
}
