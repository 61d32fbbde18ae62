package cli

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/ppl"
)

// registeredRun is a registered model with its parameters and data, as fit
// and estimate-px use it.
type registeredRun struct {
	reg      Model
	store    *ppl.ParamStore
	source   string // the --params file, or "initial parameters"
	data     *dataset.Dataset
	dataName string
	points   [][]float64
}

// loadRegistered prepares the registered model reg: the parameters from
// paramsPath (none: the initial values the model and guide register), and
// the data that dataSpec names (none: reg.Data), its test split when test is
// set and there is one, at most n points (0: all). It checks model and guide
// against each other on the first point.
func loadRegistered(reg Model, paramsPath, dataSpec string, test bool, n int, log zerolog.Logger) (*registeredRun, error) {
	r := &registeredRun{reg: reg, store: ppl.NewParamStore(0), source: "initial parameters"}
	var loaded *ppl.ParamStore
	if paramsPath != "" {
		loaded = ppl.NewParamStore(0)
		if err := loaded.Load(paramsPath); err != nil {
			return nil, usagef("--params: %v", err)
		}
		r.source = paramsPath
	}
	switch {
	case dataSpec != "":
		sp, err := openData("--data", dataSpec, n)
		if err != nil {
			return nil, err
		}
		r.data = sp.Train
		if test && sp.Test != nil {
			r.data = sp.Test
		}
		r.dataName = r.data.Name
	case reg.Data != nil:
		ds, err := reg.Data()
		if err != nil {
			return nil, fmt.Errorf("model %q: its default data: %w", reg.Name, err)
		}
		r.data, r.dataName = ds, "default data of "+reg.Name
	default:
		return nil, usagef("--data is required: model %q has no default data", reg.Name)
	}
	if reg.DataDim > 0 && r.data.D != reg.DataDim {
		return nil, usagef("--data: %s has %d values per point, model %q wants %d", r.dataName, r.data.D, reg.Name, reg.DataDim)
	}
	if n > r.data.N {
		fewerPoints(log, "--n", n, r.dataName, r.data.N)
	}
	if n > 0 {
		r.data = r.data.Head(min(n, r.data.N))
	}
	if r.data.N == 0 {
		return nil, usagef("--data: %s has no data points", r.dataName)
	}
	if err := checkValues("--data", r.data, ""); err != nil {
		return nil, err
	}
	for i := range r.data.N {
		r.points = append(r.points, r.data.Float64Row(nil, i))
	}
	// One run on the first point registers the model's and the guide's
	// parameters with their initial values and finds misuse in model or
	// guide.
	if _, _, _, err := ppl.LogWeights(reg.Model, reg.Guide, r.store, pointRow(r.points[0]), 1, rand.New(rand.NewPCG(0, 0))); err != nil {
		return nil, fmt.Errorf("model %q on data point 1: %w", reg.Name, err)
	}
	if loaded != nil {
		if err := matchParams(log, paramsPath, reg.Name, r.store, loaded); err != nil {
			return nil, err
		}
		// Parameters the file lacks keep their initial values.
		for _, n := range r.store.Names() {
			if loaded.Get(n) == nil {
				loaded.Set(n, r.store.Get(n), r.store.Constraint(n))
			}
		}
		r.store = loaded
		if _, _, _, err := ppl.LogWeights(reg.Model, reg.Guide, r.store, pointRow(r.points[0]), 1, rand.New(rand.NewPCG(0, 0))); err != nil {
			if errors.Is(err, ppl.ErrShape) {
				return nil, usagef("--params: %s does not fit model %q: %v", paramsPath, reg.Name, err)
			}
			return nil, fmt.Errorf("model %q with the parameters of %s, on data point 1: %w", reg.Name, paramsPath, err)
		}
	}
	// fit starts from the initial values as a matter of course; an
	// estimate from them is worth a warning, when there are any.
	if loaded == nil && test && len(r.store.Names()) > 0 {
		log.Warn().Str("model", reg.Name).Msg("no --params: using the model's initial parameters")
	}
	return r, nil
}

// matchParams checks that the parameter file path holds exactly the
// parameters that model name registers (in want, with their initial
// values), with the same shapes and finite values: a file written for
// another model, such as a VAE checkpoint, is refused rather than run with
// the initial values. A file that lacks some of the parameters is accepted
// with a warning (they keep their initial values).
func matchParams(log zerolog.Logger, path, name string, want, got *ppl.ParamStore) error {
	wantNames, gotNames := want.Names(), got.Names()
	var unknown, missing []string
	for _, n := range gotNames {
		if !slices.Contains(wantNames, n) {
			unknown = append(unknown, n)
		}
	}
	for _, n := range wantNames {
		if !slices.Contains(gotNames, n) {
			missing = append(missing, n)
		}
	}
	list := func(names []string) string {
		if len(names) > 6 {
			return strings.Join(names[:6], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
		}
		return strings.Join(names, ", ")
	}
	switch {
	case len(unknown) > 0:
		return usagef("--params: %s is not a parameter file of model %q: it holds %s, which the model does not have (the model's parameters: %s)",
			path, name, list(unknown), list(wantNames))
	case len(missing) == len(wantNames):
		return usagef("--params: %s holds none of the parameters of model %q (%s)", path, name, list(wantNames))
	case len(missing) > 0:
		log.Warn().Str("params", path).Strs("initial", missing).Msgf("--params: %s lacks some parameters of model %q; they keep their initial values", path, name)
	}
	for _, n := range gotNames {
		w, g := want.Get(n), got.Get(n)
		wr, wc := w.Dims()
		if gr, gc := g.Dims(); gr != wr || gc != wc {
			return usagef("--params: %s: parameter %q is %d×%d, model %q has it %d×%d", path, n, gr, gc, name, wr, wc)
		}
		for _, v := range g.RawMatrix().Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return usagef("--params: %s: parameter %q holds %v: the parameters must be finite", path, n, v)
			}
		}
	}
	return nil
}

// adapt returns, for every data point, the model as a latent.Model and the
// guide as its proposal.
func (r *registeredRun) adapt() ([]latent.Model, []dist.Distribution, error) {
	ms := make([]latent.Model, len(r.points))
	qs := make([]dist.Distribution, len(r.points))
	for i, x := range r.points {
		m, err := ppl.AsModel(r.reg.Model, r.store, pointRow(x))
		if err != nil {
			return nil, nil, fmt.Errorf("model %q on data point %d: %w", r.reg.Name, i+1, err)
		}
		q, err := ppl.AsProposal(r.reg.Guide, m, pointRow(x))
		if err != nil {
			return nil, nil, fmt.Errorf("model %q on data point %d: %w", r.reg.Name, i+1, err)
		}
		ms[i], qs[i] = m, q
	}
	return ms, qs, nil
}

// pointRow returns a data point as the 1×D data a model takes.
func pointRow(x []float64) *mat.Dense { return mat.NewDense(1, len(x), x) }

// matrix returns the data points as the N×D data a model takes.
func (r *registeredRun) matrix() *mat.Dense {
	m := mat.NewDense(len(r.points), len(r.points[0]), nil)
	for i, x := range r.points {
		m.SetRow(i, x)
	}
	return m
}
