package cli_test

import (
	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/cli"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/ppl"
)

// A program of your own registers a ppl model and hands over to vitool's
// command line: it then has every vitool command, and "fit --model shift" and
// "estimate-px --model shift --params FILE" take the model by name.
func ExampleRegisterModel() {
	// For every data point (row of x): z ~ N(0, 1), x | z ~ N(b + z, 1),
	// with a parameter b to fit.
	model := func(t *ppl.Tracer, x *ad.Var) {
		b := t.Param("b", ppl.Zeros(1, 1))
		t.Plate("data", x.R, func(p *ppl.Plate) {
			z := t.Sample("z", dist.StdNormal{D: 1})
			t.Observe("x", dist.Normal{Loc: ad.Add(b, z), LogScale: ad.Scalar(0)}, p.Data(x))
		})
	}
	// q(z|x) = N(a·x + c, e^{2s}), amortised over the data points.
	guide := func(t *ppl.Tracer, x *ad.Var) {
		a, c := t.Param("q.a", ppl.Zeros(1, 1)), t.Param("q.c", ppl.Zeros(1, 1))
		s := t.Param("q.s", ppl.Zeros(1, 1))
		t.Plate("data", x.R, func(p *ppl.Plate) {
			t.Sample("z", dist.Normal{Loc: ad.Add(ad.Mul(a, p.Data(x)), c), LogScale: s})
		})
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
