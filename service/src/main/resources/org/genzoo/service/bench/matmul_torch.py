"""PyTorch peer for the GEMM rows of `genzoo bench suite`: C = op(A) op(B) with torch.mm into a
preallocated C, on the CPU in the peer's best configuration (peer_config.py: torch threads 1,
multi-threaded OpenBLAS, denormals flushed).

Usage: matmul_torch.py REPS M,N,K,TA,TB ...   (TA/TB 1 = that operand is stored transposed: A is
K x M, B is N x K, passed as a transposed view, so OpenBLAS gets the transpose flag and no copy).
Each shape: two warm-up products, then REPS timed ones (wall clock around one torch.mm); the
median; then 3 streams of REPS products back to back (wall clock per product, median). Prints one
JSON line.
"""
import json
import statistics
import sys
import time

import torch

import peer_config

FLUSHED = peer_config.configure(torch, 1)
REPS = int(sys.argv[1])
STREAMS = 3  # loops of REPS products back to back (the median per product), as the suite times GenZoo's
torch.manual_seed(0)
cases = []
for spec in sys.argv[2:]:
    m, n, k, ta, tb = (int(v) for v in spec.split(","))
    a = (torch.rand(k, m) * 2 - 1).t() if ta else torch.rand(m, k) * 2 - 1
    b = (torch.rand(n, k) * 2 - 1).t() if tb else torch.rand(k, n) * 2 - 1
    c = torch.empty(m, n)
    for _ in range(2):
        torch.mm(a, b, out=c)
    times = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    streams = []
    for _ in range(STREAMS):
        t0 = time.perf_counter()
        for _ in range(REPS):
            torch.mm(a, b, out=c)
        streams.append((time.perf_counter() - t0) / REPS)
    cases.append({"m": m, "n": n, "k": k, "ta": bool(ta), "tb": bool(tb), "medianMicros": 1e6 * med,
                  "bestMicros": 1e6 * min(times), "gflops": 2.0 * m * n * k / med / 1e9,
                  "streamMicros": 1e6 * statistics.median(streams)})
print(json.dumps({"peer": "pytorch " + torch.__version__ + " torch.mm", "cases": cases,
                  "peerConfig": peer_config.describe(torch, "cpu", FLUSHED)}))
