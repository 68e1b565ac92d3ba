"""Benchmarks: how long the study takes and what data collection costs at scale.

Usage (``make bench`` runs the default)::

    python benchmarks/bench.py [--repeats 3] [--skip-study] [--skip-collect]
                               [--customers 1000000] [--history-months 48]
                               [--skip-cox] [--cox-customers 1000000]

1. **Whole default study**: ``churnlab run --jobs 3`` for all scenarios on the
   built-in default data, into a scratch folder; wall time per repeat. Side by side
   (alternating) with **its floor**: the same CLI and runner on a copy of the project
   whose five notebooks only import churnlab and draw one figure (``CHURNLAB_ROOT``
   points the runner there). Target (issue 10): study <= 1.6x the floor.
2. **Collection at scale**: a simulated retail log (1M customers, ~50M
   transaction lines, cached under ``data/bench/``) is collected (checked and
   aggregated to the customer-level analysis table, written as Parquet), and
   compared with **the floor**: a plain DuckDB ``GROUP BY customer_id`` (count,
   sum, min, max) over the same Parquet file. Snapshot building is timed on
   its own. Each measurement runs in a fresh process so its peak memory
   (max RSS) is its own.

3. **Cox fit at scale** (issue 4): a simulated telecom base (1M customers by
   default, collected once and cached under ``data/bench/``) is turned into the
   whole-month survival table of notebook 03 and a Cox model with all covariates
   and entry times is fitted (lifelines), without the Schoenfeld test; then the
   same fit without entry times (lifelines' faster Efron path), and, up to 100k
   customers, on exact fractional-month durations, which is far slower.

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
    from churnlab.collect.sources import connect

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
        from churnlab.collect import features

        con = connect()
        res = features.transaction_activity(con, data / "transactions.parquet",
                                            cutoff=dt.date.fromisoformat(AS_OF), window_days=180)
        info["customers"] = len(res)
    elif step == "telecom":
        n, months = int(args[1]), int(args[2])
        from churnlab.params import validate_params

        params = validate_params({"scenario": "telecom", "seed": 7, "as_of": AS_OF,
                                  "churn": {"definition": "contractual"},
                                  "source": {"kind": "simulate", "n_customers": n,
                                             "history_months": months}})
        col = collect.collect(params, data, with_snapshots=False)
        info["customers"] = col.n_customers
    elif step in ("cox", "cox_exact", "cox_no_entry"):
        import lifelines  # noqa: F401  (imported before timing)
        import pandas as pd

        from churnlab import causes, survival

        a = pd.read_parquet(data / "analysis.parquet")
        truth = json.loads((data / "ground_truth.json").read_text())
        t1 = time.perf_counter()
        st = survival.exposure_rates(survival.survival_table(
            a, observed_from=survival.window_start(None, truth)))
        if step == "cox_exact":  # same customers, durations in exact fractional months
            exact = a.set_index("customer_id")["duration_days"] / survival.UNIT_DAYS["month"]
            st["duration"] = st["customer_id"].map(exact).clip(lower=st["entry"] + 1e-3)
        cov = causes.covariates(st, exclude=("entry", "n_offers_per_month", "offer_accepted"))
        info["prepare_s"] = time.perf_counter() - t1
        t0 = time.perf_counter()
        res = survival.cox_model(st, covariates=cov["numeric"] + cov["categorical"],
                                 entry=None if step == "cox_no_entry" else "entry", ph_test=False)
        info["terms"] = len(res.hazard_ratios)
        info["unique_times"] = int(st["duration"].nunique())
        info["rows"] = len(st)
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


FLOOR_CELLS = [
    ("code", 'params_file = "params/telecom.yaml"\noutput_dir = ""', ["parameters"]),
    ("code", "import matplotlib.pyplot as plt\n\nimport churnlab\nfrom churnlab import metrics\n\n"
             "plt.plot([0, 1], [0, 1])\nplt.show()\n"
             "if output_dir:\n    metrics.write_json(f\"{output_dir}/metrics.json\", {})", []),
]


def floor_project(root: Path) -> Path:
    """A project folder whose notebooks only import churnlab and draw one figure (the floor).

    Same params files and notebook names as the real project, so ``churnlab run`` with
    ``CHURNLAB_ROOT`` pointing here does everything the real run does (kernels,
    papermill, HTML, manifest, report, index) except the study's own work.
    """
    import nbformat

    from churnlab.config import NOTEBOOKS

    shutil.copytree(ROOT / "params", root / "params")
    (root / "notebooks").mkdir()
    for name in NOTEBOOKS:
        nb = nbformat.v4.new_notebook()
        for kind, src, tags in FLOOR_CELLS:
            cell = nbformat.v4.new_code_cell(src)
            cell.metadata["tags"] = tags
            nb.cells.append(cell)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / "notebooks" / name)
    return root


def _run_cli(out: str, env: dict | None = None) -> float:
    import os

    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("churnlab")), "run", "--jobs", "3", "--out", out],
                   check=True, capture_output=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - t0


def bench_study(repeats: int) -> dict:
    """The whole default study and its floor, run alternately (side by side on a noisy machine)."""
    study, floor = [], []
    with tempfile.TemporaryDirectory() as proj:
        fp = floor_project(Path(proj) / "floor")
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as out:
                study.append(_run_cli(out))
            with tempfile.TemporaryDirectory() as out:
                floor.append(_run_cli(out, {"CHURNLAB_ROOT": str(fp)}))
    med_s, med_f = statistics.median(study), statistics.median(floor)
    return {"runs_s": [round(t, 2) for t in study], "median_s": round(med_s, 2),
            "floor_runs_s": [round(t, 2) for t in floor], "floor_median_s": round(med_f, 2),
            "ratio": round(med_s / med_f, 2),
            "ratios": [round(a / b, 2) for a, b in zip(study, floor)]}


def _ensure_data(name: str, marker: str, what: str, step: str, *args: str) -> Path:
    """Generate the cached benchmark data ``data/bench/<name>`` once (``step`` in a child)."""
    data = BENCH_DIR / name
    if not (data / marker).exists():
        print(f"{what} into {data} ...", flush=True)
        data.mkdir(parents=True, exist_ok=True)
        sim = _child(step, name, *args)
        print(f"  {sim['seconds']:.1f} s, peak {sim['max_rss_mb']:.0f} MB", flush=True)
    return data


def _measure(step: str, repeats: int, *args: str, keep: tuple[str, ...] = ()) -> dict:
    """Median time and peak memory of ``step`` over fresh processes; ``keep`` copies
    further keys of the first run (medians for ``*_s`` keys)."""
    runs = [_child(step, *args) for _ in range(repeats)]
    out = {"runs_s": [round(r["seconds"], 2) for r in runs],
           "median_s": round(statistics.median(r["seconds"] for r in runs), 2),
           "peak_mb": round(max(r["max_rss_mb"] for r in runs))}
    for key in keep:
        out[key] = (round(statistics.median(r[key] for r in runs), 2) if key.endswith("_s")
                    else runs[0][key])
    return out


def bench_collect(repeats: int, n: int, months: int) -> dict:
    name = f"retail_n{n}_m{months}"
    data = _ensure_data(name, "transactions.parquet",
                        f"simulating {n:,} retail customers over {months} months", "simulate",
                        str(n), str(months))
    import pyarrow.parquet as pq

    lines = pq.ParquetFile(data / "transactions.parquet").metadata.num_rows
    res: dict = {"customers": n, "transaction_lines": lines}
    for step in ("floor", "aggregate", "collect", "snapshots"):
        res[step] = _measure(step, repeats, name, str(n), str(months))
        print(f"{step:10s} median {res[step]['median_s']:6.2f} s  peak {res[step]['peak_mb']:5d} MB",
              flush=True)
    res["collect_over_floor"] = round(res["collect"]["median_s"] / res["floor"]["median_s"], 2)
    res["aggregate_over_floor"] = round(res["aggregate"]["median_s"] / res["floor"]["median_s"], 2)
    return res


def bench_cox(repeats: int, n: int, months: int) -> dict:
    name = f"telecom_n{n}_m{months}"
    _ensure_data(name, "analysis.parquet", f"simulating and collecting {n:,} telecom customers",
                 "telecom", str(n), str(months))
    res: dict = {"customers": n}
    # exact durations take minutes beyond ~100k customers: compare on small runs only
    for step in ("cox", "cox_no_entry") + (("cox_exact",) if n <= 100_000 else ()):
        res[step] = _measure(step, repeats, name,
                             keep=("prepare_s", "rows", "terms", "unique_times"))
        print(f"{step:10s} median {res[step]['median_s']:6.2f} s fit (+{res[step]['prepare_s']} s "
              f"table)  {res[step]['rows']:,} rows, {res[step]['unique_times']:,} distinct times, "
              f"peak {res[step]['peak_mb']} MB", flush=True)
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
    ap.add_argument("--skip-cox", action="store_true")
    ap.add_argument("--cox-customers", type=int, default=1_000_000)
    args = ap.parse_args()
    results: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"), "repeats": args.repeats}
    if not args.skip_study:
        results["study"] = bench_study(args.repeats)
        st = results["study"]
        print(f"whole default study (3 scenarios x 5 notebooks, --jobs 3): median {st['median_s']} s; "
              f"floor (same runner, notebooks that only import churnlab and draw a figure): median "
              f"{st['floor_median_s']} s; ratio {st['ratio']}x (target <= 1.6x)", flush=True)
    if not args.skip_collect:
        results["collect"] = bench_collect(args.repeats, args.customers, args.history_months)
        c = results["collect"]
        print(f"collection / floor = {c['collect_over_floor']}x (target <= 1.5x); "
              f"the transactions aggregation alone = {c['aggregate_over_floor']}x")
    if not args.skip_cox:
        results["cox"] = bench_cox(args.repeats, args.cox_customers, 36)
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
