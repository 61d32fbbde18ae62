package dist

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// ImproperUniform is the flat "density" 1 on R^D (Pyro's ImproperUniform):
// log p(x) = 0 for every x. It is not normalisable and cannot be sampled;
// it stands for a latent site that the model leaves unconstrained, whose
// value always comes from a guide — the code of a plain autoencoder, whose
// guide is a Delta at the encoder's output. The methods panic if D < 1.
type ImproperUniform struct {
	D int
}

var _ Differentiable = ImproperUniform{}

func (u ImproperUniform) check() int {
	if u.D < 1 {
		panic(fmt.Sprintf("dist: ImproperUniform: D = %d, want D ≥ 1", u.D))
	}
	return u.D
}

// Dim returns D.
func (u ImproperUniform) Dim() int { return u.check() }

// Len returns 1.
func (u ImproperUniform) Len() int { u.check(); return 1 }

// Support returns Real.
func (u ImproperUniform) Support() Support { return Real }

// LogProb stores 0 for every row of x and returns dst.
func (u ImproperUniform) LogProb(dst []float64, x mat.Matrix) []float64 {
	_, dst = checkLogProbArgs("ImproperUniform", dst, x, 1, u.check())
	clear(dst)
	return dst
}

// LogProbVar returns zeros, one row per row of x.
func (u ImproperUniform) LogProbVar(x *ad.Var) *ad.Var {
	checkLogProbArgs("ImproperUniform", nil, x, 1, u.check())
	return ad.Const(x.R, 1, nil)
}

// Detach returns u.
func (u ImproperUniform) Detach() Differentiable { return u }

// Sample panics: an improper distribution has no draws.
func (u ImproperUniform) Sample(*mat.Dense, *rand.Rand) {
	panic("dist: ImproperUniform cannot be sampled (it is not a probability distribution)")
}
