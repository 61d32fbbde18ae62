package vi

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vitool/vitool/internal/logspace"
)

// ObjectiveKind names a variational objective.
type ObjectiveKind int

// Objective kinds. With z_k = μ + σ·ε_k, k = 1…K, drawn from q(z|x) by
// reparameterisation, and log w_k = log p(x|z_k) + log p(z_k) − log q(z_k|x):
const (
	// ELBOAnalytic is (1/K) Σ_k log p(x|z_k) − KL(q(z|x) ‖ p(z)) with the KL in
	// closed form (Gaussian q, standard-normal prior).
	ELBOAnalytic ObjectiveKind = iota
	// ELBOSampled is (1/K) Σ_k log w_k: the KL estimated at the samples.
	ELBOSampled
	// IWAE is the importance-weighted bound log (1/K) Σ_k w_k (Burda et al.,
	// 2016), which is ≥ the ELBO and tightens as K grows.
	IWAE
)

// Objective is a training objective: a kind and the number K ≥ 1 of samples
// of z per example. The zero value is the analytic-KL ELBO with K = 0,
// which Normalize turns into K = 1.
type Objective struct {
	Kind ObjectiveKind
	K    int
}

// Normalize returns o with K = 1 if K was 0.
func (o Objective) Normalize() Objective {
	if o.K == 0 {
		o.K = 1
	}
	return o
}

// Validate returns an error if o has an unknown kind or K < 1 (after
// Normalize).
func (o Objective) Validate() error {
	switch o.Kind {
	case ELBOAnalytic, ELBOSampled, IWAE:
	default:
		return fmt.Errorf("vi: unknown objective kind %d", int(o.Kind))
	}
	if o.Normalize().K < 1 {
		return fmt.Errorf("vi: objective %v needs K ≥ 1, got %d", o.Kind, o.K)
	}
	return nil
}

// String returns the objective in the syntax ParseObjective reads: "elbo",
// "elbo-sampled", "iwae-K", with a ":K" suffix on the ELBOs when K > 1.
func (o Objective) String() string {
	o = o.Normalize()
	switch o.Kind {
	case ELBOAnalytic, ELBOSampled:
		s := "elbo"
		if o.Kind == ELBOSampled {
			s = "elbo-sampled"
		}
		if o.K > 1 {
			s += ":" + strconv.Itoa(o.K)
		}
		return s
	case IWAE:
		return "iwae-" + strconv.Itoa(o.K)
	}
	return fmt.Sprintf("objective(%d)", int(o.Kind))
}

// String returns the kind's name.
func (k ObjectiveKind) String() string {
	switch k {
	case ELBOAnalytic:
		return "elbo"
	case ELBOSampled:
		return "elbo-sampled"
	case IWAE:
		return "iwae"
	}
	return fmt.Sprintf("ObjectiveKind(%d)", int(k))
}

// ParseObjective reads "elbo", "elbo-sampled", "iwae-K" (for instance
// "iwae-5"), and "elbo:K" / "elbo-sampled:K" for ELBOs averaged over K
// samples.
func ParseObjective(s string) (Objective, error) {
	bad := fmt.Errorf("vi: objective %q: want elbo, elbo-sampled, iwae-K (K ≥ 1), or elbo[-sampled]:K", s)
	name, kstr, hasK := strings.Cut(s, ":")
	var o Objective
	switch {
	case name == "elbo":
		o.Kind = ELBOAnalytic
	case name == "elbo-sampled":
		o.Kind = ELBOSampled
	case strings.HasPrefix(name, "iwae-") && !hasK:
		o.Kind = IWAE
		kstr, hasK = strings.TrimPrefix(name, "iwae-"), true
	default:
		return Objective{}, bad
	}
	o.K = 1
	if hasK {
		k, err := strconv.Atoi(kstr)
		if err != nil || k < 1 {
			return Objective{}, bad
		}
		o.K = k
	}
	return o, nil
}

// Bound reduces per-sample terms to per-example values of the objective
// with KL weight β, storing them in dst (length B, allocated if nil). Slices
// are laid out sample-major: index k·B+b holds sample k of example b.
// logLik holds log p(x_b|z_{k,b}), logRatio holds
// log p(z_{k,b}) − log q(z_{k,b}|x_b), and kl the analytic KL per example
// (used by ELBOAnalytic only; it may be nil otherwise). It panics if the
// lengths disagree.
func (o Objective) Bound(dst, logLik, logRatio, kl []float64, beta float64) []float64 {
	o = o.Normalize()
	k := o.K
	if len(logLik)%k != 0 || (o.Kind != ELBOAnalytic && len(logRatio) != len(logLik)) {
		panic("vi: Bound: per-sample slices do not hold K samples per example")
	}
	b := len(logLik) / k
	if dst == nil {
		dst = make([]float64, b)
	}
	if len(dst) != b || (o.Kind == ELBOAnalytic && len(kl) != b) {
		panic("vi: Bound: length mismatch")
	}
	lw := make([]float64, k)
	for i := 0; i < b; i++ {
		switch o.Kind {
		case ELBOAnalytic:
			var s float64
			for j := 0; j < k; j++ {
				s += logLik[j*b+i]
			}
			dst[i] = s/float64(k) - beta*kl[i]
		case ELBOSampled:
			var s float64
			for j := 0; j < k; j++ {
				s += logLik[j*b+i] + beta*logRatio[j*b+i]
			}
			dst[i] = s / float64(k)
		case IWAE:
			for j := 0; j < k; j++ {
				lw[j] = logLik[j*b+i] + beta*logRatio[j*b+i]
			}
			dst[i] = logspace.LogMeanExp(lw)
		default:
			panic("vi: unknown objective kind")
		}
	}
	return dst
}

// Warmup is a linear KL warm-up (Bowman et al., 2016; Sønderby et al.,
// 2016): the KL weight grows linearly from 0 to 1 over N steps (or epochs —
// the caller chooses the unit), β(t) = min(1, t/N) for t = 0, 1, …, and
// β(t) = 1 for all t when N ≤ 0.
type Warmup struct {
	N int
}

// Beta returns the KL weight at step t.
func (w Warmup) Beta(t int) float64 {
	if w.N <= 0 {
		return 1
	}
	return math.Min(1, math.Max(0, float64(t)/float64(w.N)))
}
