#!/usr/bin/env python3
"""Prints the GAN report table from the report.json files of scripts/report-gan.sh."""
import json
import os
import statistics
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "runs/report-gan"
rows = {}
other = []
for name in sorted(os.listdir(out)):
    path = os.path.join(out, name, "report.json")
    if not os.path.isfile(path):
        continue
    with open(path) as f:
        r = json.load(f)
    ev = r.get("eval") or {}
    if r.get("status") != "succeeded":
        other.append((name + " (" + str(r.get("status")) + " at step " + str(r.get("steps")) + ", left out of the table)", ev, r))
        continue
    parts = name.rsplit("-s", 1)
    if len(parts) == 2 and parts[1].isdigit() and "modes" in ev:
        fam_toy = parts[0]
        rows.setdefault(fam_toy, []).append((int(parts[1]), ev, r))
    else:
        other.append((name, ev, r))

def secs(r):
    return (r.get("timing") or {}).get("trainingSeconds", float("nan"))

print("| model | toy | modes (3 seeds) | high quality (3 seeds) | reverse KL (3 seeds) | W1 critic (mean) | s/run (mean) |")
print("|---|---|---|---|---|---|---|")
for key in sorted(rows):
    fam, toy = key.rsplit("-", 1)
    rs = sorted(rows[key], key=lambda x: x[0])
    modes = " / ".join("%d" % e["modes"] for _, e, _ in rs)
    hq = " / ".join("%.2f" % e["high_quality"] for _, e, _ in rs)
    kl = " / ".join("%.3f" % e["reverse_kl"] for _, e, _ in rs)
    w1 = [e["critic_w1"] for _, e, _ in rs if "critic_w1" in e]
    t = statistics.mean(secs(r) for _, _, r in rs)
    print("| %s | %s | %s | %s | %s | %s | %.0f |" % (fam, toy, modes, hq, kl, ("%.3f" % statistics.mean(w1)) if w1 else "", t))
for name, ev, r in other:
    print("%s: %s (%.0f s)" % (name, ", ".join("%s %.4g" % (k, v) for k, v in ev.items() if isinstance(v, (int, float))), secs(r)))
