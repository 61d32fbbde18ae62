package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/ad"
)

// sampleLogProbCases are distributions checked by TestSampleLogProb, with
// whether they implement SampleLogProber and the number of rows to draw.
func sampleLogProbCases() []struct {
	name   string
	q      Distribution
	native bool
	n      int
} {
	rnd := newRand(23)
	type tc = struct {
		name   string
		q      Distribution
		native bool
		n      int
	}
	var cases []tc
	for _, f := range flowCases() {
		base := Normal{Loc: randVar(rnd, 1, f.d, 1), LogScale: randVar(rnd, 1, f.d, 0.5)}
		cases = append(cases, tc{"flow " + f.name, NewFlowDistribution(base, f.b), true, 7})
	}
	// A batch of 6 members, each with its own base and IAF context, as
	// the amortised encoder of a VAE scores a batch of data.
	const n, d = 6, 3
	batch := newIAF(rnd, d, 5, 2, true)
	batch.Context = randVar(rnd, n, 2, 1)
	cases = append(cases,
		tc{"flow batch IAF∘IAF", NewFlowDistribution(Normal{Loc: randVar(rnd, n, d, 1), LogScale: randVar(rnd, n, d, 0.5)},
			ComposeTransform{newIAF(rnd, d, 4, 0, false), batch}), true, n},
		tc{"Normal", Normal{Loc: dense([]float64{0.5, -1, 2}), LogScale: dense([]float64{-0.3, 0.1, 0.7})}, false, 9},
		tc{"StdNormal", StdNormal{D: 4}, false, 5},
		tc{"TransformedDistribution (log-normal)", TransformedDistribution{Base: Normal{Loc: ad.Scalar(0.2), LogScale: ad.Scalar(-0.4)}, Transform: ExpTransform{}}, false, 4},
	)
	return cases
}

// TestSampleLogProb checks SampleLogProb against Sample and LogProb: the
// same rows from the same seed, the generator left in the same state, and
// log-densities equal to LogProb of the rows to 1e-9 (exactly for a
// distribution without the method, which falls back to LogProb). A flow's
// LogProb inverts it, numerically for a planar flow and sequentially for
// an IAF, so the agreement also checks the forward log-determinants.
func TestSampleLogProb(t *testing.T) {
	for i, tc := range sampleLogProbCases() {
		if _, ok := tc.q.(SampleLogProber); ok != tc.native {
			t.Errorf("%s: SampleLogProber %v, want %v", tc.name, ok, tc.native)
		}
		seed := uint64(100 + i)
		for _, prealloc := range []bool{false, true} {
			want := mat.NewDense(tc.n, tc.q.Dim(), nil)
			r1 := newRand(seed)
			tc.q.Sample(want, r1)
			wantLP := tc.q.LogProb(nil, want)
			got := mat.NewDense(tc.n, tc.q.Dim(), nil)
			var lp []float64
			if prealloc {
				lp = make([]float64, tc.n)
			}
			r2 := newRand(seed)
			out := SampleLogProb(tc.q, got, lp, r2)
			if len(out) != tc.n || (prealloc && &out[0] != &lp[0]) {
				t.Fatalf("%s: %d log-densities (prealloc %v, in lp %v), want %d in lp", tc.name, len(out), prealloc, prealloc && &out[0] == &lp[0], tc.n)
			}
			if !mat.Equal(got, want) {
				t.Errorf("%s: rows differ from Sample's:\n%v\nwant\n%v", tc.name, mat.Formatted(got), mat.Formatted(want))
			}
			if r2.Uint64() != r1.Uint64() {
				t.Errorf("%s: the generator is not left as Sample leaves it", tc.name)
			}
			for k, v := range out {
				tol := 1e-9 * math.Max(1, math.Abs(wantLP[k]))
				if !tc.native {
					tol = 0
				}
				if math.IsNaN(v) || math.Abs(v-wantLP[k]) > tol {
					t.Errorf("%s: row %d: log-density %v, LogProb %v", tc.name, k, v, wantLP[k])
				}
			}
		}
	}
}

// TestSampleLogProbShapes checks that an empty dst is sized as Sample
// sizes it and that an lp of the wrong length panics, with and without the
// method.
func TestSampleLogProbShapes(t *testing.T) {
	rnd := newRand(5)
	flow := NewFlowDistribution(Normal{Loc: randVar(rnd, 1, 3, 1), LogScale: randVar(rnd, 1, 3, 0.5)}, newIAF(rnd, 3, 4, 0, false))
	for _, q := range []Distribution{flow, StdNormal{D: 3}} {
		var dst mat.Dense
		lp := SampleLogProb(q, &dst, nil, rnd)
		if r, c := dst.Dims(); r != 1 || c != 3 || len(lp) != 1 {
			t.Errorf("%T: empty dst sized %d×%d with %d log-densities, want 1×3 and 1", q, r, c, len(lp))
		}
		mustPanic(t, "short lp", func() { SampleLogProb(q, mat.NewDense(4, 3, nil), make([]float64, 3), rnd) })
		mustPanic(t, "wrong columns", func() { SampleLogProb(q, mat.NewDense(4, 2, nil), nil, rnd) })
	}
}
