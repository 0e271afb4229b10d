"""PyTorch peer for `genzoo bench train --peer`: the same VAE step on the CPU.

VAE 784-H-L-H-784 with ReLU hidden layers, Bernoulli decoder (logits), analytic KL to N(0, I),
Adam(lr=1e-3), batch B, on binarized data of MNIST's ink density. Prints one JSON line (with
GENZOO_PEER_SEGMENTS=1, after timing the segments the bench asks for: peer_config.serve_segments).
Peer configuration: GENZOO_PEER_DEVICE (cpu, the default, or cuda) and GENZOO_PEER_THREADS
(default 1: on a CPU, torch's own threads at 1 with a multi-threaded OpenBLAS underneath is PyTorch's
best configuration on small cores; 2 oversubscribes a 2-core machine). Denormals flushed. On CUDA,
TF32 is off so the arithmetic is FP32 like GenZoo's, and the clock is read after a synchronize.
"""
import sys

import torch
import torch.nn.functional as F

import peer_config

B, H, L, STEPS, WARMUP = (int(a) for a in sys.argv[1:6])
DEVICE, THREADS, FLUSHED = peer_config.from_env(torch)
torch.manual_seed(0)



enc1 = torch.nn.Linear(784, H)
enc2 = torch.nn.Linear(H, 2 * L)
dec1 = torch.nn.Linear(L, H)
dec2 = torch.nn.Linear(H, 784)
for m in (enc1, enc2, dec1, dec2):
    m.to(DEVICE)
params = [p for m in (enc1, enc2, dec1, dec2) for p in m.parameters()]
opt = torch.optim.Adam(params, lr=1e-3)
data = (torch.rand(60 * B, 784) < 0.13).float().to(DEVICE)


def step(x):
    h = enc2(F.relu(enc1(x)))
    mu, logvar = h[:, :L], h[:, L:]
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    logits = dec2(F.relu(dec1(z)))
    rec = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    kl = 0.5 * (mu * mu + logvar.exp() - 1 - logvar).sum(1)
    loss = -(rec - kl).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss



def batch_step(i):
    return step(data[(i % 60) * B:(i % 60 + 1) * B])


peer_config.run_training_peer(torch, DEVICE, THREADS, FLUSHED, B, batch_step, STEPS, WARMUP)
