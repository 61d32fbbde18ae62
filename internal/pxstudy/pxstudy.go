package pxstudy

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/latent"
	"github.com/vitool/vitool/mc"
)

// Config sets up an efficiency study. Zero fields take the documented defaults.
type Config struct {
	LatentDims []int   `json:"latent_dims"` // latent dimensions d to study; default 2, 10, 50
	DataDim    int     `json:"data_dim"`    // data dimension D, well above every d; default 100
	NoiseStd   float64 `json:"noise_std"`   // observation noise σ; default 0.5
	Points     int     `json:"points"`      // data points per model; default 2
	Reps       int     `json:"reps"`        // independent replicates per point and K; default 16
	Tol        float64 `json:"tol"`         // target root-mean-square error in nats; default 0.1
	MaxK       int     `json:"max_k"`       // largest K tried; default 1<<20
	EqualK     int     `json:"equal_k"`     // K at which the spread of the estimators is compared; default 1000
	Seed       uint64  `json:"seed"`        // seed of the models, the data and every estimate
	Workers    int     `json:"-"`           // parallel workers per estimate; 0 means GOMAXPROCS (never changes the numbers)
	// Progress, if not nil, is called with the number of samples drawn since
	// its last call.
	Progress func(samples int) `json:"-"`
	// Context, if not nil, stops the study early once it is done (see
	// mc.Config.Context).
	Context context.Context `json:"-"`
}

func (c *Config) defaults() {
	if len(c.LatentDims) == 0 {
		c.LatentDims = []int{2, 10, 50}
	}
	if c.DataDim == 0 {
		c.DataDim = 100
	}
	if c.NoiseStd == 0 {
		c.NoiseStd = 0.5
	}
	if c.Points == 0 {
		c.Points = 2
	}
	if c.Reps == 0 {
		c.Reps = 16
	}
	if c.Tol == 0 {
		c.Tol = 0.1
	}
	if c.MaxK == 0 {
		c.MaxK = 1 << 20
	}
	if c.EqualK == 0 {
		c.EqualK = 1000
	}
}

// Row is the outcome of one estimator on the models of one latent dimension.
type Row struct {
	LatentDim int    `json:"latent_dim"`
	DataDim   int    `json:"data_dim"`
	Method    string `json:"method"` // "prior" (naive Monte Carlo) or "is" (importance sampling with the fitted mean-field q)
	// KNeeded is the smallest K (a power of two) whose RMSE over all points and
	// replicates is at most Tol; 0 if none up to MaxK was.
	KNeeded int `json:"k_needed"`
	// KTried is the largest K tried: KNeeded, or the largest power of two not
	// above MaxK when the target was not reached.
	KTried int `json:"k_tried"`
	// RMSE is the error at KTried.
	RMSE float64 `json:"rmse"`
	// BiasEqualK and SDEqualK are the mean error and the standard deviation of
	// log p̂ across replicates (pooled over points) at K = EqualK.
	BiasEqualK float64 `json:"bias_equal_k"`
	SDEqualK   float64 `json:"sd_equal_k"`
	// ELBOGap is the mean of log p(x) − ELBO(q) for the fitted q: the KL from q
	// to the exact posterior, which no amount of sampling removes from the ELBO.
	ELBOGap float64 `json:"elbo_gap"`
}

// Reached reports whether the estimator met the tolerance within MaxK.
func (r Row) Reached() bool { return r.KNeeded > 0 }

// problem is one model with data points and their exact evidence.
type problem struct {
	model latent.LinearGaussian
	xs    [][]float64
	exact []float64
	qs    []dist.Distribution // fitted mean-field proposals
}

