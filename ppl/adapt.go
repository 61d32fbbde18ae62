package ppl

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// flat returns the values of x row by row, as package mc takes a data
// point.
func flat(x mat.Matrix) []float64 {
	r, c := x.Dims()
	out := make([]float64, 0, r*c)
	for i := range r {
		for j := range c {
			out = append(out, x.At(i, j))
		}
	}
	return out
}

// flatTrace returns a trace whose latent sites hold the column blocks of
// the rows of z, by layout: the values a replay takes.
func flatTrace(z mat.Matrix, layout []slot) *Trace {
	zd := ad.Lift(z)
	if zd.C != layoutDim(layout) {
		panic(fmt.Sprintf("ppl: latent matrix has %d columns, the model's latent dimension is %d", zd.C, layoutDim(layout)))
	}
	tr := &Trace{K: zd.R, index: map[string]int{}, Plates: map[string]*Plate{}}
	for _, s := range layout {
		v := ad.SliceCols(zd, s.off, s.off+s.cols)
		if s.plate != "" {
			v = ad.Reshape(v, zd.R*s.n, s.dim)
		}
		tr.index[s.name] = len(tr.Sites)
		tr.Sites = append(tr.Sites, &Site{Name: s.name, Kind: Latent, Value: v})
	}
	return tr
}

// flatten copies the latent sites of tr into the rows of dst by layout.
func flatten(dst *mat.Dense, tr *Trace, layout []slot) {
	r, _ := dst.Dims()
	for _, s := range layout {
		site := tr.Site(s.name)
		if site == nil {
			panic(fmt.Sprintf("ppl: site %q missing from a later run", s.name))
		}
		dst.Slice(0, r, s.off, s.off+s.cols).(*mat.Dense).Copy(ad.Reshape(ad.Detach(site.Value), r, s.cols))
	}
}

// modelAdapter is a ppl Model seen as a latent.Model.
type modelAdapter struct {
	model  Model
	store  *ParamStore
	x      *ad.Var
	layout []slot
}

// AsModel returns model as a latent.Model for the data x, whose latent z is
// the concatenation of the model's latent sites in the order the model
// samples them (continuous and discrete alike: a Categorical site
// contributes one column holding the class; a site in a plate of N members
// contributes its N rows side by side). Its Prior samples the model
// ancestrally and scores z by replaying the model; LogLikelihood replays the
// model on each row of z and sums its observed sites. The model is traced
// once (on one particle, seed 0) to find the layout; AsModel returns the
// error of that run.
//
// The adapter is for the data x (its DataDim is the number of values of x):
// Prior scores latents at x (a model's prior may depend on it), and
// LogLikelihood panics for data of another size. It is safe for concurrent
// use while nobody writes to store.
func AsModel(model Model, store *ParamStore, x mat.Matrix) (latent.Model, error) {
	layout, err := latentSlots("AsModel", model, store, x, false)
	if err != nil {
		return nil, err
	}
	return &modelAdapter{model: model, store: store, x: ad.Lift(mat.DenseCopyOf(x)), layout: layout}, nil
}

func (a *modelAdapter) LatentDim() int { return layoutDim(a.layout) }
func (a *modelAdapter) DataDim() int   { return len(a.x.Data) }

// replayFlat runs the model on the rows of z and returns its trace, panicking
// on misuse (the layout was checked by AsModel).
func (a *modelAdapter) replayFlat(z mat.Matrix) *Trace {
	fake := flatTrace(z, a.layout)
	t := newTracer(fake.K, modeReplay, nil, newSession(a.store, nil), fake)
	tr, err := t.run(a.model, a.x)
	if err != nil {
		mc.Fail(err)
	}
	return tr
}

func (a *modelAdapter) LogLikelihood(dst []float64, x []float64, z mat.Matrix) []float64 {
	if !slices.Equal(x, a.x.Data) {
		panic(fmt.Sprintf("ppl: LogLikelihood: the adapter was made for other data (%d values given, %d held)", len(x), len(a.x.Data)))
	}
	return copyOut(dst, a.replayFlat(z).LogProb(Observed).Data)
}

func copyOut(dst, v []float64) []float64 {
	if dst == nil {
		return append([]float64(nil), v...)
	}
	copy(dst, v)
	return dst
}

func (a *modelAdapter) Prior() dist.Distribution { return priorDist{a} }

// priorDist is the model's prior over the concatenated latents.
type priorDist struct{ a *modelAdapter }

func (p priorDist) Dim() int { return p.a.LatentDim() }
func (p priorDist) Len() int { return 1 }

func (p priorDist) LogProb(dst []float64, z mat.Matrix) []float64 {
	return copyOut(dst, p.a.replayFlat(z).LogProb(Latent).Data)
}

func (p priorDist) Sample(dst *mat.Dense, rnd *rand.Rand) {
	r, _ := dst.Dims()
	tr, err := newTracer(r, modeSample, rnd, newSession(p.a.store, nil), nil).run(p.a.model, p.a.x)
	if err != nil {
		mc.Fail(err)
	}
	flatten(dst, tr, p.a.layout)
}

// proposal is a guide seen as a distribution over the concatenated latents.
type proposal struct {
	guide  Guide
	store  *ParamStore
	x      *ad.Var
	layout []slot
}

