package ppl

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// slot is one latent site's block of columns in a concatenated latent vector.
type slot struct {
	name     string
	off, dim int
	reparam  bool
}

// value returns a copy of the columns of site name, failing if the site is
// not in the layout or has another dimension.
func (f *flatSource) value(name string, dim int) *mat.Dense {
	for _, s := range f.layout {
		if s.name != name {
			continue
		}
		if s.dim != dim {
			fail(ErrShape, "site %q has dimension %d, the layout has %d", name, dim, s.dim)
		}
		r, _ := f.z.Dims()
		return mat.DenseCopyOf(f.z.Slice(0, r, s.off, s.off+dim))
	}
	fail(ErrStructure, "site %q is not in the latent layout", name)
	return nil
}

// latentLayout returns the layout of the latent sites of trace tr.
func latentLayout(tr *Trace) []slot {
	var out []slot
	off := 0
	for _, s := range tr.Sites {
		if s.Kind != Latent {
			continue
		}
		_, c := s.Value.Dims()
		out = append(out, slot{name: s.Name, off: off, dim: c, reparam: s.Reparam})
		off += c
	}
	return out
}

func layoutDim(l []slot) int {
	if len(l) == 0 {
		return 0
	}
	last := l[len(l)-1]
	return last.off + last.dim
}

// flatten copies the latent sites of tr into the columns of dst by layout.
func flatten(dst *mat.Dense, tr *Trace, layout []slot) {
	r, _ := dst.Dims()
	for _, s := range layout {
		site := tr.Site(s.name)
		if site == nil {
			panic(fmt.Sprintf("ppl: site %q missing from a later run", s.name))
		}
		dst.Slice(0, r, s.off, s.off+s.dim).(*mat.Dense).Copy(site.Value)
	}
}

// modelAdapter is a ppl Model seen as a latent.Model.
type modelAdapter struct {
	model  Model
	store  *ParamStore
	x      []float64
	layout []slot
}

