package ppl

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// data lifts x to a constant Var, failing on nil or empty data.
func data(x mat.Matrix) (*ad.Var, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: no data (nil x)", ErrShape)
	}
	if r, c := x.Dims(); r == 0 || c == 0 {
		return nil, fmt.Errorf("%w: empty data (%d×%d)", ErrShape, r, c)
	}
	return ad.Lift(x), nil
}

// RunGuide runs guide on k particles, drawing its latent sites from rnd, and
// returns its trace. It returns an error for misuse inside the guide. It
// panics if k < 1.
func RunGuide(guide Guide, store *ParamStore, x mat.Matrix, k int, rnd *rand.Rand) (*Trace, error) {
	if k < 1 {
		panic(fmt.Sprintf("ppl: RunGuide: k = %d < 1", k))
	}
	xv, err := data(x)
	if err != nil {
		return nil, err
	}
	return runGuide(guide, newSession(store, nil), xv, k, rnd, 0)
}

// runGuide is RunGuide in a session, with plates visiting subsample
// members (0: all).
func runGuide(guide Guide, sess *session, x *ad.Var, k int, rnd *rand.Rand, subsample int) (*Trace, error) {
	t := newTracer(k, modeSample, rnd, sess, nil)
	t.guide = true
	t.subsample = subsample
	return t.run(guide, x)
}

// RunModel runs model on k particles, drawing its latent sites from their
// distributions (ancestral sampling from the prior), and returns its trace.
// It returns an error for misuse inside the model. It panics if k < 1.
func RunModel(model Model, store *ParamStore, x mat.Matrix, k int, rnd *rand.Rand) (*Trace, error) {
	if k < 1 {
		panic(fmt.Sprintf("ppl: RunModel: k = %d < 1", k))
	}
	xv, err := data(x)
	if err != nil {
		return nil, err
	}
	return newTracer(k, modeSample, rnd, newSession(store, nil), nil).run(model, xv)
}

// Replay runs model with its latent sites set to the values of the guide
// trace g, and returns the model's trace. Every model latent must be a latent
// site of g (ErrMissingLatent), with the model distribution's shape
// (ErrShape), every latent site of g must be a latent site of the model
// (ErrUnmatchedGuideSite), and the support of g's distribution at a site
// must lie within the model's (ErrSupport).
func Replay(model Model, store *ParamStore, x mat.Matrix, g *Trace) (*Trace, error) {
	xv, err := data(x)
	if err != nil {
		return nil, err
	}
	return replay(model, newSession(store, nil), xv, g)
}

func replay(model Model, sess *session, x *ad.Var, g *Trace) (*Trace, error) {
	t := newTracer(g.K, modeReplay, nil, sess, g)
	tr, err := t.run(model, x)
	if err != nil {
		return nil, err
	}
	if err := checkCovered(g, tr); err != nil {
		return nil, err
	}
	if err := checkSupports(g, tr); err != nil {
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

// LogWeights runs guide on k particles and replays model on its values. It
// returns the per-particle log-weights log p(x, z_k) − log q(z_k) and the two
// traces.
func LogWeights(model Model, guide Guide, store *ParamStore, x mat.Matrix, k int, rnd *rand.Rand) (logw []float64, g, m *Trace, err error) {
	g, err = RunGuide(guide, store, x, k, rnd)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err = Replay(model, store, x, g)
	if err != nil {
		return nil, nil, nil, err
	}
	return ad.Sub(m.LogProb(), g.LogProb()).Data, g, m, nil
}
