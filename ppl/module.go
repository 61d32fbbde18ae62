package ppl

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/nn"
)

// Module is a parameterised function, such as a neural network of package
// nn: it lists its parameters and applies itself to an input given their
// values.
type Module interface {
	// Params lists the parameters, in the order Forward takes them, with
	// their shapes and initialisers.
	Params() []nn.ParamSpec
	// Forward applies the module to x with the given parameter values.
	Forward(x *ad.Var, params []*ad.Var) *ad.Var
}

// Module applies m to x with its parameters read from the store under
// prefix + "." + each parameter's name ("encoder.0.weight" for prefix
// "encoder"), registered on first use with the module's initialisers, each
// drawing from the store's stream for that name. The result is
// differentiable with respect to x and every parameter.
func (t *Tracer) Module(prefix string, m Module, x *ad.Var) *ad.Var {
	specs := m.Params()
	params := make([]*ad.Var, len(specs))
	for i, sp := range specs {
		params[i] = t.Param(prefix+"."+sp.Name, specInit(sp))
	}
	return m.Forward(x, params)
}

// specInit turns a module's parameter initialiser into an Init.
func specInit(sp nn.ParamSpec) Init {
	return func(rnd *rand.Rand) *mat.Dense {
		v := mat.NewDense(sp.Rows, sp.Cols, nil)
		sp.Init(v.RawMatrix().Data, rnd)
		return v
	}
}
