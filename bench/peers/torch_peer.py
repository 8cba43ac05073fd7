#!/usr/bin/env python3
"""zerograd's benchmark peer: the bench workloads in PyTorch, driven by zerograd's comparison harness.

The harness (dev.zerograd.bench.compare) starts this script once and keeps it running, so the two engines
alternate within one run. One JSON object per line each way, on stdin and stdout (anything else the script or
a library prints goes to stderr):

  -> {"cmd": "hello", "threads": 2}
  <- {"ok": true, "engine": "torch", "version": "1.13.1", "threads": 2, "blas": {...}, "python": "3.11.2"}
  -> {"cmd": "setup", "name": "MlpStep", "params": {"kind": "mlp", "batch": "128", ...}, "seed": 1}
  <- {"ok": true}
  -> {"cmd": "run", "min_steps": 3, "min_seconds": 0.5, "max_steps": 10000}
  <- {"ok": true, "times_ns": [812345, ...], "value": 2.3026}
  -> {"cmd": "close"}          frees the workload          <- {"ok": true}
  -> {"cmd": "quit"}           ends the process            <- {"ok": true}

A failure answers {"ok": false, "error": "..."} and the peer stays usable. "run" times each step alone with
time.perf_counter_ns, as the harness times zerograd's steps with System.nanoTime, and runs steps until both
min_steps and min_seconds are reached (or max_steps).

Workloads ("kind" in params, the same parameters as zerograd's dev.zerograd.bench.workloads):
  opchain   ops, size         a chain of mul/add/tanh/sub on `size` floats, sum, backward
  mlp       batch, sizes, act, actLast   Linear layers with ReLU/Tanh, cross-entropy, SGD(lr=0.01)
  cnn       batch             the default Fashion-MNIST CNN, cross-entropy, SGD(lr=0.01)
  sgemm     n                 torch.mm of two n x n f32 matrices into a preallocated output
  mlpgemms  batch, sizes      the GEMMs of one mlp step (same shapes and transposes), into preallocated outputs
  spin      n                 a pure-Python loop of n additions: needs no torch; tests the protocol anywhere

Inputs are the harness's deterministic formula (element i = ((i * 7919) mod 1000) / 1000 - 0.5 in f32, label i =
i mod classes), so both engines see the same numbers; weights use PyTorch's own default initialisation from
torch.manual_seed(seed) (same distributions as zerograd's, not the same draws).
"""

import json
import os
import platform
import sys
import time

PROTOCOL_OUT = sys.stdout
sys.stdout = sys.stderr  # stray prints must not corrupt the protocol

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    TORCH_ERROR = None
except Exception as e:  # the spin workload and the protocol work without torch
    torch = None
    TORCH_ERROR = "%s: %s" % (type(e).__name__, e)


def need_torch():
    if torch is None:
        raise RuntimeError("PyTorch is not importable by %s (%s); install it, e.g. 'apt-get install python3-torch'"
                           % (sys.executable, TORCH_ERROR))


def ints(p, key):
    return [int(v) for v in p[key].split(",")]


def inputs(shape):
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.int64)
    return (((i * 7919) % 1000).to(torch.float32) / 1000.0 - 0.5).reshape(shape)


def labels(n, classes):
    return torch.arange(n, dtype=torch.int64) % classes


# ---------------------------------------------------------------- workloads: each returns a step function

def opchain(p, seed):
    need_torch()
    ops, size = int(p["ops"]), int(p["size"])
    x = inputs((size,)).requires_grad_(True)
    a = torch.full((size,), 1.001)
    b = torch.full((size,), 0.01)

    def step():
        y = x
        for i in range(ops):
            r = i & 3
            if r == 0:
                y = y * a
            elif r == 1:
                y = y + b
            elif r == 2:
                y = torch.tanh(y)
            else:
                y = y - b
        loss = y.sum()
        loss.backward()
        v = loss.item()
        x.grad.zero_()
        return v
    return step


def model_step(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        v = loss.item()
        opt.step()
        # As zerograd's ModelStep (zeroGrad(true)): the gradients are set to none, PyTorch's default since 2.0.
        opt.zero_grad(set_to_none=True)
        return v
    return step


def mlp(p, seed):
    need_torch()
    torch.manual_seed(seed)
    batch, sizes, act, act_last = int(p["batch"]), ints(p, "sizes"), p["act"], p["actLast"] == "true"
    if act not in ("relu", "tanh"):
        raise ValueError("mlp: act=%s, expected relu or tanh" % act)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes) or act_last:
            layers.append(nn.ReLU() if act == "relu" else nn.Tanh())
    return model_step(nn.Sequential(*layers), inputs((batch, sizes[0])), labels(batch, sizes[-1]))


def cnn(p, seed):
    need_torch()
    torch.manual_seed(seed)
    batch = int(p["batch"])
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    return model_step(model, inputs((batch, 1, 28, 28)), labels(batch, 10))


