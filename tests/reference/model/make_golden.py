#!/usr/bin/env python3
"""Golden logits for the engine's CPU forward pass, produced by an independent implementation: transformers'
MiniMaxForCausalLM (spec minimax-m1.md §9, §14), full forward, float32, eager attention, on the CPU.

Run on the GPU machine (transformers 5.17, torch, safetensors):
    python3 tests/reference/model/make_golden.py --out tests/reference/model/golden

For every configuration below it writes, into golden/<name>/:
    config.json                        the official M1 names (attn_type_list, rotary_dim, postnorm, layernorm_*)
    model-0000k-of-0000n.safetensors   the official tensor layout (block_sparse_moe.*, w1/w3/w2 per expert,
                                       router F32, everything else BF16), over >= 2 shards
    model.safetensors.index.json
    ids_<len>.txt                      the prompt, whitespace-separated token ids
    logits_<len>.bin                   the reference logits, little-endian float32 [len x vocab_size], row-major
and golden/manifest.json describing all of it.

What the reference is, per configuration:
  * rotary_dim == head_dim and power-of-two heads: unpatched transformers (an exact peer of the engine, except for
    transformers' slope layer factor 1 - l/(L-1+1e-5) + 1e-5, which differs from the remote code's 1 - l/(L-1) + 1e-5
    by ~1e-7 relative; the manifest records how much that moves the logits).
  * rotary_dim < head_dim: transformers' RoPE is full-width (spec §11.10), so it is patched: inv_freq becomes
    1/theta^(2i/rotary_dim) and only the first rotary_dim dims rotate, rotate-half pairing inside that slice.
    The lightning slopes are also set to the remote code's formula (incl. its rule for head counts that are not a
    power of two, which transformers does not implement).
Weights are random (seeded), bf16-representable (the router stays full fp32, as it is stored F32), scaled so that
every branch (attention, MoE) moves the logits well above the test tolerance. After writing, the script loads the
written files back into a fresh model and checks that they reproduce the stored logits exactly.
"""
import argparse
import json
import math
import os

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import MiniMaxConfig, MiniMaxForCausalLM
from transformers.models.minimax import modeling_minimax as mm

M1_ALPHA = 3.5565588200778455

# types: 0 = lightning (linear), 1 = softmax (full).
CONFIGS = [
    dict(name="peer_full_rotary", vocab=512, hidden=48, heads=4, kv=2, head_dim=16, rotary_dim=16,
         types=[0, 1, 0, 0, 1], block=16, experts=4, topk=2, inter=32, theta=1e7,
         alphas=dict(lin=(M1_ALPHA, 1.0), full=(M1_ALPHA, 1.0), mlp=(M1_ALPHA, 1.0)),
         patch=False, prompts=[1, 600], seed=1),
    dict(name="partial_rotary_gqa4", vocab=384, hidden=64, heads=8, kv=2, head_dim=16, rotary_dim=8,
         types=[0, 0, 1, 0, 1], block=32, experts=6, topk=2, inter=40, theta=1e4,
         alphas=dict(lin=(1.7, 0.9), full=(2.3, 1.1), mlp=(1.3, 0.8)),
         patch=True, prompts=[1, 97, 700], seed=2),
    dict(name="block256_heads6", vocab=256, hidden=80, heads=6, kv=2, head_dim=32, rotary_dim=16,
         types=[0, 1, 0, 0, 1, 0], block=256, experts=8, topk=2, inter=48, theta=1e7,
         alphas=dict(lin=(M1_ALPHA, 1.0), full=(M1_ALPHA, 1.0), mlp=(M1_ALPHA, 1.0)),
         patch=True, prompts=[1, 600], seed=3),
]


