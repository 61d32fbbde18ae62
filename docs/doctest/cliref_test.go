package doctest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vitool/vitool/cli"
)

// TestCLIReference fails when docs/cli.md is not what the generator writes
// for the current command tree, so that the reference cannot drift from the
// commands.
func TestCLIReference(t *testing.T) {
	var want bytes.Buffer
	if err := cli.WriteReference(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(repoRoot, "docs", "cli.md"))
	if err != nil {
		t.Fatalf("%v\nGenerate it with: %s", err, cli.ReferenceCommand)
	}
	if bytes.Equal(got, want.Bytes()) {
		return
	}
	gl := strings.Split(string(got), "\n")
	wl := strings.Split(want.String(), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("docs/cli.md is out of date with the commands; regenerate it from the repository root with\n\n\t%s\n\nfirst difference at line %d:\n  committed: %q\n  generated: %q",
				cli.ReferenceCommand, i+1, g, w)
		}
	}
}
