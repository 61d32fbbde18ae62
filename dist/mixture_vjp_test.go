package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/vitool/vitool/ad"
)

// opaque hides the concrete family of a Differentiable, so that
// MixtureSameFamily cannot tile it and scores one row at a time.
type opaque struct{ Differentiable }

func (o opaque) Detach() Differentiable { return opaque{o.Differentiable.Detach()} }

// mixtureVJPCases checks the adjoints of Multinomial's and
// MixtureSameFamily's log-densities against finite differences: the
// mixing logits, the components' parameters (shared, per row, broadcast)
// and the value, through the tiled path and the row-at-a-time path.
func mixtureVJPCases() []vjpCase {
	re := func(r, c int) param { return param{r: r, c: c, lo: -1.5, hi: 1.5} }
	pos := func(r, c int) param { return param{r: r, c: c, lo: 0.5, hi: 2.5} }
	counts := param{r: 3, c: 3, fixed: []float64{0, 3, 4, 7, 0, 0, 2, 2, 3}}
	poisson := param{r: 4, c: 2, fixed: []float64{0, 3, 7, 1, 2, 9, 4, 4}}
	return []vjpCase{
		{"Multinomial n×K", []param{{r: 1, c: 1, fixed: []float64{7}}, re(3, 3), counts}, map[int]bool{0: true, 2: true}, func(v []*ad.Var) *ad.Var {
			return Multinomial{v[0], v[1]}.LogProbVar(v[2])
		}},
		{"Multinomial 1×K, per-row N", []param{{r: 3, c: 1, fixed: []float64{7, 7, 7}}, re(1, 3), counts}, map[int]bool{0: true, 2: true}, func(v []*ad.Var) *ad.Var {
			return Multinomial{v[0], v[1]}.LogProbVar(v[2])
		}},
		{"Mixture Normal shared", []param{re(1, 3), re(3, 2), re(1, 2), re(4, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return MixtureSameFamily{Categorical{v[0]}, Normal{v[1], v[2]}}.LogProbVar(v[3])
		}},
		{"Mixture Normal per-row weights", []param{re(4, 3), re(3, 2), re(3, 1), re(4, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return MixtureSameFamily{Categorical{v[0]}, Normal{v[1], v[2]}}.LogProbVar(v[3])
		}},
		{"Mixture Normal per-row components", []param{re(1, 3), re(12, 2), re(1, 1), re(4, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return MixtureSameFamily{Categorical{v[0]}, Normal{v[1], v[2]}}.LogProbVar(v[3])
		}},
		{"Mixture Normal one row", []param{re(1, 3), re(3, 2), re(1, 2), re(1, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return MixtureSameFamily{Categorical{v[0]}, Normal{v[1], v[2]}}.LogProbVar(v[3])
		}},
		{"Mixture Normal row at a time", []param{re(4, 3), re(3, 2), re(1, 2), re(4, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return MixtureSameFamily{Categorical{v[0]}, opaque{Normal{v[1], v[2]}}}.LogProbVar(v[3])
		}},
		{"Mixture MultivariateNormal", []param{re(4, 2), re(2, 3), lowerChol(3), re(4, 3)}, nil, func(v []*ad.Var) *ad.Var {
			return MixtureSameFamily{Categorical{v[0]}, MultivariateNormal{v[1], v[2]}}.LogProbVar(v[3])
		}},
		{"Mixture Gamma", []param{re(1, 2), pos(2, 1), pos(1, 2), pos(4, 2)}, nil, func(v []*ad.Var) *ad.Var {
			return MixtureSameFamily{Categorical{v[0]}, Gamma{v[1], v[2]}}.LogProbVar(v[3])
		}},
		{"Mixture Poisson", []param{re(4, 3), pos(3, 2), poisson}, map[int]bool{2: true}, func(v []*ad.Var) *ad.Var {
			return MixtureSameFamily{Categorical{v[0]}, Poisson{v[1]}}.LogProbVar(v[2])
		}},
	}
}

// TestMixtureVJP checks mixtureVJPCases as TestLogProbVarVJP checks the
// other families: central finite differences (gonum diff/fd, step 10⁻⁶)
// of Σ seed·f against the adjoints, to 2·10⁻⁶ relative.
func TestMixtureVJP(t *testing.T) {
	rnd := newRand(31)
	for _, tc := range mixtureVJPCases() {
		vals := make([][]float64, len(tc.in))
		for i, p := range tc.in {
			vals[i] = p.fixed
			if vals[i] == nil {
				vals[i] = make([]float64, p.r*p.c)
				for j := range vals[i] {
					vals[i][j] = p.lo + (p.hi-p.lo)*rnd.Float64()
				}
			}
		}
		eval := func(tp *ad.Tape) ([]*ad.Var, *ad.Var) {
			vs := make([]*ad.Var, len(tc.in))
			for i, p := range tc.in {
				if tp == nil || tc.noGrad[i] {
					vs[i] = ad.Const(p.r, p.c, append([]float64(nil), vals[i]...))
				} else {
					vs[i] = tp.Var(p.r, p.c, vals[i])
				}
			}
			return vs, tc.f(vs)
		}
		_, y0 := eval(nil)
		seed := make([]float64, len(y0.Data))
		for i := range seed {
			seed[i] = rnd.NormFloat64()
		}
		tp := ad.NewTape()
		vs, y := eval(tp)
		for i := range y.Data {
			if math.Abs(y.Data[i]-y0.Data[i]) > fpTol(8, math.Abs(y0.Data[i])) {
				t.Errorf("%s: value %v on a tape, %v off it", tc.name, y.Data[i], y0.Data[i])
			}
		}
		tp.BackwardFrom(y, seed)
		for i := range tc.in {
			if tc.noGrad[i] {
				continue
			}
			orig := vals[i]
			want := fd.Gradient(nil, func(p []float64) float64 {
				vals[i] = p
				_, y := eval(nil)
				vals[i] = orig
				var s float64
				for k, v := range y.Data {
					s += seed[k] * v
				}
				return s
			}, orig, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			got := vs[i].Grad()
			if got == nil {
				got = make([]float64, len(want))
			}
			var nonzero bool
			for k := range want {
				nonzero = nonzero || want[k] != 0
				if math.Abs(got[k]-want[k]) > 2e-6*math.Max(1, math.Abs(want[k])) {
					t.Errorf("%s: input %d, element %d: adjoint %.9g, finite differences %.9g", tc.name, i, k, got[k], want[k])
				}
			}
			if !nonzero {
				t.Errorf("%s: input %d has a zero gradient: the check cannot fail", tc.name, i)
			}
		}
	}
}
