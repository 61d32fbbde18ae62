#!/usr/bin/env bash
# One training step of the reference VAE (784-200-200-50, tanh, Bernoulli,
# batch 100, analytic-KL ELBO, Adam): the trainer before the differentiable
# core (commit 19e2b31, whole-VAE gorgonia programs in internal/ad) against
# the current one (ppl.GradientTraces with nn networks), in one run: both
# test binaries are built first, then run alternately, and the median CPU
# time per step of each is printed (docs/benchmarks.md, §3).
set -euo pipefail
cd "$(dirname "$0")/.."
old=${OLD:-19e2b31}
reps=${REPS:-5}
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add -q --detach "$tmp/old" "$old"
(cd "$tmp/old" && go test -c -o "$tmp/old.test" ./amortized)
go test -c -o "$tmp/new.test" ./amortized
cpu() { # cpu seconds of one benchmark run of binary $1
	local s
	s=$( { /usr/bin/time -f '%U %S' "$1" -test.run '^$' -test.bench '^BenchmarkTrainStep$' -test.benchtime 100x -test.cpu 1 >/dev/null; } 2>&1 | tail -1)
	awk -v s="$s" 'BEGIN { split(s, a, " "); printf "%.4f\n", (a[1] + a[2]) / 101 * 1000 }'
}
for r in $(seq "$reps"); do
	echo "old $(cpu "$tmp/old.test")" >>"$tmp/times"
	echo "new $(cpu "$tmp/new.test")" >>"$tmp/times"
done
python3 - "$tmp/times" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    runs.setdefault(k, []).append(float(v))
for k in sorted(runs, reverse=True):
    print(f"{k} trainer: median {statistics.median(runs[k]):.2f} ms CPU per step (runs: {' '.join(f'{v:.2f}' for v in runs[k])})")
print(f"ratio new/old: {statistics.median(runs['new']) / statistics.median(runs['old']):.3f}")
PY
