package checkpoint_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
)

func ExampleSaveVAE() {
	cfg := amortized.VAEConfig{DataDim: 784, Latent: 50, Hidden: []int{200, 200}, Activation: amortized.Tanh}
	v, err := amortized.NewVAE(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "vitool-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, checkpoint.ModelFile)
	if err := checkpoint.SaveVAE(path, v); err != nil {
		panic(err)
	}
	// PyTorch: load_file(path) gives the state_dict of
	// encoder = nn.Sequential(Linear(784, 200), Tanh(), Linear(200, 200), Tanh(), Linear(200, 100)), …
	w, err := checkpoint.LoadVAE(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(w.Config.Latent, w.Config.Hidden, w.Config.Activation, w.Config.Likelihood)
	fmt.Println(w.Params()["encoder.4.weight"].Shape, w.Params()["decoder.4.weight"].Shape)
	// Output:
	// 50 [200 200] tanh bernoulli
	// [100 200] [784 200]
}

// ExampleLoadRun interrupts a training run, saves it, and resumes it from
// the files into a fresh model and trainer.
func ExampleLoadRun() {
	rnd := rand.New(rand.NewPCG(3, 4))
	data := &dataset.Dataset{Name: "noise", N: 60, D: 4, X: make([]float32, 240)}
	for i := range data.X {
		data.X[i] = float32(rnd.Float64())
	}
	v, _ := amortized.NewVAE(amortized.VAEConfig{DataDim: 4, Latent: 1, Hidden: []int{3}, Activation: amortized.Tanh}, rnd)
	cfg := amortized.TrainConfig{BatchSize: 20, Seed: 5, Binarization: dataset.Dynamic}
	tr, _ := amortized.NewVAETrainer(v, cfg)

	ctx, cancel := context.WithCancel(context.Background())
	_, err := tr.TrainEpoch(ctx, data, func(s amortized.StepStats) { cancel() }) // stop after one step
	fmt.Println(err != nil, tr.Epoch(), tr.Step())

	dir, _ := os.MkdirTemp("", "vitool-example")
	defer os.RemoveAll(dir)
	if err := checkpoint.SaveRun(dir, v, tr, map[string]string{"note": "demo"}, nil); err != nil {
		panic(err)
	}

	run, err := checkpoint.LoadRun(dir)
	if err != nil {
		panic(err)
	}
	tr2, _ := amortized.NewVAETrainer(run.Model.(*amortized.VAE), run.State.Config)
	if err := run.State.Restore(tr2); err != nil {
		panic(err)
	}
	st, err := tr2.TrainEpoch(context.Background(), data, nil)
	fmt.Println(err, st.Steps, tr2.Epoch(), run.State.Extra["note"])
	// Output:
	// true 0 1
	// <nil> 3 1 demo
}
