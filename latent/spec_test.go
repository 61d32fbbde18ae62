package latent_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/latent"
)

func TestParseSpecValid(t *testing.T) {
	lg, err := latent.ParseSpec([]byte(`{"family": "linear-gaussian", "W": [[1, 2], [3, 4], [5, 6]], "b": [0.5, -1, 2], "noise_std": 0.25}`))
	if err != nil {
		t.Fatal(err)
	}
	want := latent.LinearGaussian{W: mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6}), B: []float64{0.5, -1, 2}, NoiseStd: 0.25}
	if got, ok := lg.(latent.LinearGaussian); !ok || !mat.Equal(got.W, want.W) || !floats.Equal(got.B, want.B) || got.NoiseStd != want.NoiseStd {
		t.Errorf("ParseSpec = %#v, want %#v", lg, want)
	}

	gm, err := latent.ParseSpec([]byte(`{"family": "gaussian-mixture", "weights": [0.25, 0.75], "means": [[0, 1], [2, 3]], "stds": [[1, 1], [0.5, 2]]}`))
	if err != nil {
		t.Fatal(err)
	}
	wantGM := latent.GaussianMixture{
		Weights: []float64{0.25, 0.75},
		Means:   mat.NewDense(2, 2, []float64{0, 1, 2, 3}),
		Stds:    mat.NewDense(2, 2, []float64{1, 1, 0.5, 2}),
	}
	if got, ok := gm.(latent.GaussianMixture); !ok || !floats.Equal(got.Weights, wantGM.Weights) || !mat.Equal(got.Means, wantGM.Means) || !mat.Equal(got.Stds, wantGM.Stds) {
		t.Errorf("ParseSpec = %#v, want %#v", gm, wantGM)
	}
}

func TestParseSpecErrors(t *testing.T) {
	const lgHead = `{"family": "linear-gaussian", `
	const gmHead = `{"family": "gaussian-mixture", `
	for _, tc := range []struct {
		name, in string
		want     []string // phrases the error must contain
	}{
		{"empty", "", []string{"empty model specification"}},
		{"blank", " \n\t", []string{"empty model specification"}},
		{"malformed", `{"family": "linear-gaussian",, }`, []string{"malformed JSON at offset 30", "invalid character"}},
		{"truncated", `{"family": "linear-gaussian", "W": [[1]`, []string{"malformed JSON at offset", "unexpected end"}},
		{"trailing data", `{"family": "linear-gaussian"} {}`, []string{"malformed JSON at offset"}},
		{"not an object", `[1, 2]`, []string{"JSON array", "want a JSON object"}},
		{"missing family", `{"W": [[1]]}`, []string{`missing "family"`, "linear-gaussian, gaussian-mixture"}},
		{"unknown family", `{"family": "hmm"}`, []string{`unknown family "hmm"`, "linear-gaussian, gaussian-mixture"}},
		{"family not a string", `{"family": 3}`, []string{`field "family" at offset 12: got JSON number, want a string`}},
		{"unknown field", lgHead + `"W": [[1]], "b": [0], "noise_std": 1, "bias": [0]}`, []string{`unknown field "bias"`, "family, W, b, noise_std"}},
		{"unknown mixture field", gmHead + `"weights": [1], "means": [[0]], "stds": [[1]], "cov": 1}`, []string{`unknown field "cov"`, "weights, means, stds"}},
		{"W wrong type", lgHead + `"W": [1, 2], "b": [0], "noise_std": 1}`, []string{`field "W" at offset 37: got JSON number, want an array of numbers`}},
		{"overflow", lgHead + `"W": [[1e400]], "b": [0], "noise_std": 1}`, []string{"out-of-range JSON number 1e400"}},
		{"missing W", lgHead + `"b": [0], "noise_std": 1}`, []string{`linear-gaussian: missing or empty "W"`}},
		{"empty W row", lgHead + `"W": [[]], "b": [0], "noise_std": 1}`, []string{"W[0] is empty"}},
		{"ragged W", lgHead + `"W": [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4]], "b": [0, 0, 0, 0], "noise_std": 1}`, []string{"W[3] has 4 columns, want 5 (as W[0])"}},
		{"missing b", lgHead + `"W": [[1], [2]], "noise_std": 1}`, []string{`missing "b"`}},
		{"short b", lgHead + `"W": [[1], [2], [3], [4], [5], [6]], "b": [0, 0, 0, 0, 0, 0, 0], "noise_std": 1}`, []string{"b has 7 entries, want 6 (rows of W)"}},
		{"missing noise", lgHead + `"W": [[1]], "b": [0]}`, []string{`missing "noise_std"`}},
		{"zero noise", lgHead + `"W": [[1]], "b": [0], "noise_std": 0}`, []string{"noise_std is 0, want a positive"}},
		{"negative noise", lgHead + `"W": [[1]], "b": [0], "noise_std": -0.5}`, []string{"noise_std is -0.5"}},
		{"missing weights", gmHead + `"means": [[0]], "stds": [[1]]}`, []string{`gaussian-mixture: missing or empty "weights"`}},
		{"negative weight", gmHead + `"weights": [-0.5, 1.5], "means": [[0], [1]], "stds": [[1], [1]]}`, []string{"weights[0] is -0.5"}},
		{"weights sum", gmHead + `"weights": [0.5, 0.4], "means": [[0], [1]], "stds": [[1], [1]]}`, []string{"weights sum to 0.9, want 1"}},
		{"missing means", gmHead + `"weights": [1], "stds": [[1]]}`, []string{`missing or empty "means"`}},
		{"means rows", gmHead + `"weights": [0.5, 0.5], "means": [[0]], "stds": [[1], [1]]}`, []string{"means has 1 rows, want 2 (entries of weights)"}},
		{"ragged means", gmHead + `"weights": [0.5, 0.5], "means": [[0, 1], [1]], "stds": [[1, 1], [1, 1]]}`, []string{"means[1] has 1 columns, want 2 (as means[0])"}},
		{"missing stds", gmHead + `"weights": [1], "means": [[0]]}`, []string{`missing or empty "stds"`}},
		{"stds columns", gmHead + `"weights": [1], "means": [[0, 1]], "stds": [[1]]}`, []string{"stds[0] has 1 columns, want 2"}},
		{"stds rows", gmHead + `"weights": [0.5, 0.5], "means": [[0], [1]], "stds": [[1]]}`, []string{"stds has 1 rows, want 2"}},
		{"zero std", gmHead + `"weights": [0.5, 0.5], "means": [[0], [1]], "stds": [[1], [0]]}`, []string{"stds[1][0] is 0, want a positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := latent.ParseSpec([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParseSpec(%q) = %v, nil; want an error", tc.in, m)
			}
			if m != nil {
				t.Errorf("ParseSpec returned the model %v with an error", m)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseSpec(%q) error %q does not contain %q", tc.in, err, w)
				}
			}
		})
	}
}

