package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestEnumeratorSumsToOne checks that the events of every member are
// distinct and that their probabilities sum to one.
func TestEnumeratorSumsToOne(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Enumerator
		n    int
	}{
		{"categorical", Categorical{Logits: mat.NewDense(2, 3, []float64{0.1, -2, 1, 0, 0, math.Inf(-1)})}, 3},
		{"bernoulli", Bernoulli{Logits: mat.NewDense(2, 3, []float64{0.5, -1, 2, 0, 3, -3})}, 8},
	} {
		if got := tc.d.NumEvents(); got != tc.n {
			t.Errorf("%s: NumEvents() = %d, want %d", tc.name, got, tc.n)
		}
		dim := tc.d.Dim()
		seen := map[[3]float64]bool{}
		for member := range tc.d.Len() {
			var total float64
			for i := range tc.d.NumEvents() {
				ev := make([]float64, dim)
				tc.d.Event(ev, i)
				var key [3]float64
				copy(key[:], ev)
				if member == 0 && seen[key] {
					t.Errorf("%s: event %d = %v repeats an earlier one", tc.name, i, ev)
				}
				seen[key] = true
				x := mat.NewDense(tc.d.Len(), dim, nil)
				for r := range tc.d.Len() {
					x.SetRow(r, ev)
				}
				total += math.Exp(tc.d.LogProb(nil, x)[member])
			}
			if math.Abs(total-1) > 1e-12 {
				t.Errorf("%s member %d: probabilities sum to %v", tc.name, member, total)
			}
		}
	}
}

func TestEnumeratorPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"categorical out of range": func() { Categorical{Logits: mat.NewDense(1, 3, nil)}.Event([]float64{0}, 3) },
		"bernoulli wrong length":   func() { Bernoulli{Logits: mat.NewDense(1, 3, nil)}.Event([]float64{0}, 1) },
		"bernoulli too large":      func() { Bernoulli{Logits: mat.NewDense(1, 21, nil)}.NumEvents() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
