package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testEstimate = `{"n_points": 2, "results": [
 {"method": "elbo", "k": 50, "log_px": -101, "stderr": 0.1, "khat": null, "seconds": 1,
  "per_point": [{"log_px": -90, "stderr": 0.1}, {"log_px": -112, "stderr": 0.1}]},
 {"method": "is", "k": 50, "log_px": -95, "stderr": 0.2, "khat": 0.8, "seconds": 1,
  "per_point": [{"log_px": -85, "stderr": 0.1, "khat": 0.6}, {"log_px": -105, "stderr": 0.3, "khat": 1.1}]},
 {"method": "iwae", "k": 50, "reps": 4, "log_px": -95.1, "stderr": 0.2, "khat": null, "seconds": 1,
  "per_point": [{"log_px": -85.1, "stderr": 0.1}, {"log_px": -105.1, "stderr": 0.3}]}]}`
	testAIS = `{"n_points": 2, "results": [
 {"method": "ais", "k": 16, "steps": 10, "accept_rate": 0.6, "log_px": -94.5, "stderr": 0.3, "khat": null, "seconds": 3,
  "per_point": [{"log_px": -84.8, "stderr": 0.2}, {"log_px": -104.2, "stderr": 0.4}]}]}`
	testSandwich = `{"n_points": 2, "chains": 4, "results": [
 {"steps": 10, "lower": -120, "lower_stderr": 0.5, "upper": -117, "upper_stderr": 0.3, "gap": 3, "accept_rate": 0.6, "grad_evals": 100, "seconds": 2},
 {"steps": 100, "lower": -118.6, "lower_stderr": 0.2, "upper": -118.4, "upper_stderr": null, "gap": 0.2, "accept_rate": 0.65, "grad_evals": 1000, "seconds": 20}]}`
)

// TestRun draws the figure and prints the tables from small outputs in the
// format of estimate-px and sandwich.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	est, ais, sw := write("est.json", testEstimate), write("ais.json", testAIS), write("sw.json", testSandwich)
	out := filepath.Join(dir, "fig.png")
	var b strings.Builder
	if err := run([]string{est, ais}, sw, out, &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| is | 50 | −95.000 | 0.200 | 1.10 | −85.00 ± 0.10, −105.00 ± 0.30 | 1 s |",
		"| ais | 16 chains × 10 steps | −94.500 | 0.300 | – |",
		"| 2 | −104.20 | 1.10 | −7.80 | −0.80 | −0.90 |",
		"| 100 | −118.600 | 0.20 | −118.400 | – | 0.20 | 0.65 | 1000 | 20 s |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("tables lack %q:\n%s", want, b.String())
		}
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Fatalf("figure not written: %v", err)
	}
	if err := run([]string{est}, "", filepath.Join(dir, "fig.bmp"), &b); err == nil {
		t.Error("an unsupported format (.bmp) gave no error")
	}
}
