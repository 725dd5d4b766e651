#!/usr/bin/env python3
"""GPU check of `m1 bench` itself (not of the engine's speed): runs it at small sizes and checks that every number it
reports is there and physically possible. A time below its floor means a wrong count or a broken timer, so no
"% of floor" may exceed 110 % (10 % for clocks and the floors' rounding); the ceilings must be those of a real GPU.

    python3 tests/bench/check_m1_bench.py [--m1 .deps/gpu/bin/m1] [--out DIR]

Exit 0 when every check passes, 1 with the failed checks listed, 77 when the machine has no CUDA GPU (what CTest
reads as skipped). Takes ~1 minute on an H200 (W2-32E: 30 GB of random weights).
"""
import argparse
import json
import os
import subprocess
import sys


def run(m1, args, path):
    cmd = [m1, "bench"] + args + ["--json", path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    print(p.stdout)
    if p.returncode == 1 and "needs a CUDA GPU" in p.stdout:
        print("check_m1_bench.py: no CUDA GPU here, skipped")
        sys.exit(77)
    if not os.path.exists(path):
        return p.returncode, {"error": "no JSON written: " + p.stdout[-300:]}
    with open(path) as f:
        return p.returncode, json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--m1", default=".deps/gpu/bin/m1")
    ap.add_argument("--out", default=os.environ.get("OUT", "/tmp"))
    a = ap.parse_args()
    failures = []

    def expect(ok, what):
        if not ok:
            failures.append(what)

    def positive(v):
        return isinstance(v, (int, float)) and v > 0

    def possible(pct):
        return positive(pct) and pct <= 110

    rc, m = run(a.m1, ["--config", "w2-32e", "--contexts", "4K,8K", "--decode-tokens", "8", "--follow-up", "50"],
                os.path.join(a.out, "check_model.json"))
    expect(rc == 0, f"m1 bench exited {rc}: {m.get('error')}")
    c = m.get("ceilings", {})
    expect(0.5 < (c.get("copy_tb_s") or 0) < 10, f"copy ceiling {c.get('copy_tb_s')} TB/s")
    expect(50 < (c.get("gemm_tflop_s") or 0) < 2000, f"GEMM ceiling {c.get('gemm_tflop_s')} TFLOP/s")
    expect([x["context"] for x in m.get("contexts", [])] == [4096, 8192], "contexts 4096 and 8192 measured")
    prev = 0
    for x in m.get("contexts", []):
        n = x["context"]
        expect(positive(x.get("prefill_s")) and x["prefill_s"] > prev, f"{n}: cumulative prefill time grows")
        prev = x.get("prefill_s") or prev
        expect(possible(x.get("prefill_pct_of_floor")), f"{n}: prefill {x.get('prefill_pct_of_floor')} % of floor")
        expect(possible(x.get("decode_pct_of_floor")), f"{n}: decode {x.get('decode_pct_of_floor')} % of floor")
        expect(x.get("decode_steps") == 7, f"{n}: median of 7 steps (8, the first left out)")
    f = m.get("follow_up", {})
    expect(f.get("prefix") == 8192 and f.get("tokens") == 50, "follow-up after 8192 tokens, 50 tokens")
    expect(positive(f.get("ttft_s")) and not f.get("error"), f"follow-up TTFT {f.get('ttft_s')} ({f.get('error')})")
    mem = m.get("memory", {})
    expect(positive(mem.get("peak_used_gb")) and mem["peak_used_gb"] >= (mem.get("baseline_used_gb") or 0) + 25,
           f"peak memory {mem.get('peak_used_gb')} GB holds the ~30 GB of weights")

    rc, k = run(a.m1, ["--kernels", "--config", "w2-32e", "--contexts", "4K"], os.path.join(a.out, "check_kernels.json"))
    expect(rc == 0, f"m1 bench --kernels exited {rc}: {k.get('error')}")
    names = [x["name"] for x in k.get("kernels", [])]
    for want in ("attention prefill", "lightning prefill", "MoE block", "expert GEMM w13", "expert GEMM w2"):
        expect(any(n.startswith(want) for n in names), f"kernel '{want}' reported")
    for x in k.get("kernels", []):
        expect(positive(x.get("ms")), f"{x['name']}: time measured")
        expect(possible(x.get("pct_of_floor")), f"{x['name']}: {x.get('pct_of_floor')} % of floor")

    if failures:
        print("check_m1_bench.py: FAILED\n  " + "\n  ".join(failures))
        return 1
    print("check_m1_bench.py: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
