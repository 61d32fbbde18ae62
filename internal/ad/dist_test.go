package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
)

// TestDensitiesMatchDist checks the differentiable log densities of the
// float64 programs against package dist: the Bernoulli and Gaussian
// likelihoods (dist.Bernoulli, dist.Normal LogProb), log p(z) − log q(z|x)
// (dist.StdNormal and dist.Normal LogProb) and the analytic KL (dist.KL of
// Normal ‖ StdNormal). The scale 30 case drives logits beyond ±40, where an
// unstable softplus would overflow or lose all precision.
func TestDensitiesMatchDist(t *testing.T) {
	for _, lik := range []Likelihood{Bernoulli, Gaussian} {
		for _, scale := range []float64{0.5, 30} {
			t.Run(fmt.Sprintf("%v/scale=%g", lik, scale), func(t *testing.T) {
				spec := tiny(ELBOSampled, lik, Tanh, 2, 4)
				rnd := rand.New(rand.NewPCG(20, uint64(lik)))
				params := randParams(rnd, spec.ParamLens(), 0.5)
				// Scale only the decoder's output layer, so the encoder's
				// log σ² stays moderate.
				for i := range params[len(params)-2:] {
					for j := range params[len(params)-2+i] {
						params[len(params)-2+i][j] *= scale / 0.5
					}
				}
				D, L, K, B := spec.DataDim(), spec.Latent(), spec.K, spec.Batch
				x := randVec(rnd, B*D, lik == Bernoulli)
				eps := randVec(rnd, K*B*L, false)
				p, err := NewVAE(spec, params)
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if _, err := p.Run(x, eps); err != nil {
					t.Fatal(err)
				}
				mu, lv := p.Encoding(nil, nil)
				ls := make([]float64, len(lv))
				for i, v := range lv {
					ls[i] = v / 2
				}
				q := dist.Normal{Loc: mat.NewDense(B, L, mu), LogScale: mat.NewDense(B, L, ls)}
				kl, err := dist.KL(nil, q, dist.StdNormal{D: L})
				if err != nil {
					t.Fatal(err)
				}
				for b := range kl {
					if !relClose(p.KL()[b], kl[b], 1e-12) {
						t.Errorf("KL[%d] = %v, dist %v", b, p.KL()[b], kl[b])
					}
				}
				nEnc := spec.Encoder.NumParams()
				maxLogit := 0.0
				for k := 0; k < K; k++ {
					z := mat.NewDense(B, L, nil)
					for b := 0; b < B; b++ {
						for l := 0; l < L; l++ {
							z.Set(b, l, mu[b*L+l]+math.Exp(ls[b*L+l])*eps[(k*B+b)*L+l])
						}
					}
					lp := dist.StdNormal{D: L}.LogProb(nil, z)
					lq := q.LogProb(nil, z)
					out := mat.NewDense(B, D, nil)
					for b := 0; b < B; b++ {
						o := refMLP(spec.Decoder, params[nEnc:], z.RawRowView(b))
						out.SetRow(b, o)
						for _, v := range o {
							maxLogit = math.Max(maxLogit, math.Abs(v))
						}
					}
					var obs dist.Distribution
					switch lik {
					case Bernoulli:
						obs = dist.Bernoulli{Logits: out}
					case Gaussian:
						s := mat.NewDense(B, D, nil)
						for b := 0; b < B; b++ {
							for d := 0; d < D; d++ {
								s.Set(b, d, spec.LogSigma)
							}
						}
						obs = dist.Normal{Loc: out, LogScale: s}
					}
					ll := obs.LogProb(nil, mat.NewDense(B, D, x))
					for b := 0; b < B; b++ {
						if got := p.LogRatio()[k*B+b]; !relClose(got, lp[b]-lq[b], 1e-12) {
							t.Errorf("log p(z) − log q(z|x) [%d,%d] = %v, dist %v", k, b, got, lp[b]-lq[b])
						}
						if got := p.LogLik()[k*B+b]; !relClose(got, ll[b], 1e-12) {
							t.Errorf("log p(x|z) [%d,%d] = %v, dist %v", k, b, got, ll[b])
						}
					}
				}
				if scale > 1 && maxLogit < 40 {
					t.Errorf("largest decoder output %v: the extreme case does not reach the tails", maxLogit)
				}
			})
		}
	}
}
