package cli

import (
	"strings"
	"testing"
)

// TestTableMarksUnreliableKHat checks that the table marks a k̂ above 0.7
// in place and explains the mark once below the table, and neither marks
// nor explains anything when every k̂ is below 0.7. On the default model,
// naive sampling at K = 1000 has k̂ far above 0.7 and IS with the fitted q
// about 0.6; the exact posterior gives equal weights.
func TestTableMarksUnreliableKHat(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		marked map[string]bool // row (method) → whether its k̂ is marked
	}{
		{"prior and fitted", []string{"--k", "1000", "--method", "prior,is", "--proposal", "fitted"}, map[string]bool{"prior": true, "is": false}},
		{"exact", []string{"--k", "1000", "--method", "is", "--proposal", "exact"}, map[string]bool{"is": false}},
	} {
		out, errOut, code := run(t, append([]string{"estimate-px", "--log-level", "error"}, tc.args...)...)
		if code != ExitOK {
			t.Fatalf("%s: exit %d\n%s", tc.name, code, errOut)
		}
		any := false
		for method, want := range tc.marked {
			any = any || want
			var row string
			for _, line := range strings.Split(out, "\n") {
				if f := strings.Fields(strings.Trim(line, "│ ")); len(f) > 0 && f[0] == method {
					row = line
				}
			}
			if row == "" {
				t.Fatalf("%s: no %s row in\n%s", tc.name, method, out)
			}
			if got := strings.Contains(row, khatMark+" "); got != want {
				t.Errorf("%s: %s row marked %v, want %v:\n%s", tc.name, method, got, want, row)
			}
		}
		if n := strings.Count(out, khatNote); (n == 1) != any || n > 1 {
			t.Errorf("%s: the note appears %d times, want %d:\n%s", tc.name, n, map[bool]int{true: 1}[any], out)
		}
	}
}
