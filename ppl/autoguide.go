package ppl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
)

// AutoInitScale is the initial standard deviation of the automatic guides;
// their initial means are zero.
const AutoInitScale = 0.1

// AuxSiteName is the name of the auxiliary site that holds the joint draw of
// AutoMultivariateNormal.
const AuxSiteName = "auto._latent"

// slot is one latent site of a model as an automatic guide sees it: its
// dimension and its plate's name and size ("" and 1 outside plates).
type slot struct {
	name      string
	dim       int
	plate     string
	n         int
	off, cols int // its block of columns in the concatenated latent row
}

// latentSlots traces model once (one particle, every plate member) and
// returns its latent sites in order; with continuous, every one must be
// reparameterisable.
func latentSlots(who string, model Model, store *ParamStore, x mat.Matrix, continuous bool) ([]slot, error) {
	tr, err := RunModel(model, store, x, 1, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	var out []slot
	off := 0
	for _, s := range tr.Sites {
		if s.Kind != Latent {
			continue
		}
		if continuous && !isReparam(s.Dist) {
			return nil, fmt.Errorf("%w: %s covers continuous sites only; model site %q is a %T", ErrNotReparameterizable, who, s.Name, s.Dist)
		}
		sl := slot{name: s.Name, dim: s.Value.C, n: 1, off: off}
		if s.Plate != nil {
			sl.plate, sl.n = s.Plate.Name, s.Plate.N
		}
		sl.cols = sl.dim * sl.n
		off += sl.cols
		out = append(out, sl)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s: the model has no latent site", ErrStructure, who)
	}
	return out, nil
}

func layoutDim(l []slot) int {
	last := l[len(l)-1]
	return last.off + last.cols
}

// byPlate runs f for the slots outside plates, then opens each plate once
// and runs f for its slots inside it.
func byPlate(t *Tracer, layout []slot, f func(s slot, p *Plate)) {
	var plates []slot
	seen := map[string]bool{}
	for _, s := range layout {
		if s.plate == "" {
			f(s, nil)
		} else if !seen[s.plate] {
			seen[s.plate] = true
			plates = append(plates, s)
		}
	}
	for _, ps := range plates {
		t.Plate(ps.plate, ps.n, func(p *Plate) {
			for _, s := range layout {
				if s.plate == ps.plate {
					f(s, p)
				}
			}
		})
	}
}

// AutoNormal returns a mean-field Gaussian guide for every latent site of
// model, like Pyro's AutoNormal: site s is drawn from a diagonal Normal with
// parameters "auto.<s>.loc" and "auto.<s>.log_scale" (1×Dim each, or N×Dim
// for a site in a plate of N members, one row per member; means 0 and
// standard deviations AutoInitScale at first). The model is traced once at
// x to find its sites; AutoNormal returns an error wrapping
// ErrNotReparameterizable if one is discrete, and any error of that run.
// The guide opens the model's plates, so it follows their subsampling.
func AutoNormal(model Model, store *ParamStore, x mat.Matrix) (Guide, error) {
	layout, err := latentSlots("AutoNormal", model, store, x, true)
	if err != nil {
		return nil, err
	}
	return func(t *Tracer, x *ad.Var) {
		byPlate(t, layout, func(s slot, p *Plate) {
			loc := t.Param("auto."+s.name+".loc", Zeros(s.n, s.dim))
			ls := t.Param("auto."+s.name+".log_scale", Fill(s.n, s.dim, math.Log(AutoInitScale)))
			if p != nil {
				loc, ls = p.Gather(loc), p.Gather(ls)
			}
			t.Sample(s.name, dist.Normal{Loc: loc, LogScale: ls})
		})
	}, nil
}

// AutoMultivariateNormal returns a full-rank Gaussian guide over the
// concatenation z of every latent site of model, in the order the model
// samples them (a site in a plate of N members contributes its N rows side
// by side), like Pyro's AutoMultivariateNormal: z ~ N(μ, L Lᵀ) with μ the
// 1×d parameter "auto.loc" and L the d×d parameter "auto.scale_tril",
// constrained to LowerCholesky. The joint draw is recorded as the auxiliary
// site AuxSiteName, and each latent site takes its block of columns. Its
// errors are those of AutoNormal; it does not support subsampled plates.
func AutoMultivariateNormal(model Model, store *ParamStore, x mat.Matrix) (Guide, error) {
	layout, err := latentSlots("AutoMultivariateNormal", model, store, x, true)
	if err != nil {
		return nil, err
	}
	d := layoutDim(layout)
	return func(t *Tracer, x *ad.Var) {
		loc := t.Param("auto.loc", Zeros(1, d))
		l := t.Param("auto.scale_tril", func(*rand.Rand) *mat.Dense {
			m := mat.NewDense(d, d, nil)
			for i := range d {
				m.Set(i, i, AutoInitScale)
			}
			return m
		}, LowerCholesky)
		t.joint(AuxSiteName, dist.MultivariateNormal{Loc: loc, Chol: l}, layout)
	}, nil
}

// joint draws (or replays) the auxiliary site aux from d and splits its value
// into the latent sites of layout, which carry no density of their own.
func (t *Tracer) joint(aux string, d dist.Reparameterizer, layout []slot) {
	k := t.trace.K
	dim := t.checkDist(aux, d, k)
	s := &Site{Name: aux, Kind: Auxiliary, Dist: d, Reparam: true}
	guard(aux, func() {
		switch {
		case t.mode == modeSample:
			s.Value = d.RSampleVar(k, t.rnd)
		case t.replay.Site(aux) != nil:
			s.Value = t.replay.Site(aux).Value
		default:
			s.Value = t.assemble(layout, dim)
		}
		s.LogProb = d.LogProbVar(s.Value)
	})
	t.add(s)
	byPlate(t, layout, func(sl slot, p *Plate) {
		if p != nil && p.B() != p.N {
			fail(ErrStructure, "an automatic joint guide cannot subsample plate %q", p.Name)
		}
		v := ad.SliceCols(s.Value, sl.off, sl.off+sl.cols)
		if p != nil {
			v = ad.Reshape(v, k*p.N, sl.dim)
		}
		t.add(&Site{Name: sl.name, Kind: Latent, Value: v, LogProb: ad.Const(1, 1, nil), Reparam: true, Plate: p})
	})
}

// assemble builds the joint value from the latent sites of the replay
// trace (a guide re-scored on values given per site).
func (t *Tracer) assemble(layout []slot, dim int) *ad.Var {
	k := t.trace.K
	parts := make([]*ad.Var, len(layout))
	for i, sl := range layout {
		src := t.replay.Site(sl.name)
		if src == nil {
			fail(ErrStructure, "guide site %q is not in the trace it replays", sl.name)
		}
		if len(src.Value.Data) != k*sl.cols {
			fail(ErrShape, "site %q has %d values, want %d×%d", sl.name, len(src.Value.Data), k, sl.cols)
		}
		parts[i] = ad.Reshape(src.Value, k, sl.cols)
	}
	v := ad.ConcatCols(parts...)
	if v.C != dim {
		fail(ErrShape, "the latent sites have %d columns, the joint distribution %d", v.C, dim)
	}
	return v
}