// TestParseSpecJSONErrorsWrapped checks that callers can inspect the
// underlying encoding/json error.
func TestParseSpecJSONErrorsWrapped(t *testing.T) {
	_, err := latent.ParseSpec([]byte(`{"family": }`))
	var syn *json.SyntaxError
	if !errors.As(err, &syn) || syn.Offset != 12 {
		t.Errorf("ParseSpec error %v does not wrap a *json.SyntaxError at offset 12", err)
	}
}

func TestSpecRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(30, 0))
	lg := latent.NewRandomLinearGaussian(7, 3, 0.37, rnd)
	gm := latent.NewRandomGaussianMixture(4, 5, rnd)
	for _, tc := range []struct {
		name string
		m    latent.Model
	}{
		{"linear-gaussian", lg},
		{"linear-gaussian pointer", &lg},
		{"gaussian-mixture", gm},
		{"gaussian-mixture pointer", &gm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := latent.MarshalSpec(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(data) {
				t.Fatalf("MarshalSpec wrote invalid JSON:\n%s", data)
			}
			got, err := latent.ParseSpec(data)
			if err != nil {
				t.Fatalf("ParseSpec(MarshalSpec(m)): %v\n%s", err, data)
			}
			switch want := tc.m.(type) {
			case latent.LinearGaussian, *latent.LinearGaussian:
				w := lg
				g, ok := got.(latent.LinearGaussian)
				if !ok || !mat.Equal(g.W, w.W) || !floats.Equal(g.B, w.B) || g.NoiseStd != w.NoiseStd {
					t.Errorf("round trip changed the model:\n%s", data)
				}
			case latent.GaussianMixture, *latent.GaussianMixture:
				w := gm
				g, ok := got.(latent.GaussianMixture)
				if !ok || !floats.Equal(g.Weights, w.Weights) || !mat.Equal(g.Means, w.Means) || !mat.Equal(g.Stds, w.Stds) {
					t.Errorf("round trip changed the model:\n%s", data)
				}
			default:
				t.Fatalf("unexpected model %T", want)
			}
		})
	}
}

func TestMarshalSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    latent.Model
		want string
	}{
		{"invalid", latent.LinearGaussian{W: mat.NewDense(1, 1, []float64{1}), B: []float64{0}, NoiseStd: -1}, "NoiseStd is -1"},
		{"nil pointer", (*latent.GaussianMixture)(nil), "nil *GaussianMixture"},
		{"other model", otherModel{}, "no specification format for latent_test.otherModel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := latent.MarshalSpec(tc.m); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("MarshalSpec error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// otherModel is a Model that has no specification format.
type otherModel struct{ latent.LinearGaussian }

func TestLoadSpec(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"family": "gaussian-mixture", "weights": [1], "means": [[0]], "stds": [[1]]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"family": "gaussian-mixture", "weights": [1], "means": [[0]], "stds": [[-1]]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := latent.LoadSpec(good); err != nil || m.DataDim() != 1 {
		t.Errorf("LoadSpec(good) = %v, %v", m, err)
	}
	if _, err := latent.LoadSpec(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": ") || !strings.Contains(err.Error(), "stds[0][0] is -1") {
		t.Errorf("LoadSpec(bad) error %v, want one prefixed with the path and naming stds[0][0]", err)
	}
	missing := filepath.Join(dir, "missing.json")
	if _, err := latent.LoadSpec(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadSpec(missing) error %v, want fs.ErrNotExist naming the path", err)
	}
}

func TestFamilies(t *testing.T) {
	f := latent.Families()
	if !slices.Equal(f, []string{latent.FamilyLinearGaussian, latent.FamilyGaussianMixture}) {
		t.Errorf("Families() = %v", f)
	}
	f[0] = "changed"
	if latent.Families()[0] != latent.FamilyLinearGaussian {
		t.Error("Families returns a shared slice")
	}
}
