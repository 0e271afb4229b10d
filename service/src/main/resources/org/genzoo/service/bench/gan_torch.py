"""PyTorch peer for `genzoo bench train --model gan|sngan|wgan-gp --peer`: the same 2-D GAN step.

G 2-128-128-2 and D 2-128-128-1 with ReLU, batch B of the ring of 8 Gaussians, Adam(lr=1e-4,
betas=(0.5, 0.9)) per network. One step = one discriminator update on real and fake rows in one
forward of 2B rows, then one generator update with the discriminator frozen (no parameter
gradients; for sngan in eval mode, so its power iteration runs once per step, in the D update, as
GenZoo's does). gan/sngan: non-saturating loss with logits; wgan-gp: the Wasserstein loss plus
λ = 10 times the gradient penalty on per-example interpolates (autograd.grad with create_graph).
Peer configuration: GENZOO_PEER_DEVICE (cpu, the default, or cuda) and GENZOO_PEER_THREADS (default 1:
torch.set_num_threads(1) over a multi-threaded OpenBLAS, denormals flushed; see peer_config.py). On
CUDA, TF32 is off and the clock is read after a synchronize. Prints one JSON line.

The networks, toys and the two phases are functions, which scripts/report-gan-torch.py (the PyTorch
reference of the mode-coverage runs) imports, so the bench peer and the reference are one GAN.
"""
import math
import sys

import torch
import torch.nn.functional as F

ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "leaky-relu": lambda: torch.nn.LeakyReLU(0.2)}


def mlp(sizes, act="relu", sn=False):
    """Linear layers of the given widths with `act` between them (none after the last); sn: spectral norm on each."""
    layers = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        if sn:
            lin = torch.nn.utils.parametrizations.spectral_norm(lin)
        layers.append(lin)
        if i + 2 < len(sizes):
            layers.append(ACTIVATIONS[act]())
    return torch.nn.Sequential(*layers)


def toy(name, n):
    """(modes K x 2, std, n points) of toy:ring8 (radius 2, std 0.02) or toy:grid25 (spacing 2, std 0.05)."""
    if name == "ring8":
        means = torch.tensor([[2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)] for k in range(8)])
        std = 0.02
    elif name == "grid25":
        means = torch.tensor([[2.0 * i, 2.0 * j] for i in range(-2, 3) for j in range(-2, 3)])
        std = 0.05
    else:
        raise ValueError("unknown toy " + repr(name) + ": use ring8 or grid25")
    return means, std, means[torch.randint(0, len(means), (n,))] + std * torch.randn(n, 2)


def d_step(G, D, opt, real, latent, family, lam=10.0, loss="ns", clip=None):
    """One discriminator (critic) update on real and B fake rows in one forward of 2B rows."""
    B = len(real)
    with torch.no_grad():
        fake = G(torch.randn(B, latent, device=real.device))
    out = D(torch.cat([real, fake]))
    if family in ("wgan", "wgan-gp"):
        value = out[B:].mean() - out[:B].mean()
        if family == "wgan-gp":
            a = torch.rand(B, 1, device=real.device)
            xh = (a * real + (1 - a) * fake).requires_grad_(True)
            g, = torch.autograd.grad(D(xh).sum(), xh, create_graph=True)
            value = value + lam * ((g.pow(2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()
    elif loss == "hinge":
        value = F.relu(1 - out[:B]).mean() + F.relu(1 + out[B:]).mean()
    else:
        value = F.softplus(-out[:B]).mean() + F.softplus(out[B:]).mean()
    opt.zero_grad(set_to_none=True)
    value.backward()
    opt.step()
    if clip is not None:
        with torch.no_grad():
            for p in D.parameters():
                p.clamp_(-clip, clip)


def g_step(G, D, opt, B, latent, family, loss="ns"):
    """One generator update through the frozen discriminator (no parameter gradients, eval mode); returns the loss."""
    for p in D.parameters():
        p.requires_grad_(False)
    D.eval()
    out = D(G(torch.randn(B, latent, device=next(G.parameters()).device)))
    value = -out.mean() if (family in ("wgan", "wgan-gp") or loss == "hinge") else F.softplus(-out).mean()
    opt.zero_grad(set_to_none=True)
    value.backward()
    opt.step()
    D.train()
    for p in D.parameters():
        p.requires_grad_(True)
    return value


def main():
    import peer_config

    model = sys.argv[1]
    B, steps, warmup = (int(a) for a in sys.argv[2:5])
    device, threads, flushed = peer_config.from_env(torch)
    torch.manual_seed(0)
    G = mlp([2, 128, 128, 2]).to(device)
    D = mlp([2, 128, 128, 1], sn=(model == "sngan")).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.9))
    _, _, data = toy("ring8", 50000)
    data = data.to(device)

    def step(_):
        d_step(G, D, opt_d, data[torch.randint(0, 50000, (B,), device=device)], 2, model)
        return g_step(G, D, opt_g, B, 2, model)

    seconds = peer_config.timed_steps(torch, device, step, steps, warmup)
    peer_config.report(torch, device, threads, flushed, B, steps, seconds)

if __name__ == "__main__":
    main()
