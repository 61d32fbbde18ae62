package ppl

import (
	"math"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/internal/logspace"
)

// surrogateOf returns the estimate of the objective and the surrogate(s)
// whose gradients are the estimator: one scalar, or two for DReG and RWS (the
// first for the guide's parameters, the second for the model's).
//
// With F the per-particle log-weights and q the guide's discrete sites:
//
//   - ELBO, Standard: mean(F) + Σ_k stop((F_k − b_k)/K)·log q(z_k), where
//     the score of a discrete site in plate member i is weighted by the
//     terms of member i alone (Rao-Blackwellisation);
//   - IWAE, Standard: log mean exp(F) + Σ_k stop(L − b_k)·log q(z_k), with
//     VIMCO's baselines b_k;
//   - STL: mean(F′), F′ with the guide's density at stopped parameters;
//   - DReG: Σ_k stop(w̃_k²)·F′_k for the guide, Σ_k stop(w̃_k)·F_k for the
//     model, with w̃ the normalised importance weights;
//   - RWS: Σ_k stop(w̃_k − w̃_k²)·F′_k for the guide (the wake-phase
//     gradient Σ_k w̃_k ∇ log q(z_k) in doubly reparameterised form: its
//     expectation is the same, since ∂w̃_k/∂z_k = (w̃_k − w̃_k²) ∂F_k/∂z_k),
//     and DReG's Σ_k stop(w̃_k)·F_k for the model;
//   - Enumerate: (1/K) Σ_p q(c_p)·F_p over every particle and combination.
func surrogateOf(tm *terms, g, m *Trace, obj Objective, x *ad.Var) (float64, []*ad.Var) {
	switch {
	case obj.Enumerate:
		return enumerated(tm, obj.K)
	case obj.Estimator == STL:
		f := tm.total()
		fs := collect(g, m, false, true, false).total()
		return mean(f.Data), []*ad.Var{ad.Mean(fs)}
	case obj.Estimator == DReG || obj.Estimator == RWS:
		return dreg(tm, collect(g, m, false, true, false), obj.Estimator == RWS)
	case obj.Bound == BoundELBO:
		return elbo(tm, obj, x)
	}
	return iwae(tm, obj, x)
}

// elbo is the Standard ELBO surrogate.
func elbo(tm *terms, obj Objective, x *ad.Var) (float64, []*ad.Var) {
	f := tm.total()
	k := float64(tm.k)
	value := mean(f.Data)
	s := ad.Mean(f)
	if tm.lqG != nil {
		w := ad.Const(tm.k, 1, nil)
		for i, fi := range f.Data {
			w.Data[i] = (fi - baseline(obj, x, f.Data, i, value)) / k
		}
		s = ad.Add(s, ad.Sum(ad.Mul(w, tm.lqG)))
	}
	for _, pt := range tm.plates {
		if pt.lq == nil {
			continue
		}
		// Each member's score is weighted by its own terms, with the
		// leave-one-out baseline of the other particles of that member.
		b := pt.p.B()
		w := ad.Const(tm.k, b, nil)
		for j := range b {
			col := column(pt.loc.Data, tm.k, b, j)
			m := mean(col)
			for i, v := range col {
				base := 0.0
				if !obj.NoBaseline && tm.k > 1 {
					base = (m*k - v) / (k - 1)
				}
				w.Data[i*b+j] = pt.p.Scale * (v - base) / k
			}
		}
		s = ad.Add(s, ad.Sum(ad.Mul(w, pt.lq)))
	}
	return value, []*ad.Var{s}
}

// baseline returns the baseline of particle i's score term under the ELBO.
func baseline(obj Objective, x *ad.Var, f []float64, i int, m float64) float64 {
	k := float64(len(f))
	switch {
	case obj.Baseline != nil:
		return obj.Baseline.Value(x)
	case obj.NoBaseline || len(f) < 2:
		return 0
	}
	return (m*k - f[i]) / (k - 1)
}

