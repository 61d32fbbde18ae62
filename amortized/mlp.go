package amortized

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/vitool/vitool/internal/ad"
	"github.com/vitool/vitool/internal/logspace"
)

// Activation is the nonlinearity after every hidden layer of an MLP.
type Activation int

// Activations.
const (
	Tanh Activation = iota
	ReLU
	Softplus
)

// String returns the activation's name as ParseActivation reads it.
func (a Activation) String() string { return ad.Activation(a).String() }

// ParseActivation reads "tanh", "relu" or "softplus".
func ParseActivation(s string) (Activation, error) {
	return parseName("activation", s, Tanh, ReLU, Softplus)
}

// parseName returns the value among values whose String is s, or an error
// naming what and listing the accepted names ("want a, b or c"), so that
// each enumeration's names are defined once, by its String method.
func parseName[T fmt.Stringer](what, s string, values ...T) (T, error) {
	names := make([]string, len(values))
	for i, v := range values {
		if s == v.String() {
			return v, nil
		}
		names[i] = v.String()
	}
	var zero T
	list := names[len(names)-1]
	if len(names) > 1 {
		list = strings.Join(names[:len(names)-1], ", ") + " or " + list
	}
	return zero, fmt.Errorf("amortized: %s %q: want %s", what, s, list)
}

func (a Activation) valid() bool { return a == Tanh || a == ReLU || a == Softplus }

// apply applies the activation to v in place.
func (a Activation) apply(v []float32) {
	switch a {
	case Tanh:
		for i, x := range v {
			v[i] = float32(math.Tanh(float64(x)))
		}
	case ReLU:
		for i, x := range v {
			if x < 0 {
				v[i] = 0
			}
		}
	case Softplus:
		for i, x := range v {
			v[i] = float32(logspace.Softplus(float64(x)))
		}
	default:
		panic("amortized: unknown activation")
	}
}

// Tensor is a named parameter's shape and float32 values, row-major, as
// stored in a checkpoint.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Linear is a fully connected layer y = W·x + b in PyTorch's layout: Weight
// is Out×In row-major, Bias has length Out.
type Linear struct {
	In, Out int
	Weight  []float32
	Bias    []float32
}

// MLP is a multilayer perceptron: linear layers with Act after every layer
// but the last.
type MLP struct {
	Layers []Linear
	Act    Activation
}

// NewMLP returns an MLP with layer sizes sizes[0] → sizes[1] → … →
// sizes[len-1], initialised as PyTorch's nn.Linear is: weights and biases
// uniform on (−1/√in, 1/√in), drawn from rnd layer by layer (weight row by
// row, then bias). It panics if fewer than two sizes are given or a size is
// not positive.
func NewMLP(sizes []int, act Activation, rnd *rand.Rand) MLP {
	if len(sizes) < 2 {
		panic("amortized: an MLP needs at least an input and an output size")
	}
	m := MLP{Act: act}
	for i := 0; i+1 < len(sizes); i++ {
		in, out := sizes[i], sizes[i+1]
		if in < 1 || out < 1 {
			panic(fmt.Sprintf("amortized: non-positive layer size in %v", sizes))
		}
		l := Linear{In: in, Out: out, Weight: make([]float32, in*out), Bias: make([]float32, out)}
		bound := 1 / math.Sqrt(float64(in))
		for j := range l.Weight {
			l.Weight[j] = float32(bound * (2*rnd.Float64() - 1))
		}
		for j := range l.Bias {
			l.Bias[j] = float32(bound * (2*rnd.Float64() - 1))
		}
		m.Layers = append(m.Layers, l)
	}
	return m
}

// Sizes returns the layer sizes, input first.
func (m MLP) Sizes() []int {
	s := []int{m.Layers[0].In}
	for _, l := range m.Layers {
		s = append(s, l.Out)
	}
	return s
}

// In returns the input size.
func (m MLP) In() int { return m.Layers[0].In }

// Out returns the output size.
func (m MLP) Out() int { return m.Layers[len(m.Layers)-1].Out }

// spec returns the internal/ad description.
func (m MLP) spec() ad.MLP { return ad.MLP{Sizes: m.Sizes(), Act: ad.Activation(m.Act)} }

// slices returns the parameter slices weight₀, bias₀, … (shared).
func (m MLP) slices() [][]float32 {
	var s [][]float32
	for _, l := range m.Layers {
		s = append(s, l.Weight, l.Bias)
	}
	return s
}

// params adds the MLP's tensors to dst under prefix.i.weight and
// prefix.i.bias, where i = 2·layer as in a PyTorch nn.Sequential that
// alternates Linear and activation modules.
func (m MLP) params(dst map[string]Tensor, prefix string) {
	for i, l := range m.Layers {
		dst[fmt.Sprintf("%s.%d.weight", prefix, 2*i)] = Tensor{Shape: []int{l.Out, l.In}, Data: l.Weight}
		dst[fmt.Sprintf("%s.%d.bias", prefix, 2*i)] = Tensor{Shape: []int{l.Out}, Data: l.Bias}
	}
}

