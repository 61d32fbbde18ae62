package ppl

import (
	"fmt"
	"strconv"
	"strings"
)

// String returns the objective in the syntax ParseObjective reads: "elbo"
// (the ELBO with analytic KL), "elbo-sampled", "iwae-K", with ":K" after
// the ELBOs when K > 1 and "+stl", "+dreg" or "+rws" for those estimators. Fields
// the syntax does not cover (baselines, subsampling, enumeration) are not
// written.
func (o Objective) String() string {
	k := max(o.K, 1)
	var s string
	switch o.Bound {
	case BoundELBO:
		s = "elbo-sampled"
		if o.AnalyticKL {
			s = "elbo"
		}
		if k > 1 {
			s += ":" + strconv.Itoa(k)
		}
	case BoundIWAE:
		s = "iwae-" + strconv.Itoa(k)
	default:
		return fmt.Sprintf("objective(%d)", int(o.Bound))
	}
	if o.Estimator != Standard {
		s += "+" + o.Estimator.String()
	}
	return s
}

// ParseObjective reads an objective written by Objective.String: "elbo"
// (analytic KL), "elbo-sampled", "iwae-K" (for instance "iwae-5"),
// "elbo:K" and "elbo-sampled:K" for ELBOs averaged over K particles, each
// optionally followed by "+stl" (ELBO), "+dreg" or "+rws" (IWAE).
func ParseObjective(s string) (Objective, error) {
	bad := fmt.Errorf("ppl: objective %q: want elbo, elbo-sampled, iwae-K (K ≥ 1) or elbo[-sampled]:K, optionally +stl, +dreg or +rws", s)
	body, est, hasEst := strings.Cut(s, "+")
	name, kstr, hasK := strings.Cut(body, ":")
	o := Objective{K: 1}
	switch {
	case name == "elbo":
		o.AnalyticKL = true
	case name == "elbo-sampled":
	case strings.HasPrefix(name, "iwae-") && !hasK:
		o.Bound = BoundIWAE
		kstr, hasK = strings.TrimPrefix(name, "iwae-"), true
	default:
		return Objective{}, bad
	}
	if hasK {
		k, err := strconv.Atoi(kstr)
		if err != nil || k < 1 {
			return Objective{}, bad
		}
		o.K = k
	}
	if hasEst {
		switch est {
		case "stl":
			o.Estimator, o.AnalyticKL = STL, false
		case "dreg":
			o.Estimator = DReG
		case "rws":
			o.Estimator = RWS
		default:
			return Objective{}, bad
		}
	}
	if err := o.Validate(); err != nil {
		return Objective{}, fmt.Errorf("ppl: objective %q: %w", s, err)
	}
	return o, nil
}
