package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseCounts parses a comma-separated list of positive sample counts such as
// "1,10,1e3,100000". flag names the flag in error messages.
func parseCounts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, usagef("%s: empty entry in %q (want a comma-separated list of positive integers)", flag, s)
		}
		v, err := parseCount(f)
		if err != nil {
			return nil, usagef("%s: %q is not a positive integer of at most 1e15 (want e.g. 1,10,1e3)", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseCount parses one positive integer, written plainly or as 1e6, of at
// most maxDraws.
func parseCount(s string) (int, error) {
	if v, err := strconv.Atoi(s); err == nil {
		if v < 1 || v > maxDraws {
			return 0, fmt.Errorf("not positive")
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > maxDraws || f != math.Trunc(f) {
		return 0, fmt.Errorf("not a positive integer")
	}
	return int(f), nil
}

// parseChoices parses a comma-separated list whose entries must be among
// allowed, keeping the order given and dropping repeats.
func parseChoices(flag, s string, allowed []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		ok := false
		for _, a := range allowed {
			ok = ok || f == a
		}
		if !ok {
			return nil, usagef("%s: unknown value %q (want a comma-separated list of %s)", flag, f, strings.Join(allowed, ", "))
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}
