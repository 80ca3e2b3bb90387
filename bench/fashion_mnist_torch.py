#!/usr/bin/python3
"""bench/fashion_mnist_torch.py — examples/fashion_mnist.c's two models in PyTorch
(Debian's python3-torch; for comparison only, never a dependency of tapegrad).

Set up as tapegrad's example sets up Keras' defaults: pixels / 255; the last 10 % of
the training rows validate (Keras' validation_split), the rest are shuffled every
epoch; batch 128; Adam(1e-3, epsilon 1e-7); sparse categorical cross-entropy;
glorot_uniform kernels and zero biases; BatchNormalization with Keras' momentum 0.99
(PyTorch's momentum=0.01) and epsilon 1e-3; the learning rate constant or, per step,
tapegrad's cosine decay to 1 % over the run.

    /usr/bin/python3 bench/fashion_mnist_torch.py --model cnn --epochs 1 --threads 2

One line per epoch, then the test figures, e.g.
    epoch=1 seconds=31.2 loss=0.4712 accuracy=0.8310 val_loss=0.3301 val_accuracy=0.8790
    eval_seconds=1.9
    test_loss=0.3500
    test_accuracy=0.8712
"""
import argparse
import gzip
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data, prefix):
    x = read_idx(f"{data}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(f"{data}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def cnn(bn_momentum, filters):
    f1, f2 = filters
    keras_bn = dict(eps=1e-3, momentum=1.0 - bn_momentum)
    return nn.Sequential(nn.Conv2d(1, f1, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(f1, **keras_bn),
                         nn.MaxPool2d(2), nn.Conv2d(f1, f2, 3, padding=1), nn.ReLU(),
                         nn.BatchNorm2d(f2, **keras_bn), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dropout(0.25), nn.Linear(f2 * 49, 128), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(128, 10))


def keras_init(model):
    for mod in model.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)  # fan_in/out include the kernel area
            nn.init.zeros_(mod.bias)


def evaluate(model, x, y, batch=1000):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = model(x[i:i + batch])
            loss += F.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    return loss / len(x), correct / len(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--validation-split", type=float, default=0.1)
    p.add_argument("--schedule", choices=["cosine", "constant"], default="cosine")
    p.add_argument("--bn-momentum", type=float, default=0.99, help="Keras' convention")
    p.add_argument("--filters", type=int, nargs=2, default=[32, 64])
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data", default=DATA)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load(a.data, "train")
    xt, yt = load(a.data, "t10k")
    x, xt = x.unsqueeze(1), xt.unsqueeze(1)  # NCHW, one channel
    n_fit = int(len(x) * (1.0 - a.validation_split))
    xv, yv = x[n_fit:], y[n_fit:]
    x, y = x[:n_fit], y[:n_fit]
    model = mlp() if a.model == "mlp" else cnn(a.bn_momentum, a.filters)
    keras_init(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    steps_per_epoch = (n_fit + a.batch_size - 1) // a.batch_size
    decay_steps = a.epochs * steps_per_epoch
    step = 0
    for epoch in range(a.epochs):
        model.train()
        t0 = time.perf_counter()
        order = torch.randperm(n_fit)
        loss_sum, correct = 0.0, 0
        for i in range(0, n_fit, a.batch_size):
            if a.schedule == "cosine":
                c = 0.5 * (1.0 + math.cos(math.pi * min(step, decay_steps) / decay_steps))
                for g in opt.param_groups:
                    g["lr"] = 1e-3 * (0.99 * c + 0.01)
            idx = order[i:i + a.batch_size]
            out = model(x[idx])
            loss = F.cross_entropy(out, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == y[idx]).sum().item()
        seconds = time.perf_counter() - t0
        line = (f"epoch={epoch + 1} seconds={seconds:.1f} loss={loss_sum / n_fit:.4f} "
                f"accuracy={correct / n_fit:.4f}")
        if len(xv):
            vl, va = evaluate(model, xv, yv)
            line += f" val_loss={vl:.4f} val_accuracy={va:.4f}"
        print(line, flush=True)
    t0 = time.perf_counter()
    tl, ta = evaluate(model, xt, yt)
    print(f"eval_seconds={time.perf_counter() - t0:.1f}")
    print(f"test_loss={tl:.4f}")
    print(f"test_accuracy={ta:.4f}")


if __name__ == "__main__":
    main()
