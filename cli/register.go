package cli

import (
	"fmt"
	"regexp"
	"slices"
	"sync"

	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/ppl"
)

// Model is a latent-variable model written with package ppl, registered by
// name so that a program built on this package accepts it as --model NAME:
// `fit` fits its parameters by SVI on a data set and `estimate-px` estimates
// its log p(x) with the same table, JSON, progress bars and plots as the
// built-in models. See RegisterModel.
type Model struct {
	// Name is what --model takes: a lower-case letter, then lower-case
	// letters, digits and '-'.
	Name string
	// Description is one line for `models` and the help text.
	Description string
	// Model is p(x, z) for the data x, one point per row: fit passes the
	// whole data set (the model declares its points with a ppl plate, which
	// --batch subsamples) and estimate-px one point at a time (a 1×D row).
	Model ppl.Model
	// Guide is q(z|x), amortised over the data points: it draws every
	// latent site of Model.
	Guide ppl.Guide
	// DataDim is the length of a data point; 0 accepts any length.
	DataDim int
	// Data, if not nil, returns the data used when --data is not given.
	Data func() (*dataset.Dataset, error)
	// Exact, if not nil, returns the exact log p(x) of a data point under the
	// parameters in store; estimate-px then shows every estimate's error.
	Exact func(store *ppl.ParamStore, x []float64) float64
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Model{}
	validName  = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// RegisterModel makes m available to the fit and estimate-px commands as
// --model m.Name. A user's own main package registers its models and then
// calls Main:
//
//	func main() {
//		cli.RegisterModel(cli.Model{Name: "mixture", Model: model, Guide: guide})
//		cli.Main()
//	}
//
// A registered name takes precedence over a file of the same name (write
// ./name for the file). RegisterModel panics if the name is malformed or
// already registered, or if Model or Guide is nil: these are programming
// errors, as in database/sql.Register.
func RegisterModel(m Model) {
	registryMu.Lock()
	defer registryMu.Unlock()
	switch {
	case !validName.MatchString(m.Name):
		panic(fmt.Sprintf("cli: RegisterModel: name %q is not a lower-case letter followed by lower-case letters, digits and '-'", m.Name))
	case registry[m.Name].Model != nil:
		panic(fmt.Sprintf("cli: RegisterModel: model %q registered twice", m.Name))
	case m.Model == nil || m.Guide == nil:
		panic(fmt.Sprintf("cli: RegisterModel: model %q needs both a Model and a Guide function", m.Name))
	case m.DataDim < 0:
		panic(fmt.Sprintf("cli: RegisterModel: model %q has negative DataDim %d", m.Name, m.DataDim))
	}
	registry[m.Name] = m
}

// registeredModel returns the model registered under name.
func registeredModel(name string) (Model, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	m, ok := registry[name]
	return m, ok
}

// registeredNames returns the registered names, sorted.
func registeredNames() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
