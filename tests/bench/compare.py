#!/usr/bin/env python3
"""Our engine side by side with transformers and PyTorch, in one run on one GPU (issue 9).

Model level, on the same configuration (M1's widths: hidden 6144, 64 heads x 128, 8 kv heads, experts of 9216,
top-2, vocab 200064; --layers and --experts, default 16 and 16 = W16):
  * transformers' native MiniMaxForCausalLM in bf16 with SDPA: prefill at each --hf-contexts length (one forward
    with use_cache=True, logits of the last token only) while one prefill stays under --hf-budget-s, then decode
    tok/s at --decode-context (greedy, one token per forward, median);
  * our engine: `m1 bench --config <the same config.json> --json ...` (seeded random weights on the GPU).
Weights: transformers' own random initialisation and our seeded random weights. Speed does not depend on the
values (correctness is checked by the GPU tests against transformers' logits), only on the routing balance, which
is near-uniform for both. Known differences that do not change the work: transformers rotates all 128 dims of a
head (our engine rotates 64, spec 11.10) and keeps the lightning state in bf16 (ours fp32).

Kernel level, at the same shapes:
  * PyTorch SDPA, flash backend, causal GQA (64 query heads, 8 kv heads, 128 wide), bf16, vs our attention prefill
    kernel (`m1 bench --kernels`: q fp32, KV bf16);
  * torch.matmul (cuBLAS) vs our cuBLAS call for one expert's products at the rows an expert gets per prefill
    chunk (chunk x top-k / experts), and transformers' MoE block (its expert loop) vs ours on a whole chunk;
  * our lightning prefill vs the published Triton kernel of another engine (issue 9's numbers; not re-measured).

One table at the end, every ratio as ours / theirs for a rate (> 1: ours is faster); JSON and Markdown in --out.
Needs a CUDA GPU, torch and transformers >= 5 (MiniMaxConfig / MiniMaxForCausalLM). Usage: tests/bench/README.md.
"""
import argparse
import datetime
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time

WIDTHS = dict(hidden=6144, heads=64, head_dim=128, kv_heads=8, intermediate=9216, top_k=2, vocab=200064, block=256)
# Issue 9: another engine's Triton lightning prefill, 64 heads x 128, fp32 q/k/v, one H200 (ms by tokens).
PUBLISHED_TRITON_LIGHTNING_MS = {8192: 2.3, 131072: 32.9, 262144: 65.1}


def parse_list(text):
    out = []
    for item in text.split(","):
        item = item.strip()
        scale = 1024 if item[-1:] in "kK" else 1048576 if item[-1:] in "mM" else 1
        out.append(int(item[:-1] if scale > 1 else item) * scale)
    return out


def softmax_layers(layers):
    """Softmax where (l + 1) % 8 == 0 (M1's pattern; 7 and 15 for W16), or the last layer below 8 layers."""
    return [l for l in range(layers) if (l + 1) % 8 == 0 or (layers < 8 and l == layers - 1)]


def engine_config(layers, experts):
    """config.json in M1's official names, as our engine reads it (model_config::from_json)."""
    alpha = (2.0 * layers) ** 0.25
    soft = softmax_layers(layers)
    return {
        "architectures": ["MiniMaxM1ForCausalLM"], "model_type": "minimax_m1",
        "vocab_size": WIDTHS["vocab"], "hidden_size": WIDTHS["hidden"], "num_hidden_layers": layers,
        "num_attention_heads": WIDTHS["heads"], "num_key_value_heads": WIDTHS["kv_heads"],
        "head_dim": WIDTHS["head_dim"], "rotary_dim": 64, "intermediate_size": WIDTHS["intermediate"],
        "num_local_experts": experts, "num_experts_per_tok": WIDTHS["top_k"], "shared_intermediate_size": 0,
        "max_position_embeddings": 10240000, "rope_theta": 10000000.0, "rms_norm_eps": 1e-5,
        "attn_type_list": [1 if l in soft else 0 for l in range(layers)], "postnorm": True, "hidden_act": "silu",
        "layernorm_full_attention_alpha": alpha, "layernorm_full_attention_beta": 1.0,
        "layernorm_linear_attention_alpha": alpha, "layernorm_linear_attention_beta": 1.0,
        "layernorm_mlp_alpha": alpha, "layernorm_mlp_beta": 1.0, "tie_word_embeddings": False,
    }


