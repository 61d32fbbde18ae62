package ppl

import (
	"fmt"
	"math/rand/v2"
)

// RunGuide runs guide on k particles, drawing its latent sites from rnd, and
// returns its trace. It returns an error for misuse inside the guide. It
// panics if k < 1.
func RunGuide(guide Guide, store *ParamStore, x []float64, k int, rnd *rand.Rand) (*Trace, error) {
	if k < 1 {
		panic(fmt.Sprintf("ppl: RunGuide: k = %d < 1", k))
	}
	return runGuide(guide, store, x, k, rnd, 0)
}

// runGuide is RunGuide with plates visiting subsample members (0: all).
func runGuide(guide Guide, store *ParamStore, x []float64, k int, rnd *rand.Rand, subsample int) (*Trace, error) {
	t := newTracer(k, modeSample, rnd, store, nil)
	t.guide = true
	t.subsample = subsample
	return t.run(guide, x)
}

// RunModel runs model on k particles, drawing its latent sites from their
// distributions (ancestral sampling from the prior), and returns its trace.
// It returns an error for misuse inside the model. It panics if k < 1.
func RunModel(model Model, store *ParamStore, x []float64, k int, rnd *rand.Rand) (*Trace, error) {
	if k < 1 {
		panic(fmt.Sprintf("ppl: RunModel: k = %d < 1", k))
	}
	t := newTracer(k, modeSample, rnd, store, nil)
	return t.run(model, x)
}

// Replay runs model with its latent sites set to the values of the guide
// trace g, and returns the model's trace. Every model latent must be a latent
// site of g (ErrMissingLatent), with the model distribution's shape
// (ErrShape), and every latent site of g must be a latent site of the model
// (ErrUnmatchedGuideSite).
func Replay(model Model, store *ParamStore, x []float64, g *Trace) (*Trace, error) {
	t := newTracer(g.K, modeReplay, nil, store, g)
	tr, err := t.run(model, x)
	if err != nil {
		return nil, err
	}
	if err := checkCovered(g, tr); err != nil {
		return nil, err
	}
	if err := checkPlates(g, tr); err != nil {
		return nil, err
	}
	return tr, nil
}

// checkCovered reports a latent site of the guide trace g that the model
// trace m does not sample as a latent.
func checkCovered(g, m *Trace) error {
	for _, s := range g.Sites {
		if s.Kind != Latent {
			continue
		}
		ms := m.Site(s.Name)
		if ms == nil {
			return fmt.Errorf("%w: guide samples %q", ErrUnmatchedGuideSite, s.Name)
		}
		if ms.Kind != Latent {
			return fmt.Errorf("%w: guide samples %q, which the model observes", ErrUnmatchedGuideSite, s.Name)
		}
	}
	return nil
}

// rescoreGuide re-runs guide on the values of the guide trace g (mode
// modeReplay) or on its noise (modeNoise), at the store's current
// parameters, and checks that it visits the same sites.
func rescoreGuide(guide Guide, store *ParamStore, x []float64, g *Trace, m mode) (*Trace, error) {
	t := newTracer(g.K, m, nil, store, g)
	t.guide = true
	tr, err := t.run(guide, x)
	if err != nil {
		return nil, err
	}
	if len(tr.Sites) != len(g.Sites) {
		return nil, fmt.Errorf("%w: guide visited %d sites, then %d", ErrStructure, len(g.Sites), len(tr.Sites))
	}
	return tr, nil
}

// LogWeights runs guide on k particles and replays model on its values. It
// returns the per-particle log-weights log p(x, z_k) − log q(z_k) and the two
// traces.
func LogWeights(model Model, guide Guide, store *ParamStore, x []float64, k int, rnd *rand.Rand) (logw []float64, g, m *Trace, err error) {
	g, err = RunGuide(guide, store, x, k, rnd)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err = Replay(model, store, x, g)
	if err != nil {
		return nil, nil, nil, err
	}
	return logWeights(g, m), g, m, nil
}

func logWeights(g, m *Trace) []float64 {
	lw := m.LogProb(nil)
	lq := g.LogProb(nil)
	for i := range lw {
		lw[i] -= lq[i]
	}
	return lw
}
