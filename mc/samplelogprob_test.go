package mc

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
	"github.com/vitool/vitool/dist"
)

// toyFlow returns an importance proposal for the toy model: two IAF steps
// (the second reversed, the first conditioned on a context) over a
// Normal, with random weights far from the identity.
func toyFlow() dist.FlowDistribution {
	rnd := rand.New(rand.NewPCG(8, 1))
	v := func(r, c int, std float64) *ad.Var {
		out := ad.Const(r, c, nil)
		for i := range out.Data {
			out.Data[i] = std * rnd.NormFloat64()
		}
		return out
	}
	const d, h = 3, 5
	step := func(reverse bool) dist.IAF {
		return dist.IAF{W1: v(d, h, 0.6), B1: v(1, h, 0.3), W2: v(h, 2*d, 0.4), B2: v(1, 2*d, 0.3), Reverse: reverse}
	}
	first := step(false)
	first.Context, first.WC = v(1, 2, 1), v(2, h, 0.5)
	base := dist.Normal{Loc: ad.Row(toyX), LogScale: ad.Row([]float64{-0.4, -0.5, -0.3})}
	return dist.NewFlowDistribution(base, dist.ComposeTransform{first, step(true)})
}

// countingFlow is a flow proposal that counts its LogProb calls, and
// hidden hides its SampleLogProb, so that the estimators score its draws
// by LogProb (through the flow's inverse).
type (
	countingFlow struct {
		dist.FlowDistribution
		logProbs *atomic.Int64
	}
	hidden struct{ dist.Distribution }
)

func (q countingFlow) LogProb(dst []float64, x mat.Matrix) []float64 {
	q.logProbs.Add(1)
	return q.FlowDistribution.LogProb(dst, x)
}

// TestFlowProposal checks the importance estimators with a flow proposal:
// they take log q(z) from SampleLogProb (never calling LogProb), and agree
// with the same estimators scoring the same draws by LogProb to 1e-12
// relative, the rounding of the flow's inverse.
func TestFlowProposal(t *testing.T) {
	flow := toyFlow()
	q := countingFlow{flow, new(atomic.Int64)}
	fast := estimators(toy, q, toyX, false)
	slow := estimators(toy, hidden{flow}, toyX, false)
	for i, est := range fast {
		c := Config{Seed: 5, ChunkSize: 1000, Workers: 2}
		got, err := est.run(c)
		if err != nil {
			t.Fatalf("%s: %v", est.name, err)
		}
		want, err := slow[i].run(c)
		if err != nil {
			t.Fatalf("%s by LogProb: %v", est.name, err)
		}
		for _, f := range []struct {
			name      string
			got, want float64
		}{{"LogPX", got.LogPX, want.LogPX}, {"StdErr", got.StdErr, want.StdErr}, {"ESS", got.ESS, want.ESS}, {"KHat", got.KHat, want.KHat}} {
			if math.IsNaN(f.want) && math.IsNaN(f.got) {
				continue
			}
			if math.Abs(f.got-f.want) > 1e-12*math.Max(1, math.Abs(f.want)) {
				t.Errorf("%s: %s %v, by LogProb %v", est.name, f.name, f.got, f.want)
			}
		}
	}
	if n := q.logProbs.Load(); n != 0 {
		t.Errorf("the estimators called the flow's LogProb %d times, want 0", n)
	}
}

// TestFlowProposalDeterministic checks that the estimators with a flow
// proposal give bit-identical results for any number of workers and any
// GOMAXPROCS.
func TestFlowProposalDeterministic(t *testing.T) {
	checkDeterministic(t, estimators(toy, toyFlow(), toyX, false))
}
