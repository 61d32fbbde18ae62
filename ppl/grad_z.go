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

// gradModel is a model adapter that also differentiates its log-joint with
// respect to the latents (mc.GradModel).
type gradModel struct {
	*modelAdapter
}

var _ mc.GradModel = gradModel{}

// AsGradModel returns model, for the data x, as an mc.GradModel: the
// latent.Model of AsModel (the same flat layout of the latent sites) that
// also computes ∇_z log p(x, z), by replaying the model on the rows of z
// recorded as leaves of a tape of package ad and running one backward pass
// over the sum of the rows' log-joints. The parameters are constants of
// that tape, so the cost is about twice that of scoring the rows. Its
// Prior is a dist.Differentiable (the gradient of the prior alone, for
// annealing from the prior).
//
// Every latent site must be continuous and unconstrained on its support
// (reparameterisable): AsGradModel returns an error wrapping
// ErrNotReparameterizable for a discrete site, and the error of tracing the
// model once. The gradient of a site with bounded support (a Gamma, say)
// is defined inside the support only; mc.AIS rejects moves that leave it,
// as their log-density is −Inf.
func AsGradModel(model Model, store *ParamStore, x mat.Matrix) (mc.GradModel, error) {
	layout, err := latentSlots("AsGradModel", model, store, x, true)
	if err != nil {
		return nil, err
	}
	return gradModel{&modelAdapter{model: model, store: store, x: ad.Lift(mat.DenseCopyOf(x)), layout: layout}}, nil
}

// replayVar runs the model on the rows of z, a Var that may be on a tape,
// and returns its trace, panicking on misuse (the layout was checked).
func (a *modelAdapter) replayVar(z *ad.Var) *Trace {
	fake := flatTrace(z, a.layout)
	t := newTracer(fake.K, modeReplay, nil, newSession(a.store, nil), fake)
	tr, err := t.run(a.model, a.x)
	if err != nil {
		panic(err.Error())
	}
	return tr
}

// LogJointGrad stores log p(x, z_i) in dst[i] and ∇_z log p(x, z_i) in row i
// of grad, and returns dst (allocated if nil). It panics if x is not the
// adapter's data, z has the wrong number of columns, or dst or grad does not
// match the rows of z.
func (g gradModel) LogJointGrad(dst []float64, grad *mat.Dense, x []float64, z mat.Matrix) []float64 {
	if !slices.Equal(x, g.x.Data) {
		panic(fmt.Sprintf("ppl: LogJointGrad: the adapter was made for other data (%d values given, %d held)", len(x), len(g.x.Data)))
	}
	lp, zv := g.tapeRun(z, func(tr *Trace) *ad.Var { return tr.LogProb() })
	return gradOut(dst, grad, lp, zv)
}

// tapeRun replays the model on z as a tape leaf and differentiates the sum
// of the rows of f(trace).
func (g gradModel) tapeRun(z mat.Matrix, f func(*Trace) *ad.Var) (*ad.Var, *ad.Var) {
	n, d := z.Dims()
	if d != g.LatentDim() {
		panic(fmt.Sprintf("ppl: LogJointGrad: z has %d columns, the model's latent dimension is %d", d, g.LatentDim()))
	}
	tp := ad.NewTape()
	zv := tp.Var(n, d, flat(z))
	lp := f(g.replayVar(zv))
	tp.Backward(ad.Sum(lp))
	return lp, zv
}

// gradOut copies the values of lp to dst and the gradient of zv to grad.
func gradOut(dst []float64, grad *mat.Dense, lp, zv *ad.Var) []float64 {
	n, d := zv.R, zv.C
	if r, c := grad.Dims(); r != n || c != d || (dst != nil && len(dst) != n) {
		panic(fmt.Sprintf("ppl: LogJointGrad: grad is %d×%d, want %d×%d", r, c, n, d))
	}
	gz := zv.Grad()
	for i := range n {
		row := grad.RawRowView(i)
		if gz == nil {
			clear(row)
			continue
		}
		copy(row, gz[i*d:(i+1)*d])
	}
	return copyOut(dst, lp.Data)
}

// Prior returns the model's prior over the flat latents as a
// dist.Differentiable.
func (g gradModel) Prior() dist.Distribution { return gradPrior{priorDist{g.modelAdapter}} }

// gradPrior is the prior of a gradModel: its log-density is recorded on a
// tape by replaying the model on a Var.
type gradPrior struct{ priorDist }

var _ dist.Differentiable = gradPrior{}

// LogProbVar returns the prior log-densities of the rows of x, differentiable
// with respect to x.
func (p gradPrior) LogProbVar(x *ad.Var) *ad.Var {
	return p.a.replayVar(x).LogProb(Latent)
}

// Detach returns p (the parameters are constants already).
func (p gradPrior) Detach() dist.Differentiable { return p }

// Sample draws from the prior by running the model ancestrally.
func (p gradPrior) Sample(dst *mat.Dense, rnd *rand.Rand) { p.priorDist.Sample(dst, rnd) }

// AsGradProposal returns guide, for the data x, as a dist.Differentiable
// over the flat latents of m, which must come from AsGradModel: the
// proposal of AsProposal whose log-density can also be differentiated with
// respect to the value (annealing from q(z|x) needs ∇_z log q). It returns
// the errors of AsProposal.
func AsGradProposal(guide Guide, m latent.Model, x mat.Matrix) (dist.Differentiable, error) {
	g, ok := m.(gradModel)
	if !ok {
		return nil, fmt.Errorf("ppl: AsGradProposal: model is a %T, not one returned by AsGradModel", m)
	}
	q, err := AsProposal(guide, g.modelAdapter, x)
	if err != nil {
		return nil, err
	}
	return gradProposal{q.(proposal)}, nil
}

// gradProposal is a proposal whose log-density is recorded on a tape.
type gradProposal struct{ proposal }

// LogProbVar returns the guide's log-densities of the rows of x,
// differentiable with respect to x (and not to the guide's parameters).
func (q gradProposal) LogProbVar(x *ad.Var) *ad.Var {
	fake := flatTrace(x, q.layout)
	t := newTracer(fake.K, modeReplay, nil, newSession(q.store, nil), fake)
	t.guide = true
	tr, err := t.run(q.guide, q.x)
	if err != nil {
		panic(err.Error())
	}
	return tr.LogProb()
}

// Detach returns q (the parameters are constants already).
func (q gradProposal) Detach() dist.Differentiable { return q }

// GradModelOf returns the mc.GradModel form of a model returned by AsModel
// (or AsGradModel), for the same data. It returns an error for another
// latent.Model, and the errors of AsGradModel (a discrete latent site).
func GradModelOf(m latent.Model) (mc.GradModel, error) {
	switch a := m.(type) {
	case gradModel:
		return a, nil
	case *modelAdapter:
		if _, err := latentSlots("GradModelOf", a.model, a.store, a.x, true); err != nil {
			return nil, err
		}
		return gradModel{a}, nil
	}
	return nil, fmt.Errorf("ppl: GradModelOf: model is a %T, not one returned by AsModel", m)
}

// GradProposalOf returns the dist.Differentiable form of a proposal
// returned by AsProposal (or AsGradProposal). It returns an error for
// another distribution.
func GradProposalOf(q dist.Distribution) (dist.Differentiable, error) {
	switch p := q.(type) {
	case gradProposal:
		return p, nil
	case proposal:
		return gradProposal{p}, nil
	}
	return nil, fmt.Errorf("ppl: GradProposalOf: the distribution is a %T, not one returned by AsProposal", q)
}
