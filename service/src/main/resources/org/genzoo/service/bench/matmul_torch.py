"""PyTorch peer for the GEMM rows of `genzoo bench suite`: C = op(A) op(B) with torch.mm into a
preallocated C, on the CPU in the peer's best configuration (peer_config.py: torch threads 1,
multi-threaded OpenBLAS, denormals flushed).

Usage: matmul_torch.py M,N,K,TA,TB ...   (TA/TB 1 = that operand is stored transposed: A is
K x M, B is N x K, passed as a transposed view, so OpenBLAS gets the transpose flag and no copy).
The suite drives it (GENZOO_PEER_SEGMENTS=1, TorchPeer.Session) so that its products and GenZoo's
take turns and, on a busy machine, see the same seconds: after setting up every shape and running
two warm-up products of each it prints "ready", then answers each stdin line "wait I N" (N
products of shape I, each timed by the wall clock around one torch.mm) or "stream I N" (N
products back to back: the wall clock per product) with one JSON line {"micros": [...]}, and
"done" with the JSON line naming the peer and its configuration as read back. Each answer waits
until the process has stopped using the CPU (peer_config.settle: OpenBLAS's threads spin for a
while after a product), so none of it lands on GenZoo's turn.
"""
import json
import sys
import time

import torch

import peer_config

FLUSHED = peer_config.configure(torch, 1)
torch.manual_seed(0)
shapes = []
for spec in sys.argv[1:]:
    m, n, k, ta, tb = (int(v) for v in spec.split(","))
    a = (torch.rand(k, m) * 2 - 1).t() if ta else torch.rand(m, k) * 2 - 1
    b = (torch.rand(n, k) * 2 - 1).t() if tb else torch.rand(k, n) * 2 - 1
    c = torch.empty(m, n)
    for _ in range(2):
        torch.mm(a, b, out=c)
    shapes.append((m, n, k, ta, tb, a, b, c))


def waited(i, reps):
    """Seconds of each of `reps` products of shape i, timed one by one."""
    _, _, _, _, _, a, b, c = shapes[i]
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        times.append(time.perf_counter() - t0)
    return times


def stream(i, reps):
    """Seconds per product of `reps` products of shape i back to back."""
    _, _, _, _, _, a, b, c = shapes[i]
    t0 = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b, out=c)
    return (time.perf_counter() - t0) / reps


if not peer_config.interleaved():
    sys.exit("matmul_torch.py answers `genzoo bench suite` (GENZOO_PEER_SEGMENTS=1); run the suite")
peer_config.serve({"wait": lambda i, reps: {"micros": [1e6 * t for t in waited(i, reps)]},
                   "stream": lambda i, reps: {"micros": [1e6 * stream(i, reps)]}})
print(json.dumps({"peer": "pytorch " + torch.__version__ + " torch.mm", "peerConfig": peer_config.describe(torch, "cpu", FLUSHED)}))
