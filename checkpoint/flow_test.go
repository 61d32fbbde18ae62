package checkpoint

import (
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vitool/vitool/amortized"
)

// TestIAFVAERoundTrip saves and loads a VAE with an IAF encoder: the
// configuration and every tensor, the flow's included, come back, and
// parameters missing a flow tensor are refused.
func TestIAFVAERoundTrip(t *testing.T) {
	cfg := amortized.VAEConfig{DataDim: 6, Latent: 2, Hidden: []int{5}, Activation: amortized.Tanh,
		Flow: amortized.FlowIAF, FlowSteps: 3, FlowHidden: 4}
	v, err := amortized.NewVAE(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "iaf.safetensors")
	if err := SaveVAE(path, v); err != nil {
		t.Fatal(err)
	}
	w, err := LoadVAE(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w.Config, cfg) {
		t.Errorf("config %+v, want %+v", w.Config, cfg)
	}
	if !reflect.DeepEqual(w.Params(), v.Params()) {
		t.Error("the loaded parameters differ from the saved ones")
	}
	if _, ok := w.Params()["flow.2.out.bias"]; !ok {
		t.Error("flow.2.out.bias is missing after loading")
	}
	p := v.Params()
	delete(p, "flow.1.context.weight")
	bad, err := amortized.NewVAEFromParams(cfg, p)
	if err == nil || bad != nil {
		t.Errorf("a VAE without flow.1.context.weight was built (error %v)", err)
	}
}
