package ad

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// VAESpec fixes the shapes and the objective of a compiled VAE program.
type VAESpec struct {
	// Encoder maps D inputs to 2·Latent outputs: rows [0, Latent) of the last
	// layer give μ, rows [Latent, 2·Latent) give log σ².
	Encoder MLP
	// Decoder maps Latent inputs to D outputs (logits or means).
	Decoder MLP
	// Likelihood is the observation model.
	Likelihood Likelihood
	// LogSigma is the fixed log standard deviation of a Gaussian likelihood.
	LogSigma float64
	// Objective is the loss to differentiate.
	Objective Objective
	// K is the number of samples of z per example (≥ 1).
	K int
	// Batch is the number of examples per run (≥ 1).
	Batch int
}

// Latent returns the latent dimension.
func (s VAESpec) Latent() int { return s.Decoder.Sizes[0] }

// DataDim returns the data dimension.
func (s VAESpec) DataDim() int { return s.Encoder.Sizes[0] }

// ParamLens returns the lengths of the parameter slices: the encoder's
// followed by the decoder's.
func (s VAESpec) ParamLens() []int {
	return append(s.Encoder.ParamLens(), s.Decoder.ParamLens()...)
}

// Validate returns an error describing the first inconsistency of s.
func (s VAESpec) Validate() error {
	if err := s.Encoder.validate("encoder"); err != nil {
		return err
	}
	if err := s.Decoder.validate("decoder"); err != nil {
		return err
	}
	l := s.Decoder.Sizes[0]
	if s.Encoder.Sizes[len(s.Encoder.Sizes)-1] != 2*l {
		return fmt.Errorf("ad: encoder outputs %d values, want 2×latent = %d", s.Encoder.Sizes[len(s.Encoder.Sizes)-1], 2*l)
	}
	if d := s.Decoder.Sizes[len(s.Decoder.Sizes)-1]; d != s.Encoder.Sizes[0] {
		return fmt.Errorf("ad: decoder outputs %d values, encoder takes %d", d, s.Encoder.Sizes[0])
	}
	switch s.Likelihood {
	case Bernoulli, Gaussian:
	default:
		return fmt.Errorf("ad: unknown likelihood %v", s.Likelihood)
	}
	switch s.Objective {
	case ELBOAnalytic, ELBOSampled, IWAE:
	default:
		return fmt.Errorf("ad: unknown objective %v", s.Objective)
	}
	if s.K < 1 || s.Batch < 1 {
		return fmt.Errorf("ad: K = %d and batch = %d must be positive", s.K, s.Batch)
	}
	return nil
}

// VAEProgram is a compiled forward and backward pass of a VAE objective for
// fixed shapes. It is not safe for concurrent use.
type VAEProgram[T Float] struct {
	spec   VAESpec
	params [][]T
	grads  [][]T

	x, xRep, eps []T // feature-major input backings
	beta         *G.Node
	lossVal      G.Value
	r            reader[T]

	logLik   []T // K·B, index k·B+b
	logRatio []T // K·B: log p(z) − log q(z|x), unweighted
	kl       []T // B, analytic KL (all objectives)
	mu, lv   []T // L×B feature-major

	vm G.VM
}

