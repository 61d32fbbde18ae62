package amortized

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/nn"
	"github.com/vitool/vitool/ppl"
)

// Tensor is a named parameter's shape and float32 values, row-major, as
// stored in a checkpoint.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Networks is an encoder–decoder pair of MLPs (package nn) with their
// weights: the parameters that the VAE and the autoencoder share in layout
// and naming. The weights live in Store, a ppl.ParamStore, under PyTorch's
// names ("encoder.0.weight", …), so that the model and guide of package ppl
// read them directly and SVI trains them; they hold float32 values (the
// precision of a checkpoint) in float64 matrices.
type Networks struct {
	Encoder, Decoder nn.MLP
	Store            *ppl.ParamStore
	// extra are parameters after the decoder's (a VAE's flow steps).
	extra []namedSpec
}

// Module prefixes of the two networks.
const (
	encoderPrefix = "encoder"
	decoderPrefix = "decoder"
)

// newNetworks initialises an encoder and a decoder from rnd as PyTorch
// initialises nn.Linear, encoder first, rounded to float32, then the extra
// parameters with their own initialisers.
func newNetworks(enc, dec nn.MLP, rnd *rand.Rand, extra ...namedSpec) Networks {
	n := Networks{Encoder: enc, Decoder: dec, Store: ppl.NewParamStore(0), extra: extra}
	for _, p := range n.specs() {
		v := mat.NewDense(p.spec.Rows, p.spec.Cols, nil)
		p.spec.Init(v.RawMatrix().Data, rnd)
		roundF32(v.RawMatrix().Data)
		n.Store.Set(p.name, v, nil)
	}
	return n
}

// namedSpec is a parameter of the pair with its full name.
type namedSpec struct {
	name string
	spec nn.ParamSpec
}

// shape returns the parameter's shape in a PyTorch state_dict: a bias is a
// vector, a weight an out×in matrix.
func (p namedSpec) shape() []int {
	if strings.HasSuffix(p.name, ".bias") {
		return []int{p.spec.Cols}
	}
	return []int{p.spec.Rows, p.spec.Cols}
}

// specs returns the parameters in order: the encoder's, the decoder's, then
// the extra ones.
func (n *Networks) specs() []namedSpec {
	var out []namedSpec
	for _, m := range []struct {
		prefix string
		mlp    nn.MLP
	}{{encoderPrefix, n.Encoder}, {decoderPrefix, n.Decoder}} {
		for _, s := range m.mlp.Params() {
			out = append(out, namedSpec{name: m.prefix + "." + s.Name, spec: s})
		}
	}
	return append(out, n.extra...)
}

// ParamNames returns the PyTorch names of the parameters in order:
// encoder.0.weight, encoder.0.bias, encoder.2.weight, …, then the
// decoder's.
func (n *Networks) ParamNames() []string {
	var out []string
	for _, p := range n.specs() {
		out = append(out, p.name)
	}
	return out
}

// networksFromParams builds the pair from named tensors as returned by
// Params, copying them.
func networksFromParams(params map[string]Tensor, enc, dec nn.MLP, extra ...namedSpec) (Networks, error) {
	n := Networks{Encoder: enc, Decoder: dec, Store: ppl.NewParamStore(0), extra: extra}
	for _, p := range n.specs() {
		t, ok := params[p.name]
		if !ok {
			return Networks{}, fmt.Errorf("amortized: missing parameter %s", p.name)
		}
		want := p.shape()
		if !slices.Equal(t.Shape, want) || len(t.Data) != p.spec.Rows*p.spec.Cols {
			return Networks{}, fmt.Errorf("amortized: parameter %s has shape %v (%d values), want %v", p.name, t.Shape, len(t.Data), want)
		}
		v := mat.NewDense(p.spec.Rows, p.spec.Cols, nil)
		for i, x := range t.Data {
			v.RawMatrix().Data[i] = float64(x)
		}
		n.Store.Set(p.name, v, nil)
	}
	return n, nil
}

// Params returns float32 copies of the parameters by PyTorch name:
// encoder.0.weight [out, in], encoder.0.bias [out], encoder.2.weight, …
// (indices count the activation modules of an nn.Sequential), then
// decoder.0.weight, ….
func (n *Networks) Params() map[string]Tensor {
	out := make(map[string]Tensor)
	for _, p := range n.specs() {
		v := n.Store.Get(p.name).RawMatrix().Data
		t := Tensor{Shape: p.shape(), Data: make([]float32, len(v))}
		for i, x := range v {
			t.Data[i] = float32(x)
		}
		out[p.name] = t
	}
	return out
}

// apply evaluates network m (under prefix) on the rows of x, with the
// stored weights as constants.
func (n *Networks) apply(prefix string, m nn.MLP, x *ad.Var) *ad.Var {
	specs := m.Params()
	params := make([]*ad.Var, len(specs))
	for i, s := range specs {
		params[i] = ad.FromDense(n.Store.Get(prefix + "." + s.Name))
	}
	return m.Forward(x, params)
}

// rows lifts m to a Var, checking its number of columns.
func rows(m mat.Matrix, cols int, what string) *ad.Var {
	if _, c := m.Dims(); c != cols {
		panic(fmt.Sprintf("amortized: %s has %d columns, want %d", what, c, cols))
	}
	return ad.Lift(m)
}

// roundF32 rounds every value to float32 precision in place.
func roundF32(v []float64) {
	for i, x := range v {
		v[i] = float64(float32(x))
	}
}

// mlp returns the MLP of the given sizes and activation.
func mlp(sizes []int, act Activation) nn.MLP { return nn.MLP{Sizes: sizes, Act: act} }
