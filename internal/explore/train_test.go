package explore

import (
	"context"
	"errors"
	"slices"
	"testing"
)

var tinyTrain = TrainOptions{Latent: 2, Hidden: []int{8}, Epochs: 1, LR: 1e-2, Batch: 50, Seed: 3}

// TestTrainDeterministic checks that the same options give the same
// weights although the two models train at the same time, that another
// seed gives others, and that SkipAE trains the VAE alone, identically.
func TestTrainDeterministic(t *testing.T) {
	d := testData(t, 100)
	v1, a1, err := Train(context.Background(), d, tinyTrain)
	if err != nil {
		t.Fatal(err)
	}
	v2, a2, err := Train(context.Background(), d, tinyTrain)
	if err != nil {
		t.Fatal(err)
	}
	skip := tinyTrain
	skip.SkipAE = true
	v3, a3, err := Train(context.Background(), d, skip)
	if err != nil {
		t.Fatal(err)
	}
	other := tinyTrain
	other.Seed++
	v4, _, err := Train(context.Background(), d, other)
	if err != nil {
		t.Fatal(err)
	}
	if a3 != nil {
		t.Error("SkipAE returned an autoencoder")
	}
	for name, pair := range map[string][2][]float32{
		"VAE, same seed":     {v1.Params()["encoder.0.weight"].Data, v2.Params()["encoder.0.weight"].Data},
		"AE, same seed":      {a1.Params()["decoder.0.weight"].Data, a2.Params()["decoder.0.weight"].Data},
		"VAE, trained alone": {v1.Params()["decoder.2.weight"].Data, v3.Params()["decoder.2.weight"].Data},
	} {
		if !slices.Equal(pair[0], pair[1]) {
			t.Errorf("%s: the weights differ", name)
		}
	}
	if slices.Equal(v1.Params()["encoder.0.weight"].Data, v4.Params()["encoder.0.weight"].Data) {
		t.Error("another seed gave the same VAE weights")
	}
}

// TestTrainCancelled checks that a cancelled context stops training with
// its error.
func TestTrainCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Train(ctx, testData(t, 100), tinyTrain); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want one wrapping context.Canceled", err)
	}
	bad := tinyTrain
	bad.Batch = 0
	if _, _, err := Train(context.Background(), testData(t, 100), bad); err == nil {
		t.Error("batch 0 accepted")
	}
}