var _ dist.SampleLogProber = proposal{}

// AsProposal returns guide, for the data x, as a distribution over the
// concatenated latent sites of m (which must come from AsModel): Sample runs
// the guide and LogProb re-scores values by replaying it. It is a
// dist.SampleLogProber: SampleLogProb keeps the log-density that the guide's
// own run computed at its draws, so the importance-sampling estimators of
// package mc run the guide once per chunk instead of twice (and a flow guide
// is scored without inverting its flow). AsProposal checks guide and model
// against each other on one particle and returns the error of that check (a
// site one of them lacks, a shape mismatch).
func AsProposal(guide Guide, m latent.Model, x mat.Matrix) (dist.Distribution, error) {
	a, ok := m.(*modelAdapter)
	if !ok {
		return nil, fmt.Errorf("ppl: AsProposal: model is a %T, not one returned by AsModel", m)
	}
	g, err := RunGuide(guide, a.store, x, 1, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	if _, err := Replay(a.model, a.store, x, g); err != nil {
		return nil, err
	}
	return proposal{guide: guide, store: a.store, x: a.x, layout: a.layout}, nil
}

func (q proposal) Dim() int { return layoutDim(q.layout) }
func (q proposal) Len() int { return 1 }

func (q proposal) Sample(dst *mat.Dense, rnd *rand.Rand) { q.draw(dst, rnd) }

// SampleLogProb runs the guide once, as Sample does, and returns the
// log-density its run computed at its own draws, which LogProb recomputes
// by replaying it (and, at a flow site, by inverting the flow).
func (q proposal) SampleLogProb(dst *mat.Dense, lp []float64, rnd *rand.Rand) []float64 {
	if r, _ := dst.Dims(); lp != nil && len(lp) != r {
		panic(fmt.Sprintf("ppl: proposal.SampleLogProb: len(lp) = %d, want %d rows", len(lp), r))
	}
	return copyOut(lp, q.draw(dst, rnd).LogProb().Data)
}

// draw runs the guide for one particle per row of dst, stores the draws in
// dst and returns the guide's trace, reporting a failure with mc.Fail.
func (q proposal) draw(dst *mat.Dense, rnd *rand.Rand) *Trace {
	r, _ := dst.Dims()
	tr, err := runGuide(q.guide, newSession(q.store, nil), q.x, r, rnd, 0)
	if err != nil {
		mc.Fail(err)
	}
	flatten(dst, tr, q.layout)
	return tr
}

func (q proposal) LogProb(dst []float64, z mat.Matrix) []float64 {
	fake := flatTrace(z, q.layout)
	t := newTracer(fake.K, modeReplay, nil, newSession(q.store, nil), fake)
	t.guide = true
	tr, err := t.run(q.guide, q.x)
	if err != nil {
		mc.Fail(err)
	}
	return copyOut(dst, tr.LogProb().Data)
}

// adapt builds the model and proposal adapters.
func adapt(model Model, guide Guide, store *ParamStore, x mat.Matrix) (latent.Model, dist.Distribution, error) {
	m, err := AsModel(model, store, x)
	if err != nil {
		return nil, nil, err
	}
	q, err := AsProposal(guide, m, x)
	if err != nil {
		return nil, nil, err
	}
	return m, q, nil
}

// Importance estimates log p(x) by importance sampling with the guide as
// proposal (mc.Importance on the adapted model and guide): k draws, with the
// standard error, ESS and Pareto k̂ of the weights. It returns the error of
// checking model and guide against each other, or of the estimator.
func Importance(model Model, guide Guide, store *ParamStore, x mat.Matrix, k int, c mc.Config) (mc.Estimate, error) {
	m, q, err := adapt(model, guide, store, x)
	if err != nil {
		return mc.Estimate{}, err
	}
	return mc.Importance(m, q, flat(x), k, c)
}

// Prior estimates log p(x) by naive Monte Carlo from the model's prior
// (mc.Prior on the adapted model).
func Prior(model Model, store *ParamStore, x mat.Matrix, k int, c mc.Config) (mc.Estimate, error) {
	m, err := AsModel(model, store, x)
	if err != nil {
		return mc.Estimate{}, err
	}
	return mc.Prior(m, flat(x), k, c)
}

// ELBO estimates the evidence lower bound of the guide by the mean of k
// log-weights (mc.ELBO on the adapted model and guide).
func ELBO(model Model, guide Guide, store *ParamStore, x mat.Matrix, k int, c mc.Config) (mc.Estimate, error) {
	m, q, err := adapt(model, guide, store, x)
	if err != nil {
		return mc.Estimate{}, err
	}
	return mc.ELBO(m, q, flat(x), k, c)
}

// IWAE estimates the importance-weighted bound L_k from reps replicates
// (mc.IWAE on the adapted model and guide).
func IWAE(model Model, guide Guide, store *ParamStore, x mat.Matrix, k, reps int, c mc.Config) (mc.Estimate, error) {
	m, q, err := adapt(model, guide, store, x)
	if err != nil {
		return mc.Estimate{}, err
	}
	return mc.IWAE(m, q, flat(x), k, reps, c)
}
