package cli

import (
	"fmt"
	"math"
	"slices"

	"github.com/spf13/pflag"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
	"github.com/vitool/vitool/ppl"
)

// aisFlags are the flags of annealed importance sampling, shared by
// estimate-px --method ais and sandwich.
type aisFlags struct {
	steps    string
	chains   int
	leapfrog int
	start    string
}

// maxAISWork bounds the leapfrog steps (gradient evaluations) per data
// point of one AIS estimate.
const maxAISWork = 1e12

func addAISFlags(fl *pflag.FlagSet, a *aisFlags) {
	fl.StringVar(&a.steps, "ais-steps", "10,100,1000", "comma-separated numbers of annealing steps T for ais (one row each)")
	fl.IntVar(&a.chains, "chains", 16, "independent AIS chains per data point")
	fl.IntVar(&a.leapfrog, "leapfrog", mc.DefaultLeapfrog, "leapfrog steps per HMC transition of ais")
	fl.StringVar(&a.start, "ais-start", "q", "where the annealing starts: q (the proposal of --proposal) or prior")
}

// parse checks the flags and returns the step counts; it checks nothing
// when ais is not among methods.
func (a *aisFlags) parse(methods []string) ([]int, error) {
	if !slices.Contains(methods, "ais") {
		return nil, nil
	}
	return a.check()
}

func (a *aisFlags) check() ([]int, error) {
	steps, err := parseCounts("--ais-steps", a.steps)
	if err != nil {
		return nil, err
	}
	switch {
	case a.chains < 1:
		return nil, usagef("--chains: %d is not a positive integer", a.chains)
	case a.leapfrog < 1:
		return nil, usagef("--leapfrog: %d is not a positive integer", a.leapfrog)
	case a.start != "q" && a.start != "prior":
		return nil, usagef("--ais-start: unknown value %q (want q or prior)", a.start)
	}
	for _, T := range steps {
		if w := float64(T) * float64(a.chains) * float64(a.leapfrog); w > maxAISWork {
			return nil, usagef("--ais-steps %d with --chains %d and --leapfrog %d: %.3g gradient evaluations per data point, more than the limit of %g", T, a.chains, a.leapfrog, w, float64(maxAISWork))
		}
	}
	return steps, nil
}

// chainSteps returns the chain steps of one data point over all step
// counts, the unit of the progress bar.
func (a *aisFlags) chainSteps(steps []int) int64 {
	var n int64
	for _, T := range steps {
		n += int64(T) * int64(a.chains)
	}
	return n
}

// startName is the q column of an ais row.
func (a *aisFlags) startName(qname string) string {
	if a.start == "prior" || qname == "" {
		return "prior"
	}
	return qname
}

// aisRow holds what an ais row reports beyond an mc.Estimate, per point.
type aisRow struct {
	steps  int
	accept []float64
	grads  []int
}

func newAISRow(steps, points int) *aisRow {
	return &aisRow{steps: steps, accept: make([]float64, points), grads: make([]int, points)}
}

// meanAccept returns the mean acceptance rate over the points.
func (r *aisRow) meanAccept() float64 { return mean(r.accept) }

// totalGrads returns the gradient evaluations over all points.
func (r *aisRow) totalGrads() int {
	n := 0
	for _, g := range r.grads {
		n += g
	}
	return n
}

// kCell is the K column of an ais row.
func (r *aisRow) kCell(chains int) string { return fmt.Sprintf("%d ×%d steps", chains, r.steps) }

// run estimates log p(x) at point i by AIS. m is the loaded model, mx and
// qx the model and proposal of point i.
func (r *aisRow) run(i int, a *aisFlags, m, mx latent.Model, qx dist.Distribution, x []float64, cfg mc.Config) (mc.Estimate, error) {
	gm, start, err := aisTarget(a.start, m, mx, qx, x)
	if err != nil {
		return mc.Estimate{}, err
	}
	est, err := mc.AIS(gm, start, x, mc.AISConfig{Steps: r.steps, Chains: a.chains, Leapfrog: a.leapfrog}, cfg)
	if err != nil {
		return mc.Estimate{}, err
	}
	r.accept[i], r.grads[i] = est.AcceptRate, est.GradEvals
	return est.Estimate, nil
}

// aisTarget returns the differentiable model of a data point and the start
// distribution of the annealing: qx, or the prior.
func aisTarget(startName string, m, mx latent.Model, qx dist.Distribution, x []float64) (mc.GradModel, dist.Distribution, error) {
	gm, err := gradModelFor(m, mx, x)
	if err != nil {
		return nil, nil, err
	}
	var start dist.Distribution
	switch {
	case startName == "prior" || qx == nil:
		start = mx.Prior()
		if _, ok := start.(dist.Differentiable); !ok {
			start = gm.Prior()
		}
	default:
		start = qx
		if _, ok := start.(dist.Differentiable); !ok {
			if start, err = ppl.GradProposalOf(qx); err != nil {
				return nil, nil, err
			}
		}
	}
	return gm, start, nil
}

// gradModelFor returns the model of point x with ∇_z log p(x, z): the
// model itself when it has one (linear-Gaussian), a VAE's ppl model, or a
// registered model's adapter. m is the loaded model, mx that of the point.
func gradModelFor(m, mx latent.Model, x []float64) (mc.GradModel, error) {
	switch v := mx.(type) {
	case mc.GradModel:
		return v, nil
	case *amortized.VAE:
		return ppl.AsGradModel(v.Model(), v.Store, pointRow(slices.Clone(x)))
	case latent.GaussianMixture:
		return nil, usagef("--method ais: the latent of a gaussian-mixture model is discrete; AIS with HMC needs continuous latents (use is)")
	}
	g, err := ppl.GradModelOf(mx)
	if err != nil {
		return nil, usagef("--method ais needs ∇_z log p(x, z), which this model (%T) does not offer: %v", m, err)
	}
	return g, nil
}

// checkAISModel refuses, before any work, a model AIS cannot run on.
func checkAISModel(methods []string, in *estimateInput) error {
	if !slices.Contains(methods, "ais") || len(in.points) == 0 {
		return nil
	}
	mx := in.model
	if in.pointModels != nil {
		mx = in.pointModels[0]
	}
	_, err := gradModelFor(in.model, mx, in.points[0])
	return err
}

// aisJSON returns the ais fields of a JSON result, zero for other methods.
func (r *estimateRow) aisJSON() (steps int, accept *jsonFloat, grads int) {
	if r.ais == nil {
		return 0, nil, 0
	}
	a := jsonFloat(r.ais.meanAccept())
	if math.IsNaN(float64(a)) {
		return r.ais.steps, nil, r.ais.totalGrads()
	}
	return r.ais.steps, &a, r.ais.totalGrads()
}
