#!/usr/bin/env python3
"""PyTorch reference for vitool's VAE targets (docs/benchmarks.md).

The 1-stochastic-layer VAE of Burda, Grosse & Salakhutdinov (IWAE paper):
784-200-200-50 Gaussian encoder and 50-200-200-784 Bernoulli decoder, tanh,
dynamically binarised MNIST, batch 100, Adam lr 1e-3, ELBO with analytic KL,
float32, on this machine's CPU threads.

It prints one JSON object per line:
  {"event":"speed", ...}   seconds for the first 600 training steps
  {"event":"epoch", ...}   per epoch: train loss, test ELBO, seconds
  {"event":"eval", ...}    IS log-likelihood with K samples on the first N test images,
                           and decoder passes per second during that evaluation
and, with --save, writes the trained weights as a safetensors file in vitool's
layout (encoder.0.weight [out,in], ..., __metadata__ latent/hidden/activation/
likelihood) for the interoperability check.

Usage (Debian: apt-get install python3-torch):
  /usr/bin/python3 bench/pytorch/vae_reference.py --data ../shared/data/mnist \
      --epochs 10 --threads 2 --save /tmp/torch_vae.safetensors
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def idx_images(path):
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    assert magic == 2051, path
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows * cols).astype(np.float32) / 255.0


class VAE(nn.Module):
    def __init__(self, d_in=784, hidden=(200, 200), latent=50):
        super().__init__()
        enc, prev = [], d_in
        for h in hidden:
            enc += [nn.Linear(prev, h), nn.Tanh()]
            prev = h
        enc.append(nn.Linear(prev, 2 * latent))
        dec, prev = [], latent
        for h in hidden:
            dec += [nn.Linear(prev, h), nn.Tanh()]
            prev = h
        dec.append(nn.Linear(prev, d_in))
        self.encoder, self.decoder, self.latent = nn.Sequential(*enc), nn.Sequential(*dec), latent

    def encode(self, x):
        h = self.encoder(x)
        return h[:, : self.latent], h[:, self.latent:]  # mu, log sigma^2

    def log_px_given_z(self, x, z):
        logits = self.decoder(z)
        return -nn.functional.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)

    def elbo(self, x, eps):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * eps
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(-1)
        return self.log_px_given_z(x, z) - kl


def log_normal_std(z):
    return -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)


@torch.no_grad()
def is_loglik(model, x, k, chunk):
    """log (1/K) sum_k p(x, z_k) / q(z_k|x) for each row of x, in chunks of z."""
    out = []
    for xi in x:
        mu, logvar = model.encode(xi[None])
        std = torch.exp(0.5 * logvar)
        lws = []
        for start in range(0, k, chunk):
            m = min(chunk, k - start)
            eps = torch.randn(m, model.latent)
            z = mu + std * eps
            logq = -0.5 * (eps.pow(2) + math.log(2 * math.pi)).sum(-1) - 0.5 * logvar.sum()
            lws.append(model.log_px_given_z(xi[None], z) + log_normal_std(z) - logq)
        lw = torch.cat(lws)
        out.append((torch.logsumexp(lw, 0) - math.log(k)).item())
    return out


def save_safetensors(model, path, latent, hidden):
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    header = {"__metadata__": {"latent": str(latent), "hidden": ",".join(map(str, hidden)),
                               "activation": "tanh", "likelihood": "bernoulli"}}
    buf = bytearray()
    for name in sorted(tensors):
        raw = tensors[name].numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [len(buf), len(buf) + len(raw)]}
        buf += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + buf)
    os.replace(path + ".tmp", path)


def speed(threads):
    """The workloads of vitool's BenchmarkTrainStep and BenchmarkDecoderLogLik."""
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = (torch.rand(100, 784) < 0.13).float()
    for _ in range(20):  # warm-up
        loss = -model.elbo(x, torch.randn(100, 50)).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    t0 = time.perf_counter()
    for _ in range(600):
        loss = -model.elbo(x, torch.randn(100, 50)).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    train = time.perf_counter() - t0
    z, xi = torch.randn(1000, 50), (torch.rand(1, 784) < 0.13).float()
    with torch.no_grad():
        for _ in range(5):
            model.log_px_given_z(xi, z)
        t0 = time.perf_counter()
        for _ in range(100):
            model.log_px_given_z(xi, z)
        dec = time.perf_counter() - t0
    print(json.dumps({"event": "speed", "threads": threads, "seconds_600_steps": train, "images_per_second": 60000 / train,
                      "decoder_passes_per_second": 100000 / dec}), flush=True)


