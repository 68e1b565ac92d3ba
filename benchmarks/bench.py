"""Benchmarks: how long the study takes and what data collection costs at scale.

Usage (``make bench`` runs the default)::

    python benchmarks/bench.py [--repeats 3] [--skip-study] [--skip-collect]
                               [--customers 1000000] [--history-months 48]

1. **Whole default study**: ``churnlab run --jobs 2`` for all scenarios on the
   built-in default data, into a scratch folder; wall time per repeat.
2. **Collection at scale**: a simulated retail log (1M customers, ~50M
   transaction lines, cached under ``data/bench/``) is collected (checked and
   aggregated to the customer-level analysis table, written as Parquet), and
   compared with **the floor**: a plain DuckDB ``GROUP BY customer_id`` (count,
   sum, min, max) over the same Parquet file. Snapshot building is timed on
   its own. Each measurement runs in a fresh process so its peak memory
   (max RSS) is its own.

Reports medians over the repeats (the machine is shared and noisy) and writes
them to ``benchmarks/results.json``. Targets (issue 2): collection within 1.5x
the floor; peak memory under 4 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "data" / "bench"
AS_OF = "2025-12-31"


def _child(step: str, *args: str) -> dict:
    """Run one measured step in a fresh interpreter; return its own timing and peak memory."""
    out = subprocess.run([sys.executable, __file__, "_step", step, *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _params(n: int, months: int):
    from churnlab.params import validate_params

    return validate_params({
        "scenario": "retail", "seed": 7, "as_of": AS_OF,
        "churn": {"definition": "inactivity", "inactivity_days": 180},
        "source": {"kind": "simulate", "n_customers": n, "history_months": months},
    })


def _step(step: str, args: list[str]) -> None:
    """Body of a measured step (runs in the child process); imports are not timed."""
    import duckdb

    from churnlab import collect
    from churnlab.schema import TABLES
    from churnlab.simulate import simulate_to_parquet
    from churnlab.sources import connect

    t0 = time.perf_counter()
    data = BENCH_DIR / args[0]
    info: dict = {}
    if step == "simulate":
        n, months = int(args[1]), int(args[2])
        simulate_to_parquet("retail", data, n_customers=n, seed=7,
                            as_of=dt.date.fromisoformat(AS_OF), history_months=months)
    elif step == "floor":
        con = duckdb.connect()
        res = con.execute(
            "SELECT customer_id, count(*), sum(amount), min(date), max(date) "
            f"FROM read_parquet('{data / 'transactions.parquet'}') GROUP BY customer_id").df()
        info["customers"] = len(res)
    elif step == "aggregate":
        from churnlab import features

        con = connect()
        res = features.transaction_activity(con, data / "transactions.parquet",
                                            cutoff=dt.date.fromisoformat(AS_OF), window_days=180)
        info["customers"] = len(res)
    elif step in ("collect", "snapshots"):
        n, months = int(args[1]), int(args[2])
        params = _params(n, months)
        tables = {t: data / f"{t}.parquet" for t in TABLES if (data / f"{t}.parquet").exists()}
        con = connect()
        if step == "collect":  # what collect() does once the simulator has written the log
            out = Path(tempfile.mkdtemp())
            quality = collect.check_simulated(con, tables)
            col = collect.collect_tables(con, params, out, tables, quality=quality,
                                         with_snapshots=False)
            shutil.rmtree(out)
            info["customers"] = col.n_customers
            info["churned"] = col.n_churned
        else:
            info["rows"] = len(collect.snapshots(con, tables, params))
    info["seconds"] = time.perf_counter() - t0
    info["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(info))


def bench_study(repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([str(Path(sys.executable).with_name("churnlab")), "run", "--jobs", "2",
                            "--out", out], check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    return {"runs_s": [round(t, 2) for t in times], "median_s": round(statistics.median(times), 2)}


def bench_collect(repeats: int, n: int, months: int) -> dict:
    name = f"retail_n{n}_m{months}"
    data = BENCH_DIR / name
    if not (data / "transactions.parquet").exists():
        print(f"simulating {n:,} retail customers over {months} months into {data} ...", flush=True)
        data.mkdir(parents=True, exist_ok=True)
        sim = _child("simulate", name, str(n), str(months))
        print(f"  {sim['seconds']:.1f} s, peak {sim['max_rss_mb']:.0f} MB", flush=True)
    import pyarrow.parquet as pq

    lines = pq.ParquetFile(data / "transactions.parquet").metadata.num_rows
    res: dict = {"customers": n, "transaction_lines": lines}
    for step in ("floor", "aggregate", "collect", "snapshots"):
        runs = [_child(step, name, str(n), str(months)) for _ in range(repeats)]
        res[step] = {"runs_s": [round(r["seconds"], 2) for r in runs],
                     "median_s": round(statistics.median(r["seconds"] for r in runs), 2),
                     "peak_mb": round(max(r["max_rss_mb"] for r in runs))}
        print(f"{step:10s} median {res[step]['median_s']:6.2f} s  peak {res[step]['peak_mb']:5d} MB",
              flush=True)
    res["collect_over_floor"] = round(res["collect"]["median_s"] / res["floor"]["median_s"], 2)
    res["aggregate_over_floor"] = round(res["aggregate"]["median_s"] / res["floor"]["median_s"], 2)
    return res


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_step":
        _step(sys.argv[2], sys.argv[3:])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--history-months", type=int, default=48)
    ap.add_argument("--skip-study", action="store_true")
    ap.add_argument("--skip-collect", action="store_true")
    args = ap.parse_args()
    results: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"), "repeats": args.repeats}
    if not args.skip_study:
        results["study"] = bench_study(args.repeats)
        print(f"whole default study (3 scenarios, --jobs 2): median {results['study']['median_s']} s",
              flush=True)
    if not args.skip_collect:
        results["collect"] = bench_collect(args.repeats, args.customers, args.history_months)
        c = results["collect"]
        print(f"collection / floor = {c['collect_over_floor']}x (target <= 1.5x); "
              f"the transactions aggregation alone = {c['aggregate_over_floor']}x")
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
