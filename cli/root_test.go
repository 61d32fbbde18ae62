package cli

import (
	"io"
	"strings"
	"testing"
)

// TestModelCommandsOnlyWithRegisteredModels checks that fit and models
// appear in the command tree only of programs that registered models (the
// stock vitool registers none), and always in the reference docs/cli.md.
func TestModelCommandsOnlyWithRegisteredModels(t *testing.T) {
	has := func(names map[string]bool) bool { return names["fit"] && names["models"] }
	saved := registry
	defer func() { registry = saved }()
	if len(saved) == 0 {
		t.Fatal("the package's tests register no model")
	}
	for _, tc := range []struct {
		name     string
		registry map[string]Model
		want     bool
	}{
		{"stock", map[string]Model{}, false},
		{"registered", saved, true},
	} {
		registry = tc.registry
		names := map[string]bool{}
		for _, c := range newRootCommand(io.Discard, io.Discard).Commands() {
			names[c.Name()] = true
		}
		if has(names) != tc.want || names["fit"] != names["models"] {
			t.Errorf("%s: commands %v: fit and models present = %v, want %v", tc.name, names, has(names), tc.want)
		}
	}
	registry = map[string]Model{}
	names := map[string]bool{}
	for _, c := range newReferenceRoot().Commands() {
		names[c.Name()] = true
		if (c.Name() == "fit" || c.Name() == "models") && !strings.Contains(c.Short, "register") {
			t.Errorf("reference: %s's summary %q does not say it needs registered models", c.Name(), c.Short)
		}
	}
	if !has(names) {
		t.Errorf("reference commands %v lack fit or models", names)
	}
}
