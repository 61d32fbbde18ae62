package checkpoint

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/safetensors"
	"github.com/vitool/vitool/vi"
)

// stateData returns n points of dimension d with intensities in (0, 1).
func stateData(n, d int) *dataset.Dataset {
	rnd := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(rnd.Float64())
	}
	return &dataset.Dataset{Name: "uniform", N: n, D: d, X: x}
}

var stateCfg = amortized.TrainConfig{BatchSize: 16, Objective: ppl.Objective{Bound: ppl.BoundIWAE, K: 2}, Beta: 0.5,
	Warmup: vi.Warmup{N: 2}, Adam: vi.AdamConfig{LR: 3e-3, ClipNorm: 10}, Seed: 99, Binarization: dataset.Dynamic}

var stateVAE = amortized.VAEConfig{DataDim: 8, Latent: 2, Hidden: []int{6}, Activation: amortized.Tanh}

// TestRunResume trains a VAE through one and a half epochs, saves the run
// in the middle of an epoch, loads it into a fresh model and trainer and
// finishes: the weights equal those of an uninterrupted run bit for bit,
// so the files lose nothing.
func TestRunResume(t *testing.T) {
	data := stateData(70, 8) // 5 steps per epoch
	ctx := context.Background()
	straight := newVAE(t, stateVAE, 3)
	tr, err := amortized.NewVAETrainer(straight, stateCfg)
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 3; e++ {
		if _, err := tr.TrainEpoch(ctx, data, nil); err != nil {
			t.Fatal(err)
		}
	}

	v := newVAE(t, stateVAE, 3)
	tr1, _ := amortized.NewVAETrainer(v, stateCfg)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for tr1.Epoch() < 3 {
		_, err := tr1.TrainEpoch(cctx, data, func(s amortized.StepStats) {
			if s.Epoch == 1 && s.Step == 2 {
				cancel()
			}
		})
		if errors.Is(err, context.Canceled) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	extra := map[string]string{"epochs": "3", "data": "uniform"}
	if err := SaveRun(dir, v, tr1, extra, map[string]string{"note": "n"}); err != nil {
		t.Fatal(err)
	}
	run, err := LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(run.State.Extra, extra) || run.ModelMetadata["note"] != "n" || run.ModelMetadata[MetaTrainStep] != "3" {
		t.Errorf("extra %v, model metadata %v", run.State.Extra, run.ModelMetadata)
	}
	if run.State.Config != tr1.Config() {
		t.Errorf("config %+v, want %+v", run.State.Config, tr1.Config())
	}
	v2 := run.Model.(*amortized.VAE)
	tr2, err := amortized.NewVAETrainer(v2, run.State.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.State.Restore(tr2); err != nil {
		t.Fatal(err)
	}
	if tr2.Epoch() != 1 || tr2.Step() != 3 {
		t.Fatalf("restored at epoch %d, step %d; want 1, 3", tr2.Epoch(), tr2.Step())
	}
	for tr2.Epoch() < 3 {
		if _, err := tr2.TrainEpoch(ctx, data, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !sameParams(v2, straight) {
		t.Error("resumed weights differ from the uninterrupted run")
	}
	if !reflect.DeepEqual(tr2.State(), tr.State()) {
		t.Error("resumed trainer state differs from the uninterrupted run")
	}

	// A trainer with another configuration refuses the state.
	other := stateCfg
	other.BatchSize = 8
	tr3, _ := amortized.NewVAETrainer(newVAE(t, stateVAE, 3), other)
	if err := run.State.Restore(tr3); err == nil || !strings.Contains(err.Error(), "batch is 8 but the saved state's is 16") {
		t.Errorf("restore with another batch size: %v", err)
	}
	// A trainer for another architecture too.
	tr4, _ := amortized.NewVAETrainer(newVAE(t, amortized.VAEConfig{DataDim: 8, Latent: 2, Activation: amortized.Tanh}, 3), stateCfg)
	if err := run.State.Restore(tr4); err == nil {
		t.Error("restore into another architecture accepted")
	}
}

func TestLoadRunErrors(t *testing.T) {
	data := stateData(40, 8)
	newRun := func(t *testing.T) (string, *amortized.VAE, *amortized.Trainer) {
		v := newVAE(t, stateVAE, 3)
		tr, err := amortized.NewVAETrainer(v, stateCfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.TrainEpoch(context.Background(), data, nil); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := SaveRun(dir, v, tr, nil, nil); err != nil {
			t.Fatal(err)
		}
		return dir, v, tr
	}
	t.Run("files from different moments", func(t *testing.T) {
		dir, v, tr := newRun(t)
		if _, err := tr.TrainEpoch(context.Background(), data, nil); err != nil {
			t.Fatal(err)
		}
		// Only the model file is updated: a save cut short.
		if err := Save(filepath.Join(dir, ModelFile), v, map[string]string{MetaTrainEpoch: "2", MetaTrainStep: "0", MetaTrainAdamStep: "6"}); err != nil {
			t.Fatal(err)
		}
		_, err := LoadRun(dir)
		if err == nil || !strings.Contains(err.Error(), "not from the same moment") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("missing state", func(t *testing.T) {
		dir, v, _ := newRun(t)
		other := t.TempDir()
		Save(filepath.Join(other, ModelFile), v, nil)
		_, err := LoadRun(other)
		if err == nil || !strings.Contains(err.Error(), StateFile) {
			t.Errorf("error %v", err)
		}
		_ = dir
	})
	t.Run("model file as state", func(t *testing.T) {
		dir, _, _ := newRun(t)
		_, err := LoadTrainState(filepath.Join(dir, ModelFile))
		if err == nil || !strings.Contains(err.Error(), "not a training-state file") {
			t.Errorf("error %v", err)
		}
	})
	edits := []struct {
		name, substr string
		edit         func(f *safetensors.File)
	}{
		{"version", `version "7"`, func(f *safetensors.File) { f.Metadata[MetaVersion] = "7" }},
		{"epoch", `epoch = "x"`, func(f *safetensors.File) { f.Metadata[MetaEpoch] = "x" }},
		{"objective", "objective", func(f *safetensors.File) { f.Metadata[amortized.MetaObjective] = "best" }},
		{"unpaired moment", `no matching "exp_avg_sq.encoder.0.bias"`, func(f *safetensors.File) { delete(f.Tensors, "exp_avg_sq.encoder.0.bias") }},
		{"stray tensor", `unexpected tensor "momentum"`, func(f *safetensors.File) {
			f.Tensors["momentum"] = safetensors.FromFloat32([]int{1}, []float32{0})
		}},
		{"short moment", `moments of "decoder.2.bias" have 3/8 values`, func(f *safetensors.File) {
			f.Tensors["exp_avg.decoder.2.bias"] = safetensors.FromFloat32([]int{3}, make([]float32, 3))
		}},
	}
	for _, c := range edits {
		t.Run(c.name, func(t *testing.T) {
			dir, _, _ := newRun(t)
			p := filepath.Join(dir, StateFile)
			f, err := safetensors.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			c.edit(f)
			if err := safetensors.WriteFile(p, f); err != nil {
				t.Fatal(err)
			}
			_, err = LoadRun(dir)
			if err == nil || !strings.Contains(err.Error(), c.substr) || !strings.Contains(err.Error(), StateFile) {
				t.Errorf("error %v; want one naming %s and containing %q", err, StateFile, c.substr)
			}
		})
	}
	// The state file's moments are ordered by name but restored by name.
	dir, _, tr := newRun(t)
	s, err := LoadTrainState(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(s.Names, tr.ParamNames()) {
		t.Log("saved order happens to equal the trainer's order")
	}
	tr2, _ := amortized.NewVAETrainer(newVAE(t, stateVAE, 3), stateCfg)
	if err := s.Restore(tr2); err != nil || !reflect.DeepEqual(tr2.State(), tr.State()) {
		t.Errorf("restore: %v", err)
	}
}
