"""The PyTorch peers' configuration, set and then read back, so every result says what it ran with.

The best CPU configuration on small cores: torch.set_num_threads(1) (torch's own intra-op pool off:
2 would oversubscribe a 2-core machine), its matmuls in a multi-threaded OpenBLAS (Debian's
libopenblas0-pthread, OPENBLAS_NUM_THREADS set by the bench to the host's CPU count), and denormals
flushed to zero (GenZoo's kernels build with -cl-denorms-are-zero). `describe` reads back what is in
force: torch's thread count, the BLAS library torch's process loaded and its thread count and
threading layer (through threadpoolctl), and whether the CPU accepted flush-to-zero.
"""
import os


def configure(torch, threads):
    """Sets torch's threads and flushes denormals; returns whether the CPU supports flushing."""
    torch.set_num_threads(threads)
    return bool(torch.set_flush_denormal(True))


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
