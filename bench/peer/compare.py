#!/usr/bin/env python3
"""Merges ger's benchmark JSON with the peer's (ger_peer.py) into bench/results/gpu-<date>.json and
prints a markdown table. Both schemas are in bench/README-peer.md.

    python3 bench/peer/compare.py --ger ger.json --peer peer.json [--out bench/results/gpu-2026-11-27.json]
"""
import argparse
import datetime
import json
import os
import sys

# phases shown first, in this order; any other phase present in either file follows
ORDER = ["workload_generation", "gram", "cholesky", "lambda_iteration", "init_fc6", "init_fc7", "init_fc8",
         "as_init", "balance", "global_epoch", "global_stage", "lrd", "end_to_end"]


def load(path, who):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise SystemExit(f"compare.py: --{who} {path}: {e}")
    for key in ("phases", "workload"):
        if key not in d:
            raise SystemExit(f"compare.py: --{who} {path}: no '{key}' field (schema: bench/README-peer.md)")
    return d


def phase_map(d):
    out = {p["name"]: p["ms"] for p in d["phases"]}
    if "end_to_end" not in out and "end_to_end_ms" in d:
        out["end_to_end"] = d["end_to_end_ms"]
    return out


def same_workload(g, p):
    """The fields that must agree for the comparison to mean anything."""
    problems = []
    for key in ("name", "n", "seed", "rank"):
        if key in g and key in p and g[key] != p[key]:
            problems.append(f"{key}: ger {g[key]} vs peer {p[key]}")
    return problems


def merge(ger, peer):
    gm, pm = phase_map(ger), phase_map(peer)
    names = [n for n in ORDER if n in gm or n in pm]
    names += sorted(n for n in set(gm) | set(pm) if n not in names)
    phases = [{"name": n, "ger_ms": gm.get(n), "peer_ms": pm.get(n),
               "speedup": round(pm[n] / gm[n], 3) if gm.get(n) and pm.get(n) else None} for n in names]
    roof = {k: peer.get(k) for k in ("sgemm_tflops", "sgemm_tf32_tflops", "d2d_gbps")}
    roof.update(ger.get("roofline") or {})
    return {
        "date": datetime.date.today().isoformat(),
        "commit": ger.get("commit"),
        "device": ger.get("device") or peer.get("device"),
        "peer_device": peer.get("device"),
        "workload": ger["workload"],
        "peer_workload": peer["workload"],
        "workload_mismatch": same_workload(ger["workload"], peer["workload"]),
        "phases": phases,
        "end_to_end": {
            "ger_ms": gm.get("end_to_end"),
            "peer_ms": pm.get("end_to_end"),
            "speedup": round(pm["end_to_end"] / gm["end_to_end"], 3) if gm.get("end_to_end") and pm.get("end_to_end") else None,
            "ger_output_rel_error": ger.get("output_rel_error"),
            "peer_output_rel_error": peer.get("output_rel_error"),
            "ger_output_rel_error_init": ger.get("output_rel_error_init"),
            "peer_output_rel_error_init": peer.get("output_rel_error_init"),
            "peer_output_rel_error_lrd": peer.get("output_rel_error_lrd"),
            "ger_lr": ger.get("lr"),
            "peer_lr": peer.get("lr"),
        },
        "roofline": roof,
        "peer_peak_gib": peer.get("peak_gib"),
    }


def fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def table(m):
    w = m["workload"]
    lines = [f"GPU benchmark, {m['date']}, {m['device']}, commit {m.get('commit') or 'unknown'}: workload {w.get('name')} n={w.get('n')} "
             f"k={w.get('rank')} seed={w.get('seed')}", ""]
    if m["workload_mismatch"]:
        lines += ["**workloads differ:** " + "; ".join(m["workload_mismatch"]), ""]
    lines += ["| phase | ger (ms) | PyTorch peer (ms) | peer / ger |", "| --- | ---: | ---: | ---: |"]
    for p in m["phases"]:
        lines.append(f"| {p['name']} | {fmt(p['ger_ms'])} | {fmt(p['peer_ms'])} | {fmt(p['speedup'], 2)} |")
    e = m["end_to_end"]
    lines += ["", "| | ger | PyTorch peer |", "| --- | ---: | ---: |",
              f"| output rel. error after init | {fmt(e['ger_output_rel_error_init'], 4)} | {fmt(e['peer_output_rel_error_init'], 4)} |",
              f"| output rel. error after GER | {fmt(e['ger_output_rel_error'], 4)} | {fmt(e['peer_output_rel_error'], 4)} |",
              f"| learning rate settled on | {e['ger_lr'] if e['ger_lr'] is not None else '-'} | {e['peer_lr'] if e['peer_lr'] is not None else '-'} |"]
    r = m["roofline"]
    lines += ["", f"Ceilings (PyTorch, same device): SGEMM 8192^3 {fmt(r.get('sgemm_tflops'))} TFLOP/s fp32, "
                  f"{fmt(r.get('sgemm_tf32_tflops'))} TF32; device-to-device copy {fmt(r.get('d2d_gbps'))} GB/s."]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ger", required=True, help="ger's benchmark JSON")
    ap.add_argument("--peer", required=True, help="ger_peer.py's JSON")
    ap.add_argument("--out", help="default bench/results/gpu-<date>.json beside this script's parent")
    a = ap.parse_args(argv)
    m = merge(load(a.ger, "ger"), load(a.peer, "peer"))
    out = a.out or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "results",
                                f"gpu-{m['date']}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    print(table(m))
    print(f"\nwrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
