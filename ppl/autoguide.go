package ppl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
)

// AutoInitScale is the initial standard deviation of the automatic guides;
// their initial means are zero.
const AutoInitScale = 0.1

// AuxSiteName is the name of the auxiliary site that holds the joint draw of
// AutoMultivariateNormal.
const AuxSiteName = "auto._latent"

// continuousLayout traces model once and returns the layout of its latent
// sites, all of which must be reparameterisable.
func continuousLayout(name string, model Model, store *ParamStore, x []float64) ([]slot, error) {
	tr, err := RunModel(model, store, x, 1, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	layout := latentLayout(tr)
	if len(layout) == 0 {
		return nil, fmt.Errorf("%w: %s: the model has no latent site", ErrStructure, name)
	}
	for _, s := range layout {
		if !s.reparam {
			return nil, fmt.Errorf("%w: %s covers continuous sites only; model site %q is a %T", ErrNotReparameterizable, name, s.name, tr.Site(s.name).Dist)
		}
	}
	return layout, nil
}

// AutoNormal returns a mean-field Gaussian guide for every latent site of
// model, like Pyro's AutoNormal: site s is drawn from a diagonal Normal with
// parameters "auto.<s>.loc" and "auto.<s>.log_scale" (1×Dim each, registered
// in store on first use with means 0 and standard deviations AutoInitScale).
// The model is traced once at x to find its sites; AutoNormal returns an
// error wrapping ErrNotReparameterizable if one is discrete, and any error of
// that run.
//
// The guide's parameters do not depend on x: it approximates the posterior
// of one data point, such as a model whose x is a whole data set with global
// latents. For per-point latents fitted over many data points (SVI with a
// plate over the data) write an amortised guide, which computes q(z|x) from x.
func AutoNormal(model Model, store *ParamStore, x []float64) (Guide, error) {
	layout, err := continuousLayout("AutoNormal", model, store, x)
	if err != nil {
		return nil, err
	}
	return func(t *Tracer, x []float64) {
		for _, s := range layout {
			loc := t.Param("auto."+s.name+".loc", mat.NewDense(1, s.dim, nil))
			ls := t.Param("auto."+s.name+".log_scale", fill(1, s.dim, math.Log(AutoInitScale)))
			t.Sample(s.name, dist.Normal{Loc: loc, LogScale: ls})
		}
	}, nil
}

// AutoMultivariateNormal returns a full-rank Gaussian guide over the
// concatenation z of every latent site of model, in the order the model
// samples them, like Pyro's AutoMultivariateNormal: z ~ N(μ, L Lᵀ) with μ the
// 1×d parameter "auto.loc" and L built from the d×d parameter "auto.tril":
// below the diagonal L equals it, on the diagonal L_ii = exp(auto.tril_ii),
// and its upper triangle is unused. The joint draw is recorded as the
// auxiliary site AuxSiteName, and each latent site takes its block of
// columns. Its errors and its scope (one data point) are those of
// AutoNormal.
func AutoMultivariateNormal(model Model, store *ParamStore, x []float64) (Guide, error) {
	layout, err := continuousLayout("AutoMultivariateNormal", model, store, x)
	if err != nil {
		return nil, err
	}
	d := layoutDim(layout)
	initTril := mat.NewDense(d, d, nil)
	for i := range d {
		initTril.Set(i, i, math.Log(AutoInitScale))
	}
	return func(t *Tracer, x []float64) {
		loc := t.Param("auto.loc", mat.NewDense(1, d, nil))
		raw := t.Param("auto.tril", initTril)
		t.joint(AuxSiteName, dist.MultivariateNormal{Loc: loc.RawRowView(0), Chol: CholFromTril(raw)}, layout)
	}, nil
}

// CholFromTril returns the lower-triangular factor L that AutoMultivariateNormal
// builds from its "auto.tril" parameter: the strict lower triangle of raw, with
// exp of raw's diagonal on the diagonal. It panics if raw is not square.
func CholFromTril(raw mat.Matrix) *mat.TriDense {
	r, c := raw.Dims()
	if r != c {
		panic(fmt.Sprintf("ppl: CholFromTril: %d×%d matrix, want square", r, c))
	}
	l := mat.NewTriDense(r, mat.Lower, nil)
	for i := range r {
		for j := range i {
			l.SetTri(i, j, raw.At(i, j))
		}
		l.SetTri(i, i, math.Exp(raw.At(i, i)))
	}
	return l
}

func fill(r, c int, v float64) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, v)
		}
	}
	return m
}

// joint draws (or replays) the auxiliary site aux from d and splits its value
// into the latent sites of layout, which carry no density of their own.
func (t *Tracer) joint(aux string, d dist.Reparameterizer, layout []slot) {
	dim := t.checkDist(aux, d)
	k := t.trace.K
	s := &Site{Name: aux, Kind: Auxiliary, Dist: d, Reparam: true}
	switch t.mode {
	case modeSample:
		s.Value, s.Eps = mat.NewDense(k, dim, nil), mat.NewDense(k, dim, nil)
		d.RSample(s.Value, s.Eps, t.rnd)
	case modeNoise:
		src := t.replay.Site(aux)
		if src == nil || src.Eps == nil {
			fail(ErrStructure, "guide site %q was not drawn in the run it replays", aux)
		}
		s.Eps = src.Eps
		s.Value = mat.NewDense(k, dim, nil)
		d.Transform(s.Value, src.Eps)
	default:
		if src := t.replay.Site(aux); src != nil {
			s.Value, s.Eps = src.Value, src.Eps
			break
		}
		// Replaying values given per latent site: assemble the joint draw.
		s.Value = mat.NewDense(k, dim, nil)
		for _, sl := range layout {
			src := t.replay.Site(sl.name)
			if src == nil {
				fail(ErrStructure, "guide site %q is not in the trace it replays", sl.name)
			}
			if r, c := src.Value.Dims(); r != k || c != sl.dim {
				fail(ErrShape, "site %q is %d×%d, want %d×%d", sl.name, r, c, k, sl.dim)
			}
			s.Value.Slice(0, k, sl.off, sl.off+sl.dim).(*mat.Dense).Copy(src.Value)
		}
	}
	if r, c := s.Value.Dims(); r != k || c != dim {
		fail(ErrShape, "site %q is %d×%d, want %d×%d", aux, r, c, k, dim)
	}
	s.LogProb = d.LogProb(nil, s.Value)
	t.add(s)
	for _, sl := range layout {
		t.add(&Site{
			Name:    sl.name,
			Kind:    Latent,
			Value:   mat.DenseCopyOf(s.Value.Slice(0, k, sl.off, sl.off+sl.dim)),
			LogProb: make([]float64, k),
			Reparam: true,
		})
	}
}