def hf_config(c):
    return MiniMaxConfig(
        vocab_size=c["vocab"], hidden_size=c["hidden"], intermediate_size=c["inter"],
        num_hidden_layers=len(c["types"]), num_attention_heads=c["heads"], num_key_value_heads=c["kv"],
        head_dim=c["head_dim"], hidden_act="silu", max_position_embeddings=4096, rms_norm_eps=1e-5,
        rope_parameters={"rope_type": "default", "rope_theta": c["theta"]},
        layer_types=["full_attention" if t else "linear_attention" for t in c["types"]],
        block_size=c["block"], num_local_experts=c["experts"], num_experts_per_tok=c["topk"],
        full_attn_alpha_factor=c["alphas"]["full"][0], full_attn_beta_factor=c["alphas"]["full"][1],
        linear_attn_alpha_factor=c["alphas"]["lin"][0], linear_attn_beta_factor=c["alphas"]["lin"][1],
        mlp_alpha_factor=c["alphas"]["mlp"][0], mlp_beta_factor=c["alphas"]["mlp"][1],
        tie_word_embeddings=False, router_jitter_noise=0.0, attention_dropout=0.0,
        pad_token_id=None, bos_token_id=None, eos_token_id=None)


def m1_config_json(c):
    """The official remote-code config.json names (spec §2.1), plus block_size for the lightning block."""
    a = c["alphas"]
    return {
        "architectures": ["MiniMaxM1ForCausalLM"], "model_type": "minimax_m1",
        "vocab_size": c["vocab"], "hidden_size": c["hidden"], "num_hidden_layers": len(c["types"]),
        "num_attention_heads": c["heads"], "num_key_value_heads": c["kv"], "head_dim": c["head_dim"],
        "rotary_dim": c["rotary_dim"], "rope_theta": c["theta"], "max_position_embeddings": 4096,
        "intermediate_size": c["inter"], "num_local_experts": c["experts"], "num_experts_per_tok": c["topk"],
        "shared_intermediate_size": 0, "hidden_act": "silu", "attn_type_list": c["types"],
        "layernorm_full_attention_alpha": a["full"][0], "layernorm_full_attention_beta": a["full"][1],
        "layernorm_linear_attention_alpha": a["lin"][0], "layernorm_linear_attention_beta": a["lin"][1],
        "layernorm_mlp_alpha": a["mlp"][0], "layernorm_mlp_beta": a["mlp"][1],
        "postnorm": True, "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "block_size": c["block"],
        "torch_dtype": "bfloat16", "bos_token_id": None, "eos_token_id": None,
    }


# ---- reference patches ---------------------------------------------------------------------------------------