def log(msg):
    print(f"compare.py: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Our engine (m1 bench as a subprocess, so its GPU memory is released before transformers runs).

def run_m1(m1, args, json_path, timeout):
    cmd = [m1, "bench"] + args + ["--json", json_path]
    if os.path.exists(json_path):
        os.remove(json_path)  # never read a previous run's numbers
    log("running " + " ".join(cmd))
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
        sys.stderr.write(p.stdout)
        log(f"m1 bench exited {p.returncode} after {time.time() - t0:.0f} s")
        tail = p.stdout[-400:]
    except subprocess.TimeoutExpired:
        log(f"m1 bench stopped by the {timeout} s limit (its JSON keeps the contexts it finished)")
        tail = "timed out"
    if os.path.exists(json_path):
        with open(json_path) as f:
            return json.load(f)
    return {"error": f"m1 bench wrote no JSON: {tail}"}


# ---------------------------------------------------------------------------------------------------------------
# transformers

def build_hf_model(layers, experts):
    import torch
    from transformers import MiniMaxConfig, MiniMaxForCausalLM

    alpha = (2.0 * layers) ** 0.25
    soft = softmax_layers(layers)
    kwargs = dict(
        vocab_size=WIDTHS["vocab"], hidden_size=WIDTHS["hidden"], intermediate_size=WIDTHS["intermediate"],
        num_hidden_layers=layers, num_attention_heads=WIDTHS["heads"], num_key_value_heads=WIDTHS["kv_heads"],
        head_dim=WIDTHS["head_dim"], max_position_embeddings=1 << 21, rms_norm_eps=1e-5,
        num_local_experts=experts, num_experts_per_tok=WIDTHS["top_k"], block_size=WIDTHS["block"],
        layer_types=["full_attention" if l in soft else "linear_attention" for l in range(layers)],
        full_attn_alpha_factor=alpha, full_attn_beta_factor=1.0, linear_attn_alpha_factor=alpha,
        linear_attn_beta_factor=1.0, mlp_alpha_factor=alpha, mlp_beta_factor=1.0, tie_word_embeddings=False,
        use_cache=True)
    try:
        cfg = MiniMaxConfig(rope_parameters={"rope_type": "default", "rope_theta": 1e7}, **kwargs)
    except TypeError:
        cfg = MiniMaxConfig(rope_theta=1e7, **kwargs)
    cfg._attn_implementation = "sdpa"
    # Built directly on the GPU in bf16 (fp32 first would need twice the memory), initialised randomly by
    # transformers (normal, std = initializer_range).
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("cuda"):
            model = MiniMaxForCausalLM(cfg)
    finally:
        torch.set_default_dtype(torch.float32)
    model.eval()
    return model, cfg


def hf_forward(model, **kw):
    import torch
    with torch.inference_mode():
        return model(use_cache=True, logits_to_keep=1, **kw)


def run_transformers(a):
    import torch
    res = {"prefill": [], "decode": None, "notes": []}
    t0 = time.time()
    model, cfg = build_hf_model(a.layers, a.experts)
    torch.cuda.synchronize()
    res["build_s"] = time.time() - t0
    res["weights_gb"] = sum(p.numel() * p.element_size() for p in model.parameters()) / 1e9
    res["attn_implementation"] = cfg._attn_implementation
    log(f"transformers model built in {res['build_s']:.1f} s ({res['weights_gb']:.1f} GB of bf16 weights)")
    gen = torch.Generator(device="cuda").manual_seed(a.seed)

    def ids(n):
        return torch.randint(0, WIDTHS["vocab"], (1, n), device="cuda", generator=gen)

    hf_forward(model, input_ids=ids(512))  # warm-up: kernels, cuBLAS handles, allocator
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    last = None
    attempted = []
    for n in a.hf_contexts:
        if last is not None:
            predicted = last[1] * (n / last[0]) ** 1.5
            if predicted > a.hf_budget_s:
                res["notes"].append(f"prefill at {n} skipped: ~{predicted:.0f} s predicted from {last[0]} tokens "
                                    f"(budget {a.hf_budget_s:.0f} s)")
                break
        attempted.append(n)
        try:
            x = ids(n)
            torch.cuda.synchronize()
            t = time.perf_counter()
            out = hf_forward(model, input_ids=x)
            torch.cuda.synchronize()
            s = time.perf_counter() - t
        except torch.OutOfMemoryError as e:
            res["notes"].append(f"prefill at {n}: out of memory ({str(e).splitlines()[0]})")
            break
        res["prefill"].append({"context": n, "prefill_s": s, "prefill_tok_s": n / s})
        log(f"transformers prefill {n}: {s:.2f} s ({n / s:.0f} tok/s)")
        last = (n, s)
        if n == a.decode_context:
            try:
                res["decode"] = hf_decode(model, out, n, a.decode_tokens)
                log(f"transformers decode at {n}: {res['decode']['decode_tok_s']:.2f} tok/s")
            except Exception as e:  # keep the prefill numbers
                res["notes"].append(f"decode at {n} failed: {type(e).__name__}: {str(e).splitlines()[0]}")
        del out
        gc.collect()
        torch.cuda.empty_cache()
    if res["decode"] is None and a.decode_context not in attempted:
        try:
            out = hf_forward(model, input_ids=ids(a.decode_context))
            res["decode"] = hf_decode(model, out, a.decode_context, a.decode_tokens)
            del out
        except Exception as e:
            res["notes"].append(f"decode at {a.decode_context} failed: {type(e).__name__}: {str(e).splitlines()[0]}")
    res["peak_gb"] = torch.cuda.max_memory_allocated() / 1e9
    try:
        res["moe_block"] = hf_moe_block(model, a.moe_tokens)
    except Exception as e:
        res["notes"].append(f"MoE block timing failed: {type(e).__name__}: {str(e).splitlines()[0]}")
    del model
    gc.collect()
    torch.cuda.empty_cache()
    return res


def hf_decode(model, out, context, steps):
    """Greedy decode, one token per forward; position and cache position given explicitly (the cache's own length
    is read from layer 0, a lightning layer that stores no keys)."""
    import torch
    pkv = out.past_key_values
    nxt = out.logits[:, -1].argmax(-1, keepdim=True)
    times = []
    for i in range(steps):
        pos = torch.tensor([context + i], device="cuda")
        torch.cuda.synchronize()
        t = time.perf_counter()
        o = hf_forward(model, input_ids=nxt, past_key_values=pkv, cache_position=pos, position_ids=pos[None])
        nxt = o.logits[:, -1].argmax(-1, keepdim=True)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
        pkv = o.past_key_values
    kept = times[1:] if len(times) > 4 else times
    med = statistics.median(kept)
    return {"context": context, "steps": len(kept), "decode_ms": 1e3 * med, "decode_tok_s": 1 / med}


def hf_moe_block(model, tokens):
    """transformers' MoE block of layer 0 (router + its loop over experts) on one prefill chunk."""
    import torch
    block = model.model.layers[0].mlp
    g = torch.randn(1, tokens, WIDTHS["hidden"], device="cuda", dtype=torch.bfloat16)
    experts = block.experts.num_experts if hasattr(block.experts, "num_experts") else None
    with torch.inference_mode():
        s = cuda_time(lambda: block(g), warmup=2, reps=5)
    k = WIDTHS["top_k"]
    flops = 2.0 * tokens * k * 3 * WIDTHS["hidden"] * WIDTHS["intermediate"]
    return {"tokens": tokens, "experts": experts, "ms": 1e3 * s, "tflop_s": flops / s / 1e12}


# ---------------------------------------------------------------------------------------------------------------
# PyTorch kernels

def cuda_time(fn, warmup, reps):
    """Median seconds of fn() between CUDA events, after warm-up."""
    import torch
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / 1e3)
    return statistics.median(times)


