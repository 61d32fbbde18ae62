package cli

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/latent"
)

var updateDefaults = flag.Bool("update-defaults", false, "rewrite the embedded default model and data in cli/defaults")

// Parameters of the embedded default: a linear-Gaussian model large enough
// that naive prior sampling is visibly wrong at K = 10⁵, small enough that the
// whole default run takes seconds.
const (
	defaultD, defaultLatent = 32, 8
	defaultNoise            = 0.5
	defaultPoints           = 5
	defaultSeed             = 2026
)

// makeDefaults returns the JSON spec and CSV data of the embedded default.
func makeDefaults(t *testing.T) (spec, data []byte) {
	rnd := rand.New(rand.NewPCG(defaultSeed, 0))
	m := latent.NewRandomLinearGaussian(defaultD, defaultLatent, defaultNoise, rnd)
	spec, err := latent.MarshalSpec(m)
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewDense(defaultPoints, defaultD, nil)
	m.SampleData(x, rnd)
	var b bytes.Buffer
	for i := range defaultPoints {
		row := make([]string, defaultD)
		for j := range row {
			row[j] = strconv.FormatFloat(x.At(i, j), 'g', -1, 64)
		}
		b.WriteString(strings.Join(row, ",") + "\n")
	}
	return spec, b.Bytes()
}

// TestDefaultsUpToDate checks that the embedded default files are what
// makeDefaults produces; run with -update-defaults to rewrite them.
func TestDefaultsUpToDate(t *testing.T) {
	spec, data := makeDefaults(t)
	if *updateDefaults {
		for name, b := range map[string][]byte{defaultModelFile: spec, defaultDataFile: data} {
			if err := os.WriteFile(name, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, want := range map[string][]byte{defaultModelFile: spec, defaultDataFile: data} {
		got, err := defaults.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go test ./cli -run TestDefaultsUpToDate -update-defaults", name)
		}
	}
}