// AsModel returns model as a latent.Model for the data point x, whose latent
// z is the concatenation of the model's latent sites in the order the model
// samples them (continuous and discrete alike: a Categorical site contributes
// one column holding the class). Its Prior samples the model ancestrally and
// scores z by replaying the model; LogLikelihood replays the model on each row
// of z and sums its observed sites. The model is traced once (on one particle,
// seed 0) to find the layout; AsModel returns the error of that run.
//
// The adapter is for the one data point x: Prior scores latents at x (a
// model's prior may depend on it), and LogLikelihood panics for another
// length of x. It is safe for concurrent use while nobody writes to store.
func AsModel(model Model, store *ParamStore, x []float64) (latent.Model, error) {
	tr, err := RunModel(model, store, x, 1, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	layout := latentLayout(tr)
	if len(layout) == 0 {
		return nil, fmt.Errorf("%w: the model has no latent site", ErrStructure)
	}
	return &modelAdapter{model: model, store: store, x: append([]float64(nil), x...), layout: layout}, nil
}

func (a *modelAdapter) LatentDim() int { return layoutDim(a.layout) }
func (a *modelAdapter) DataDim() int   { return len(a.x) }

// replayFlat runs the model on the rows of z and returns its trace, panicking
// on misuse (the layout was checked by AsModel).
func (a *modelAdapter) replayFlat(x []float64, z mat.Matrix) *Trace {
	zd := mat.DenseCopyOf(z)
	r, c := zd.Dims()
	if c != a.LatentDim() {
		panic(fmt.Sprintf("ppl: latent matrix has %d columns, the model's latent dimension is %d", c, a.LatentDim()))
	}
	t := newTracer(r, modeReplay, nil, a.store, nil)
	t.flat = &flatSource{z: zd, layout: a.layout}
	tr, err := t.run(a.model, x)
	if err != nil {
		panic(err.Error())
	}
	return tr
}

func (a *modelAdapter) LogLikelihood(dst []float64, x []float64, z mat.Matrix) []float64 {
	if len(x) != len(a.x) {
		panic(fmt.Sprintf("ppl: LogLikelihood: len(x) = %d, want %d", len(x), len(a.x)))
	}
	tr := a.replayFlat(x, z)
	lp := tr.LogProb(nil, Observed)
	if dst == nil {
		return lp
	}
	copy(dst, lp)
	return dst
}

func (a *modelAdapter) Prior() dist.Distribution { return priorDist{a} }

// priorDist is the model's prior over the concatenated latents.
type priorDist struct{ a *modelAdapter }

func (p priorDist) Dim() int { return p.a.LatentDim() }
func (p priorDist) Len() int { return 1 }

func (p priorDist) LogProb(dst []float64, z mat.Matrix) []float64 {
	lp := p.a.replayFlat(p.a.x, z).LogProb(nil, Latent)
	if dst == nil {
		return lp
	}
	copy(dst, lp)
	return dst
}

func (p priorDist) Sample(dst *mat.Dense, rnd *rand.Rand) {
	r, _ := dst.Dims()
	tr, err := RunModel(p.a.model, p.a.store, p.a.x, r, rnd)
	if err != nil {
		panic(err.Error())
	}
	flatten(dst, tr, p.a.layout)
}

// proposal is a guide seen as a distribution over the concatenated latents.
type proposal struct {
	guide  Guide
	store  *ParamStore
	x      []float64
	layout []slot
}

// AsProposal returns guide, for the data point x, as a distribution over the
// concatenated latent sites of m (which must come from AsModel): Sample runs
// the guide and LogProb re-scores values by replaying it. It checks guide and
// model against each other on one particle and returns the error of that
// check (a site one of them lacks, a shape mismatch).
func AsProposal(guide Guide, m latent.Model, x []float64) (dist.Distribution, error) {
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
	return proposal{guide: guide, store: a.store, x: append([]float64(nil), x...), layout: a.layout}, nil
}

func (q proposal) Dim() int { return layoutDim(q.layout) }
func (q proposal) Len() int { return 1 }

func (q proposal) Sample(dst *mat.Dense, rnd *rand.Rand) {
	r, _ := dst.Dims()
	tr, err := RunGuide(q.guide, q.store, q.x, r, rnd)
	if err != nil {
		panic(err.Error())
	}
	flatten(dst, tr, q.layout)
}

func (q proposal) LogProb(dst []float64, z mat.Matrix) []float64 {
	zd := mat.DenseCopyOf(z)
	r, _ := zd.Dims()
	fake := &Trace{K: r, index: map[string]int{}}
	for _, s := range q.layout {
		fake.index[s.name] = len(fake.Sites)
		fake.Sites = append(fake.Sites, &Site{Name: s.name, Kind: Latent,
			Value: mat.DenseCopyOf(zd.Slice(0, r, s.off, s.off+s.dim))})
	}
	t := newTracer(r, modeReplay, nil, q.store, fake)
	t.guide = true
	tr, err := t.run(q.guide, q.x)
	if err != nil {
		panic(err.Error())
	}
	lq := tr.LogProb(nil)
	if dst == nil {
		return lq
	}
	copy(dst, lq)
	return dst
}

// adapt builds the model and proposal adapters.
func adapt(model Model, guide Guide, store *ParamStore, x []float64) (latent.Model, dist.Distribution, error) {
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
func Importance(model Model, guide Guide, store *ParamStore, x []float64, k int, c mc.Config) (mc.Estimate, error) {
	m, q, err := adapt(model, guide, store, x)
	if err != nil {
		return mc.Estimate{}, err
	}
	return mc.Importance(m, q, x, k, c)
}

// Prior estimates log p(x) by naive Monte Carlo from the model's prior
// (mc.Prior on the adapted model).
func Prior(model Model, store *ParamStore, x []float64, k int, c mc.Config) (mc.Estimate, error) {
	m, err := AsModel(model, store, x)
	if err != nil {
		return mc.Estimate{}, err
	}
	return mc.Prior(m, x, k, c)
}

// ELBO estimates the evidence lower bound of the guide by the mean of k
// log-weights (mc.ELBO on the adapted model and guide).
func ELBO(model Model, guide Guide, store *ParamStore, x []float64, k int, c mc.Config) (mc.Estimate, error) {
	m, q, err := adapt(model, guide, store, x)
	if err != nil {
		return mc.Estimate{}, err
	}
	return mc.ELBO(m, q, x, k, c)
}

// IWAE estimates the importance-weighted bound L_k from reps replicates
// (mc.IWAE on the adapted model and guide).
func IWAE(model Model, guide Guide, store *ParamStore, x []float64, k, reps int, c mc.Config) (mc.Estimate, error) {
	m, q, err := adapt(model, guide, store, x)
	if err != nil {
		return mc.Estimate{}, err
	}
	return mc.IWAE(m, q, x, k, reps, c)
}
