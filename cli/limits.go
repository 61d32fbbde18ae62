package cli

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"

	"github.com/vitool/vitool/dataset"
)

// EnvMaxMemory names the environment variable that sets the memory budget
// of a command: a size such as 16GiB, 500MB or 2e9 (bytes), or "off" for no
// budget. Every command computes, from its flags and the sizes its input
// files declare, how much memory the request needs before it allocates, and
// refuses (exit status 2) a request over the budget.
const EnvMaxMemory = "VITOOL_MAX_MEMORY"

// DefaultMaxMemory is the memory budget when EnvMaxMemory is not set.
const DefaultMaxMemory = 8 << 30

// maxDraws bounds the samples of one estimate (K times the replicates): a
// request beyond it would run for days, and counts beyond it overflow the
// progress and sample counters.
const maxDraws = 1e15

// memoryBudget returns the budget in bytes that EnvMaxMemory sets, or
// DefaultMaxMemory; math.MaxUint64 means no budget.
func memoryBudget() (uint64, error) {
	v := strings.TrimSpace(os.Getenv(EnvMaxMemory))
	if v == "" {
		return DefaultMaxMemory, nil
	}
	b, err := parseBytes(v)
	if err != nil {
		return 0, usagef("%s=%q: %v (want a size such as 16GiB, 500MB or 2e9, or off)", EnvMaxMemory, v, err)
	}
	return b, nil
}

// parseBytes reads a size: a number with an optional unit (B, kB, MB, GB,
// TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024; K, M, G, T
// alone are binary), or "off", "none" or "unlimited".
func parseBytes(s string) (uint64, error) {
	switch strings.ToLower(s) {
	case "off", "none", "unlimited":
		return math.MaxUint64, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != 'e' && r != 'E' && r != '+' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, errors.New("not a positive size")
	}
	units := map[string]float64{
		"": 1, "b": 1,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}
	mul, ok := units[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	if f*mul >= math.MaxUint64 {
		return math.MaxUint64, nil
	}
	return uint64(f * mul), nil
}

// memPlan adds up the memory that a request will need, part by part, before
// anything is allocated, so that an impossible request is refused with one
// line naming the flag or file responsible.
type memPlan struct {
	parts []memPart
}

// memPart is one named share of a memPlan.
type memPart struct {
	what  string // the flag or file responsible, as the message names it
	bytes uint64
}

// add records that what needs the product of factors bytes (the product
// saturates instead of overflowing). Negative factors count as zero.
func (p *memPlan) add(what string, factors ...int) {
	p.parts = append(p.parts, memPart{what: what, bytes: product(factors...)})
}

// total returns the sum of the parts, saturating.
func (p *memPlan) total() uint64 {
	var t uint64
	for _, part := range p.parts {
		t = satAdd(t, part.bytes)
	}
	return t
}

// check returns a usage error naming the largest part if the plan needs more
// than the budget of EnvMaxMemory.
func (p *memPlan) check() error {
	budget, err := memoryBudget()
	if err != nil {
		return err
	}
	t := p.total()
	if t <= budget {
		return nil
	}
	big := p.parts[0]
	for _, part := range p.parts[1:] {
		if part.bytes > big.bytes {
			big = part
		}
	}
	return usagef("%s: needs about %s of memory (%s in all), more than the budget of %s; ask for less, or raise the budget with %s=SIZE (see docs/failure-behaviour.md)",
		big.what, fmtSize(big.bytes), fmtSize(t), fmtSize(budget), EnvMaxMemory)
}

// product returns the product of factors, saturating at math.MaxUint64;
// negative factors count as zero.
func product(factors ...int) uint64 {
	out := uint64(1)
	for _, f := range factors {
		if f <= 0 {
			return 0
		}
		hi, lo := bits.Mul64(out, uint64(f))
		if hi != 0 {
			out = math.MaxUint64
			continue
		}
		out = lo
	}
	return out
}

// satAdd returns a + b, saturating at math.MaxUint64.
func satAdd(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

// fmtSize formats a byte count for messages; math.MaxUint64 reads as "more
// than 16 EiB" (an overflowing request).
func fmtSize(b uint64) string {
	if b == math.MaxUint64 {
		return "more than 16 EiB"
	}
	if b >= 1<<60 {
		return fmt.Sprintf("%.3g EiB", float64(b)/(1<<60))
	}
	if b >= 1<<50 {
		return fmt.Sprintf("%.3g PiB", float64(b)/(1<<50))
	}
	if b >= 1<<40 {
		return fmt.Sprintf("%.3g TiB", float64(b)/(1<<40))
	}
	return fmtBytes(b)
}

// dataLimits returns the limits of a data read: at most n points (0: all),
// and no more values than the memory budget holds as float32.
func dataLimits(n int) (dataset.Limits, error) {
	budget, err := memoryBudget()
	if err != nil {
		return dataset.Limits{}, err
	}
	lim := dataset.Limits{MaxPoints: n}
	if budget/4 < math.MaxInt64 {
		lim.MaxValues = int64(budget / 4)
	}
	return lim, nil
}

// dataError turns a data reader's error into a usage error for flag, with
// the way to raise the budget when the data set is over it.
func dataError(flag string, err error) error {
	var le *dataset.LimitError
	if errors.As(err, &le) && le.Budget {
		return usagef("%s: %v; ask for fewer points (--n, --train-n, --test-n) or raise the budget with %s=SIZE", flag, err, EnvMaxMemory)
	}
	return usagef("%s: %v", flag, err)
}
