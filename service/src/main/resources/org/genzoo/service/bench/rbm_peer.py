"""Peers for `genzoo bench train --model rbm --peer`: the same RBM training step.

Usage: rbm_peer.py torch|sklearn DATA N D H B K METHOD STEPS WARMUP THREADS
DATA holds N x D float32 binary images (little-endian, row-major), written by the bench so every
peer trains on the same binarized data and batches (in order, wrapping around).

torch: RBM D-H by CD-K or PCD-K (METHOD cd|pcd) with Bernoulli sampling of every unit, statistics
from hidden probabilities, SGD lr 0.05 with momentum 0.5 and weight decay 1e-4 on every parameter, as GenZoo's
step; torch.set_num_threads(THREADS), denormals flushed; on the device GENZOO_PEER_DEVICE names (cpu,
the default, or cuda: TF32 off, the clock read after a synchronize).
sklearn: BernoulliRBM(n_components=H, batch_size=B, learning_rate=0.05) fitted on the same data in
float32; it implements PCD-1 only (K and METHOD are ignored); n_iter chosen to cover STEPS batches.
Prints one JSON line.
"""
import json
import sys
import time

import numpy as np

which, path = sys.argv[1], sys.argv[2]
N, D, H, B, K = (int(a) for a in sys.argv[3:8])
METHOD = sys.argv[8]
STEPS, WARMUP, THREADS = (int(a) for a in sys.argv[9:12])
X = np.fromfile(path, dtype="<f4").reshape(N, D)

if which == "sklearn":
    import sklearn
    from sklearn.neural_network import BernoulliRBM

    batches = N // B
    epochs = max(1, round(STEPS / batches))
    warm = BernoulliRBM(n_components=H, batch_size=B, learning_rate=0.05, n_iter=1, random_state=0)
    warm.fit(X[: max(B, min(N, WARMUP * B))])
    rbm = BernoulliRBM(n_components=H, batch_size=B, learning_rate=0.05, n_iter=epochs, random_state=0)
    t0 = time.perf_counter()
    rbm.fit(X)
    dt = time.perf_counter() - t0
    steps = epochs * batches
    print(json.dumps({"peer": "scikit-learn " + sklearn.__version__ + " BernoulliRBM (PCD-1)", "msPerStep": 1e3 * dt / steps,
                      "examplesPerSecond": B * steps / dt, "steps": steps}))
    sys.exit(0)

import torch

import peer_config

DEVICE, THREADS, FLUSHED = peer_config.from_env(torch, THREADS)
torch.manual_seed(0)
data = torch.from_numpy(X).to(DEVICE)
W = (torch.randn(D, H) * 0.01).to(DEVICE)
b = torch.zeros(D, device=DEVICE)
c = torch.zeros(H, device=DEVICE)
uW, ub, uc = torch.zeros_like(W), torch.zeros_like(b), torch.zeros_like(c)
chain_h = None
LR, MOM, WD = 0.05, 0.5, 1e-4


def step(v0):
    global chain_h, W, b, c
    p0 = torch.sigmoid(v0 @ W + c)
    h = torch.bernoulli(p0) if (METHOD == "cd" or chain_h is None) else chain_h
    for _ in range(K):
        v = torch.bernoulli(torch.sigmoid(h @ W.t() + b))
        ph = torch.sigmoid(v @ W + c)
        h = torch.bernoulli(ph)
    if METHOD == "pcd":
        chain_h = h
    n = v0.shape[0]
    gW = (v.t() @ ph - v0.t() @ p0) / n + WD * W
    gb = (v - v0).mean(0) + WD * b
    gc = (ph - p0).mean(0) + WD * c
    uW.mul_(MOM).add_(gW)
    ub.mul_(MOM).add_(gb)
    uc.mul_(MOM).add_(gc)
    W -= LR * uW
    b -= LR * ub
    c -= LR * uc


batches = N // B
seconds = peer_config.timed_steps(torch, DEVICE, lambda i: step(data[(i % batches) * B:(i % batches + 1) * B]), STEPS, WARMUP)
peer_config.report(torch, DEVICE, THREADS, FLUSHED, B, STEPS, seconds)
