#!/usr/bin/env python3
"""Writes raw_tool_calls.sse: the model text of raw_tool_calls.m1.txt streamed as plain `content` pieces, cut at
fixed places (inside the tags and inside JSON lines), as an OpenAI-compatible server without a tool parser sends it.
Run from this folder: python3 make_raw_tool_calls.py"""
import json

text = open("raw_tool_calls.m1.txt", encoding="utf-8").read()
cuts = [7, 23, 61, 80, 95, 96, 140, 170, 201, 230, len(text)]
pieces, prev = [], 0
for c in cuts:
    pieces.append(text[prev:c])
    prev = c
assert "".join(pieces) == text

head = {"id": "chatcmpl-9c0d11", "object": "chat.completion.chunk", "created": 1750000300, "model": "m1"}


def chunk(delta, finish=None):
    d = dict(head)
    d["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    return "data: " + json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n\n"


out = [chunk({"role": "assistant", "content": ""})]
out += [chunk({"content": p}) for p in pieces]
out.append(chunk({}, "stop"))
out.append("data: [DONE]\n\n")
open("raw_tool_calls.sse", "w", encoding="utf-8").write("".join(out))
