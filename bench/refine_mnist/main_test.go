package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures hold three images. Without refinement the gaps are 0.5, 2
// and 4 nats and k̂ is 0.5, 0.9 and 1.2: median 0.90, mean 0.87, one image
// below 0.7. Refined, the gaps are 0.2, 0.7 and 2 nats and k̂ is 0.3, 0.6
// and null: median and mean 0.45, two images of three below 0.7.
const (
	testPlain = `{"model": "m.safetensors", "data": "d", "n_points": 3, "seed": 1, "exact_log_px": null, "results": [
 {"method": "is", "proposal": "encoder", "k": 10, "log_px": -90, "stderr": 0.25, "ess": 3, "khat": 1.2, "error": null,
  "per_point": [{"log_px": -80, "khat": 0.5}, {"log_px": -90, "khat": 0.9}, {"log_px": -100, "khat": 1.2}]},
 {"method": "elbo", "proposal": "encoder", "k": 10, "log_px": -92.1666, "stderr": 0.5, "khat": null,
  "per_point": [{"log_px": -80.5}, {"log_px": -92}, {"log_px": -104}]}]}`
	testRefined = `{"model": "m.safetensors", "data": "d", "n_points": 3, "seed": 1, "exact_log_px": null, "results": [
 {"method": "elbo", "proposal": "encoder, refined (200 steps)", "k": 10, "log_px": -90.7, "stderr": 0.4,
  "per_point": [{"log_px": -80.1}, {"log_px": -90.5}, {"log_px": -101.5}]},
 {"method": "is", "proposal": "encoder, refined (200 steps)", "k": 10, "log_px": -89.7333, "stderr": 0.125, "khat": null,
  "per_point": [{"log_px": -79.9, "khat": 0.3}, {"log_px": -89.8, "khat": 0.6}, {"log_px": -99.5, "khat": null}]}]}`
	testNoELBO = `{"results": [{"method": "is", "k": 10, "log_px": -90, "stderr": 0.1,
  "per_point": [{"log_px": -90, "khat": 0.5}]}]}`
	testShort = `{"results": [{"method": "is", "k": 10, "log_px": -90, "stderr": 0.1,
  "per_point": [{"log_px": -90, "khat": 0.5}]}, {"method": "elbo", "k": 10, "log_px": -91, "per_point": []}]}`
)

// writeFiles writes the fixtures to a temporary directory and returns it.
func writeFiles(t *testing.T) string {
	dir := t.TempDir()
	for name, s := range map[string]string{"plain.json": testPlain, "refined.json": testRefined, "noelbo.json": testNoELBO,
		"short.json": testShort, "bad.json": `{"results": [`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRun prints the tables and draws the figure from two runs, one of them
// with a comma in its label.
func TestRun(t *testing.T) {
	dir := writeFiles(t)
	plain, refined := filepath.Join(dir, "plain.json"), filepath.Join(dir, "refined.json")
	out := filepath.Join(dir, "fig.png")
	runs := "diagonal, ELBO=" + plain + ":" + refined + "; IAF=" + plain + ":" + refined + ";"
	var b strings.Builder
	if err := run([]string{"-runs", runs, "-out", out}, &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| diagonal, ELBO | encoder | −90.000 ± 0.250 | −92.167 | 2.17 | 0.90 | 0.87 | 1 / 3 |",
		"| diagonal, ELBO | encoder, refined (200 steps) | −89.733 ± 0.125 | −90.700 | 0.97 | 0.45 | 0.45 | 2 / 3 (1 without k̂) |",
		"| IAF | encoder | −90.000 ± 0.250 |",
		"| [0, 1) | 6 | 6 | 1.00 |",
		"| [1, 2) | 0 | 0 | – |",
		"| [2, 3) | 2 | 0 | 0.00 |",
		"| [4, 6) | 2 | 0 | 0.00 |",
		"| [6, ∞) | 0 | 0 | – |",
		"2 images without k̂ or gap left out.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("tables lack %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "| < 0 |") {
		t.Errorf("tables show an empty bin of negative gaps:\n%s", b.String())
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Fatalf("figure not written: %v", err)
	}
	t.Log("\n" + b.String())
}

// TestRunErrors checks that bad input gives an error that names the file.
func TestRunErrors(t *testing.T) {
	dir := writeFiles(t)
	plain := filepath.Join(dir, "plain.json")
	out := filepath.Join(dir, "fig.png")
	for _, c := range []struct{ runs, want string }{
		{"a=" + plain + ":" + filepath.Join(dir, "missing.json"), "missing.json"},
		{"a=" + filepath.Join(dir, "noelbo.json") + ":" + plain, `noelbo.json: no "elbo" row`},
		{"a=" + plain + ":" + filepath.Join(dir, "short.json"), "short.json: the \"is\" row has 1 per_point results and the \"elbo\" row 0"},
		{"a=" + filepath.Join(dir, "bad.json") + ":" + plain, "bad.json: unexpected end of JSON input"},
		{"a=" + plain, "not LABEL=PLAIN.json:REFINED.json"},
		{"", "no runs"},
	} {
		err := run([]string{"-runs", c.runs, "-out", out}, new(strings.Builder))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("-runs %q: error %v, want one containing %q", c.runs, err, c.want)
		}
	}
	var b strings.Builder
	if err := run([]string{"-runs", "a=" + plain + ":" + plain, "-out", filepath.Join(dir, "fig.bmp")}, &b); err == nil {
		t.Error("an unsupported format (.bmp) gave no error")
	}
}
