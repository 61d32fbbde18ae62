package explore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/vi"
)

// TrainOptions are the settings of Train.
type TrainOptions struct {
	// Latent is the latent size of the VAE and the code size of the
	// autoencoder.
	Latent int
	// Hidden are the encoders' hidden layer sizes.
	Hidden []int
	// Epochs is the number of passes over the data.
	Epochs int
	// LR is Adam's learning rate.
	LR float64
	// Batch is the minibatch size.
	Batch int
	// Seed determines the initialisations and the training draws.
	Seed uint64
	// SkipAE trains the VAE only.
	SkipAE bool
}

// DefaultTrain are the settings that make `vitool explore` without a model
// train a small VAE and autoencoder in seconds: two latent dimensions, so
// that the plane is the whole latent space.
var DefaultTrain = TrainOptions{Latent: 2, Hidden: []int{128}, Epochs: 10, LR: 1e-2, Batch: 50, Seed: 1}

// Labels of the streams derived from TrainOptions.Seed.
const (
	seedVAEInit  = 0x76616569 // VAE initialisation
	seedAEInit   = 0x61656969 // AE initialisation
	seedVAETrain = 0x76616574 // VAE trainer
	seedAETrain  = 0x61657472 // AE trainer
)

// Train trains a Bernoulli VAE and a binary-cross-entropy autoencoder of the
// same size (ReLU hidden layers) on the rows of data (values in [0, 1], binarised dynamically
// for both), the two at the same time. It stops early with ctx's error. The
// autoencoder is nil when opt.SkipAE is set. The same options and data give
// the same weights.
func Train(ctx context.Context, data *dataset.Dataset, opt TrainOptions) (*amortized.VAE, *amortized.AE, error) {
	if opt.Latent < 1 || opt.Epochs < 1 || opt.Batch < 1 || !(opt.LR > 0) {
		return nil, nil, fmt.Errorf("explore: invalid training options %+v", opt)
	}
	vae, err := amortized.NewVAE(amortized.VAEConfig{DataDim: data.D, Latent: opt.Latent, Hidden: opt.Hidden,
		Activation: amortized.ReLU, Likelihood: amortized.Bernoulli}, rand.New(rand.NewPCG(mc.DeriveSeed(opt.Seed, seedVAEInit), 0)))
	if err != nil {
		return nil, nil, err
	}
	cfg := func(label uint64) amortized.TrainConfig {
		return amortized.TrainConfig{BatchSize: opt.Batch, Seed: mc.DeriveSeed(opt.Seed, label),
			Adam: vi.AdamConfig{LR: opt.LR}, Binarization: dataset.Dynamic}
	}
	vtr, err := amortized.NewVAETrainer(vae, cfg(seedVAETrain))
	if err != nil {
		return nil, nil, err
	}
	var ae *amortized.AE
	var atr *amortized.Trainer
	if !opt.SkipAE {
		ae, err = amortized.NewAE(amortized.AEConfig{DataDim: data.D, Code: opt.Latent, Hidden: opt.Hidden,
			Activation: amortized.ReLU, Loss: amortized.BCE}, rand.New(rand.NewPCG(mc.DeriveSeed(opt.Seed, seedAEInit), 0)))
		if err != nil {
			return nil, nil, err
		}
		if atr, err = amortized.NewAETrainer(ae, cfg(seedAETrain)); err != nil {
			return nil, nil, err
		}
	}
	run := func(tr *amortized.Trainer) error {
		for range opt.Epochs {
			if _, err := tr.TrainEpoch(ctx, data, nil); err != nil {
				return err
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	var aeErr error
	if atr != nil {
		wg.Go(func() { aeErr = run(atr) })
	}
	vaeErr := run(vtr)
	wg.Wait()
	if err := errors.Join(vaeErr, aeErr); err != nil {
		return nil, nil, err
	}
	return vae, ae, nil
}
