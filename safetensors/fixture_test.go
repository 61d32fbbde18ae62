package safetensors

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fixtureDir holds files written by PyTorch; make_fixture.py there made them.
var fixtureDir = filepath.Join("..", "testdata", "safetensors")

// expectation is the .json file that make_fixture.py writes beside each
// .safetensors fixture: the values as torch sees them.
type expectation struct {
	Writer   string
	Metadata map[string]string
	Tensors  map[string]struct {
		DType   DType
		Shape   []int
		F32Bits []uint32 `json:"f32_bits"`
	}
}

func loadExpectation(t *testing.T, name string) expectation {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectation
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s.json: %v", name, err)
	}
	if len(e.Tensors) == 0 {
		t.Fatalf("%s.json lists no tensors", name)
	}
	return e
}

func TestTorchFixtures(t *testing.T) {
	for _, name := range []string{"vae_f32", "halfs"} {
		t.Run(name, func(t *testing.T) {
			want := loadExpectation(t, name)
			t.Logf("fixture written by %s", want.Writer)
			path := filepath.Join(fixtureDir, name+".safetensors")
			f, err := ReadFile(path)
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			if !reflect.DeepEqual(f.Metadata, want.Metadata) {
				t.Errorf("metadata = %v, want %v", f.Metadata, want.Metadata)
			}
			if len(f.Tensors) != len(want.Tensors) {
				t.Errorf("%d tensors, want %d", len(f.Tensors), len(want.Tensors))
			}
			for tname, w := range want.Tensors {
				tn, ok := f.Tensors[tname]
				if !ok {
					t.Errorf("tensor %q missing", tname)
					continue
				}
				if tn.DType != w.DType || !reflect.DeepEqual(tn.Shape, w.Shape) {
					t.Errorf("tensor %q: %s %v, want %s %v", tname, tn.DType, tn.Shape, w.DType, w.Shape)
				}
				got, err := tn.Float32s()
				if err != nil {
					t.Errorf("tensor %q: %v", tname, err)
					continue
				}
				if len(got) != len(w.F32Bits) {
					t.Errorf("tensor %q: %d values, want %d", tname, len(got), len(w.F32Bits))
					continue
				}
				for i, v := range got {
					if math.Float32bits(v) != w.F32Bits[i] {
						t.Errorf("tensor %q[%d] = %g, torch says %g", tname, i, v, math.Float32frombits(w.F32Bits[i]))
					}
				}
			}

			// Re-encoding keeps the content.
			var buf bytes.Buffer
			if err := Encode(&buf, f); err != nil {
				t.Fatal(err)
			}
			g, err := Unmarshal(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !filesEqual(f, g) {
				t.Errorf("re-encoded fixture decodes differently")
			}
		})
	}
}

// TestTorchLayout checks the fixture against the naming and shape convention
// that vitool checkpoints follow: nn.Sequential indices, nn.Linear weights of
// shape [out, in].
func TestTorchLayout(t *testing.T) {
	f, err := ReadFile(filepath.Join(fixtureDir, "vae_f32.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"encoder.0.weight": {3, 4}, "encoder.0.bias": {3},
		"encoder.2.weight": {2, 3}, "encoder.2.bias": {2},
		"decoder.0.weight": {3, 2}, "decoder.0.bias": {3},
		"decoder.2.weight": {4, 3}, "decoder.2.bias": {4},
	}
	for name, shape := range want {
		tn, ok := f.Tensors[name]
		if !ok || !reflect.DeepEqual(tn.Shape, shape) || tn.DType != F32 {
			t.Errorf("tensor %q: %+v (present %t), want F32 %v", name, tn.Shape, ok, shape)
		}
	}
}
