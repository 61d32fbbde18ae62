#!/usr/bin/env bash
# The factor-analysis SVI step (learned W, b, log ψ; amortised
# full-covariance guide; K = 8; 10 of 1,000 points per step; d = 2) in
# vitool and in PyTorch autograd, side by side in one run, one thread each,
# median CPU milliseconds per step (docs/benchmarks.md, §5).
# Needs Debian's python3-torch.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-5}
go test -run '^$' -bench 'FactorAnalysisStep' -benchtime 500x -count "$reps" -cpu 1 ./ppl |
	python3 -c 'import re, statistics, sys
runs = {}
for l in sys.stdin:
    m = re.match(r"BenchmarkFactorAnalysisStep/D=(\d+)\S*\s.*?([\d.]+) cpu-ns/op", l)
    if m: runs.setdefault(int(m.group(1)), []).append(float(m.group(2)))
for d in sorted(runs): print("vitool  D=%-4d cpu %.3f ms/step" % (d, statistics.median(runs[d]) / 1e6))'
/usr/bin/python3 bench/pytorch/fa_step.py --threads 1 --reps "$reps" --steps 500 |
	python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l); print("pytorch D=%-4d cpu %.3f ms/step (torch %s)" % (r["D"], r["cpu_ms"], r["torch"]))'
