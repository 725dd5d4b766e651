#!/usr/bin/env python3
"""Writes a git repository of N generated text files (default 10,000) for the ingest benchmark, committed once with
fixed names and dates, plus a few files the default exclusions drop. Standard library and the git command only.

    make_large_repo.py OUTDIR [N]
"""
import os
import random
import subprocess
import sys

WORDS = ("context token model window document analysis citation source page report answer question reason engine "
         "tensor layer attention expert router prefill decode stream cache budget contract clause repository commit "
         "branch merge review matrix vector kernel memory bandwidth latency throughput").split()


def source_file(rng, i):
    lines = ["// file %d: %s" % (i, " ".join(rng.choice(WORDS) for _ in range(8)))]
    for f in range(rng.randint(3, 12)):
        name = "%s_%s_%d" % (rng.choice(WORDS), rng.choice(WORDS), f)
        lines.append("int %s(int x) {" % name)
        for _ in range(rng.randint(2, 8)):
            lines.append("    x = x * %d + %d;  // %s" % (rng.randint(1, 99), rng.randint(0, 999),
                                                      " ".join(rng.choice(WORDS) for _ in range(5))))
        lines.append("    return x;\n}\n")
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    out, n = argv[1], int(argv[2]) if len(argv) == 3 else 10000
    rng = random.Random(4)
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        path = os.path.join(out, "src", "mod%03d" % (i // 100), "file%05d.cpp" % i)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(source_file(rng, i))
    os.makedirs(os.path.join(out, "node_modules", "dep"), exist_ok=True)
    with open(os.path.join(out, "node_modules", "dep", "index.js"), "w") as f:
        f.write("module.exports = 1;\n")
    with open(os.path.join(out, "package-lock.json"), "w") as f:
        f.write("{}\n")
    env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.org", GIT_COMMITTER_NAME="Bench",
               GIT_COMMITTER_EMAIL="bench@example.org", GIT_AUTHOR_DATE="2024-01-01T00:00:00+00:00",
               GIT_COMMITTER_DATE="2024-01-01T00:00:00+00:00", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
        subprocess.run(["git", "-C", out, "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                       check=True, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
