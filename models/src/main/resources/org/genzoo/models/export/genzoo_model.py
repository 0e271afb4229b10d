"""PyTorch modules for a GenZoo model exported with `genzoo export RUN --to DIR`.

    import sys; sys.path.insert(0, "DIR")
    import genzoo_model
    model = genzoo_model.load()          # reads model.safetensors next to this file
    model.elbo(x)                        # VAE: per-example ELBO in nats (x: B x D float32 in [0, 1])
    model.log_prob(x)                    # flow: per-example log-density in nats
    model.bits_per_dim(x)                # flow with "dequantize": bits/dim of the dequantized pixels

The architecture comes from the "architecture" entry of the safetensors metadata (the spec's model
object is under "model"); the weights load with load_state_dict(strict=True). Needs only torch:
the safetensors file is read here (8-byte header length, JSON header, little-endian float32 data).
"""
import json
import math
import os
import struct

import torch
from torch import nn

LOG_2PI = math.log(2.0 * math.pi)


def read_safetensors(path):
    """(tensors by name, metadata) of a float32 safetensors file."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n).decode("utf-8"))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, h in header.items():
        if h["dtype"] != "F32":
            raise ValueError("%s: dtype %s, expected F32" % (name, h["dtype"]))
        begin, end = h["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
        tensors[name] = t.reshape(h["shape"]).clone()
    return tensors, meta


def _act(name):
    return {"relu": nn.ReLU, "tanh": nn.Tanh}[name]()


def _mlp(sizes, act, last_act):
    """nn.Sequential(Linear, act, ..., Linear[, act]): Linear j sits at index 2j."""
    mods = []
    for j in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[j], sizes[j + 1]))
        if j < len(sizes) - 2 or last_act:
            mods.append(_act(act))
    return nn.Sequential(*mods)


class GaussianMlp(nn.Module):
    """trunk (every layer activated) then a linear head to [mu | logvar]."""

    def __init__(self, d_in, hidden, d_out, act):
        super().__init__()
        self.trunk = _mlp([d_in] + hidden, act, True) if hidden else nn.Sequential()
        self.head = nn.Linear(hidden[-1] if hidden else d_in, 2 * d_out)
        self.d_out = d_out

    def forward(self, x):
        s = self.head(self.trunk(x))
        return s[:, :self.d_out], s[:, self.d_out:]


class GenZooVAE(nn.Module):
    """q(z|x) = N(mu, diag exp(logvar)), p(z) = N(0, I), p(x|z) Bernoulli-logit or diagonal Gaussian."""

    def __init__(self, a):
        super().__init__()
        self.latent = a["latent"]
        self.likelihood = a["likelihood"]
        self.encoder = GaussianMlp(a["dataDim"], a["hidden"], a["latent"], a["activation"])
        rev = list(reversed(a["hidden"]))
        if self.likelihood == "bernoulli":
            self.decoder = _mlp([a["latent"]] + rev + [a["dataDim"]], a["activation"], False)
        else:
            self.decoder = GaussianMlp(a["latent"], rev, a["dataDim"], a["activation"])

    def encode(self, x):
        """(mu, logvar), each B x L."""
        return self.encoder(x)

    def log_lik(self, x, z):
        """log p(x|z) per example (B)."""
        if self.likelihood == "bernoulli":
            logits = self.decoder(z)
            return -nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        mu, lv = self.decoder(z)
        return -0.5 * (LOG_2PI + lv + (x - mu) ** 2 * torch.exp(-lv)).sum(1)

    def decode(self, z):
        """E[x|z] (B x D)."""
        if self.likelihood == "bernoulli":
            return torch.sigmoid(self.decoder(z))
        return self.decoder(z)[0]

    def elbo(self, x, eps=None):
        """Per-example ELBO with the analytic KL: log p(x|z) - KL(q(z|x) || N(0, I)), z = mu + exp(logvar/2)·eps."""
        mu, lv = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * lv) * eps
        kl = 0.5 * (mu ** 2 + torch.exp(lv) - 1.0 - lv).sum(1)
        return self.log_lik(x, z) - kl

    def sample(self, n):
        """n draws of E[x|z], z ~ N(0, I)."""
        return self.decode(torch.randn(n, self.latent))


class ActNorm(nn.Module):
    """z = (x + bias)·exp(log_scale); log|det| = Σ log_scale."""

    def __init__(self, d):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(d))
        self.log_scale = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        return (x + self.bias) * torch.exp(self.log_scale), self.log_scale.sum().expand(x.shape[0])

    def inverse(self, z):
        return z * torch.exp(-self.log_scale) - self.bias, -self.log_scale.sum().expand(z.shape[0])


class Coupling(nn.Module):
    """RealNVP affine coupling: [raw | t] = net(m·x), s = S·tanh(raw/S) (S = 0: s = raw),
    z = m·x + (1 − m)·(x·exp(s) + t), log|det| = Σ_{m=0} s."""

    def __init__(self, d, hidden, mask, bound):
        super().__init__()
        self.d = d
        self.bound = bound
        self.net = _mlp([d] + hidden + [2 * d], "relu", False)
        self.register_buffer("mask", torch.tensor(mask, dtype=torch.float32), persistent=False)

    def _scale_shift(self, x):
        h = self.net(x * self.mask)
        raw, t = h[:, :self.d], h[:, self.d:]
        s = self.bound * torch.tanh(raw / self.bound) if self.bound > 0 else raw
        return s * (1 - self.mask), t * (1 - self.mask)

    def forward(self, x):
        s, t = self._scale_shift(x)
        return x * torch.exp(s) + t, s.sum(1)

    def inverse(self, z):
        s, t = self._scale_shift(z)
        return (z - t) * torch.exp(-s), -s.sum(1)


class Permute(nn.Module):
    """z[:, j] = x[:, perm[j]]; log|det| = 0."""

    def __init__(self, perm):
        super().__init__()
        p = torch.tensor(perm, dtype=torch.long)
        self.register_buffer("perm", p, persistent=False)
        self.register_buffer("inv", torch.argsort(p), persistent=False)

    def forward(self, x):
        return x[:, self.perm], x.new_zeros(x.shape[0])

    def inverse(self, z):
        return z[:, self.inv], z.new_zeros(z.shape[0])


class GenZooFlow(nn.Module):
    """Layers in the data direction x -> z over N(0, I): log p(x) = log N(z; 0, I) + Σ log|det|."""

    def __init__(self, a):
        super().__init__()
        self.dim = a["dataDim"]
        self.dequantize = a.get("dequantize", False)
        self.alpha = a.get("logitAlpha", 1e-6)
        layers = []
        for l in a["layers"]:
            if l["type"] == "actnorm":
                layers.append(ActNorm(self.dim))
            elif l["type"] == "coupling":
                layers.append(Coupling(self.dim, l["hidden"], l["mask"], l["scaleBound"]))
            elif l["type"] == "permute":
                layers.append(Permute(l["perm"]))
            else:
                raise ValueError("flow layer type %s is not exported" % l["type"])
        self.flow = nn.ModuleList(layers)

    def forward(self, x):
        """(z, log|det dz/dx|) per example."""
        logdet = x.new_zeros(x.shape[0])
        for layer in self.flow:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z):
        """(x, log|det dx/dz|) per example."""
        logdet = z.new_zeros(z.shape[0])
        for layer in reversed(self.flow):
            z, ld = layer.inverse(z)
            logdet = logdet + ld
        return z, logdet

    def log_prob(self, x):
        z, logdet = self.forward(x)
        return -0.5 * (z ** 2 + LOG_2PI).sum(1) + logdet

    def sample(self, n, temperature=1.0):
        """n draws in the flow's space (logit space for a dequantized image flow; see sample_pixels)."""
        return self.inverse(torch.randn(n, self.dim) * temperature)[0]

    # Dequantized image flows ("dequantize": true): pixels x = v/255 in [0, 1], v in 0..255.

    def preprocess(self, x, u=None):
        """(w, log|dw/d(v+u)|): y = (255x + u)/256, p = a + (1 - 2a)y, w = logit p; u ~ U[0, 1) when None."""
        if u is None:
            u = torch.rand_like(x)
        y = (255.0 * x + u) / 256.0
        p = self.alpha + (1.0 - 2.0 * self.alpha) * y
        lp, lq = torch.log(p), torch.log1p(-p)
        ld = -(lp + lq).sum(1) + x.shape[1] * (math.log(1.0 - 2.0 * self.alpha) - math.log(256.0))
        return lp - lq, ld

    def log_prob_pixels(self, x, u=None):
        """log-density of the dequantized pixel values v + u in [0, 256)^D, nats per image (GenZoo's training loss, negated)."""
        w, ld = self.preprocess(x, u)
        return self.log_prob(w) + ld

    def bits_per_dim(self, x, u=None):
        return -self.log_prob_pixels(x, u) / (x.shape[1] * math.log(2.0))

    def sample_pixels(self, n, temperature=1.0):
        """n images in [0, 1]."""
        p = torch.sigmoid(self.sample(n, temperature))
        return ((p - self.alpha) / (1.0 - 2.0 * self.alpha)).clamp(0.0, 1.0)


FAMILIES = {"vae": GenZooVAE, "flow": GenZooFlow}


def load(folder=None):
    """The exported model, weights loaded (strict), in eval mode."""
    folder = folder or os.path.dirname(os.path.abspath(__file__))
    tensors, meta = read_safetensors(os.path.join(folder, "model.safetensors"))
    if meta.get("format") != "genzoo-torch-1":
        raise ValueError("not a GenZoo PyTorch export: format %r" % meta.get("format"))
    arch = json.loads(meta["architecture"])
    model = FAMILIES[arch["family"]](arch)
    model.load_state_dict(tensors, strict=True)
    model.spec_model = json.loads(meta["model"])
    model.metadata = meta
    return model.eval()
