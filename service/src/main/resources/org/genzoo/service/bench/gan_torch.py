"""PyTorch peer for `genzoo bench train --model gan|sngan|wgan-gp --peer`: the same 2-D GAN step on the CPU.

G 2-128-128-2 and D 2-128-128-1 with ReLU, batch B of the ring of 8 Gaussians, Adam(lr=1e-4,
betas=(0.5, 0.9)) per network. One step = one discriminator update on real and fake rows in one
forward of 2B rows, then one generator update with the discriminator frozen (no parameter
gradients; for sngan in eval mode, so its power iteration runs once per step, in the D update, as
GenZoo's does). gan/sngan: non-saturating loss with logits; wgan-gp: the Wasserstein loss plus
λ = 10 times the gradient penalty on per-example interpolates (autograd.grad with create_graph).
torch.set_num_threads(1) over a multi-threaded OpenBLAS, denormals flushed (peer_config.py). Prints one JSON line.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

import peer_config

MODEL = sys.argv[1]
B, STEPS, WARMUP = (int(a) for a in sys.argv[2:5])
FLUSHED = peer_config.configure(torch, 1)
torch.manual_seed(0)


def mlp(sizes, sn=False):
    layers = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        if sn:
            lin = torch.nn.utils.parametrizations.spectral_norm(lin)
        layers.append(lin)
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


G = mlp([2, 128, 128, 2])
D = mlp([2, 128, 128, 1], sn=(MODEL == "sngan"))
opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.9))
k = torch.randint(0, 8, (50000,))
data = torch.stack([2 * torch.cos(2 * math.pi * k / 8), 2 * torch.sin(2 * math.pi * k / 8)], 1) + 0.02 * torch.randn(50000, 2)


def d_step(real):
    z = torch.randn(B, 2)
    with torch.no_grad():
        fake = G(z)
    out = D(torch.cat([real, fake]))
    if MODEL == "wgan-gp":
        loss = out[B:].mean() - out[:B].mean()
        a = torch.rand(B, 1)
        xh = (a * real + (1 - a) * fake).requires_grad_(True)
        g, = torch.autograd.grad(D(xh).sum(), xh, create_graph=True)
        loss = loss + 10 * ((g.pow(2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()
    else:
        loss = F.softplus(-out[:B]).mean() + F.softplus(out[B:]).mean()
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()


def g_step():
    for p in D.parameters():
        p.requires_grad_(False)
    D.eval()
    out = D(G(torch.randn(B, 2)))
    loss = -out.mean() if MODEL == "wgan-gp" else F.softplus(-out).mean()
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    D.train()
    for p in D.parameters():
        p.requires_grad_(True)
    return loss


def step(i):
    idx = torch.randint(0, 50000, (B,))
    d_step(data[idx])
    return g_step()


for i in range(WARMUP):
    step(i)
t0 = time.perf_counter()
for i in range(STEPS):
    loss = step(i)
loss.item()
dt = time.perf_counter() - t0
print(json.dumps({"peer": "pytorch " + torch.__version__ + " (1 thread)", "msPerStep": 1e3 * dt / STEPS,
                  "examplesPerSecond": B * STEPS / dt, "peerConfig": peer_config.describe(torch, "cpu", FLUSHED)}))
