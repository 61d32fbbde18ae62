package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// catOracle returns the gonum categorical with weights exp(l).
func catOracle(l []float64) distuv.Categorical {
	w := make([]float64, len(l))
	for k, v := range l {
		w[k] = math.Exp(v)
	}
	return distuv.NewCategorical(w, nil)
}

func TestCategoricalLogProb(t *testing.T) {
	x := dense([]float64{0}, []float64{2}, []float64{3})
	for _, tc := range []struct {
		name   string
		logits *mat.Dense
	}{
		{"broadcast", dense([]float64{0.5, -1, 2, 0})},
		{"batched", dense([]float64{0.5, -1, 2, 0}, []float64{0, 0, 0, 0}, []float64{3, -3, 1, math.Inf(-1)})},
	} {
		c := Categorical{tc.logits}
		got := c.LogProb(nil, notDense{x})
		for i := range got {
			row := tc.logits.RawRowView(member(c.Len(), i))
			want := catOracle(row).LogProb(x.At(i, 0))
			if math.Abs(got[i]-want) > fpTol(8, math.Abs(want)+4) && !(math.IsInf(want, -1) && math.IsInf(got[i], -1)) {
				t.Errorf("%s row %d: %v, want %v", tc.name, i, got[i], want)
			}
		}
		h := c.Entropy(nil)
		for i := range h {
			want := catOracle(tc.logits.RawRowView(i)).Entropy()
			if math.Abs(h[i]-want) > fpTol(8, want+4) {
				t.Errorf("%s member %d: entropy %v, want %v", tc.name, i, h[i], want)
			}
		}
	}
}

func TestCategoricalIndices(t *testing.T) {
	c := Categorical{dense([]float64{0, 0, 0})}
	got := c.LogProb(nil, dense([]float64{-1}, []float64{3}, []float64{math.Inf(1)}, []float64{math.NaN()}, []float64{1}))
	for i, want := range []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1), math.NaN(), -math.Log(3)} {
		switch {
		case math.IsNaN(want):
			if !math.IsNaN(got[i]) {
				t.Errorf("row %d: %v, want NaN", i, got[i])
			}
		case math.IsInf(want, -1):
			if !math.IsInf(got[i], -1) {
				t.Errorf("row %d: %v, want -Inf", i, got[i])
			}
		case math.Abs(got[i]-want) > fpTol(4, 1):
			t.Errorf("row %d: %v, want %v", i, got[i], want)
		}
	}
	mustPanic(t, "non-integer index", func() { c.LogProb(nil, dense([]float64{0.5})) })
	mustPanic(t, "two columns", func() { c.LogProb(nil, dense([]float64{0, 1})) })
	mustPanic(t, "batch rows", func() { Categorical{dense([]float64{0, 0}, []float64{0, 0})}.LogProb(nil, dense([]float64{0})) })
}

func TestCategoricalExtremeLogits(t *testing.T) {
	c := Categorical{dense([]float64{800, -800, 0}, []float64{-800, -800, -800})}
	got := c.LogProb(nil, dense([]float64{1}, []float64{2}))
	want := []float64{-1600, -math.Log(3)}
	// log-softmax subtracts numbers of size 800: the rounding is relative
	// to the logits' magnitude, not to the result's.
	const scale = 800
	for i := range got {
		if math.Abs(got[i]-want[i]) > fpTol(4, scale) {
			t.Errorf("row %d: %v, want %v", i, got[i], want[i])
		}
	}
	h := c.Entropy(nil)
	if h[0] < 0 || h[0] > fpTol(3, 1) || math.Abs(h[1]-math.Log(3)) > fpTol(6, scale) {
		t.Errorf("entropy %v, want [≈0, log 3]", h)
	}
	var p mat.Dense
	c.Probs(&p)
	for i := 0; i < 2; i++ {
		if s := floats.Sum(p.RawRowView(i)); math.Abs(s-1) > fpTol(3, scale) {
			t.Errorf("row %d: probabilities sum to %v", i, s)
		}
	}
}

func TestCategoricalSample(t *testing.T) {
	const n = 20000
	l := []float64{0.2, -1, 1.5, math.Inf(-1), 0}
	c := Categorical{dense(l)}
	x := mat.NewDense(n, 1, nil)
	c.Sample(x, newRand(9))
	var p mat.Dense
	c.Probs(&p)
	counts := make([]float64, len(l))
	for i := 0; i < n; i++ {
		counts[int(x.At(i, 0))]++
	}
	for k, cnt := range counts {
		pk := p.At(0, k)
		if se := math.Sqrt(pk * (1 - pk) / n); math.Abs(cnt/n-pk) > zSE*se {
			t.Errorf("class %d: frequency %v, want %v ± %v", k, cnt/n, pk, zSE*se)
		}
	}
	if counts[3] != 0 {
		t.Errorf("drew a class of probability zero %v times", counts[3])
	}
	// Batched: member i puts all its mass on class i.
	cb := Categorical{dense([]float64{0, -800, -800}, []float64{-800, 0, -800}, []float64{-800, -800, 0})}
	var z mat.Dense
	cb.Sample(&z, newRand(10))
	if !mat.Equal(&z, dense([]float64{0}, []float64{1}, []float64{2})) {
		t.Errorf("batched sample:\n%v", mat.Formatted(&z))
	}
	if cb.Dim() != 1 || cb.K() != 3 || cb.Len() != 3 {
		t.Errorf("Dim, K, Len = %d, %d, %d", cb.Dim(), cb.K(), cb.Len())
	}
}
