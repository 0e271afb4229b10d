#!/usr/bin/env python3
"""PyTorch reference for the GAN mode-coverage runs (docs/gan.md): the same toys, networks, losses and
metric as GenZoo's gan / wgan / wgan-gp / sngan, to tell a bug from a hyperparameter problem.

Usage: report-gan-torch.py FAMILY TOY STEPS SEED [key=value ...]
  keys: act (relu|tanh|leaky-relu), g, d (hidden sizes, e.g. 128x128), latent, lr, lrd, b1, b2,
        ncritic, lam, clip, batch, loss (ns|hinge), cosine (minimum factor of a cosine decay over STEPS),
        ema (decay of the generator's weight average used for the metric)
Prints one JSON line: modes, high_quality, reverse_kl, seconds.
"""
import copy
import json
import math
import os
import sys
import time

import torch

# The networks, toys and the two phases are the bench peer's (genzoo bench train --model gan --peer).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "service", "src", "main", "resources",
                                "org", "genzoo", "service", "bench"))
import gan_torch  # noqa: E402

fam, toy, steps, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
o = dict(a.split("=", 1) for a in sys.argv[5:])
act = o.get("act", "relu")
gh = [int(v) for v in o.get("g", "128x128").split("x")]
dh = [int(v) for v in o.get("d", "128x128").split("x")]
latent = int(o.get("latent", 2))
w = fam in ("wgan", "wgan-gp")
lr = float(o.get("lr", 1e-4 if w else 1e-3))
lrd = float(o.get("lrd", lr))
b1, b2 = float(o.get("b1", 0.5)), float(o.get("b2", 0.9 if w else 0.99))
ncritic = int(o.get("ncritic", 5 if w else 1))
lam = float(o.get("lam", 0.1))
clip = float(o.get("clip", 0.01))
B = int(o.get("batch", 256))
lossname = o.get("loss", "ns")
torch.set_num_threads(1)
torch.set_flush_denormal(True)
torch.manual_seed(seed)

means, std, data = gan_torch.toy(toy, 50000)
K = len(means)
G = gan_torch.mlp([latent] + gh + [2], act)
D = gan_torch.mlp([2] + dh + [1], act, sn=fam == "sngan")
opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(b1, b2))
opt_d = torch.optim.Adam(D.parameters(), lr=lrd, betas=(b1, b2))
scheds = []
if "cosine" in o:
    m = float(o["cosine"])
    f = lambda s: m + (1 - m) * (1 + math.cos(math.pi * min(s / steps, 1.0))) / 2
    scheds = [torch.optim.lr_scheduler.LambdaLR(opt, f) for opt in (opt_g, opt_d)]
ema = float(o.get("ema", 0))
G_avg = copy.deepcopy(G) if ema > 0 else G


def coverage(s):
    d = torch.cdist(s, means)
    dmin, arg = d.min(1)
    hq = dmin <= 3 * std
    counts = torch.bincount(arg[hq], minlength=K).double()
    n = len(s)
    covered = int(((counts > 0) & (counts >= 0.1 * n / K)).sum())
    nhq = int(hq.sum())
    q = counts[counts > 0] / max(nhq, 1)
    kl = float((q * torch.log(K * q)).sum()) if nhq else math.log(K)
    return covered, nhq / n, kl


t0 = time.time()
report = {}
for i in range(1, steps + 1):
    for _ in range(ncritic):
        gan_torch.d_step(G, D, opt_d, data[torch.randint(0, 50000, (B,))], latent, fam, lam, lossname,
                         clip if fam == "wgan" else None)
    gan_torch.g_step(G, D, opt_g, B, latent, fam, lossname)
    for sc in scheds:
        sc.step()
    if ema > 0:
        with torch.no_grad():
            for pa, p in zip(G_avg.parameters(), G.parameters()):
                pa.mul_(ema).add_(p, alpha=1 - ema)
    if i % max(steps // 5, 1) == 0:
        with torch.no_grad():
            s = G_avg(torch.randn(2500, latent))
        report[i] = coverage(s)
c = report[steps]
print(json.dumps({"family": fam, "toy": toy, "seed": seed, "opts": o, "modes": c[0], "high_quality": round(c[1], 3),
                  "reverse_kl": round(c[2], 3), "trace": {k: [v[0], round(v[1], 2)] for k, v in report.items()},
                  "seconds": round(time.time() - t0, 1)}))
