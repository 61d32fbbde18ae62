package amortized

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/vi"
)

// protoData draws n binary vectors of length d near one of four random
// prototypes (each bit flipped with probability 0.05): data with structure a
// two-dimensional latent can capture.
func protoData(rnd *rand.Rand, n, d int) *mat.Dense {
	protos := make([][]float64, 4)
	for i := range protos {
		protos[i] = make([]float64, d)
		for j := range protos[i] {
			if rnd.Float64() < 0.5 {
				protos[i][j] = 1
			}
		}
	}
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		p := protos[rnd.IntN(4)]
		for j := 0; j < d; j++ {
			v := p[j]
			if rnd.Float64() < 0.05 {
				v = 1 - v
			}
			x.Set(i, j, v)
		}
	}
	return x
}

func weights(v interface {
	Params() map[string]Tensor
	ParamNames() []string
}) []float32 {
	var w []float32
	for _, s := range paramSlices(v) {
		w = append(w, s...)
	}
	return w
}

// TestTrainingDecreasesLoss trains small models on structured binary data;
// the final epoch's loss must be below the first by a margin far beyond the
// epoch-to-epoch noise (the drop is tens of nats; the noise below one).
func TestTrainingDecreasesLoss(t *testing.T) {
	epochs := 40
	if testing.Short() {
		epochs = 15
	}
	data := protoData(rand.New(rand.NewPCG(1, 0)), 400, 20)
	objs := []ppl.Objective{{K: 1, AnalyticKL: true}, {K: 1}, {Bound: ppl.BoundIWAE, K: 5}}
	for _, obj := range objs {
		t.Run(obj.String(), func(t *testing.T) {
			v, _ := NewVAE(VAEConfig{DataDim: 20, Latent: 2, Hidden: []int{32}, Activation: Tanh}, rand.New(rand.NewPCG(2, 0)))
			tr, err := NewVAETrainer(v, TrainConfig{BatchSize: 50, Objective: obj, Adam: vi.AdamConfig{LR: 3e-3}, Seed: 3, Warmup: vi.Warmup{N: 3}})
			if err != nil {
				t.Fatal(err)
			}
			first, err := tr.RunEpoch(data)
			if err != nil {
				t.Fatal(err)
			}
			if first.Beta != 0 || first.Steps != 8 {
				t.Errorf("first epoch β = %v, steps = %d; want 0 and 8", first.Beta, first.Steps)
			}
			var last EpochStats
			for e := 1; e < epochs; e++ {
				if last, err = tr.RunEpoch(data); err != nil {
					t.Fatal(err)
				}
			}
			if last.Beta != 1 {
				t.Errorf("β after warm-up = %v", last.Beta)
			}
			t.Logf("bound %.3f → %.3f, loss %.3f → %.3f", first.Bound, last.Bound, first.Loss, last.Loss)
			// 20 fair bits cost 13.9 nats; the data have far less entropy.
			if !(last.Bound > first.Bound+2) || !(last.Bound > -12) {
				t.Errorf("bound went from %.3f to %.3f", first.Bound, last.Bound)
			}
		})
	}
	for _, loss := range []AELoss{MSE, BCE} {
		t.Run("ae-"+loss.String(), func(t *testing.T) {
			a, _ := NewAE(AEConfig{DataDim: 20, Code: 2, Hidden: []int{32}, Activation: ReLU, Loss: loss}, rand.New(rand.NewPCG(2, 0)))
			tr, err := NewAETrainer(a, TrainConfig{BatchSize: 50, Adam: vi.AdamConfig{LR: 3e-3}, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			first, _ := tr.RunEpoch(data)
			var last EpochStats
			for e := 1; e < epochs; e++ {
				last, _ = tr.RunEpoch(data)
			}
			t.Logf("loss %.4f → %.4f", first.Loss, last.Loss)
			if !(last.Loss < 0.7*first.Loss) {
				t.Errorf("loss went from %.4f to %.4f", first.Loss, last.Loss)
			}
		})
	}
}

// TestDeterminism: the same seed and data give bit-identical weights, a
// different seed different ones; an uneven last batch is included.
func TestDeterminism(t *testing.T) {
	data := protoData(rand.New(rand.NewPCG(5, 0)), 130, 10)
	run := func(seed uint64) []float32 {
		v, _ := NewVAE(VAEConfig{DataDim: 10, Latent: 2, Hidden: []int{8}, Activation: ReLU}, rand.New(rand.NewPCG(1, 1)))
		tr, err := NewVAETrainer(v, TrainConfig{BatchSize: 32, Objective: ppl.Objective{Bound: ppl.BoundIWAE, K: 3}, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for e := 0; e < 3; e++ {
			if _, err := tr.RunEpoch(data); err != nil {
				t.Fatal(err)
			}
		}
		return weights(v)
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Error("same seed gave different weights")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave identical weights")
	}
}

// TestResume: stopping after two epochs, rebuilding the model from its
// parameters and restoring the trainer state continues the exact run.
func TestResume(t *testing.T) {
	data := protoData(rand.New(rand.NewPCG(6, 0)), 100, 10)
	cfg := VAEConfig{DataDim: 10, Latent: 2, Hidden: []int{8}, Activation: Tanh}
	tcfg := TrainConfig{BatchSize: 25, Objective: ppl.Objective{K: 2}, Seed: 9, Warmup: vi.Warmup{N: 4}}
	v, _ := NewVAE(cfg, rand.New(rand.NewPCG(1, 2)))
	tr, _ := NewVAETrainer(v, tcfg)
	for e := 0; e < 2; e++ {
		tr.RunEpoch(data)
	}
	st := tr.State()
	v2, err := NewVAEFromParams(cfg, v.Params())
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 2; e++ {
		tr.RunEpoch(data)
	}
	tr2, _ := NewVAETrainer(v2, tcfg)
	if err := tr2.SetState(st); err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 2; e++ {
		tr2.RunEpoch(data)
	}
	if !slices.Equal(weights(v), weights(v2)) {
		t.Error("resumed run differs from the uninterrupted one")
	}
}

func TestTrainerErrors(t *testing.T) {
	v, _ := NewVAE(tinyConfig(Gaussian, Tanh), rand.New(rand.NewPCG(1, 3)))
	if _, err := NewVAETrainer(v, TrainConfig{BatchSize: -1}); err == nil {
		t.Error("negative batch size accepted")
	}
	if _, err := NewVAETrainer(v, TrainConfig{Objective: ppl.Objective{Bound: 9}}); err == nil {
		t.Error("unknown objective accepted")
	}
	if _, err := NewVAETrainer(v, TrainConfig{Adam: vi.AdamConfig{LR: -1}}); err == nil {
		t.Error("negative learning rate accepted")
	}
	tr, _ := NewVAETrainer(v, TrainConfig{})
	before := weights(v)
	x := mat.NewDense(2, 5, nil)
	x.Set(1, 2, math.Inf(1))
	if _, err := tr.TrainStep(x); err == nil {
		t.Error("infinite data gave no error")
	}
	if !slices.Equal(before, weights(v)) {
		t.Error("a failed step changed the weights")
	}
	if _, err := tr.RunEpoch(mat.NewDense(1, 5, nil).Slice(0, 0, 0, 5)); err == nil {
		t.Error("empty data accepted")
	}
}

func Example_autoencoder() {
	rnd := rand.New(rand.NewPCG(3, 4))
	ae, err := NewAE(AEConfig{DataDim: 4, Code: 1, Hidden: []int{8}, Activation: Tanh, Loss: MSE}, rnd)
	if err != nil {
		panic(err)
	}
	data := mat.NewDense(2, 4, []float64{1, 1, 0, 0, 0, 0, 1, 1})
	tr, _ := NewAETrainer(ae, TrainConfig{BatchSize: 2, Adam: vi.AdamConfig{LR: 0.01}, Seed: 1})
	var st EpochStats
	for e := 0; e < 500; e++ {
		st, _ = tr.RunEpoch(data)
	}
	fmt.Println(st.Loss < 0.01)
	// Output: true
}

// paramSlices returns the float32 parameters in training order.
func paramSlices(v interface {
	Params() map[string]Tensor
	ParamNames() []string
}) [][]float32 {
	p := v.Params()
	var out [][]float32
	for _, n := range v.ParamNames() {
		out = append(out, p[n].Data)
	}
	return out
}
