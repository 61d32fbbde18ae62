package ad

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// AELoss is the reconstruction loss of a plain autoencoder.
type AELoss int

// Autoencoder losses, both averaged over all B·D elements as PyTorch's
// nn.MSELoss and nn.BCEWithLogitsLoss do by default.
const (
	// MSE: the decoder outputs the reconstruction x̂, loss mean (x − x̂)².
	MSE AELoss = iota
	// BCE: the decoder outputs logits l, loss mean softplus(l) − x·l.
	BCE
)

// String returns the loss's name.
func (l AELoss) String() string {
	switch l {
	case MSE:
		return "mse"
	case BCE:
		return "bce"
	}
	return fmt.Sprintf("AELoss(%d)", int(l))
}

// AESpec fixes the shapes and loss of a compiled autoencoder program.
type AESpec struct {
	Encoder MLP // D → code
	Decoder MLP // code → D
	Loss    AELoss
	Batch   int
}

// ParamLens returns the lengths of the parameter slices: the encoder's
// followed by the decoder's.
func (s AESpec) ParamLens() []int {
	return append(s.Encoder.ParamLens(), s.Decoder.ParamLens()...)
}

// Validate returns an error describing the first inconsistency of s.
func (s AESpec) Validate() error {
	if err := s.Encoder.validate("encoder"); err != nil {
		return err
	}
	if err := s.Decoder.validate("decoder"); err != nil {
		return err
	}
	if c := s.Encoder.Sizes[len(s.Encoder.Sizes)-1]; c != s.Decoder.Sizes[0] {
		return fmt.Errorf("ad: encoder outputs %d values, decoder takes %d", c, s.Decoder.Sizes[0])
	}
	if d := s.Decoder.Sizes[len(s.Decoder.Sizes)-1]; d != s.Encoder.Sizes[0] {
		return fmt.Errorf("ad: decoder outputs %d values, encoder takes %d", d, s.Encoder.Sizes[0])
	}
	if s.Loss != MSE && s.Loss != BCE {
		return fmt.Errorf("ad: unknown autoencoder loss %v", s.Loss)
	}
	if s.Batch < 1 {
		return fmt.Errorf("ad: batch = %d must be positive", s.Batch)
	}
	return nil
}

// AEProgram is a compiled forward and backward pass of an autoencoder loss
// for fixed shapes. It is not safe for concurrent use.
type AEProgram[T Float] struct {
	spec    AESpec
	params  [][]T
	grads   [][]T
	x       []T
	perEx   []T // B: per-example loss summed over D
	lossVal G.Value
	r       reader[T]
	vm      G.VM
}

// NewAE compiles an autoencoder program over params (the encoder's slices
// then the decoder's, in PyTorch layout). It returns an error if spec is
// invalid and panics if params do not match spec.
func NewAE[T Float](spec AESpec, params [][]T) (*AEProgram[T], error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	checkParams("AE", params, spec.ParamLens())
	p := &AEProgram[T]{spec: spec, params: params}
	b := newGraph[T]()
	D, B := spec.Encoder.Sizes[0], spec.Batch
	p.x = make([]T, D*B)
	x := b.matrix("x", D, B, p.x)
	nEnc := spec.Encoder.NumParams()
	enc := b.mlpLayers("encoder", spec.Encoder, params[:nEnc], false)
	dec := b.mlpLayers("decoder", spec.Decoder, params[nEnc:], false)
	h := b.hidden(enc[:len(enc)-1], x, spec.Encoder.Act)
	code := b.linear(enc[len(enc)-1].w, enc[len(enc)-1].b, h)
	hd := b.hidden(dec[:len(dec)-1], code, spec.Decoder.Act)
	out := b.linear(dec[len(dec)-1].w, dec[len(dec)-1].b, hd)
	var elem *G.Node
	switch spec.Loss {
	case MSE:
		elem = b.square(b.sub(x, out))
	case BCE:
		elem = b.sub(b.softplus(out), b.mul(x, out))
	}
	perEx := b.sum(elem, 0)
	loss := b.scale(b.sum(perEx), 1/float64(B*D))
	if b.err != nil {
		return nil, fmt.Errorf("ad: building AE graph: %w", b.err)
	}
	var wrt G.Nodes
	for _, l := range append(enc, dec...) {
		wrt = append(wrt, l.w, l.b)
	}
	gs, err := G.Grad(loss, wrt...)
	if err != nil {
		return nil, fmt.Errorf("ad: differentiating AE loss: %w", err)
	}
	p.grads = make([][]T, len(params))
	for i, q := range params {
		p.grads[i] = make([]T, len(q))
		p.r.read(gs[i], p.grads[i])
	}
	p.perEx = make([]T, B)
	p.r.read(perEx, p.perEx)
	G.Read(loss, &p.lossVal)
	p.vm = G.NewTapeMachine(b.g)
	return p, nil
}

// Spec returns the program's specification.
func (p *AEProgram[T]) Spec() AESpec { return p.spec }

// Params returns the parameter slices the program reads.
func (p *AEProgram[T]) Params() [][]T { return p.params }

// Grads returns the gradient slices written by Run, aligned with Params.
func (p *AEProgram[T]) Grads() [][]T { return p.grads }

// PerExample returns the per-example reconstruction loss of the last Run,
// summed over the D elements (so the loss is their mean divided by D).
func (p *AEProgram[T]) PerExample() []T { return p.perEx }

// Run sets the B×D row-major batch x, runs the forward and backward passes
// and returns the loss. It panics if len(x) is wrong and returns an error
// wrapping ErrNotFinite if the loss is NaN or infinite.
func (p *AEProgram[T]) Run(x []T) (float64, error) {
	D, B := p.spec.Encoder.Sizes[0], p.spec.Batch
	if len(x) != B*D {
		panic(fmt.Sprintf("ad: AE Run got len(x)=%d, want %d", len(x), B*D))
	}
	transposeInto(p.x, x, B, D)
	return runLoss(p.vm, &p.lossVal)
}

// Close releases the resources of the program's machine.
func (p *AEProgram[T]) Close() error { return p.vm.Close() }