// mlpFromParams builds an MLP with the given sizes from the named tensors,
// copying the data.
func mlpFromParams(params map[string]Tensor, prefix string, sizes []int, act Activation) (MLP, error) {
	m := MLP{Act: act}
	for i := 0; i+1 < len(sizes); i++ {
		in, out := sizes[i], sizes[i+1]
		wn, bn := fmt.Sprintf("%s.%d.weight", prefix, 2*i), fmt.Sprintf("%s.%d.bias", prefix, 2*i)
		w, ok := params[wn]
		if !ok {
			return MLP{}, fmt.Errorf("amortized: missing parameter %s", wn)
		}
		b, ok := params[bn]
		if !ok {
			return MLP{}, fmt.Errorf("amortized: missing parameter %s", bn)
		}
		if len(w.Shape) != 2 || w.Shape[0] != out || w.Shape[1] != in || len(w.Data) != in*out {
			return MLP{}, fmt.Errorf("amortized: parameter %s has shape %v (%d values), want [%d %d]", wn, w.Shape, len(w.Data), out, in)
		}
		if len(b.Shape) != 1 || b.Shape[0] != out || len(b.Data) != out {
			return MLP{}, fmt.Errorf("amortized: parameter %s has shape %v (%d values), want [%d]", bn, b.Shape, len(b.Data), out)
		}
		m.Layers = append(m.Layers, Linear{
			In: in, Out: out,
			Weight: append([]float32(nil), w.Data...),
			Bias:   append([]float32(nil), b.Data...),
		})
	}
	return m, nil
}

// forward applies the MLP to the n×In row-major batch x and returns the
// n×Out row-major output, one matrix multiply per layer. It is safe for
// concurrent use.
func (m MLP) forward(x []float32, n int) []float32 {
	h := x
	for i, l := range m.Layers {
		out := make([]float32, n*l.Out)
		for r := 0; r < n; r++ {
			copy(out[r*l.Out:(r+1)*l.Out], l.Bias)
		}
		// out = h·Wᵀ + out
		blas32.Gemm(blas.NoTrans, blas.Trans, 1,
			blas32.General{Rows: n, Cols: l.In, Stride: l.In, Data: h},
			blas32.General{Rows: l.Out, Cols: l.In, Stride: l.In, Data: l.Weight},
			1, blas32.General{Rows: n, Cols: l.Out, Stride: l.Out, Data: out})
		if i < len(m.Layers)-1 {
			m.Act.apply(out)
		}
		h = out
	}
	return h
}

// formatInts writes sizes as "200,200".
func formatInts(s []int) string {
	p := make([]string, len(s))
	for i, v := range s {
		p[i] = strconv.Itoa(v)
	}
	return strings.Join(p, ",")
}

// ParseHidden reads hidden-layer sizes written as "200,200"; the empty
// string means no hidden layer.
func ParseHidden(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var h []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("amortized: hidden sizes %q: want positive integers separated by commas", s)
		}
		h = append(h, v)
	}
	return h, nil
}

// Networks is an encoder–decoder pair of MLPs: the parameters that the VAE
// and the autoencoder share in layout and naming.
type Networks struct {
	Encoder MLP
	Decoder MLP
}

// newNetworks initialises an encoder and a decoder from rnd as PyTorch
// initialises nn.Linear, encoder first.
func newNetworks(enc, dec []int, act Activation, rnd *rand.Rand) Networks {
	return Networks{Encoder: NewMLP(enc, act, rnd), Decoder: NewMLP(dec, act, rnd)}
}

// networksFromParams builds the pair with the given layer sizes from named
// tensors as returned by Params, copying them.
func networksFromParams(params map[string]Tensor, enc, dec []int, act Activation) (Networks, error) {
	e, err := mlpFromParams(params, "encoder", enc, act)
	if err != nil {
		return Networks{}, err
	}
	d, err := mlpFromParams(params, "decoder", dec, act)
	if err != nil {
		return Networks{}, err
	}
	return Networks{Encoder: e, Decoder: d}, nil
}

// Params returns the parameters by PyTorch name: encoder.0.weight
// [out, in], encoder.0.bias [out], encoder.2.weight, … (indices count the
// activation modules of an nn.Sequential), then decoder.0.weight, ….
// The tensors share memory with the networks.
func (n *Networks) Params() map[string]Tensor {
	m := make(map[string]Tensor)
	n.Encoder.params(m, "encoder")
	n.Decoder.params(m, "decoder")
	return m
}

// slices returns the parameter slices in internal/ad order.
func (n *Networks) slices() [][]float32 {
	return append(n.Encoder.slices(), n.Decoder.slices()...)
}
