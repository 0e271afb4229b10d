"""PyTorch peer for `genzoo bench train --model realnvp|maf --peer`: the same flow training step on the CPU.

realnvp: 8 affine couplings on 2-D data, alternating masks (x0 passes / x1 passes), scale/shift nets
  2-256-256-4 with ReLU on the masked input, log-scale s = 2 tanh(raw / 2), z = x e^s + t on the
  transformed coordinates, standard normal base; batch B.
maf: 5 MADE layers 784-1024-1568 (one hidden layer, ReLU, degree masks, natural/reverse order
  alternating), s = 3 tanh(raw / 3), z = x e^s + t, standard normal base; batch B of logit-space
  data (random pixels, dequantized and logit-transformed like GenZoo's batches).
Loss: -mean log p(x); Adam(lr=1e-3). 
Prints one JSON line.
Peer configuration: GENZOO_PEER_DEVICE (cpu, the default, or cuda) and GENZOO_PEER_THREADS
(default 1: on a CPU, torch's own threads at 1 with a multi-threaded OpenBLAS underneath is PyTorch's
best configuration on small cores; 2 oversubscribes a 2-core machine). Denormals flushed. On CUDA,
TF32 is off so the arithmetic is FP32 like GenZoo's, and the clock is read after a synchronize.
"""
import math
import sys

import torch
import torch.nn.functional as F

import peer_config

MODEL = sys.argv[1]
B, STEPS, WARMUP = (int(a) for a in sys.argv[2:5])
DEVICE, THREADS, FLUSHED = peer_config.from_env(torch)
torch.manual_seed(0)




LOG2PI = math.log(2 * math.pi)


class Coupling(torch.nn.Module):
    def __init__(self, d, hidden, parity, bound):
        super().__init__()
        m = torch.tensor([float((j % 2 == 0) != (parity == 1)) for j in range(d)])
        self.register_buffer("mask", m)
        sizes = [d] + hidden + [2 * d]
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                layers.append(torch.nn.ReLU())
        torch.nn.init.zeros_(layers[-1].weight)
        torch.nn.init.zeros_(layers[-1].bias)
        self.net = torch.nn.Sequential(*layers)
        self.d = d
        self.bound = bound

    def forward(self, x):
        h = self.net(x * self.mask)
        s = self.bound * torch.tanh(h[:, :self.d] / self.bound) * (1 - self.mask)
        t = h[:, self.d:] * (1 - self.mask)
        return x * torch.exp(s) + t, s.sum(1)


class MaskedLinear(torch.nn.Linear):
    def __init__(self, i, o, mask):
        super().__init__(i, o)
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


class Made(torch.nn.Module):
    def __init__(self, d, hidden, reverse, bound):
        super().__init__()
        deg = torch.arange(d, 0, -1) if reverse else torch.arange(1, d + 1)
        hdeg = 1 + torch.arange(hidden) % (d - 1)
        self.l1 = MaskedLinear(d, hidden, (hdeg[:, None] >= deg[None, :]).float())
        odeg = torch.cat([deg, deg])
        self.l2 = MaskedLinear(hidden, 2 * d, (odeg[:, None] > hdeg[None, :]).float())
        torch.nn.init.zeros_(self.l2.weight)
        self.d = d
        self.bound = bound

    def forward(self, x):
        h = self.l2(F.relu(self.l1(x)))
        s = self.bound * torch.tanh(h[:, :self.d] / self.bound)
        return x * torch.exp(s) + h[:, self.d:], s.sum(1)


if MODEL == "realnvp":
    D = 2
    layers = torch.nn.ModuleList([Coupling(D, [256, 256], i % 2, 2.0) for i in range(8)])
    t = torch.rand(60 * B) * math.pi
    data = torch.stack([2 * torch.cos(t) - 1, 2 * torch.sin(t) - 0.2], 1) + 0.2 * torch.randn(60 * B, 2)
else:
    D = 784
    layers = torch.nn.ModuleList([Made(D, 1024, i % 2 == 1, 3.0) for i in range(5)])
    y = (torch.randint(0, 256, (60 * B, D)).float() + torch.rand(60 * B, D)) / 256
    p = 1e-6 + (1 - 2e-6) * y
    data = torch.log(p) - torch.log1p(-p)

layers.to(DEVICE)
data = data.to(DEVICE)
opt = torch.optim.Adam(layers.parameters(), lr=1e-3)


def step(x):
    logdet = torch.zeros(x.shape[0], device=x.device)
    for layer in layers:
        x, ld = layer(x)
        logdet = logdet + ld
    logp = -0.5 * (x * x).sum(1) - 0.5 * D * LOG2PI + logdet
    loss = -logp.mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss



def batch_step(i):
    return step(data[(i % 60) * B:(i % 60 + 1) * B])


peer_config.run_training_peer(torch, DEVICE, THREADS, FLUSHED, B, batch_step, STEPS, WARMUP)
