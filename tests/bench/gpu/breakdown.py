#!/usr/bin/env python3
"""Sums Nsight Compute's per-kernel durations (a --csv report of gpu__time_duration.sum) by kernel family.

Usage: ncu --profile-from-start off --metrics gpu__time_duration.sum --csv <program> > ncu.csv
       python3 tests/bench/gpu/breakdown.py ncu.csv
"""
import csv
import re
import sys
from collections import defaultdict


def family(name: str) -> str:
    name = re.sub(r"\(.*", "", name)          # drop argument lists
    name = re.sub(r"<.*", "", name)           # and template arguments
    name = name.split("::")[-1].strip()
    if re.search(r"gemm|sm90|sm80|cutlass|xmma|gemv", name, re.I):
        return "cuBLAS GEMM (" + name[:40] + ")"
    return name


def main() -> None:
    lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith('"ID"'))
    total = defaultdict(float)
    calls = defaultdict(int)
    for row in csv.DictReader(lines[start:]):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        value = float(row["Metric Value"].replace(",", ""))
        unit = row.get("Metric Unit", "ns")
        scale = {"ns": 1e-6, "nsecond": 1e-6, "us": 1e-3, "usecond": 1e-3, "ms": 1.0, "msecond": 1.0}.get(unit, 1e-6)
        fam = family(row["Kernel Name"])
        total[fam] += value * scale
        calls[fam] += 1
    grand = sum(total.values())
    print(f"| kernel family | calls | ms | share |\n|---|---|---|---|")
    for fam, ms in sorted(total.items(), key=lambda kv: -kv[1]):
        print(f"| {fam} | {calls[fam]} | {ms:.2f} | {100 * ms / grand:.1f}% |")
    print(f"| total | {sum(calls.values())} | {grand:.2f} | 100% |")


if __name__ == "__main__":
    main()
