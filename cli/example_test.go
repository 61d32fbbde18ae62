package cli_test

import (
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/cli"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/ppl"
)

// A program of your own registers a ppl model and hands over to vitool's
// command line: it then has every vitool command, and "fit --model shift" and
// "estimate-px --model shift --params FILE" take the model by name.
func ExampleRegisterModel() {
	// z ~ N(0, 1), x | z ~ N(b + z, 1), with a parameter b to fit.
	model := func(t *ppl.Tracer, x []float64) {
		b := t.Param("b", mat.NewDense(1, 1, nil)).At(0, 0)
		z := t.Sample("z", dist.StdNormal{D: 1})
		k := t.Particles()
		loc := mat.NewDense(k, 1, nil)
		for i := range k {
			loc.Set(i, 0, b+z.At(i, 0))
		}
		t.Observe("x", dist.Normal{Loc: loc, LogScale: mat.NewDense(k, 1, nil)}, x)
	}
	// q(z|x) = N(a·x + c, e^{2s}), amortised over the data points.
	guide := func(t *ppl.Tracer, x []float64) {
		a := t.Param("q.a", mat.NewDense(1, 1, nil)).At(0, 0)
		c := t.Param("q.c", mat.NewDense(1, 1, nil)).At(0, 0)
		s := t.Param("q.s", mat.NewDense(1, 1, nil))
		t.Sample("z", dist.Normal{Loc: mat.NewDense(1, 1, []float64{a*x[0] + c}), LogScale: s})
	}
	cli.RegisterModel(cli.Model{
		Name:        "shift-example",
		Description: "a Gaussian with an unknown shift",
		Model:       model,
		Guide:       guide,
		DataDim:     1,
	})
	cli.Main() // in func main
}
