#!/usr/bin/env python3
"""Generate the PyTorch safetensors fixtures of vitool's safetensors tests.

Run from this directory:  python3 make_fixture.py

It needs torch. It writes the files with safetensors.torch.save_file when the
safetensors package is installed; otherwise it falls back to write_spec below,
a minimal writer that follows the format specification with Python's own json
and struct modules (tensor bytes still come from torch). The fixtures record
which writer made them in their .json files ("writer").

Outputs, each a .safetensors file plus a .json file of expected values:

  vae_f32   the state_dict of a tiny VAE-like encoder/decoder pair of
            nn.Sequential(Linear, Tanh, Linear), with the architecture in
            __metadata__, as vitool checkpoints are laid out.
  halfs     F16 and BF16 tensors of special values (1, -2.5, 65504,
            subnormals, infinities), converted to float32 by torch.

Expected values are stored as float32 bit patterns (unsigned integers), which
are exact and can represent infinities, which JSON cannot.
"""

import json
import struct

import torch
from torch import nn

try:
    from safetensors.torch import save_file
    WRITER = "safetensors.torch.save_file"
except ImportError:  # pragma: no cover - depends on the machine
    save_file = None
    WRITER = "make_fixture.write_spec"

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64"}


def write_spec(tensors, path, metadata=None):
    """Write tensors in the safetensors format, following the specification."""
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    buf = bytearray()
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        # Raw little-endian bytes: view the storage as bytes (torch has no
        # numpy() for bfloat16).
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {
            "dtype": DTYPES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [len(buf), len(buf) + len(raw)],
        }
        buf += raw
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        f.write(buf)


def save(tensors, path, metadata):
    if save_file is not None:
        save_file(tensors, path, metadata=metadata)
    else:
        write_spec(tensors, path, metadata)


def bits(t):
    """The float32 bit patterns of t's values, as converted by torch."""
    vals = t.detach().to(torch.float32).reshape(-1).tolist()
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in vals]


def expected(tensors, metadata):
    return {
        "writer": WRITER,
        "torch": torch.__version__,
        "metadata": metadata,
        "tensors": {
            name: {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "f32_bits": bits(t)}
            for name, t in sorted(tensors.items())
        },
    }


def dump(name, tensors, metadata):
    save(tensors, name + ".safetensors", metadata)
    with open(name + ".json", "w") as f:
        json.dump(expected(tensors, metadata), f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    torch.manual_seed(20240531)
    encoder = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    decoder = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 4))
    state = {}
    for prefix, net in (("encoder", encoder), ("decoder", decoder)):
        for k, v in net.state_dict().items():
            state[prefix + "." + k] = v.detach().clone()
    meta = {"latent": "1", "hidden": "3", "activation": "tanh", "likelihood": "gaussian"}
    dump("vae_f32", state, meta)

    special = [1.0, -2.5, 65504.0, 2.0**-24, 1023 * 2.0**-24, 2.0**-14, float("inf"), float("-inf"), -0.0, 0.1, 3.14159]
    halfs = {
        "f16": torch.tensor(special, dtype=torch.float16).reshape(11),
        "bf16": torch.tensor(special + [2.0**-133, 3.0e38], dtype=torch.bfloat16).reshape(13),
        "f16_matrix": torch.tensor([[1.5, -0.25, 7.0], [1e-3, 2048.0, -65504.0]], dtype=torch.float16),
        "bf16_scalar": torch.tensor(-1.75, dtype=torch.bfloat16),
    }
    dump("halfs", halfs, {"note": "F16 and BF16 special values"})


if __name__ == "__main__":
    main()