// iwae is the Standard IWAE surrogate, per member of a plate that holds
// every latent site, else over the whole run.
func iwae(tm *terms, obj Objective, x *ad.Var) (float64, []*ad.Var) {
	f, lq := tm.total(), tm.lqG
	if pt := tm.perMember(); pt != nil {
		f, lq = pt.loc, pt.lq
	} else {
		for _, pt := range tm.plates {
			if pt.lq != nil {
				if lq == nil {
					lq = ad.Const(tm.k, 1, nil)
				}
				lq = ad.Add(lq, ad.SumRows(pt.lq))
			}
		}
	}
	logK := math.Log(float64(tm.k))
	groups := f.C
	lse := ad.LogSumExpRows(ad.Transpose(ad.Add(f, ad.Const(tm.k, groups, nil))))
	s := ad.Sum(lse)
	var value float64
	for _, v := range lse.Data {
		value += v - logK
	}
	if lq != nil {
		w := ad.Const(tm.k, groups, nil)
		for j := range groups {
			col := column(f.Data, tm.k, groups, j)
			l := lse.Data[j] - logK
			for i := range col {
				var b float64
				switch {
				case obj.Baseline != nil:
					b = obj.Baseline.Value(x)
				case !obj.NoBaseline && tm.k > 1:
					b = vimcoBaseline(col, i)
				}
				w.Data[i*groups+j] = l - b
			}
		}
		s = ad.Add(s, ad.Sum(ad.Mul(w, lq)))
	}
	return value, []*ad.Var{s}
}

// dreg is the DReG pair of surrogates, or with wake RWS's; stl holds the
// terms with the guide's density at stopped parameters.
func dreg(tm, stl *terms, wake bool) (float64, []*ad.Var) {
	f, fs := tm.total(), stl.total()
	if pt := tm.perMember(); pt != nil {
		f, fs = pt.loc, stl.perMember().loc
	}
	f = ad.Add(f, ad.Const(tm.k, f.C, nil))
	groups := f.C
	w, w2 := ad.Const(tm.k, groups, nil), ad.Const(tm.k, groups, nil)
	var value float64
	for j := range groups {
		col := column(f.Data, tm.k, groups, j)
		l := logspace.LogSumExp(col)
		value += l - math.Log(float64(tm.k))
		for i, v := range col {
			wi := math.Exp(v - l)
			w.Data[i*groups+j], w2.Data[i*groups+j] = wi, wi*wi
			if wake {
				w2.Data[i*groups+j] = wi - wi*wi
			}
		}
	}
	return value, []*ad.Var{ad.Sum(ad.Mul(w2, fs)), ad.Sum(ad.Mul(w, f))}
}

// enumerated is the surrogate of Objective.Enumerate: the particles are
// every (draw, combination) pair, weighted by the combinations' guide
// probabilities; impossible combinations are dropped.
func enumerated(tm *terms, k int) (float64, []*ad.Var) {
	f := tm.total()
	if tm.lqG == nil {
		return mean(f.Data), []*ad.Var{ad.Mean(f)}
	}
	var rows []int
	for i, lq := range tm.lqG.Data {
		if !math.IsInf(lq, -1) {
			rows = append(rows, i)
		}
	}
	s := ad.Scale(ad.Sum(ad.Mul(ad.Exp(ad.Rows(tm.lqG, rows)), ad.Rows(f, rows))), 1/float64(k))
	return s.Data[0], []*ad.Var{s}
}

// column returns column j of a k×c row-major matrix.
func column(data []float64, k, c, j int) []float64 {
	out := make([]float64, k)
	for i := range out {
		out[i] = data[i*c+j]
	}
	return out
}

// vimcoBaseline is the VIMCO baseline of Mnih and Rezende (2016) for
// particle i: the log-mean-weight with log w_i replaced by the mean of the
// other log-weights.
func vimcoBaseline(f []float64, i int) float64 {
	k := len(f)
	var s float64
	for j, v := range f {
		if j != i {
			s += v
		}
	}
	g := append([]float64(nil), f...)
	g[i] = s / float64(k-1)
	return logspace.LogSumExp(g) - math.Log(float64(k))
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
