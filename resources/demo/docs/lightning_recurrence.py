"""The lightning-attention recurrence of MiniMax-M1, one head, written plainly.

For each token t:  S_t = lambda * S_{t-1} + outer(k_t, v_t);  o_t = q_t @ S_t
with lambda = exp(-slope). q, k and v have already been through SiLU.
"""
import math


def slope(head: int, num_heads: int, layer: int, num_layers: int) -> float:
    base = 2.0 ** (-8.0 * (head + 1) / num_heads)
    return base * (1.0 - layer / (num_layers - 1) + 1e-5)


def lightning_head(q, k, v, s):
    d = len(q[0])
    decay = math.exp(-s)
    state = [[0.0] * d for _ in range(d)]
    out = []
    for qt, kt, vt in zip(q, k, v):
        for i in range(d):
            for j in range(d):
                state[i][j] = decay * state[i][j] + kt[i] * vt[j]
        out.append([sum(qt[i] * state[i][j] for i in range(d)) for j in range(d)])
    return out
