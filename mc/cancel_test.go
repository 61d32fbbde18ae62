package mc

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
)

// TestContextStopsEstimate cancels the context after the first chunk and
// checks that every estimator returns the context's error having drawn a
// bounded number of samples, for one and several workers.
func TestContextStopsEstimate(t *testing.T) {
	m := toyModel{d: 2, sigma: 1}
	x := []float64{0.5, -0.5}
	q := m.posterior(x, 1.5)
	const k, reps, chunk = 1 << 20, 4, 256
	run := map[string]func(latent.Model, dist.Distribution, Config) (Estimate, error){
		"prior": func(m latent.Model, _ dist.Distribution, c Config) (Estimate, error) { return Prior(m, x, k, c) },
		"is": func(m latent.Model, q dist.Distribution, c Config) (Estimate, error) {
			return Importance(m, q, x, k, c)
		},
		"elbo": func(m latent.Model, q dist.Distribution, c Config) (Estimate, error) { return ELBO(m, q, x, k, c) },
		"iwae": func(m latent.Model, q dist.Distribution, c Config) (Estimate, error) {
			return IWAE(m, q, x, k, reps, c)
		},
		"iwae-small-k": func(m latent.Model, q dist.Distribution, c Config) (Estimate, error) {
			return IWAE(m, q, x, 16, 1<<16, c)
		},
	}
	for name, f := range run {
		for _, workers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				drawn := 0
				c := Config{Seed: 1, ChunkSize: chunk, Workers: workers, Context: ctx, Progress: func(n int) {
					drawn += n
					cancel()
				}}
				_, err := f(m, q, c)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
				// At most the chunks in flight (2·workers) finish after
				// the cancellation.
				if limit := (2*workers + 1) * chunk; drawn > limit {
					t.Errorf("drew %d samples after cancelling, want at most %d", drawn, limit)
				}
			})
		}
	}
	// A context that is never cancelled changes nothing.
	c := Config{Seed: 3, ChunkSize: chunk, Workers: 3}
	want, err := Importance(m, q, x, 5000, c)
	if err != nil {
		t.Fatal(err)
	}
	c.Context = context.Background()
	got, err := Importance(m, q, x, 5000, c)
	if err != nil || got.LogPX != want.LogPX {
		t.Errorf("with a live context: %v, %v; want %v", got.LogPX, err, want.LogPX)
	}
}