func newProblem(d int, c *Config) problem {
	rnd := rand.New(rand.NewPCG(mc.DeriveSeed(c.Seed, 0x6d6f64, uint64(d)), 0))
	m := latent.NewRandomLinearGaussian(c.DataDim, d, c.NoiseStd, rnd)
	x := mat.NewDense(c.Points, c.DataDim, nil)
	m.SampleData(x, rnd)
	p := problem{model: m}
	for i := range c.Points {
		xi := mat.Row(nil, i, x)
		p.xs = append(p.xs, xi)
		p.exact = append(p.exact, m.LogEvidence(xi))
		p.qs = append(p.qs, m.MeanField(xi))
	}
	return p
}

// errors returns log p̂ − log p(x) for every point and replicate at K.
func (p problem) errors(method string, k int, c *Config) ([]float64, error) {
	var errs []float64
	for i, x := range p.xs {
		for r := range c.Reps {
			cfg := mc.Config{
				Seed:     mc.DeriveSeed(c.Seed, methodID(method), uint64(p.model.LatentDim()), uint64(k), uint64(i), uint64(r)),
				Workers:  c.Workers,
				Progress: c.Progress,
				Context:  c.Context,
			}
			var est mc.Estimate
			var err error
			switch method {
			case "prior":
				est, err = mc.Prior(p.model, x, k, cfg)
			case "is":
				est, err = mc.Importance(p.model, p.qs[i], x, k, cfg)
			default:
				panic("pxstudy: unknown method " + method)
			}
			if err != nil {
				return nil, fmt.Errorf("%s, d=%d, K=%d: %w", method, p.model.LatentDim(), k, err)
			}
			errs = append(errs, est.LogPX-p.exact[i])
		}
	}
	return errs, nil
}

func methodID(method string) uint64 {
	if method == "prior" {
		return 1
	}
	return 2
}

// Methods are the estimators the study compares.
var Methods = []string{"prior", "is"}

// Run performs the study and returns one row per latent dimension and
// method. If it fails or is stopped by c.Context, it returns the rows
// completed before with the error.
func Run(c Config) ([]Row, error) {
	c.defaults()
	var rows []Row
	for _, d := range c.LatentDims {
		if d >= c.DataDim {
			return nil, fmt.Errorf("pxstudy: latent dimension %d is not below the data dimension %d", d, c.DataDim)
		}
		p := newProblem(d, &c)
		var gap float64
		for i, x := range p.xs {
			gap += p.exact[i] - p.model.ELBO(x, p.qs[i].(dist.Normal))
		}
		gap /= float64(len(p.xs))
		for _, method := range Methods {
			row := Row{LatentDim: d, DataDim: c.DataDim, Method: method, ELBOGap: gap}
			errs, err := p.errors(method, c.EqualK, &c)
			if err != nil {
				return rows, err
			}
			row.BiasEqualK, row.SDEqualK = meanSD(errs)
			for k := 1; k <= c.MaxK; k *= 2 {
				errs, err := p.errors(method, k, &c)
				if err != nil {
					return rows, err
				}
				row.KTried, row.RMSE = k, rms(errs)
				if row.RMSE <= c.Tol {
					row.KNeeded = k
					break
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// Ratio returns, for each latent dimension, KNeeded of naive prior sampling
// over KNeeded of importance sampling, and whether it is only a lower bound
// (the prior never reached the tolerance, so its true cost exceeds MaxK).
func Ratio(rows []Row, d int) (ratio float64, lowerBound bool, ok bool) {
	var prior, is *Row
	for i := range rows {
		if rows[i].LatentDim != d {
			continue
		}
		switch rows[i].Method {
		case "prior":
			prior = &rows[i]
		case "is":
			is = &rows[i]
		}
	}
	if prior == nil || is == nil || !is.Reached() {
		return math.NaN(), false, false
	}
	if !prior.Reached() {
		// The prior needs more than the largest K tried.
		return float64(prior.KTried) / float64(is.KNeeded), true, true
	}
	return float64(prior.KNeeded) / float64(is.KNeeded), false, true
}

func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	if len(xs) > 1 {
		sd = math.Sqrt(sd / float64(len(xs)-1))
	}
	return mean, sd
}

func rms(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x * x
	}
	return math.Sqrt(s / float64(len(xs)))
}
