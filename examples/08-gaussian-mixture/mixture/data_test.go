package mixture

import (
	"bytes"
	"flag"
	"math"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite points.csv from Generate")

// TestDataIsGenerated checks that the embedded data set is what its
// documentation says: Generate(DataPoints, DataSeed), read back within the
// rounding of float32. Run with -update to rewrite points.csv.
func TestDataIsGenerated(t *testing.T) {
	want := Generate(DataPoints, DataSeed)
	if *update {
		if err := os.WriteFile("points.csv", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(pointsCSV, want) {
		t.Errorf("points.csv differs from Generate(%d, %d); run go test -run TestDataIsGenerated -update", DataPoints, DataSeed)
	}
	ds, err := Data()
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != DataPoints || ds.D != Dim {
		t.Fatalf("Data: %d×%d points, want %d×%d", ds.N, ds.D, DataPoints, Dim)
	}
	pts := Points(ds)
	// The means of the data are within 4 standard errors of the mixture's
	// mean, whose covariance is Σ_c π_c (σ²I + μ_c μ_cᵀ) − μ̄ μ̄ᵀ.
	gm := True()
	for j := range Dim {
		var mu, m2, s float64
		for c, w := range gm.Weights {
			v := gm.Means.At(c, j)
			mu += w * v
			m2 += w * (gm.Stds.At(c, j)*gm.Stds.At(c, j) + v*v)
		}
		for _, p := range pts {
			s += p[j]
		}
		se := math.Sqrt((m2 - mu*mu) / float64(DataPoints))
		if got := s / DataPoints; math.Abs(got-mu) > 4*se {
			t.Errorf("coordinate %d: data mean %.3f, mixture mean %.3f ± %.3f", j, got, mu, se)
		}
	}
}
