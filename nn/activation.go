package nn

import (
	"fmt"
	"math"
	"strings"
)

// Activation is the pointwise nonlinearity after every hidden layer of an
// MLP (never after the output layer).
type Activation int

// Activations. The numbering matches the activations of the earlier
// VAE-only stack, so that stored enumerations convert unchanged.
const (
	// Tanh is the hyperbolic tangent.
	Tanh Activation = iota
	// ReLU is max(0, x).
	ReLU
	// Softplus is log(1 + eˣ), computed stably.
	Softplus
	// Identity applies no nonlinearity (a stack of linear layers).
	Identity
)

var activations = []Activation{Tanh, ReLU, Softplus, Identity}

// String returns the activation's name as ParseActivation reads it.
func (a Activation) String() string {
	switch a {
	case Tanh:
		return "tanh"
	case ReLU:
		return "relu"
	case Softplus:
		return "softplus"
	case Identity:
		return "identity"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// ParseActivation returns the activation named s ("tanh", "relu",
// "softplus" or "identity"), or an error naming s and the accepted names.
func ParseActivation(s string) (Activation, error) {
	names := make([]string, len(activations))
	for i, a := range activations {
		if s == a.String() {
			return a, nil
		}
		names[i] = a.String()
	}
	list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	return 0, fmt.Errorf("nn: activation %q: want %s", s, list)
}

func (a Activation) valid() bool { return a >= Tanh && a <= Identity }

// derivInto stores in d the derivative of the activation at every
// pre-activation whose activation value is in a: 1 − a² for tanh, the
// indicator of a > 0 for ReLU and σ(z) = 1 − e⁻ᵃ for softplus. Computing
// it from the output means the backward pass needs no pre-activations.
func derivInto[T float](a Activation, d, act []T) {
	switch a {
	case Tanh:
		for i, v := range act {
			d[i] = 1 - v*v
		}
	case ReLU:
		for i, v := range act {
			if v > 0 {
				d[i] = 1
			} else {
				d[i] = 0
			}
		}
	case Softplus:
		for i, v := range act {
			d[i] = T(-math.Expm1(-float64(v)))
		}
	default:
		panic("nn: derivative of " + a.String())
	}
}
