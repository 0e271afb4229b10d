"""The PyTorch peers' configuration, set and then read back, so every result says what it ran with.

The best CPU configuration on small cores: torch.set_num_threads(1) (torch's own intra-op pool off:
2 would oversubscribe a 2-core machine), its matmuls in a multi-threaded OpenBLAS (Debian's
libopenblas0-pthread, OPENBLAS_NUM_THREADS set by the bench to the host's CPU count), and denormals
flushed to zero (GenZoo's kernels build with -cl-denorms-are-zero). `describe` reads back what is in
force: torch's thread count, the BLAS library torch's process loaded and its thread count and
threading layer (through threadpoolctl), and whether the CPU accepted flush-to-zero.
"""
import json
import os
import sys
import time


def configure(torch, threads):
    """Sets torch's threads and flushes denormals; returns whether the CPU supports flushing."""
    torch.set_num_threads(threads)
    return bool(torch.set_flush_denormal(True))


def from_env(torch, threads=None):
    """The peer's device and CPU threads from GENZOO_PEER_DEVICE (cpu, the default, or cuda) and
    GENZOO_PEER_THREADS (default 1; `threads` overrides it), configured (configure; on CUDA, TF32
    off so the arithmetic is FP32 like GenZoo's). Returns (device, threads, flushed)."""
    device = os.environ.get("GENZOO_PEER_DEVICE", "cpu")
    if threads is None:
        threads = int(os.environ.get("GENZOO_PEER_THREADS", "1"))
    flushed = configure(torch, threads)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return device, threads, flushed


def describe(torch, device, flushed):
    info = {"device": device if device == "cpu" else torch.cuda.get_device_name(0),
            "threads": torch.get_num_threads(), "flushDenormal": flushed,
            "openblasNumThreadsEnv": os.environ.get("OPENBLAS_NUM_THREADS")}
    if device != "cpu":
        info["blas"] = "cuBLAS, TF32 off"
        return info
    try:
        import threadpoolctl
        blas = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
        if blas:
            info["blas"] = blas[0].get("filepath")
            info["blasApi"] = blas[0].get("internal_api")
            info["blasThreads"] = blas[0].get("num_threads")
            info["blasThreading"] = blas[0].get("threading_layer")
        else:
            info["blas"] = "no BLAS library loaded (see torch.__config__.show())"
    except ImportError:
        info["blas"] = "unknown: install python3-threadpoolctl to read it back"
    return info


def timed_steps(torch, device, step, steps, warmup):
    """Seconds for `steps` calls of step(i) (i = 0, 1, ...) after `warmup` untimed ones. The last
    timed step's return value (a tensor, or None) is read back before the clock stops, and on CUDA
    the clock is read after a synchronize, so queued work is counted."""
    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    for i in range(warmup):
        step(i)
    sync()
    t0 = time.perf_counter()
    last = None
    for i in range(steps):
        last = step(i)
    if last is not None:
        last.item()
    sync()
    return time.perf_counter() - t0


def settle(quiet=0.001, tick=0.02, limit=1.0):
    """Waits until this process has stopped using the CPU: less than `quiet` seconds of CPU time in a
    `tick` of wall time (at most `limit` seconds). OpenBLAS's pthreads spin after a product (about
    0.1 s of CPU on this project's 2-core box) before they sleep; in an interleaved run that would
    land on GenZoo's next segment, so each segment's answer waits for it, outside the timed window."""
    import resource
    end = time.perf_counter() + limit
    while time.perf_counter() < end:
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        time.sleep(tick)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        if (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime) < quiet:
            return


def interleaved():
    """Whether the bench drives this peer segment by segment (GENZOO_PEER_SEGMENTS=1): see serve_segments."""
    return os.environ.get("GENZOO_PEER_SEGMENTS") == "1"


def serve(commands):
    """The interleaved protocol, for a bench that alternates its own work with the peer's in one
    window of wall-clock time (so a busy machine's swings fall on both alike): once the process is
    quiet (settle), prints "ready"; then for each stdin line "NAME ARG..." with NAME in `commands`,
    calls commands[NAME](*ARGS as ints) (every ARG a non-negative integer), waits until the process
    is quiet again and prints the dict it returned as one JSON line; "done" (or the end of stdin)
    stops."""
    settle()
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "done":
            return
        if words[0] not in commands or not all(w.isdigit() for w in words[1:]):
            raise ValueError("peer protocol: expected one of " + ", ".join(sorted(commands))
                             + " with integer arguments, or 'done'; got " + repr(line))
        try:
            answer = commands[words[0]](*(int(w) for w in words[1:]))
        except TypeError as e:
            raise ValueError("peer protocol: wrong number of arguments in " + repr(line) + ": " + str(e)) from e
        settle()
        print(json.dumps(answer), flush=True)


def serve_segments(torch, device, step, warmup):
    """A training peer's side of serve: after `warmup` untimed calls of step(i), each "run N" times
    the next N calls (as timed_steps: the last value read back, CUDA synchronized) and answers
    {"seconds": s}. Returns (seconds, steps, [seconds of each segment])."""
    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    state = {"i": 0, "steps": 0}
    segments = []
    for _ in range(warmup):
        step(state["i"])
        state["i"] += 1
    sync()

    def run(n):
        if n < 1:
            raise ValueError("peer protocol: 'run N' needs N >= 1")
        t0 = time.perf_counter()
        last = None
        for _ in range(n):
            last = step(state["i"])
            state["i"] += 1
        if last is not None:
            last.item()
        sync()
        s = time.perf_counter() - t0
        segments.append(s)
        state["steps"] += n
        return {"seconds": s}

    serve({"run": run})
    return sum(segments), state["steps"], segments


def run_training_peer(torch, device, threads, flushed, batch, step, steps, warmup):
    """A training peer's whole run: interleaved (GENZOO_PEER_SEGMENTS=1: serve_segments, the report
    with each segment's seconds) or on its own (timed_steps), then its JSON line (report)."""
    if interleaved():
        seconds, steps, segments = serve_segments(torch, device, step, warmup)
        report(torch, device, threads, flushed, batch, steps, seconds, segmentSeconds=segments)
    else:
        report(torch, device, threads, flushed, batch, steps, timed_steps(torch, device, step, steps, warmup))


def report(torch, device, threads, flushed, batch, steps, seconds, **extra):
    """Prints the peer's one JSON line: who ran (torch version, device or CPU threads), ms/step,
    examples/s and the configuration read back (describe)."""
    where = device if device != "cpu" else "(" + str(threads) + " thread" + ("s" if threads > 1 else "") + ")"
    out = {"peer": "pytorch " + torch.__version__ + " " + where, "msPerStep": 1e3 * seconds / steps,
           "examplesPerSecond": batch * steps / seconds, "peerConfig": describe(torch, device, flushed)}
    out.update(extra)
    print(json.dumps(out))
