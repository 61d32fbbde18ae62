package dist

import (
	"github.com/vitool/vitool/ad"
)

func init() {
	RegisterKL(klGamma)
	RegisterKL(klBeta)
	RegisterKL(klDirichlet)
	RegisterKL(klExponential)
	RegisterKL(klPoisson)
	RegisterKL(klLogNormal)
}

// coordSum returns the row sums of v broadcast to the n×d batch of a KL
// between members of Dim d (a parameter given as 1×1 or n×1 counts once
// per coordinate).
func coordSum(v *ad.Var, n, d int) *ad.Var {
	if v.R != n || v.C != d {
		v = ad.Add(v, ad.Const(n, d, nil))
	}
	return ad.SumRows(v)
}

// klShape returns the batch size and dimension of a KL result.
func klShape(p, q Distribution) (n, d int) { return max(p.Len(), q.Len()), p.Dim() }

// klGamma is Σ_j (α_p − α_q)ψ(α_p) − log Γ(α_p) + log Γ(α_q)
// + α_q(log β_p − log β_q) + α_p(β_q − β_p)/β_p.
func klGamma(p, q Gamma) *ad.Var {
	n, d := klShape(p, q)
	ap, bp, aq, bq := ad.Lift(p.Concentration), ad.Lift(p.Rate), ad.Lift(q.Concentration), ad.Lift(q.Rate)
	t := ad.Add(ad.Sub(ad.Mul(ad.Sub(ap, aq), ad.Digamma(ap)), ad.Lgamma(ap)), ad.Lgamma(aq))
	t = ad.Add(t, ad.Mul(aq, ad.Sub(ad.Log(bp), ad.Log(bq))))
	t = ad.Add(t, ad.Mul(ap, ad.Div(ad.Sub(bq, bp), bp)))
	return coordSum(t, n, d)
}

// lbetaVar is log B(a, b) on the tape.
func lbetaVar(a, b *ad.Var) *ad.Var {
	return ad.Sub(ad.Add(ad.Lgamma(a), ad.Lgamma(b)), ad.Lgamma(ad.Add(a, b)))
}

// klBeta is Σ_j log B(α_q, β_q) − log B(α_p, β_p) + (α_p − α_q)ψ(α_p)
// + (β_p − β_q)ψ(β_p) + (α_q − α_p + β_q − β_p)ψ(α_p + β_p).
func klBeta(p, q Beta) *ad.Var {
	n, d := klShape(p, q)
	ap, bp := ad.Lift(p.Concentration1), ad.Lift(p.Concentration0)
	aq, bq := ad.Lift(q.Concentration1), ad.Lift(q.Concentration0)
	da, db := ad.Sub(ap, aq), ad.Sub(bp, bq)
	t := ad.Sub(lbetaVar(aq, bq), lbetaVar(ap, bp))
	t = ad.Add(t, ad.Add(ad.Mul(da, ad.Digamma(ap)), ad.Mul(db, ad.Digamma(bp))))
	t = ad.Sub(t, ad.Mul(ad.Add(da, db), ad.Digamma(ad.Add(ap, bp))))
	return coordSum(t, n, d)
}

// klDirichlet is log Γ(α₀_p) − Σ log Γ(α_p) − log Γ(α₀_q) + Σ log Γ(α_q)
// + Σ_k (α_pk − α_qk)(ψ(α_pk) − ψ(α₀_p)) per member.
func klDirichlet(p, q Dirichlet) *ad.Var {
	n, _ := klShape(p, q)
	ap, aq := ad.Lift(p.Concentration), ad.Lift(q.Concentration)
	a0p, a0q := ad.SumRows(ap), ad.SumRows(aq)
	t := ad.Sub(ad.Lgamma(a0p), ad.Lgamma(a0q))
	t = ad.Add(t, ad.SumRows(ad.Sub(ad.Lgamma(aq), ad.Lgamma(ap))))
	t = ad.Add(t, ad.SumRows(ad.Mul(ad.Sub(ap, aq), ad.Sub(ad.Digamma(ap), ad.Digamma(a0p)))))
	if t.R != n {
		t = ad.Add(t, ad.Const(n, 1, nil))
	}
	return t
}

// klExponential is Σ_j log λ_p − log λ_q + λ_q/λ_p − 1.
func klExponential(p, q Exponential) *ad.Var {
	n, d := klShape(p, q)
	lp, lq := ad.Lift(p.Rate), ad.Lift(q.Rate)
	return coordSum(ad.Shift(ad.Add(ad.Sub(ad.Log(lp), ad.Log(lq)), ad.Div(lq, lp)), -1), n, d)
}

// klPoisson is Σ_j λ_p(log λ_p − log λ_q) − λ_p + λ_q.
func klPoisson(p, q Poisson) *ad.Var {
	n, d := klShape(p, q)
	lp, lq := ad.Lift(p.Rate), ad.Lift(q.Rate)
	return coordSum(ad.Add(ad.Mul(lp, ad.Sub(ad.Log(lp), ad.Log(lq))), ad.Sub(lq, lp)), n, d)
}

// klLogNormal is the KL of the underlying Normals (KL is invariant under
// the common map exp).
func klLogNormal(p, q LogNormal) *ad.Var {
	n, d := klShape(p, q)
	return coordSum(klGaussCoord(ad.Lift(p.Loc), ad.Log(ad.Lift(p.Scale)), ad.Lift(q.Loc), ad.Log(ad.Lift(q.Scale))), n, d)
}

// klGaussCoord is klGauss before the sum over coordinates.
func klGaussCoord(mp, lp, mq, lq *ad.Var) *ad.Var {
	delta := ad.Sub(lp, lq)
	z := ad.Mul(ad.Sub(mp, mq), ad.Exp(ad.Neg(lq)))
	return ad.Scale(ad.Add(ad.Sub(ad.Expm1(ad.Scale(delta, 2)), ad.Scale(delta, 2)), ad.Square(z)), 0.5)
}