def sgemm(p, seed):
    need_torch()
    n = int(p["n"])
    a = inputs((n, n))
    b = inputs((n * n + 1,))[1:].reshape(n, n).contiguous()
    c = torch.empty(n, n)

    def step():
        torch.mm(a, b, out=c)
        return 0.0
    return step


def mlpgemms(p, seed):
    need_torch()
    batch, sizes = int(p["batch"]), ints(p, "sizes")
    layers = len(sizes) - 1
    x = [inputs((batch, s)) * 0.1 for s in sizes]
    w = [inputs((sizes[l + 1], sizes[l])) * 0.1 for l in range(layers)]
    g = [inputs((batch, sizes[l + 1])) * 0.1 for l in range(layers)]
    dw = [torch.empty(sizes[l + 1], sizes[l]) for l in range(layers)]

    def step():
        for l in range(layers):
            torch.mm(x[l], w[l].t(), out=x[l + 1])
        for l in range(layers - 1, -1, -1):
            torch.mm(g[l].t(), x[l], out=dw[l])
            if l > 0:
                torch.mm(g[l], w[l], out=g[l - 1])
        return 0.0
    return step


def spin(p, seed):
    n = int(p["n"])

    def step():
        s = 0
        for i in range(n):
            s += i
        return float(s)
    return step


WORKLOADS = {"opchain": opchain, "mlp": mlp, "cnn": cnn, "sgemm": sgemm, "mlpgemms": mlpgemms, "spin": spin}


# ---------------------------------------------------------------- facts about the engine

def blas_facts():
    """The BLAS libraries mapped into this process (after a product ran) and OpenBLAS's own configuration."""
    facts = {"build": None, "libraries": [], "openblas_config": None, "openblas_threads": None, "openblas_parallel": None}
    if torch is None:
        return facts
    import ctypes
    m = torch.ones(64, 64)
    torch.mm(m, m)
    for line in torch.__config__.show().splitlines():
        if "BLAS_INFO" in line:
            facts["build"] = line.split("BLAS_INFO=")[1].split(",")[0]
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path)
                if ("blas" in name or "mkl" in name or "gomp" in name) and path not in libs:
                    libs.append(path)
    except OSError:
        pass
    facts["libraries"] = [os.path.realpath(l) for l in libs]
    for lib in facts["libraries"]:
        if "openblas" in os.path.basename(lib):
            try:
                h = ctypes.CDLL(lib)
                h.openblas_get_config.restype = ctypes.c_char_p
                facts["openblas_config"] = h.openblas_get_config().decode()
                facts["openblas_threads"] = h.openblas_get_num_threads()
                facts["openblas_parallel"] = {0: "sequential", 1: "pthreads", 2: "openmp"}.get(h.openblas_get_parallel(), "unknown")
            except (OSError, AttributeError):
                pass
    return facts


# ---------------------------------------------------------------- the loop

def run(step, min_steps, min_seconds, max_steps):
    times = []
    value = 0.0
    clock = time.perf_counter_ns
    start = clock()
    deadline = start + int(min_seconds * 1e9)
    while len(times) < max_steps and (len(times) < min_steps or clock() < deadline):
        t0 = clock()
        value = step()
        times.append(clock() - t0)
    return times, value


def handle(msg, state):
    cmd = msg.get("cmd")
    if cmd == "hello":
        threads = int(msg.get("threads", 0))
        reply = {"engine": "torch" if torch is not None else "python", "version": torch.__version__ if torch else None,
                 "torch_error": TORCH_ERROR, "python": platform.python_version(), "executable": sys.executable,
                 "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset")}
        if torch is not None:
            if threads > 0:
                torch.set_num_threads(threads)
            reply["threads"] = torch.get_num_threads()
            reply["blas"] = blas_facts()
        return reply
    if cmd == "setup":
        params = msg["params"]
        kind = params.get("kind")
        if kind not in WORKLOADS:
            raise ValueError("setup %s: unknown kind %r; this peer knows %s" % (msg.get("name"), kind, ", ".join(sorted(WORKLOADS))))
        state["step"] = None
        state["step"] = WORKLOADS[kind](params, int(msg.get("seed", 1)))
        state["name"] = msg.get("name", kind)
        return {}
    if cmd == "run":
        if state.get("step") is None:
            raise RuntimeError("run: no workload set up")
        times, value = run(state["step"], int(msg.get("min_steps", 1)), float(msg.get("min_seconds", 0)),
                           int(msg.get("max_steps", 1_000_000)))
        return {"times_ns": times, "value": value}
    if cmd == "close":
        state["step"] = None
        return {}
    if cmd == "quit":
        state["quit"] = True
        return {}
    raise ValueError("unknown command %r; expected hello, setup, run, close or quit" % cmd)


def main():
    state = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            reply = handle(json.loads(line), state)
            reply["ok"] = True
        except Exception as e:
            reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        PROTOCOL_OUT.write(json.dumps(reply) + "\n")
        PROTOCOL_OUT.flush()
        if state.get("quit"):
            break


if __name__ == "__main__":
    main()
