#!/usr/bin/env python3
"""PyTorch reference for vitool's factor-analysis SVI step (docs/benchmarks.md).

The step of ppl's BenchmarkFactorAnalysisStep written with torch autograd:
factor analysis with learned loadings W (D×2), offset b and log noise
variances log ψ; an amortised full-covariance guide q(z|x) = N(A x + c, L Lᵀ)
with a Cholesky factor L (exp on the diagonal); K = 8 particles; a random
subsample of 10 of 1,000 points per step, scaled by 1000/10; the ELBO; Adam.
float64, one thread unless --threads says otherwise.

It prints one JSON line per D with the median CPU and wall milliseconds per
step over --reps repetitions of --steps steps.

Usage (Debian: apt-get install python3-torch):
  /usr/bin/python3 bench/pytorch/fa_step.py --threads 1
"""

import argparse
import json
import math
import statistics
import time

import torch


def data(n, D, seed):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 2, generator=g, dtype=torch.float64)
    j = torch.arange(D, dtype=torch.float64)
    return z[:, :1] * ((j % 3) - 1) + z[:, 1:] * 0.5 + 0.3 * torch.randn(n, D, generator=g, dtype=torch.float64)


class FA(torch.nn.Module):
    def __init__(self, D, d=2):
        super().__init__()
        self.W = torch.nn.Parameter(0.1 * torch.randn(D, d, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.zeros(D, dtype=torch.float64))
        self.log_psi = torch.nn.Parameter(torch.zeros(D, dtype=torch.float64))
        self.A = torch.nn.Parameter(torch.zeros(d, D, dtype=torch.float64))
        self.c = torch.nn.Parameter(torch.zeros(d, dtype=torch.float64))
        self.L_raw = torch.nn.Parameter(torch.diag(torch.full((d,), math.log(0.5), dtype=torch.float64)))
        self.d = d

    def elbo(self, x, n_total, k):
        d = self.d
        L = torch.tril(self.L_raw, -1) + torch.diag(torch.exp(torch.diagonal(self.L_raw)))
        q = torch.distributions.MultivariateNormal(x @ self.A.T + self.c, scale_tril=L)
        z = q.rsample((k,))  # k × B × d
        log_q = q.log_prob(z)
        prior = torch.distributions.Normal(torch.zeros((), dtype=torch.float64), torch.ones((), dtype=torch.float64))
        log_pz = prior.log_prob(z).sum(-1)
        lik = torch.distributions.Normal(z @ self.W.T + self.b, torch.exp(0.5 * self.log_psi))
        log_px = lik.log_prob(x).sum(-1)
        f = (log_px + log_pz - log_q).sum(-1) * (n_total / x.shape[0])  # k
        return f.mean()


def bench(D, steps, seed):
    torch.manual_seed(seed)
    x_all = data(1000, D, seed)
    model = FA(D)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)

    def step():
        idx = torch.randperm(1000, generator=g)[:10]
        opt.zero_grad()
        loss = -model.elbo(x_all[idx], 1000, 8)
        loss.backward()
        opt.step()

    for _ in range(20):  # warm up
        step()
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(steps):
        step()
    return (time.process_time() - c0) / steps * 1e3, (time.perf_counter() - w0) / steps * 1e3


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--dims", default="6,50,200")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for D in [int(s) for s in a.dims.split(",")]:
        runs = [bench(D, a.steps, r) for r in range(a.reps)]
        print(json.dumps({"event": "fa_step", "D": D, "threads": a.threads, "torch": torch.__version__,
                          "cpu_ms": statistics.median(r[0] for r in runs),
                          "wall_ms": statistics.median(r[1] for r in runs)}), flush=True)


if __name__ == "__main__":
    main()
