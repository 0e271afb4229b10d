#!/usr/bin/env python3
"""Prints the VAE-family report table from the runs of scripts/report-vae.sh (report.json + eval.json)."""
import json, pathlib, sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "runs/report")
print("| run | steps | train s | test NLL k=5000 (± s.e.) | test ELBO | KL | active units | I (≤ log N) | marginal KL | avg KL |")
print("|---|---|---|---|---|---|---|---|---|---|")
for run in sorted(p for p in root.iterdir() if (p / "report.json").exists()):
    r = json.loads((run / "report.json").read_text())
    m = r.get("eval") or r.get("metrics") or {}
    e = json.loads((run / "eval.json").read_text())["metrics"] if (run / "eval.json").exists() else {}
    def f(d, k, fmt="%.2f"):
        v = d.get(k)
        return fmt % v if isinstance(v, (int, float)) else "–"
    nll = f(m, "nll_k5000") + " ± " + f(m, "nll_k5000_stderr")
    secs = r["timing"]["trainingSeconds"] if "trainingSeconds" in r.get("timing", {}) else float("nan")
    print(f"| {run.name} | {r.get('steps', '–')} | {secs:.0f} | {nll} | {f(m, 'elbo')} | {f(m, 'kl')} | {f(m, 'active_units', '%.0f')} "
          f"| {f(e, 'surgery_mutual_info')} (log N {f(e, 'surgery_log_n')}) | {f(e, 'surgery_marginal_kl')} | {f(e, 'surgery_avg_kl')} |")