def load_safetensors(path):
    """Read a safetensors file of F32 tensors (format spec; no library needed)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[base + b:base + e], dtype="<f4").copy().reshape(info["shape"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/mnist")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-n", type=int, default=1000)
    ap.add_argument("--eval-k", type=int, default=5000)
    ap.add_argument("--save", default="")
    ap.add_argument("--load", default="", help="skip training: load weights saved with --save")
    ap.add_argument("--eval-amat", default="", help="evaluate on this fixed-binarised .amat file instead of the binarised MNIST test set")
    ap.add_argument("--speed", action="store_true", help="only time 600 training steps and decoder passes on random binary data (vitool's Go benchmarks)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.speed:
        return speed(args.threads)
    rng = np.random.default_rng(args.seed)

    train = torch.from_numpy(idx_images(os.path.join(args.data, "train-images-idx3-ubyte.gz")))
    test = torch.from_numpy(idx_images(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")))
    # Test images are binarised once, with a fixed seed.
    test_bin = torch.bernoulli(test, generator=torch.Generator().manual_seed(12345))

    model = VAE()
    if args.load:
        model.load_state_dict(load_safetensors(args.load), strict=True)
        x = torch.from_numpy(np.loadtxt(args.eval_amat, dtype=np.float32, max_rows=args.eval_n)) if args.eval_amat else test_bin[: args.eval_n]
        e0 = time.perf_counter()
        ll = is_loglik(model, x, args.eval_k, 1000)
        secs = time.perf_counter() - e0
        print(json.dumps({"event": "eval", "data": args.eval_amat or "binarised MNIST test", "n": len(x), "k": args.eval_k,
                          "is_log_px": float(np.mean(ll)), "is_log_px_sem": float(np.std(ll) / math.sqrt(len(ll))),
                          "seconds": secs, "decoder_passes_per_second": len(x) * args.eval_k / secs}), flush=True)
        return
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    B, steps, t0 = 100, 0, time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        e0, tot = time.perf_counter(), 0.0
        perm = torch.from_numpy(rng.permutation(len(train)))
        for i in range(0, len(train), B):
            x = torch.bernoulli(train[perm[i:i + B]])
            loss = -model.elbo(x, torch.randn(x.shape[0], model.latent)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.item() * x.shape[0]
            steps += 1
            if steps == 600:
                print(json.dumps({"event": "speed", "steps": 600, "batch": B, "seconds": time.perf_counter() - t0,
                                  "images_per_second": 600 * B / (time.perf_counter() - t0), "threads": args.threads}), flush=True)
        with torch.no_grad():
            test_elbo = torch.cat([model.elbo(test_bin[j:j + 1000], torch.randn(min(1000, len(test_bin) - j), model.latent))
                                   for j in range(0, len(test_bin), 1000)]).mean().item()
        print(json.dumps({"event": "epoch", "epoch": epoch, "train_loss": tot / len(train), "test_elbo": test_elbo,
                          "seconds": time.perf_counter() - e0}), flush=True)
    if args.save:
        save_safetensors(model, args.save, 50, (200, 200))
    e0 = time.perf_counter()
    ll = is_loglik(model, test_bin[: args.eval_n], args.eval_k, 1000)
    secs = time.perf_counter() - e0
    print(json.dumps({"event": "eval", "n": args.eval_n, "k": args.eval_k, "is_log_px": float(np.mean(ll)),
                      "seconds": secs, "decoder_passes_per_second": args.eval_n * args.eval_k / secs}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