def reps_for(n):
    return 5 if n <= 32768 else 3 if n <= 131072 else 1


def torch_kernels(a, experts):
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    out = {"attention": [], "gemm": [], "notes": []}
    nh, g, d = WIDTHS["heads"], WIDTHS["kv_heads"], WIDTHS["head_dim"]
    for n in a.kernel_contexts:
        q = torch.randn(1, nh, n, d, device="cuda", dtype=torch.bfloat16)
        k = torch.randn(1, g, n, d, device="cuda", dtype=torch.bfloat16)
        v = torch.randn(1, g, n, d, device="cuda", dtype=torch.bfloat16)
        how = "flash, enable_gqa"
        with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
            def run():
                return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
            try:
                run()
            except RuntimeError as e:
                out["notes"].append(f"SDPA flash refused enable_gqa ({str(e).splitlines()[0]}); kv heads expanded")
                k = k.repeat_interleave(nh // g, dim=1)
                v = v.repeat_interleave(nh // g, dim=1)
                how = "flash, kv expanded"

                def run():
                    return F.scaled_dot_product_attention(q, k, v, is_causal=True)
            s = cuda_time(run, warmup=1, reps=reps_for(n))
        flops = 4.0 * d * nh * n * (n + 1) / 2
        out["attention"].append({"tokens": n, "ms": 1e3 * s, "tflop_s": flops / s / 1e12, "how": how})
        log(f"SDPA {how} causal {n}: {1e3 * s:.2f} ms, {flops / s / 1e12:.0f} TFLOP/s")
        del q, k, v
        torch.cuda.empty_cache()
    H, I, topk = WIDTHS["hidden"], WIDTHS["intermediate"], WIDTHS["top_k"]
    rows = max(1, a.moe_tokens * topk // experts)
    for name, kin, nout in (("w13", H, 2 * I), ("w2", I, H)):
        x = torch.randn(rows, kin, device="cuda", dtype=torch.bfloat16)
        w = torch.randn(nout, kin, device="cuda", dtype=torch.bfloat16) / math.sqrt(kin)
        s = cuda_time(lambda: torch.matmul(x, w.t()), warmup=2, reps=10)
        flops = 2.0 * rows * kin * nout
        out["gemm"].append({"name": name, "rows": rows, "ms": 1e3 * s, "tflop_s": flops / s / 1e12})
    x = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    y = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    s = cuda_time(lambda: torch.matmul(x, y), warmup=2, reps=10)
    out["gemm_8192_tflop_s"] = 2.0 * 8192 ** 3 / s / 1e12
    return out


# ---------------------------------------------------------------------------------------------------------------
# The table

def ratio(ours, theirs):
    return f"{ours / theirs:.2f}x" if ours and theirs else "-"


def fmt(v, spec):
    return format(v, spec) if v is not None else "-"


def build_table(res):
    rows = []
    hf = res.get("transformers") or {}
    eng = res.get("engine") or {}
    ours_ctx = {c["context"]: c for c in eng.get("contexts", [])}
    hf_ctx = {p["context"]: p for p in hf.get("prefill", [])}
    for n in sorted(set(ours_ctx) | set(hf_ctx)):
        o = (ours_ctx.get(n) or {}).get("prefill_tok_s")
        t = (hf_ctx.get(n) or {}).get("prefill_tok_s")
        rows.append((f"prefill tok/s at {n}", fmt(t, ".0f"), fmt(o, ".0f"), ratio(o, t)))
    dec = hf.get("decode") or {}
    n = dec.get("context")
    o = (ours_ctx.get(n) or {}).get("decode_tok_s") if n else None
    rows.append((f"decode tok/s at {n}", fmt(dec.get("decode_tok_s"), ".2f"), fmt(o, ".1f"), ratio(o, dec.get("decode_tok_s"))))
    mem_o = (eng.get("memory") or {}).get("peak_used_gb")
    rows.append(("peak GPU memory GB (ours: in use, all processes)", fmt(hf.get("peak_gb"), ".1f"), fmt(mem_o, ".1f"), "-"))
    tk = res.get("torch_kernels") or {}
    ok = {}
    for k in (res.get("engine_kernels") or {}).get("kernels", []):
        ok[(k["name"].split(" (")[0], k.get("tokens"))] = k
    for t in tk.get("attention", []):
        o = (ok.get(("attention prefill", t["tokens"])) or {}).get("tflop_s")
        rows.append((f"causal GQA attention {t['tokens']} TFLOP/s (SDPA {t['how']})", fmt(t["tflop_s"], ".0f"),
                     fmt(o, ".0f"), ratio(o, t["tflop_s"])))
    for t in tk.get("gemm", []):
        o = next((k.get("tflop_s") for k in ok.values() if k["name"].startswith(f"expert GEMM {t['name']}")), None)
        rows.append((f"expert GEMM {t['name']} ({t['rows']} rows) TFLOP/s (torch.matmul)", fmt(t["tflop_s"], ".0f"),
                     fmt(o, ".0f"), ratio(o, t["tflop_s"])))
    moe = hf.get("moe_block")
    if moe:
        o = next((k.get("tflop_s") for k in ok.values() if k["name"].startswith("MoE block")), None)
        rows.append((f"MoE block {moe['tokens']} tokens TFLOP/s (transformers' expert loop)", fmt(moe["tflop_s"], ".0f"),
                     fmt(o, ".0f"), ratio(o, moe["tflop_s"])))
    for n, ms in PUBLISHED_TRITON_LIGHTNING_MS.items():
        k = ok.get(("lightning prefill", n))
        if k and k.get("ms"):
            rows.append((f"lightning prefill {n} tokens ms (published Triton, not re-measured)", f"{ms:.1f}",
                         f"{k['ms']:.2f}", f"{ms / k['ms']:.2f}x"))
    if tk.get("gemm_8192_tflop_s"):
        ceil = (eng.get("ceilings") or {}).get("gemm_tflop_s")
        rows.append(("bf16 GEMM 8192^3 TFLOP/s (torch.matmul; ours: cuBLAS fp32 out)", fmt(tk["gemm_8192_tflop_s"], ".0f"),
                     fmt(ceil, ".0f"), ratio(ceil, tk["gemm_8192_tflop_s"])))
    lines = ["| what | transformers / PyTorch | ours | ours / theirs |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--m1", default=".deps/gpu/bin/m1", help="our m1 executable (default .deps/gpu/bin/m1)")
    ap.add_argument("--layers", type=int, default=16, help="layers of the configuration (default 16 = W16)")
    ap.add_argument("--experts", type=int, default=16, help="experts per layer (default 16 = W16)")
    ap.add_argument("--hf-contexts", default="8192,32768,131072", help="transformers prefill lengths, ascending")
    ap.add_argument("--hf-budget-s", type=float, default=150, help="stop when a transformers prefill would take longer")
    ap.add_argument("--decode-context", type=int, default=8192, help="context of the decode comparison")
    ap.add_argument("--decode-tokens", type=int, default=16)
    ap.add_argument("--engine-contexts", default="8192,32768,131072", help="contexts of m1 bench")
    ap.add_argument("--kernel-contexts", default="8192,32768,131072", help="attention / lightning kernel lengths")
    ap.add_argument("--chunk", type=int, default=0,
                    help="m1's prefill chunk (default: m1 chooses); the MoE comparisons use 8192 tokens unless given")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.environ.get("OUT", "compare-out"), help="folder for JSON and Markdown")
    ap.add_argument("--timeout-s", type=int, default=900, help="limit for each m1 bench run")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: engine, transformers, kernels")
    ap.add_argument("--write-config", metavar="FILE", help="only write the engine's config.json and exit")
    ap.add_argument("--engine-json", metavar="FILE",
                    help="take our engine's numbers from this `m1 bench --json` file of the same configuration "
                         "(e.g. run on a second GPU at the same time) instead of running m1 bench")
    ap.add_argument("--engine-kernels-json", metavar="FILE",
                    help="the same for `m1 bench --kernels --json`")
    a = ap.parse_args()
    a.moe_tokens = a.chunk or 8192  # tokens of the MoE comparisons and of m1 bench --kernels' MoE block
    a.hf_contexts = parse_list(a.hf_contexts)
    a.kernel_contexts = parse_list(a.kernel_contexts)
    skip = set(filter(None, a.skip.split(",")))

    if a.write_config:
        with open(a.write_config, "w") as f:
            json.dump(engine_config(a.layers, a.experts), f, indent=2)
        return 0
    import torch
    if not torch.cuda.is_available():
        print("compare.py needs a CUDA GPU (torch.cuda.is_available() is False)", file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    cfg_path = os.path.abspath(os.path.join(a.out, "config.json"))
    with open(cfg_path, "w") as f:
        json.dump(engine_config(a.layers, a.experts), f, indent=2)
    import transformers
    res = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
           "transformers": None, "transformers_version": transformers.__version__,
           "layers": a.layers, "experts": a.experts, "softmax_layers": softmax_layers(a.layers),
           "command": " ".join(sys.argv)}
    common = ["--config", cfg_path, "--seed", str(a.seed)]
    if "engine" not in skip and not a.engine_json:
        res["engine"] = run_m1(a.m1, common + (["--chunk", str(a.chunk)] if a.chunk else []) +
                               ["--contexts", a.engine_contexts, "--decode-tokens", str(a.decode_tokens),
                                "--follow-up", "0"],
                               os.path.join(a.out, "engine.json"), a.timeout_s)
    if "kernels" not in skip and not a.engine_kernels_json:
        res["engine_kernels"] = run_m1(a.m1, common + ["--chunk", str(a.moe_tokens), "--kernels", "--contexts",
                                                       ",".join(map(str, a.kernel_contexts))],
                                       os.path.join(a.out, "engine_kernels.json"), a.timeout_s)
    if "transformers" not in skip:
        try:
            res["transformers"] = run_transformers(a)
        except Exception as e:  # report what broke, keep the rest of the comparison
            res["transformers"] = {"error": f"{type(e).__name__}: {e}"}
            log(f"transformers failed: {type(e).__name__}: {e}")
    if "kernels" not in skip:
        try:
            res["torch_kernels"] = torch_kernels(a, a.experts)
        except Exception as e:
            res["torch_kernels"] = {"error": f"{type(e).__name__}: {e}"}
    # Numbers made elsewhere (another GPU, at the same time) are read last, when that run has had the most time.
    for key, path in (("engine", a.engine_json), ("engine_kernels", a.engine_kernels_json)):
        if path:
            try:
                with open(path) as f:
                    res[key] = json.load(f)
            except (OSError, ValueError) as e:
                res[key] = {"error": f"{path}: {e}"}
    table = build_table(res)
    header = (f"compare.py {res['date']} on {res['device']}: {a.layers} layers (softmax at {res['softmax_layers']}), "
              f"{a.experts} experts, M1 widths; torch {res['torch']}, transformers {res['transformers_version']}")
    notes = []
    for part in ("transformers", "torch_kernels"):
        notes += (res.get(part) or {}).get("notes", [])
        if (res.get(part) or {}).get("error"):
            notes.append(f"{part}: {res[part]['error']}")
    for part in ("engine", "engine_kernels"):
        if (res.get(part) or {}).get("error"):
            notes.append(f"{part}: {res[part]['error']}")
    text = header + "\n\n" + table + "\n" + "".join(f"\nnote: {n}" for n in notes) + "\n"
    with open(os.path.join(a.out, "compare.json"), "w") as f:
        json.dump(res, f, indent=2)
    with open(os.path.join(a.out, "compare.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
