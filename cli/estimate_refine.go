package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// refineID labels the refinement's random streams (mc.DeriveSeed), apart
// from the methods' (methodIDs).
const refineID = 100

// refiner is a model whose encoder's proposal can be refined per point
// (amortized.VAE).
type refiner interface {
	Refine(x []float64, cfg amortized.RefineConfig) (dist.Distribution, error)
}

// refineProposals refines the encoder's proposal for every data point with
// --refine steps (see amortized.VAE.Refine), spread over the workers like
// the estimates, with a progress bar over the steps. It returns
// errInterrupted if ctx is cancelled.
func refineProposals(ctx context.Context, m latent.Model, qname string, xs [][]float64, f *estimateFlags, workers int, show bool, stderr io.Writer, log zerolog.Logger) ([]dist.Distribution, error) {
	r, ok := m.(refiner)
	if qname == "" {
		return nil, usagef("--refine: no method in --method uses a proposal (prior does not)")
	}
	if !ok || qname != "encoder" {
		return nil, usagef("--refine: needs a VAE checkpoint and its encoder's proposal (this model's proposal is %q)", qname)
	}
	log.Info().Int("steps", f.refine).Str("objective", amortized.DefaultRefineObjective.String()).
		Int("points", len(xs)).Msg("refining the encoder's proposal for each point")
	bar := newProgressOf(show, int64(f.refine)*int64(len(xs)), "refining", "steps", stderr)
	defer bar.Finish()
	qs, err := forPoints(xs, workers, func(i int, x []float64, _ int) (dist.Distribution, error) {
		q, err := r.Refine(x, amortized.RefineConfig{
			Steps: f.refine,
			Seed:  mc.DeriveSeed(f.seed, refineID, uint64(i)),
			Callback: func(int, float64) error {
				bar.add(1)
				return ctx.Err()
			},
		})
		if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("--refine: data point %d: %w", i, err)
		}
		return q, nil
	})
	if ctx.Err() != nil {
		return nil, errInterrupted
	}
	return qs, err
}
