package mixture

import (
	"sync"

	"github.com/vitool/vitool/cli"
)

// Name is the name under which Register registers the model.
const Name = "mixture"

var registerOnce sync.Once

// Register registers the model with C = Components as --model mixture for
// the commands of package cli, with Data as its default data set and Exact
// as its exact log p(x): fit runs SVI on the whole data set, whose plate
// --batch subsamples, and estimate-px evaluates one point (a 1×2 row) at a
// time. It may be called more than once; only the first call registers.
func Register() {
	registerOnce.Do(func() {
		m := Mixture{C: Components}
		cli.RegisterModel(cli.Model{
			Name:        Name,
			Description: "3-component Gaussian mixture in 2-D with shared isotropic noise; a discrete class per point in a plate, amortised guide (examples/08-gaussian-mixture)",
			Model:       m.Model,
			Guide:       m.Guide,
			DataDim:     Dim,
			Data:        Data,
			Exact:       m.Exact,
		})
	})
}
