"""Prints the benchmark table: median req/s and p99 per target, and the ratios the goals use."""
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
for line in open(sys.argv[1]):
    label, _run, rps, p99, bad = line.rstrip("\n").split("\t")
    rows[label].append((float(rps), float(p99), int(bad)))

def median(label, index):
    return statistics.median(row[index] for row in rows[label])

print("| target | runs | req/s (median, min–max) | p99 ms (median) | non-2xx |")
print("|---|---|---|---|---|")
for label, runs in rows.items():
    rps = [r[0] for r in runs]
    print(f"| {label} | {len(runs)} | {median(label, 0):.0f} ({min(rps):.0f}–{max(rps):.0f}) | {median(label, 1):.2f} | {sum(r[2] for r in runs)} |")

def ratio(ours, peer):
    if ours in rows and peer in rows:
        print(f"- {ours} / {peer}: {median(ours, 0) / median(peer, 0):.2f}×")

print()
ratio("openpan-jwt_simple", "oidc-provider-client_credentials")
ratio("openpan-refresh", "oidc-provider-client_credentials")
ratio("openpan-folder-info", "nginx-static-json")
if len(sys.argv) > 2:
    for line in open(sys.argv[2]):
        label, _run, kb, *_ = line.split("\t")
        print(f"- {label}: {int(kb) / 1024:.1f} MiB")