def remote_code_slopes(n):
    """ALiBi slopes as the MiniMax remote code builds them (incl. the non-power-of-two rule)."""
    def power_of_2(p):
        start = 2 ** (-(2 ** -(math.log2(p) - 3)))
        return [start * start ** i for i in range(p)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    p = 2 ** math.floor(math.log2(n))
    return power_of_2(p) + remote_code_slopes(2 * p)[0::2][: n - p]


def patch_slopes(model, num_layers):
    for l, layer in enumerate(model.model.layers):
        attn = layer.self_attn
        if not isinstance(attn, mm.MiniMaxLightningAttention):
            continue
        n = attn.num_attention_heads
        rate = torch.tensor(remote_code_slopes(n), dtype=torch.float32).reshape(n, 1, 1)
        rate = rate * (1 - l / (num_layers - 1) + 1e-5)
        qd, kd, dd = attn.decay_factors(rate)
        for buf, val in (("slope_rate", rate), ("query_decay", qd), ("key_decay", kd), ("diagonal_decay", dd)):
            old = getattr(attn, buf)
            assert old.shape == val.shape, (buf, old.shape, val.shape)
            old.copy_(val)


ROPE_CALLS = [0]


def partial_rotary(q, k, cos, sin, position_ids=None, unsqueeze_dim=1):
    """RoPE on the first rotary_dim dims only (= cos.shape[-1]), rotate-half pairing (i, i + rotary_dim/2)."""
    ROPE_CALLS[0] += 1
    rd = cos.shape[-1]
    cos = cos.unsqueeze(unsqueeze_dim)
    sin = sin.unsqueeze(unsqueeze_dim)

    def rot(x):
        xr, xp = x[..., :rd], x[..., rd:]
        x1, x2 = xr[..., : rd // 2], xr[..., rd // 2:]
        return torch.cat((xr * cos + torch.cat((-x2, x1), dim=-1) * sin, xp), dim=-1)

    return rot(q), rot(k)


def patch_rotary(model, rotary_dim, theta):
    rope = model.model.rotary_emb
    inv = 1.0 / (theta ** (torch.arange(0, rotary_dim, 2, dtype=torch.int64).to(torch.float) / rotary_dim))
    rope.inv_freq = inv
    rope.original_inv_freq = inv


# ---- weights -------------------------------------------------------------------------------------------------

def init_weights(model, c, gen):
    """Random weights scaled like a trained model's (unit-variance activations), bf16-representable; router fp32."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:                      # RMSNorm weights: around 1, not all equal
                v = 1.0 + 0.25 * torch.randn(p.shape, generator=gen)
            elif name.endswith("embed_tokens.weight"):
                v = torch.randn(p.shape, generator=gen)
            elif name.endswith("mlp.gate.weight"):  # router: wide spread so routing differs between tokens
                v = 2.0 / math.sqrt(p.shape[-1]) * torch.randn(p.shape, generator=gen)
            else:                                  # Linear [out, in] or experts [E, out, in]
                v = 1.0 / math.sqrt(p.shape[-1]) * torch.randn(p.shape, generator=gen)
            if not name.endswith("mlp.gate.weight"):
                v = v.to(torch.bfloat16).to(torch.float32)
            p.copy_(v)


def to_official(model, c):
    """transformers-5 parameter names -> the official M1 tensors (spec §3). Every parameter must be mapped."""
    out = {}
    inter = c["inter"]
    for name, p in model.named_parameters():
        t = p.detach().to(torch.float32)
        if ".mlp.experts.gate_up_proj" in name:
            pre = name.replace(".mlp.experts.gate_up_proj", ".block_sparse_moe.experts")
            for e in range(t.shape[0]):
                out[f"{pre}.{e}.w1.weight"] = t[e, :inter].to(torch.bfloat16).contiguous()
                out[f"{pre}.{e}.w3.weight"] = t[e, inter:].to(torch.bfloat16).contiguous()
        elif ".mlp.experts.down_proj" in name:
            pre = name.replace(".mlp.experts.down_proj", ".block_sparse_moe.experts")
            for e in range(t.shape[0]):
                out[f"{pre}.{e}.w2.weight"] = t[e].to(torch.bfloat16).contiguous()
        elif name.endswith(".mlp.gate.weight"):
            out[name.replace(".mlp.gate.weight", ".block_sparse_moe.gate.weight")] = t.contiguous()
        else:
            known = ("embed_tokens.weight", "norm.weight", "lm_head.weight", "layernorm.weight", "qkv_proj.weight",
                     "output_gate.weight", "out_proj.weight", "q_proj.weight", "k_proj.weight", "v_proj.weight",
                     "o_proj.weight")
            assert name.endswith(known), f"unmapped parameter {name}"
            out[name] = t.to(torch.bfloat16).contiguous()
    return out


def from_official(tensors, c):
    """The inverse of to_official, for the reload check."""
    sd = {}
    L, E = len(c["types"]), c["experts"]
    for name, t in tensors.items():
        if ".block_sparse_moe.experts." not in name:
            sd[name.replace(".block_sparse_moe.gate.weight", ".mlp.gate.weight")] = t.to(torch.float32)
    for l in range(L):
        pre = f"model.layers.{l}.block_sparse_moe.experts"
        w = lambda e, k: tensors[f"{pre}.{e}.{k}.weight"].to(torch.float32)
        sd[f"model.layers.{l}.mlp.experts.gate_up_proj"] = torch.stack(
            [torch.cat([w(e, "w1"), w(e, "w3")], dim=0) for e in range(E)])
        sd[f"model.layers.{l}.mlp.experts.down_proj"] = torch.stack([w(e, "w2") for e in range(E)])
    return sd


def write_checkpoint(tensors, out_dir, c):
    """Two shards: the embedding and the first half of the layers, then the rest (any split works: the index rules)."""
    L = len(c["types"])
    def shard_of(name):
        if name.startswith("model.layers."):
            return 0 if int(name.split(".")[2]) < L // 2 else 1
        return 0 if name == "model.embed_tokens.weight" else 1
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    weight_map, total = {}, 0
    for s, fname in enumerate(files):
        part = {k: v for k, v in sorted(tensors.items()) if shard_of(k) == s}
        save_file(part, os.path.join(out_dir, fname), metadata={"format": "pt"})
        for k, v in part.items():
            weight_map[k] = fname
            total += v.numel() * v.element_size()
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
    return files


def build(c):
    cfg = hf_config(c)
    cfg._attn_implementation = "eager"
    model = MiniMaxForCausalLM(cfg).to(torch.float32).eval()
    assert model.config._attn_implementation == "eager", model.config._attn_implementation
    if c["patch"]:
        patch_slopes(model, len(c["types"]))
        patch_rotary(model, c["rotary_dim"], c["theta"])
    return model


def logits_of(model, ids):
    with torch.no_grad():
        return model(input_ids=ids[None], use_cache=False).logits[0].to(torch.float32)


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    torch.use_deterministic_algorithms(True)
    print("transformers", transformers.__version__, "torch", torch.__version__, "module", mm.__file__)

    manifest = {"generator": "tests/reference/model/make_golden.py", "transformers": transformers.__version__,
                "torch": torch.__version__, "dtype": "float32", "attn_implementation": "eager",
                "logits_format": "little-endian float32 [n_tokens x vocab_size], row-major", "configs": []}
    for c in CONFIGS:
        if c["patch"]:
            mm.apply_rotary_pos_emb = partial_rotary
        else:
            mm.apply_rotary_pos_emb = ORIGINAL_ROPE
        torch.manual_seed(c["seed"])
        gen = torch.Generator().manual_seed(c["seed"])
        model = build(c)
        init_weights(model, c, gen)

        out_dir = os.path.join(args.out, c["name"])
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "config.json"), "w") as f:
            json.dump(m1_config_json(c), f, indent=2)
        tensors = to_official(model, c)
        shards = write_checkpoint(tensors, out_dir, c)

        # Reload the written files into a fresh model: they must reproduce the reference exactly.
        loaded = {}
        for s in shards:
            loaded.update(load_file(os.path.join(out_dir, s)))
        fresh = build(c)
        missing, unexpected = fresh.load_state_dict(from_official(loaded, c), strict=False)
        assert not unexpected, unexpected
        assert all(k.endswith(("slope_rate", "query_decay", "key_decay", "diagonal_decay")) for k in missing), missing

        entry = {"name": c["name"], "config": m1_config_json(c), "patched_rotary_and_slopes": c["patch"],
                 "prompts": []}
        for n in c["prompts"]:
            ids = torch.randint(0, c["vocab"], (n,), generator=gen)
            ROPE_CALLS[0] = 0
            ref = logits_of(model, ids)
            if c["patch"] and 1 in c["types"]:
                assert ROPE_CALLS[0] > 0, "the partial-rotary patch was not used by the model"
            again = logits_of(fresh, ids)
            reload_diff = float((again - ref).abs().max())
            assert reload_diff == 0.0, f"{c['name']}: reloaded checkpoint differs by {reload_diff}"
            with open(os.path.join(out_dir, f"ids_{n}.txt"), "w") as f:
                f.write(" ".join(str(int(i)) for i in ids) + "\n")
            ref.contiguous().numpy().astype("<f4").tofile(os.path.join(out_dir, f"logits_{n}.bin"))
            p = {"n_tokens": n, "ids": f"ids_{n}.txt", "logits": f"logits_{n}.bin",
                 "max_abs_logit": float(ref.abs().max()), "reload_max_abs_diff": reload_diff}
            if not c["patch"]:
                # How far transformers' slope factor is from the remote code's (the engine uses the remote code's).
                alt = build(c)
                alt.load_state_dict(model.state_dict(), strict=False)
                patch_slopes(alt, len(c["types"]))
                p["remote_slopes_rel_diff"] = rel(logits_of(alt, ids), ref)
                # The partial-rotary patch at rotary_dim == head_dim must be the identity (checks the patch).
                mm.apply_rotary_pos_emb = partial_rotary
                p["partial_rotary_patch_at_full_width_rel_diff"] = rel(logits_of(model, ids), ref)
                mm.apply_rotary_pos_emb = ORIGINAL_ROPE
                assert p["partial_rotary_patch_at_full_width_rel_diff"] < 1e-6, p
            p["logit_std"] = float(ref.std())
            entry["prompts"].append(p)
            print(c["name"], p)
        manifest["configs"].append(entry)

    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


ORIGINAL_ROPE = mm.apply_rotary_pos_emb

if __name__ == "__main__":
    main()