// NewVAE compiles a VAE program over params (the encoder's slices then the
// decoder's, in PyTorch layout), which it keeps and reads on every Run. It
// returns an error if spec is invalid or gorgonia fails to build the graph,
// and panics if params do not match spec.
func NewVAE[T Float](spec VAESpec, params [][]T) (*VAEProgram[T], error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	checkParams("VAE", params, spec.ParamLens())
	p := &VAEProgram[T]{spec: spec, params: params}
	b := newGraph[T]()
	D, L, K, B := spec.DataDim(), spec.Latent(), spec.K, spec.Batch
	n := K * B

	p.x = make([]T, D*B)
	p.eps = make([]T, L*n)
	x := b.matrix("x", D, B, p.x)
	xRep := x
	if K > 1 {
		p.xRep = make([]T, D*n)
		xRep = b.matrix("xrep", D, n, p.xRep)
	}
	eps := b.matrix("eps", L, n, p.eps)
	p.beta = G.NewScalar(b.g, b.dt, G.WithName("beta"), G.WithValue(T(1)))

	nEnc := spec.Encoder.NumParams()
	enc := b.mlpLayers("encoder", spec.Encoder, params[:nEnc], true)
	dec := b.mlpLayers("decoder", spec.Decoder, params[nEnc:], false)

	h := b.hidden(enc[:len(enc)-2], x, spec.Encoder.Act)
	mu := b.linear(enc[len(enc)-2].w, enc[len(enc)-2].b, h)
	lv := b.linear(enc[len(enc)-1].w, enc[len(enc)-1].b, h)

	// KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²), per example.
	kl := b.scale(b.addConst(b.sum(b.sub(b.add(b.square(mu), b.exp(lv)), lv), 0), -float64(L)), 0.5)

	// z = μ + σ·ε, column k·B+b.
	sigma := b.exp(b.scale(lv, 0.5))
	z := b.add(b.tile(mu, 1, K), b.mul(b.tile(sigma, 1, K), eps))

	hd := b.hidden(dec[:len(dec)-1], z, spec.Decoder.Act)
	out := b.linear(dec[len(dec)-1].w, dec[len(dec)-1].b, hd)
	ll := b.logLik(spec.Likelihood, xRep, out, spec.LogSigma)

	// log p(z) − log q(z|x) with (z−μ)/σ = ε: −½Σz² + ½Σε² + ½Σ log σ².
	// The ½log 2π constants of log p(z) and log q(z|x) cancel.
	ratio := b.scale(b.add(b.sub(b.sum(b.square(eps), 0), b.sum(b.square(z), 0)), b.tile(b.sum(lv, 0), 0, K)), 0.5)

	var loss *G.Node
	switch spec.Objective {
	case ELBOAnalytic:
		rec := b.scale(b.sum(ll), -1/float64(n))
		loss = b.add(rec, b.mul(b.scale(b.sum(kl), 1/float64(B)), p.beta))
	case ELBOSampled:
		lw := b.add(ll, b.mul(ratio, p.beta))
		loss = b.scale(b.sum(lw), -1/float64(n))
	case IWAE:
		lw := b.add(ll, b.mul(ratio, p.beta))
		lw2 := b.check(G.Reshape(lw, []int{K, B}))
		m := b.check(G.Max(lw2, 0))
		d := b.check(G.BroadcastSub(lw2, m, nil, []byte{0}))
		lse := b.add(b.log(b.sum(b.exp(d), 0)), m)
		loss = b.scale(b.addConst(b.sum(lse), -float64(B)*math.Log(float64(K))), -1/float64(B))
	}
	if b.err != nil {
		return nil, fmt.Errorf("ad: building VAE graph: %w", b.err)
	}

	var wrt G.Nodes
	for _, l := range enc {
		wrt = append(wrt, l.w, l.b)
	}
	for _, l := range dec {
		wrt = append(wrt, l.w, l.b)
	}
	gs, err := G.Grad(loss, wrt...)
	if err != nil {
		return nil, fmt.Errorf("ad: differentiating VAE loss: %w", err)
	}

	// Gradient slices aligned with params; the split encoder head writes
	// into the two halves of its weight and bias.
	p.grads = make([][]T, len(params))
	for i, q := range params {
		p.grads[i] = make([]T, len(q))
	}
	gbufs := make([][]T, 0, len(wrt))
	for i := 0; i < nEnc-2; i++ {
		gbufs = append(gbufs, p.grads[i])
	}
	{
		hw, hb := len(params[nEnc-2])/2, len(params[nEnc-1])/2
		gw, gb := p.grads[nEnc-2], p.grads[nEnc-1]
		gbufs = append(gbufs, gw[:hw], gb[:hb], gw[hw:], gb[hb:])
	}
	gbufs = append(gbufs, p.grads[nEnc:]...)
	for i, gn := range gs {
		p.r.read(gn, gbufs[i])
	}

	p.logLik = make([]T, n)
	p.logRatio = make([]T, n)
	p.kl = make([]T, B)
	p.mu = make([]T, L*B)
	p.lv = make([]T, L*B)
	p.r.read(ll, p.logLik)
	p.r.read(ratio, p.logRatio)
	p.r.read(kl, p.kl)
	p.r.read(mu, p.mu)
	p.r.read(lv, p.lv)
	G.Read(loss, &p.lossVal)

	p.vm = G.NewTapeMachine(b.g)
	return p, nil
}

