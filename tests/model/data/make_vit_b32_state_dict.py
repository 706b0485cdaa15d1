#!/usr/bin/env python3
"""Writes vit_b32_state_dict.txt: the 302 (name, shape) pairs of OpenCLIP's ViT-B-32 state_dict,
in state_dict order, one "name<TAB>d0,d1,..." line each (an empty shape for 0-d tensors).

Expanded from the listing in shared/reference/openclip.md §4 ("Exact state_dict of ViT-B-32"),
which was derived from module registration order in open_clip's model.py/transformer.py.
Re-run:  python3 tests/model/data/make_vit_b32_state_dict.py > tests/model/data/vit_b32_state_dict.txt
"""


def block(prefix, w, hidden):
    return [
        (f"{prefix}.ln_1.weight", [w]), (f"{prefix}.ln_1.bias", [w]),
        (f"{prefix}.attn.in_proj_weight", [3 * w, w]), (f"{prefix}.attn.in_proj_bias", [3 * w]),
        (f"{prefix}.attn.out_proj.weight", [w, w]), (f"{prefix}.attn.out_proj.bias", [w]),
        (f"{prefix}.ln_2.weight", [w]), (f"{prefix}.ln_2.bias", [w]),
        (f"{prefix}.mlp.c_fc.weight", [hidden, w]), (f"{prefix}.mlp.c_fc.bias", [hidden]),
        (f"{prefix}.mlp.c_proj.weight", [w, hidden]), (f"{prefix}.mlp.c_proj.bias", [w]),
    ]


def main():
    vw, tw, embed, ctx, vocab = 768, 512, 512, 77, 49408
    rows = [("positional_embedding", [ctx, tw]), ("text_projection", [tw, embed]), ("logit_scale", [])]
    rows += [("visual.class_embedding", [vw]), ("visual.positional_embedding", [50, vw]),
             ("visual.proj", [vw, embed]), ("visual.conv1.weight", [vw, 3, 32, 32]),
             ("visual.ln_pre.weight", [vw]), ("visual.ln_pre.bias", [vw])]
    for i in range(12):
        rows += block(f"visual.transformer.resblocks.{i}", vw, 4 * vw)
    rows += [("visual.ln_post.weight", [vw]), ("visual.ln_post.bias", [vw])]
    for i in range(12):
        rows += block(f"transformer.resblocks.{i}", tw, 4 * tw)
    rows += [("token_embedding.weight", [vocab, tw]), ("ln_final.weight", [tw]), ("ln_final.bias", [tw])]
    assert len(rows) == 302, len(rows)
    for name, shape in rows:
        print(f"{name}\t{','.join(map(str, shape))}")


if __name__ == "__main__":
    main()
