package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/vitool/vitool/internal/logspace"
)

func TestBernoulliLogProb(t *testing.T) {
	x := dense([]float64{1, 0, 1}, []float64{0, 0, 0}, []float64{1, 1, 0})
	for _, tc := range []struct {
		name   string
		logits *mat.Dense
	}{
		{"broadcast", dense([]float64{0.3, -2, 4})},
		{"batched", dense([]float64{0.3, -2, 4}, []float64{0, 1, -1}, []float64{-5, 5, 0.1})},
	} {
		b := Bernoulli{tc.logits}
		for _, xm := range []mat.Matrix{x, notDense{x}} {
			got := b.LogProb(nil, xm)
			for i := range got {
				var want, scale float64
				for j := 0; j < 3; j++ {
					l := tc.logits.At(member(b.Len(), i), j)
					v := distuv.Bernoulli{P: 1 / (1 + math.Exp(-l))}.LogProb(x.At(i, j))
					want += v
					scale += math.Abs(v) + math.Abs(l)
				}
				// distuv takes log of a rounded probability: allow for the
				// rounding of σ(l), relative ε per coordinate, times |l|.
				if math.Abs(got[i]-want) > fpTol(6, scale) {
					t.Errorf("%s row %d: %v, want %v", tc.name, i, got[i], want)
				}
			}
		}
	}
}

func TestBernoulliExtremeLogits(t *testing.T) {
	b := Bernoulli{dense([]float64{800, -800})}
	x := dense([]float64{1, 0}, []float64{0, 1}, []float64{1, 1}, []float64{0.25, 0.75})
	// log σ(800) = −e^-800 ≈ 0 and log σ(−800) ≈ −800, exactly in float64.
	want := []float64{0, -1600, -800, 0.25*800 + 0.75*-800 - 800}
	got := b.LogProb(nil, x)
	for i := range got {
		if math.Abs(got[i]-want[i]) > fpTol(4, math.Abs(want[i])) {
			t.Errorf("row %d: %v, want %v", i, got[i], want[i])
		}
	}
	h := b.Entropy(nil)
	if h[0] < 0 || h[0] > fpTol(2, 0) {
		t.Errorf("entropy of a near-deterministic vector: %v", h[0])
	}
}

// TestBernoulliCrossEntropy checks the continuous form for x in [0, 1]:
// x log σ(l) + (1 − x) log σ(−l).
func TestBernoulliCrossEntropy(t *testing.T) {
	l := []float64{1.5, -0.3}
	b := Bernoulli{dense(l)}
	x := []float64{0.3, 0.9}
	got := b.LogProb(nil, dense(x))[0]
	var want float64
	for j := range l {
		want += x[j]*logspace.LogSigmoid(l[j]) + (1-x[j])*logspace.LogSigmoid(-l[j])
	}
	if math.Abs(got-want) > fpTol(8, 4) {
		t.Errorf("cross-entropy form %v, want %v", got, want)
	}
}

func TestBernoulliSampleEntropy(t *testing.T) {
	const n = 20000
	l := []float64{-1, 0, 2.5}
	b := Bernoulli{dense(l)}
	x := mat.NewDense(n, 3, nil)
	b.Sample(x, newRand(5))
	for j, lj := range l {
		p := 1 / (1 + math.Exp(-lj))
		m, _ := colMoments(x, j)
		if se := math.Sqrt(p * (1 - p) / n); math.Abs(m-p) > zSE*se {
			t.Errorf("col %d: frequency %v, want %v ± %v", j, m, p, zSE*se)
		}
	}
	for i := 0; i < n; i++ {
		for _, v := range x.RawRowView(i) {
			if v != 0 && v != 1 {
				t.Fatalf("sample %v not in {0, 1}", v)
			}
		}
	}
	// Batched sampling: each row from its member.
	bb := Bernoulli{dense([]float64{-800, 800}, []float64{800, -800})}
	z := mat.NewDense(2, 2, nil)
	bb.Sample(z, newRand(6))
	if !mat.Equal(z, dense([]float64{0, 1}, []float64{1, 0})) {
		t.Errorf("batched sample:\n%v", mat.Formatted(z))
	}

	lb := dense([]float64{-1, 0, 2.5}, []float64{30, -30, 0.01})
	h := Bernoulli{lb}.Entropy(nil)
	for i := range h {
		var want float64
		for j := 0; j < 3; j++ {
			want += distuv.Bernoulli{P: 1 / (1 + math.Exp(-lb.At(i, j)))}.Entropy()
		}
		// distuv's form loses relative accuracy for p near 1; compare
		// with an absolute tolerance from rounding p (ε·|l| per coordinate).
		if math.Abs(h[i]-want) > fpTol(6, 30) {
			t.Errorf("member %d: entropy %v, want %v", i, h[i], want)
		}
	}
	var mean mat.Dense
	Bernoulli{lb}.Mean(&mean)
	if math.Abs(mean.At(0, 1)-0.5) > machEps {
		t.Errorf("Mean: %v", mat.Formatted(&mean))
	}
	mustPanic(t, "batch rows", func() { bb.LogProb(nil, dense([]float64{1, 0})) })
	mustPanic(t, "nil logits", func() { Bernoulli{}.Dim() })
}
