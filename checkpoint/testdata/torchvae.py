#!/usr/bin/env python3
"""PyTorch side of vitool's checkpoint tests.

    python3 torchvae.py fixtures           write the PyTorch-made fixtures (run here)
    python3 torchvae.py eval FILE INPUTS   load a vitool checkpoint in PyTorch and
                                           print its outputs on INPUTS as JSON

Needs torch. Files are read and written with safetensors.torch when the
safetensors package is installed, and otherwise with read_spec/write_spec
below, which follow the format specification using Python's json and struct
modules (tensor bytes come from torch). A model is the state_dict of two
nn.Sequential modules, encoder and decoder, alternating nn.Linear and the
activation, with the architecture in __metadata__ exactly as vitool writes it.

Fixtures (each NAME.safetensors with NAME.json of inputs and expected
outputs, computed in float32 by torch; sums of log densities in float64):

  vae_bernoulli  VAE 6-4-(2*2), decoder 2-4-6, tanh, Bernoulli likelihood
  vae_gaussian   VAE 5-6-4-(2*3), decoder 3-4-6-5, relu, Gaussian, log_sigma -0.5
  ae_bce         AE 6-4-3, decoder 3-4-6, softplus, BCE loss
"""

import json
import math
import struct
import sys

import torch
from torch import nn
import torch.nn.functional as F

try:
    from safetensors.torch import load_file, save_file
    from safetensors import safe_open
    WRITER = "safetensors.torch"
except ImportError:  # pragma: no cover - depends on the machine
    load_file = save_file = safe_open = None
    WRITER = "torchvae.write_spec"

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64"}
NAMES = {v: k for k, v in DTYPES.items()}
ACTS = {"tanh": nn.Tanh, "relu": nn.ReLU, "softplus": nn.Softplus}


def write_spec(tensors, path, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    buf = bytearray()
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [len(buf), len(buf) + len(raw)]}
        buf += raw
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        f.write(buf)


def read_spec(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    buf = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = NAMES[info["dtype"]]
        if b == e:
            tensors[name] = torch.empty(info["shape"], dtype=dt)
        else:
            tensors[name] = torch.frombuffer(bytearray(buf[b:e]), dtype=dt).reshape(info["shape"])
    return tensors, metadata


def save(tensors, path, metadata):
    if save_file is not None:
        save_file(tensors, path, metadata=metadata)
    else:
        write_spec(tensors, path, metadata)


def load(path):
    if load_file is not None:
        with safe_open(path, framework="pt") as f:
            meta = f.metadata() or {}
        return load_file(path), meta
    return read_spec(path)


def mlp(sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(ACTS[act]())
    return nn.Sequential(*layers)


def build(meta):
    """The encoder and decoder that the metadata describes."""
    d, l = int(meta["data_dim"]), int(meta["latent"])
    hidden = [int(h) for h in meta["hidden"].split(",")] if meta["hidden"] else []
    out = 2 * l if meta["model"] == "vae" else l
    enc = mlp([d] + hidden + [out], meta["activation"])
    dec = mlp([l] + hidden[::-1] + [d], meta["activation"])
    return enc, dec


def state_dict(enc, dec):
    s = {}
    for prefix, net in (("encoder", enc), ("decoder", dec)):
        for k, v in net.state_dict().items():
            s[prefix + "." + k] = v.detach().clone()
    return s


def load_model(path):
    tensors, meta = load(path)
    enc, dec = build(meta)
    enc.load_state_dict({k[8:]: v for k, v in tensors.items() if k.startswith("encoder.")}, strict=True)
    dec.load_state_dict({k[8:]: v for k, v in tensors.items() if k.startswith("decoder.")}, strict=True)
    if set(tensors) != set(state_dict(enc, dec)):
        raise SystemExit("unexpected tensors: %s" % sorted(set(tensors) - set(state_dict(enc, dec))))
    return meta, enc, dec


def evaluate(meta, enc, dec, x, z):
    """Outputs of the model on the data rows x and latent rows z."""
    x32 = torch.tensor(x, dtype=torch.float32)
    z32 = torch.tensor(z, dtype=torch.float32)
    out = {}
    with torch.no_grad():
        if meta["model"] == "vae":
            l = int(meta["latent"])
            h = enc(x32)
            out["mu"] = h[:, :l].double().tolist()
            out["logvar"] = h[:, l:].double().tolist()
            logits = dec(z32).double()  # float32 network, float64 sums
            out["decoded"] = logits.tolist()
            x64 = torch.tensor(x, dtype=torch.float64)
            # log p(x_i | z_k) for every pair: [len(x)][len(z)]
            ll = []
            for xi in x64:
                if meta["likelihood"] == "bernoulli":
                    ll.append((xi * logits - F.softplus(logits)).sum(1).tolist())
                else:
                    ls = float(meta["log_sigma"])
                    r = xi - logits
                    ll.append((-0.5 * r * r * math.exp(-2 * ls) - ls - 0.5 * math.log(2 * math.pi)).sum(1).tolist())
            out["loglik"] = ll
        else:
            code = enc(x32)
            out["code"] = code.double().tolist()
            out["decoded"] = dec(z32).double().tolist()
            out["reconstruction"] = dec(code).double().tolist()
    return out


def fixture(name, meta, seed, x, z):
    torch.manual_seed(seed)
    enc, dec = build(meta)
    save(state_dict(enc, dec), name + ".safetensors", meta)
    exp = {"writer": WRITER, "torch": torch.__version__, "metadata": meta, "x": x, "z": z}
    exp.update(evaluate(meta, enc, dec, x, z))
    with open(name + ".json", "w") as f:
        json.dump(exp, f, indent=1, sort_keys=True)
        f.write("\n")


def fixtures():
    fixture("vae_bernoulli",
            {"model": "vae", "data_dim": "6", "latent": "2", "hidden": "4", "activation": "tanh", "likelihood": "bernoulli"},
            20240601,
            [[1, 0, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1], [0.25, 0.5, 1, 0, 0.75, 0]],
            [[0, 0], [1.5, -0.5], [-2, 0.25], [0.3, 3]])
    fixture("vae_gaussian",
            {"model": "vae", "data_dim": "5", "latent": "3", "hidden": "6,4", "activation": "relu",
             "likelihood": "gaussian", "log_sigma": "-0.5"},
            20240602,
            [[0.5, -1, 2, 0.25, 0], [1, 1, -1, 0.5, 3]],
            [[0, 0, 0], [1, -1, 0.5], [-0.7, 0.2, 2]])
    fixture("ae_bce",
            {"model": "ae", "data_dim": "6", "latent": "3", "hidden": "4", "activation": "softplus", "loss": "bce"},
            20240603,
            [[1, 0, 1, 1, 0, 0], [0.1, 0.9, 0.5, 0, 1, 0.3]],
            [[0, 0, 0], [2, -1, 0.5]])


def main():
    if sys.argv[1:] == ["fixtures"]:
        fixtures()
    elif len(sys.argv) == 4 and sys.argv[1] == "eval":
        meta, enc, dec = load_model(sys.argv[2])
        with open(sys.argv[3]) as f:
            inp = json.load(f)
        out = evaluate(meta, enc, dec, inp["x"], inp["z"])
        out["metadata"] = meta
        out["reader"] = "safetensors.torch.load_file" if load_file is not None else "torchvae.read_spec"
        print(json.dumps(out, allow_nan=False))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
