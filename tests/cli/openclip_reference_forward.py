#!/usr/bin/env python3
"""Recomputes clipscale embeddings from exported weights with an independent PyTorch forward in
OpenCLIP's layout (nn.MultiheadAttention's functional form, seq-first, as open_clip v2 ran it).

  /usr/bin/python3 openclip_reference_forward.py MODEL.safetensors MODEL_CONFIG.json EMB.h5

EMB.h5 comes from `clipscale embed ... --save-inputs` (images, tokens, image_embeddings,
text_embeddings). Prints the largest absolute differences and exits 1 when either exceeds 1e-4.
Needs only Debian's python3-torch, python3-h5py and python3-numpy (no open_clip, no safetensors).
"""
import json
import struct
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[base + begin:base + end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        state[name] = torch.from_numpy(array.copy())
    return state


def block(x, sd, prefix, heads, mask=None):
    w = x.shape[-1]
    y = F.layer_norm(x, (w,), sd[prefix + "ln_1.weight"], sd[prefix + "ln_1.bias"])
    attn, _ = F.multi_head_attention_forward(
        y, y, y, w, heads, sd[prefix + "attn.in_proj_weight"], sd[prefix + "attn.in_proj_bias"], None, None, False,
        0.0, sd[prefix + "attn.out_proj.weight"], sd[prefix + "attn.out_proj.bias"], training=False,
        need_weights=False, attn_mask=mask)
    x = x + attn
    y = F.layer_norm(x, (w,), sd[prefix + "ln_2.weight"], sd[prefix + "ln_2.bias"])
    y = F.linear(y, sd[prefix + "mlp.c_fc.weight"], sd[prefix + "mlp.c_fc.bias"])
    y = F.gelu(y)
    return x + F.linear(y, sd[prefix + "mlp.c_proj.weight"], sd[prefix + "mlp.c_proj.bias"])


def encode_image(sd, cfg, images):
    v = cfg["vision_cfg"]
    w, p = v["width"], v["patch_size"]
    heads = w // v.get("head_width", 64)
    x = F.conv2d(images, sd["visual.conv1.weight"], stride=p).flatten(2).permute(0, 2, 1)
    cls = sd["visual.class_embedding"].expand(x.shape[0], 1, -1)
    x = torch.cat([cls, x], 1) + sd["visual.positional_embedding"]
    x = F.layer_norm(x, (w,), sd["visual.ln_pre.weight"], sd["visual.ln_pre.bias"]).permute(1, 0, 2)
    for i in range(v["layers"]):
        x = block(x, sd, f"visual.transformer.resblocks.{i}.", heads)
    x = F.layer_norm(x[0], (w,), sd["visual.ln_post.weight"], sd["visual.ln_post.bias"])
    return F.normalize(x @ sd["visual.proj"], dim=-1)


def encode_text(sd, cfg, tokens):
    t = cfg["text_cfg"]
    w, n = t["width"], tokens.shape[1]
    x = F.embedding(tokens, sd["token_embedding.weight"]) + sd["positional_embedding"][:n]
    mask = torch.full((n, n), float("-inf")).triu_(1)
    x = x.permute(1, 0, 2)
    for i in range(t["layers"]):
        x = block(x, sd, f"transformer.resblocks.{i}.", t["heads"], mask)
    x = F.layer_norm(x.permute(1, 0, 2), (w,), sd["ln_final.weight"], sd["ln_final.bias"])
    x = x[torch.arange(x.shape[0]), tokens.argmax(-1)]
    return F.normalize(x @ sd["text_projection"], dim=-1)


def main():
    weights, config, embeddings = sys.argv[1:4]
    sd = load_safetensors(weights)
    cfg = json.load(open(config))
    assert not cfg.get("quick_gelu", False), "this reference implements exact GELU only"
    with h5py.File(embeddings, "r") as f:
        images = torch.from_numpy(f["images"][...])
        tokens = torch.from_numpy(f["tokens"][...])
        want_image = torch.from_numpy(f["image_embeddings"][...])
        want_text = torch.from_numpy(f["text_embeddings"][...])
    with torch.no_grad():
        image = encode_image(sd, cfg, images)
        text = encode_text(sd, cfg, tokens)
    di = (image - want_image).abs().max().item()
    dt = (text - want_text).abs().max().item()
    print(f"max |image diff| = {di:.3g}, max |text diff| = {dt:.3g}")
    sys.exit(0 if di < 1e-4 and dt < 1e-4 else 1)


if __name__ == "__main__":
    main()
