#!/usr/bin/env python3
"""Peak host memory (RSS) of real jobs against the dry run's estimate, one example spec at a time.

Each example is run by `genzoo train` in its own JVM, shortened so that every phase happens once
(STEPS training steps, one evaluation on EVAL_LIMIT examples with the spec's own metrics, which run in
bounded chunks whatever the limit, one checkpoint); its peak RSS comes from /usr/bin/time. The
estimate comes from a `genzoo serve` started here, through `genzoo submit --dry-run --output json`.

usage: [GENZOO_JAR=...] scripts/host-memory.py [--peaks FILE] [examples/*.json]   (after mvn package; PoCL CPU device)

--peaks FILE keeps the measured peaks in FILE (JSON, keyed by the shortened spec's text and the JVM options) and
reuses them, so that a change to the estimate alone is checked again in seconds.

Both JVMs (the server that makes the estimate, the job's) get the options the `genzoo` launcher gives:
GENZOO_JAVA_OPTS, by default its DEFAULT_JAVA_OPTS (the young generation bounded; see docs/service.md).
"""
import json, os, pathlib, re, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
JAR = pathlib.Path(os.environ.get("GENZOO_JAR", ROOT / "service" / "target" / "genzoo.jar"))
STEPS, EVAL_LIMIT = 20, 16
DEFAULT_JAVA_OPTS = "-Xmn64m"  # as the genzoo launcher
JAVA_OPTS = os.environ.get("GENZOO_JAVA_OPTS", DEFAULT_JAVA_OPTS).split()

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def shortened(spec, out):
    s = json.loads(spec.read_text())
    s["budget"] = {"steps": STEPS}
    s["logEvery"] = 10
    ev = s.setdefault("eval", {})
    ev["every"] = STEPS
    ev["limit"] = EVAL_LIMIT
    s["checkpoint"] = {"every": STEPS}
    s["output"] = str(out)
    s["device"] = "cpu"
    return s

def main():
    args = sys.argv[1:]
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return
    cache_file = None
    if args[:1] == ["--peaks"]:
        cache_file = pathlib.Path(args[1])
        args = args[2:]
    cache = json.loads(cache_file.read_text()) if cache_file and cache_file.exists() else {}
    specs = [pathlib.Path(p) for p in args] or sorted((ROOT / "examples").glob("*.json"))
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="genzoo-mem-"))
    port = free_port()
    server = subprocess.Popen(["java", *JAVA_OPTS, "-jar", str(JAR), "serve", "--port", str(port), "--data-dir", str(tmp / "data"), "-d", "cpu"],
                              stdout=subprocess.DEVNULL, stderr=open(tmp / "serve.err", "w"))
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        print("| example | estimate host MiB | peak RSS MiB | estimate / peak |")
        print("|---|---|---|---|")
        for spec in specs:
            out = tmp / spec.stem
            short = tmp / (spec.stem + ".json")
            short_spec = shortened(spec, out)
            short.write_text(json.dumps(short_spec))
            key = json.dumps(dict(short_spec, output=None, javaOpts=JAVA_OPTS), sort_keys=True)
            dry = subprocess.run(["java", "-jar", str(JAR), "submit", str(short), "--dry-run", "--output", "json",
                                  "--server", f"http://127.0.0.1:{port}"], capture_output=True, text=True)
            try:
                est = json.loads(dry.stdout).get("hostBytes")
            except ValueError:
                est = None
            peak = cache.get(key)
            if peak is None:
                run = subprocess.run(["/usr/bin/time", "-f", "PEAK_KB %M", "java", *JAVA_OPTS, "-jar", str(JAR), "train", str(short), "-d", "cpu"],
                                     capture_output=True, text=True)
                m = re.search(r"PEAK_KB (\d+)", run.stderr)
                peak = int(m.group(1)) * 1024 if m else None
                if run.returncode != 0 or peak is None:
                    print(f"| {spec.stem} | run failed ({run.returncode}): {run.stderr.strip().splitlines()[-2:]} | | |")
                    continue
                if cache_file:
                    cache[key] = peak
                    cache_file.write_text(json.dumps(cache, indent=1))
            ratio = f"{est / peak:.2f}" if est else "–"
            print(f"| {spec.stem} | {est / 2**20:.0f} | {peak / 2**20:.0f} | {ratio} |" if est else
                  f"| {spec.stem} | – ({dry.stdout.strip()[:80]} {dry.stderr.strip()[:80]}) | {peak / 2**20:.0f} | – |", flush=True)
    finally:
        server.terminate()
        server.wait(60)

if __name__ == "__main__":
    main()