// Spec returns the program's specification.
func (p *VAEProgram[T]) Spec() VAESpec { return p.spec }

// Params returns the parameter slices the program reads.
func (p *VAEProgram[T]) Params() [][]T { return p.params }

// Grads returns the gradient slices written by Run, aligned with Params.
// They are overwritten by the next Run.
func (p *VAEProgram[T]) Grads() [][]T { return p.grads }

// SetBeta sets the KL weight β used by subsequent runs.
func (p *VAEProgram[T]) SetBeta(beta float64) {
	if err := G.Let(p.beta, T(beta)); err != nil {
		panic(err)
	}
}

// Run sets the inputs, runs the forward and backward passes and returns the
// loss. x is the B×D row-major data batch and eps the (K·B)×L row-major
// noise. Run panics if the lengths are wrong, and returns an error wrapping
// ErrNotFinite if the loss is NaN or infinite.
func (p *VAEProgram[T]) Run(x, eps []T) (float64, error) {
	D, L, K, B := p.spec.DataDim(), p.spec.Latent(), p.spec.K, p.spec.Batch
	if len(x) != B*D || len(eps) != K*B*L {
		panic(fmt.Sprintf("ad: VAE Run got len(x)=%d len(eps)=%d, want %d and %d", len(x), len(eps), B*D, K*B*L))
	}
	transposeInto(p.x, x, B, D)
	if K > 1 {
		// xRep is D × (K·B): column k·B+b is example b.
		n := K * B
		for d := 0; d < D; d++ {
			src := p.x[d*B : (d+1)*B]
			row := p.xRep[d*n : (d+1)*n]
			for k := 0; k < K; k++ {
				copy(row[k*B:(k+1)*B], src)
			}
		}
	}
	transposeInto(p.eps, eps, K*B, L)
	return runLoss(p.vm, &p.lossVal)
}

func runLoss(vm G.VM, lossVal *G.Value) (float64, error) {
	vm.Reset()
	if err := vm.RunAll(); err != nil {
		return math.NaN(), fmt.Errorf("ad: running program: %w", err)
	}
	loss, err := scalarValue(*lossVal)
	if err != nil {
		return math.NaN(), err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("%w (%v)", ErrNotFinite, loss)
	}
	return loss, nil
}

// LogLik returns log p(x_b | z_{k,b}) of the last Run at index k·B+b.
func (p *VAEProgram[T]) LogLik() []T { return p.logLik }

// LogRatio returns log p(z_{k,b}) − log q(z_{k,b} | x_b) of the last Run at
// index k·B+b, without the β weight.
func (p *VAEProgram[T]) LogRatio() []T { return p.logRatio }

// KL returns the analytic KL(q(z|x_b) ‖ N(0, I)) of the last Run, per example.
func (p *VAEProgram[T]) KL() []T { return p.kl }

// Encoding stores the encoder outputs of the last Run in mu and logvar as
// B×L row-major matrices, allocating them if nil, and returns them.
func (p *VAEProgram[T]) Encoding(mu, logvar []T) ([]T, []T) {
	L, B := p.spec.Latent(), p.spec.Batch
	if mu == nil {
		mu = make([]T, L*B)
	}
	if logvar == nil {
		logvar = make([]T, L*B)
	}
	transposeInto(mu, p.mu, L, B)
	transposeInto(logvar, p.lv, L, B)
	return mu, logvar
}

// Close releases the resources of the program's machine.
func (p *VAEProgram[T]) Close() error { return p.vm.Close() }
