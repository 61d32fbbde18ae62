package latent

import (
	"math"
	"strings"
	"testing"
)

// TestParseSpecExtremeValues checks that finite but extreme parameters,
// which would make a Cholesky factorisation panic or every log density
// −Inf, are refused at parse time with a message naming the field.
func TestParseSpecExtremeValues(t *testing.T) {
	for _, c := range []struct {
		name, spec, want string
	}{
		{"huge W", `{"family":"linear-gaussian","W":[[1e308],[1e308]],"b":[0,0],"noise_std":1}`, "entries of W are too large"},
		{"tiny noise", `{"family":"linear-gaussian","W":[[1],[1]],"b":[0,0],"noise_std":1e-300}`, "noise_std is 1e-300"},
		{"huge noise", `{"family":"linear-gaussian","W":[[1],[1]],"b":[0,0],"noise_std":1e200}`, "noise_std is 1e+200"},
		{"ill-conditioned", `{"family":"linear-gaussian","W":[[1e6,0],[0,1e-6]],"b":[0,0],"noise_std":1e-6}`, "condition number"},
		{"tiny std", `{"family":"gaussian-mixture","weights":[0.5,0.5],"means":[[0],[1]],"stds":[[1e-300],[1]]}`, "stds[0][0] is 1e-300"},
		{"huge std", `{"family":"gaussian-mixture","weights":[1],"means":[[0]],"stds":[[1e200]]}`, "stds[0][0] is 1e+200"},
		{"far means", `{"family":"gaussian-mixture","weights":[0.5,0.5],"means":[[-1e300],[1e300]],"stds":[[1],[1]]}`, "means spread"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(c.spec))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	// Moderate values still parse.
	for _, spec := range []string{
		`{"family":"linear-gaussian","W":[[1e3],[1e3]],"b":[0,0],"noise_std":1e-3}`,
		`{"family":"gaussian-mixture","weights":[0.5,0.5],"means":[[-1e6],[1e6]],"stds":[[1e-3],[1]]}`,
	} {
		if _, err := ParseSpec([]byte(spec)); err != nil {
			t.Errorf("%s: %v", spec, err)
		}
	}
}

// FuzzParseSpec parses arbitrary bytes as a model spec: ParseSpec must
// return a model or an error, never panic, and a model it returns must give
// a finite log p(x) where its mass is and survive MarshalSpec.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		`{"family":"linear-gaussian","W":[[1,0],[0,1],[1,1]],"b":[0,0,0],"noise_std":0.5}`,
		`{"family":"gaussian-mixture","weights":[0.3,0.7],"means":[[0,0],[3,3]],"stds":[[1,1],[0.5,2]]}`,
		`{"family":"linear-gaussian","W":[[1e308],[1e308]],"b":[0,0],"noise_std":1}`,
		`{"family":"linear-gaussian","W":[[1],[1]],"b":[0,0],"noise_std":1e-300}`,
		`{"family":"linear-gaussian","W":[[1],[1]],"b":[0,0],"noise_std":1e200}`,
		`{"family":"gaussian-mixture","weights":[1],"means":[[0]],"stds":[[1e-300]]}`,
		`{"family":"linear-gaussian","W":[[]],"b":[],"noise_std":1}`,
		`{"family":"gaussian-mixture","weights":[],"means":[],"stds":[]}`,
		`{"family":"nope"}`, `[]`, `{"family":"linear-gaussian","W":[[1],[1,2]]}`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseSpec(b)
		if err != nil {
			return
		}
		var x []float64
		switch v := m.(type) {
		case LinearGaussian:
			x = v.B
		case GaussianMixture:
			x = v.Means.RawRowView(0)
		default:
			t.Fatalf("ParseSpec returned a %T", m)
		}
		if ev, ok := m.(Evidencer); ok {
			if lp := ev.LogEvidence(x); math.IsNaN(lp) || math.IsInf(lp, 0) {
				t.Fatalf("log p(x) = %v for an accepted spec", lp)
			}
		}
		if _, err := MarshalSpec(m); err != nil {
			t.Fatalf("MarshalSpec of an accepted spec: %v", err)
		}
	})
}
