"""Benchmarks: how long the study takes and what data collection costs at scale.

Usage (``make bench`` runs sections 1-3; ``make bench-scale`` adds the issue-14 sections 4-7)::

    python benchmarks/bench.py [--repeats 3] [--skip-study] [--skip-collect]
                               [--customers 1000000] [--history-months 48]
                               [--skip-cox] [--cox-customers 1000000]
                               [--telecom-1m] [--retail-50m] [--engines] [--bgnbd] [--scale]
                               [--big-customers 1000000] [--retail-months 48] [--results FILE]

Every section runs in the same invocation, reports medians over ``--repeats`` (the machine
is shared and noisy) and is written to ``benchmarks/results.json`` (after each long
section). Runs above 200,000 customers belong under ``flock /tmp/churnlab-big.lock`` on a
shared machine. Simulated data are cached under ``data/bench/`` (gitignored).

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
   (VmHWM) is its own. Targets (issue 2): collection within 1.5x the floor; peak
   memory under 4 GB.
3. **Cox fit at scale** (issues 4 and 14): a simulated telecom base (1M customers by
   default, collected once and cached under ``data/bench/``) is turned into the
   whole-month survival table of notebook 03 and a Cox model with all covariates
   and entry times is fitted (lifelines), without the Schoenfeld test; then the
   same fit without entry times (lifelines' faster Efron path), and, up to 100k
   customers, on exact fractional-month durations, which is far slower. Then
   (``paths``) **churnlab's own path** -- :func:`churnlab.survival.prepare` and the
   survival stage's Cox entry point (``survival.stage.fit_cox`` when the stage has one,
   else ``cox_with_remedy`` with its Schoenfeld test and remedies, as notebook 03 runs
   it) -- against **a plain lifelines** ``CoxPHFitter`` with entry times on the same
   table (the floor). Target (issue 14): seconds at 1M.
4. **Telecom study at 1M customers** (``--telecom-1m``): ``churnlab run`` on the built-in
   telecom params with ``source.n_customers: 1000000`` (simulation included), all five
   notebooks: wall time, seconds per notebook (from the run's ``manifest.json``) and the
   peak memory of the whole process tree (runner, papermill, kernels: the sum of their RSS
   sampled with psutil every 0.2 s). The default 5k telecom study is timed alternately in
   the same invocation as **the reference**. Targets (issue 14): <= 5 min, <= 8 GB.
5. **Retail study, 1M customers, ~50M lines** (``--retail-50m``): the same measures on the
   built-in retail params with 1M customers over ``--retail-months`` (48: ~50M purchase
   lines, counted from the run's data). Target (issue 14): <= 8 min.
6. **Collection engines on ~50M lines** (``--engines``): the cached log of section 2 read
   as an exported Parquet file (``source.kind: files``, shape ``transactions``) and
   collected by :func:`churnlab.collect.collect` with ``engine: duckdb`` and with
   ``engine: spark`` (``local[*]``), against the DuckDB ``GROUP BY`` floor. The Spark
   run is reported as skipped, with the reason, when pyspark is missing or churnlab's
   collection did not start a Spark session.
7. **BG/NBD on CDNOW** (``--bgnbd``): :func:`churnlab.clv.fit_bgnbd` vs lifetimes'
   ``BetaGeoFitter`` (the peer, installed in its own venv ``benchmarks/.peers/lifetimes``,
   never in the project's lock) on FHL 2005's 2,357 customers, 20 fits per fresh process;
   the fitted r, alpha, a, b must agree within 1e-3 (relative). A review measured 35 ms
   vs 115 ms.
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
#: FHL 2005's CDNOW cohort (frequency, recency, T in weeks), from lifetimes 0.11.3 (tests/data/README.md)
CDNOW = ROOT / "tests" / "data" / "cdnow_customers_summary.csv"
#: The peers' own environments (never the project's lock): benchmarks/.peers/<name>/, gitignored
PEERS = ROOT / "benchmarks" / ".peers"
LIFETIMES = "lifetimes==0.11.3"
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


def _high_water_mb() -> float:
    """This process's peak resident memory (VmHWM; ``ru_maxrss`` would keep the forked
    parent's across exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            return next(int(x.split()[1]) for x in fh if x.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _file_params(data: Path, engine: str):
    """Retail params reading the cached simulated log as an exported Parquet file
    (``transactions`` shape, canonical column names), run on ``engine``."""
    from churnlab.params import validate_params

    return validate_params({
        "scenario": "retail", "seed": 7, "as_of": AS_OF, "engine": engine,
        "churn": {"definition": "inactivity", "inactivity_days": 180},
        "source": {"kind": "files", "shape": "transactions",
                   "tables": {"transactions": {"path": str(data / "transactions.parquet")}}},
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
    elif step == "engine":  # the public collection on one engine, the log as an exported file
        engine = args[1]
        params = _file_params(data, engine)
        out = Path(tempfile.mkdtemp(dir=BENCH_DIR))
        try:
            col = collect.collect(params, out)
            info["customers"] = col.n_customers
            info["snapshot_rows"] = len(col.snapshots)
            if engine == "spark":  # a Spark session really ran it (not a silent DuckDB fallback)
                from pyspark import SparkContext

                info["spark_used"] = SparkContext._active_spark_context is not None
        finally:
            shutil.rmtree(out, ignore_errors=True)
    elif step == "bgnbd":  # churnlab's BG/NBD on CDNOW, fitted ``args[1]`` times
        import pandas as pd

        from churnlab.clv import fit_bgnbd

        d = pd.read_csv(CDNOW)
        times = []
        for _ in range(int(args[1])):
            t1 = time.perf_counter()
            fit = fit_bgnbd(d["frequency"], d["recency"], d["T"])
            times.append(time.perf_counter() - t1)
        info.update(times=times, params={"r": fit.r, "alpha": fit.alpha, "a": fit.a, "b": fit.b},
                    loglik=fit.loglik)
    elif step in ("cox_churnlab", "cox_lifelines"):
        info.update(_cox_paths(step, data))
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
    info["max_rss_mb"] = _high_water_mb()
    print(json.dumps(info))


def _cox_paths(step: str, data: Path) -> dict:
    """The Cox model of notebook 03 on the cached telecom base: ``cox_churnlab`` is the survival
    stage's own path (:func:`churnlab.survival.prepare`, then the stage's Cox entry point:
    ``survival.stage.fit_cox`` when the stage has one, else ``cox_with_remedy`` as the stage
    calls it), ``cox_lifelines`` a plain lifelines ``CoxPHFitter`` with entry times on the same
    table and covariates (categories one-hot, first level dropped). Times the fit only."""
    import lifelines
    import pandas as pd

    from churnlab.params import validate_params
    from churnlab.survival import prepare, stage

    a = pd.read_parquet(data / "analysis.parquet")
    truth = json.loads((data / "ground_truth.json").read_text())
    params = validate_params({"scenario": "telecom", "seed": 7, "as_of": AS_OF,
                              "churn": {"definition": "contractual"},
                              "source": {"kind": "simulate", "n_customers": len(a)}})
    t1 = time.perf_counter()
    prep = prepare(a, params.survival, truth)
    info: dict = {"prepare_s": time.perf_counter() - t1, "rows": len(prep.table)}
    st = prep.table
    t0 = time.perf_counter()
    if step == "cox_churnlab":
        fit_cox = getattr(stage, "fit_cox", None)
        if fit_cox is not None:
            res = fit_cox(params, prep)
        else:
            res = stage.cox_with_remedy(st, covariates=prep.covariates, entry=prep.entry,
                                        reference=prep.reference)
        info["entry_point"] = "survival.stage.fit_cox" if fit_cox else "survival.cox_with_remedy"
        model = getattr(res, "first", res)  # the plain model, as the lifelines fit below
        info["hazard_ratios"] = {str(k): float(v) for k, v in
                                 zip(model.hazard_ratios["term"], model.hazard_ratios["hr"])}
    else:
        keep = prep.covariates + ["duration", "event"] + ([prep.entry] if prep.entry else [])
        x = st[keep].copy()
        for col in x.columns[(x.dtypes == object) | (x.dtypes == "category") | (x.dtypes == bool)]:
            counts = x[col].dropna().astype(str).value_counts()  # churnlab's reference level dropped:
            levels = sorted(counts.index)  # the planted one, else the most common (CovariateDesign)
            ref = str((prep.reference or {}).get(col, counts.idxmax()))
            for level in levels:
                if level != ref:
                    x[f"{col}={level}"] = (x[col].astype(str) == level).astype(float)
            x = x.drop(columns=col)
        cph = lifelines.CoxPHFitter().fit(x, duration_col="duration", event_col="event",
                                          entry_col=prep.entry)
        info["hazard_ratios"] = {str(k): float(v) for k, v in cph.hazard_ratios_.items()}
    info["fit_s"] = time.perf_counter() - t0
    return info


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


def _env(extra: dict | None = None) -> dict:
    """The children's environment: this checkout's churnlab first (the shared .venv's
    editable install may point at another checkout)."""
    import os

    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **(extra or {})}


def _run_cli(out: str, env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("churnlab")), "run", "--jobs", "3", "--out", out],
                   check=True, capture_output=True, env=_env(env))
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


class TreePeak:
    """Peak resident memory of a process and all its descendants (kernels, papermill),
    sampled every ``interval`` seconds with psutil: the sum of their RSS (shared pages
    counted in each process, so an upper bound on the machine's use)."""

    def __init__(self, pid: int, interval: float = 0.2):
        import threading

        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> int:
        import psutil

        try:
            root = psutil.Process(self.pid)
            procs = [root] + root.children(recursive=True)
        except psutil.Error:
            return 0
        total = 0
        for pr in procs:
            try:
                total += pr.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_measured(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd``; its wall time, return code, stderr tail and the peak memory of its process tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(env))
    peak = TreePeak(proc.pid)
    out, err = proc.communicate()
    return {"seconds": time.perf_counter() - t0, "peak_mb": round(peak.stop() / 2**20),
            "returncode": proc.returncode, "stderr": err.strip().splitlines()[-3:],
            "stdout": out.strip().splitlines()[-3:]}


def big_params(scenario: str, n: int, months: int | None, extra: dict | None = None) -> dict:
    """The built-in params of ``scenario`` with ``n`` simulated customers (and ``months`` of history)."""
    import yaml

    params = yaml.safe_load((ROOT / "params" / f"{scenario}.yaml").read_text(encoding="utf-8"))
    params["source"]["n_customers"] = n
    if months:
        params["source"]["history_months"] = months
    for key, value in (extra or {}).items():
        params[key] = value
    return params


def run_study_once(name: str, params: dict | None, scenario: str | None = None) -> dict:
    """One ``churnlab run`` of a params mapping (or a built-in ``scenario``) into a scratch
    folder: wall time, peak memory of the process tree, per-notebook seconds from the manifest,
    the transaction lines and customers it collected."""
    import yaml

    with tempfile.TemporaryDirectory(prefix="churnlab-bench-") as tmp:
        cmd = [str(Path(sys.executable).with_name("churnlab")), "run", "--out", str(Path(tmp) / "out")]
        if params is not None:
            pf = Path(tmp) / f"{name}.yaml"
            pf.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
            cmd += ["--params", str(pf)]
        else:
            cmd += [scenario]
            name = scenario
        res = run_measured(cmd)
        folder = Path(tmp) / "out" / name
        manifest = folder / "manifest.json"
        res["ok"] = res["returncode"] == 0 and manifest.exists()
        if manifest.exists():
            doc = json.loads(manifest.read_text())
            res["notebooks_s"] = {n["notebook"][:2]: n.get("seconds") for n in doc["notebooks"]}
        import pyarrow.parquet as pq

        for table, key in (("transactions", "transaction_lines"), ("analysis", "customers")):
            path = folder / "data" / f"{table}.parquet"
            if path.exists():
                res[key] = pq.ParquetFile(path).metadata.num_rows
    return res


def _median_runs(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["ok"]] or runs
    out = {"runs_s": [round(r["seconds"], 1) for r in runs],
           "median_s": round(statistics.median(r["seconds"] for r in ok), 1),
           "peak_mb": max(r["peak_mb"] for r in runs),
           "ok": all(r["ok"] for r in runs)}
    nbs = sorted({k for r in ok for k in r.get("notebooks_s", {})})
    if nbs:
        out["notebooks_median_s"] = {k: round(statistics.median(r["notebooks_s"][k] for r in ok
                                                                 if r.get("notebooks_s", {}).get(k) is not None), 1)
                                     for k in nbs}
    for key in ("transaction_lines", "customers"):
        if key in ok[0]:
            out[key] = ok[0][key]
    if not out["ok"]:
        out["error"] = next(r["stderr"] for r in runs if not r["ok"])
    return out


def bench_big_study(repeats: int, scenario: str, n: int, months: int | None, target_s: float,
                    target_gb: float = 8.0) -> dict:
    """``churnlab run`` of the ``scenario`` study at ``n`` customers, side by side with the
    default 5k telecom study (the reference), alternately, ``repeats`` times each."""
    params = big_params(scenario, n, months)
    big, ref = [], []
    for i in range(repeats):
        ref.append(run_study_once("reference", None, scenario="telecom"))
        print(f"  reference (default 5k telecom) run {i + 1}: {ref[-1]['seconds']:.1f} s, "
              f"peak {ref[-1]['peak_mb']} MB", flush=True)
        big.append(run_study_once(f"{scenario}_{n}", params))
        print(f"  {scenario} {n:,} run {i + 1}: {big[-1]['seconds']:.1f} s, peak {big[-1]['peak_mb']} MB, "
              f"notebooks {big[-1].get('notebooks_s')}, ok={big[-1]['ok']}", flush=True)
    res = {"scenario": scenario, "customers_param": n, "history_months": months,
           "study": _median_runs(big), "reference_5k_telecom": _median_runs(ref),
           "target_s": target_s, "target_peak_gb": target_gb}
    st = res["study"]
    res["over_reference"] = round(st["median_s"] / res["reference_5k_telecom"]["median_s"], 1)
    res["meets_targets"] = bool(st["ok"] and st["median_s"] <= target_s and st["peak_mb"] <= target_gb * 1024)
    return res


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


PEER_BGNBD = """
import json, sys, time
import pandas as pd
from lifetimes import BetaGeoFitter
d = pd.read_csv(sys.argv[1])
times = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    f = BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
    times.append(time.perf_counter() - t0)
import lifetimes
print(json.dumps({"times": times, "params": {k: float(v) for k, v in f.params_.items()},
                  "loglik": float(-f._negative_log_likelihood_ * len(d)) if hasattr(f, "_negative_log_likelihood_") else None,
                  "version": lifetimes.__version__}))
"""


def peer_python(name: str, requirement: str) -> Path:
    """The interpreter of the peer's own venv ``benchmarks/.peers/<name>`` (created and
    ``pip install``-ed once; the project's lock is never touched)."""
    venv = PEERS / name
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating the peer environment {venv} ({requirement}) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        requirement], check=True)
    return python


def bench_bgnbd(repeats: int, fits: int = 20) -> dict:
    """BG/NBD on CDNOW (2,357 customers): churnlab's :func:`churnlab.clv.fit_bgnbd` vs
    lifetimes' ``BetaGeoFitter``, ``fits`` fits per fresh process (imports not timed), median
    of all; the four parameters compared (relative difference)."""
    ours = [_child("bgnbd", "-", str(fits)) for _ in range(repeats)]
    python = peer_python("lifetimes", LIFETIMES)
    peer = []
    for _ in range(repeats):
        out = subprocess.run([str(python), "-c", PEER_BGNBD, str(CDNOW), str(fits)], check=True,
                             capture_output=True, text=True)
        peer.append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = statistics.median(t for r in ours for t in r["times"])
    med_peer = statistics.median(t for r in peer for t in r["times"])
    p1, p2 = ours[0]["params"], peer[0]["params"]
    rel = {k: abs(p1[k] - p2[k]) / abs(p2[k]) for k in ("r", "alpha", "a", "b")}
    return {"customers": sum(1 for _ in open(CDNOW)) - 1, "fits_per_process": fits,
            "churnlab_median_ms": round(med * 1000, 1), "lifetimes_median_ms": round(med_peer * 1000, 1),
            "lifetimes_over_churnlab": round(med_peer / med, 2), "lifetimes_version": peer[0]["version"],
            "params_churnlab": p1, "params_lifetimes": p2,
            "max_relative_difference": max(rel.values()), "params_agree_1e-3": max(rel.values()) <= 1e-3,
            "loglik_churnlab": ours[0]["loglik"]}


def bench_engines(repeats: int, n: int, months: int) -> dict:
    """The collection of the cached ~50M-line retail log: the DuckDB floor (one ``GROUP BY``),
    churnlab's public collection on DuckDB, and the same params with ``engine: spark`` (local)."""
    import importlib.util

    name = f"retail_n{n}_m{months}"
    data = _ensure_data(name, "transactions.parquet",
                        f"simulating {n:,} retail customers over {months} months", "simulate",
                        str(n), str(months))
    import pyarrow.parquet as pq

    res: dict = {"customers": n, "transaction_lines": pq.ParquetFile(data / "transactions.parquet").metadata.num_rows}
    res["floor"] = _measure("floor", repeats, name)
    res["churnlab_duckdb"] = _measure("engine", repeats, name, "duckdb", keep=("customers", "snapshot_rows"))
    res["duckdb_over_floor"] = round(res["churnlab_duckdb"]["median_s"] / res["floor"]["median_s"], 2)
    if importlib.util.find_spec("pyspark") is None:
        res["churnlab_spark"] = {"skipped": "pyspark is not installed: engine: spark comes with the "
                                            "Ibis/Spark collection (issue 14)"}
    else:
        try:
            sp = _measure("engine", repeats, name, "spark", keep=("customers", "snapshot_rows", "spark_used"))
        except subprocess.CalledProcessError as exc:
            sp = {"skipped": f"engine: spark failed: {(exc.stderr or '').strip().splitlines()[-1:]}"}
        if sp.get("spark_used") is False:
            sp = {"skipped": "churnlab's collection ran without starting Spark (engine: spark not "
                             "implemented yet)", "median_s": sp["median_s"]}
        res["churnlab_spark"] = sp
        if "skipped" not in sp:
            res["spark_over_floor"] = round(sp["median_s"] / res["floor"]["median_s"], 2)
            res["spark_over_duckdb"] = round(sp["median_s"] / res["churnlab_duckdb"]["median_s"], 2)
    return res


def _telecom_base(n: int, months: int) -> str:
    """The cached, collected telecom base of ``n`` customers (its name under ``data/bench/``)."""
    name = f"telecom_n{n}_m{months}"
    _ensure_data(name, "analysis.parquet", f"simulating and collecting {n:,} telecom customers",
                 "telecom", str(n), str(months))
    return name


def bench_cox_paths(repeats: int, n: int, months: int) -> dict:
    """Cox on the cached telecom base: churnlab's survival-stage path vs plain lifelines."""
    name = _telecom_base(n, months)
    res: dict = {"customers": n}
    for step in ("cox_churnlab", "cox_lifelines"):
        runs = [_child(step, name) for _ in range(repeats)]
        res[step] = {"fit_runs_s": [round(r["fit_s"], 2) for r in runs],
                     "fit_median_s": round(statistics.median(r["fit_s"] for r in runs), 2),
                     "prepare_median_s": round(statistics.median(r["prepare_s"] for r in runs), 2),
                     "rows": runs[0]["rows"], "peak_mb": round(max(r["max_rss_mb"] for r in runs)),
                     "hazard_ratios": runs[0]["hazard_ratios"]}
        if "entry_point" in runs[0]:
            res[step]["entry_point"] = runs[0]["entry_point"]
    res["lifelines_over_churnlab"] = round(res["cox_lifelines"]["fit_median_s"]
                                           / res["cox_churnlab"]["fit_median_s"], 2)
    import math

    ours, peer = res["cox_churnlab"]["hazard_ratios"], res["cox_lifelines"]["hazard_ratios"]
    shared = sorted(set(ours) & set(peer))
    res["terms_compared"] = len(shared)
    res["max_abs_log_hr_difference"] = (max(abs(math.log(ours[t]) - math.log(peer[t])) for t in shared)
                                        if shared else None)
    return res


def bench_cox(repeats: int, n: int, months: int) -> dict:
    name = _telecom_base(n, months)
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
    ap.add_argument("--telecom-1m", action="store_true",
                    help="the telecom study at --big-customers, all five notebooks (and the 5k reference)")
    ap.add_argument("--retail-50m", action="store_true",
                    help="the retail study at --big-customers over --retail-months (~50M lines)")
    ap.add_argument("--engines", action="store_true",
                    help="collection of the ~50M-line retail log: DuckDB floor vs churnlab on DuckDB vs on Spark")
    ap.add_argument("--bgnbd", action="store_true", help="BG/NBD on CDNOW: churnlab vs lifetimes (peer venv)")
    ap.add_argument("--scale", action="store_true",
                    help="all issue-14 sections: --telecom-1m --retail-50m --engines --bgnbd (and Cox)")
    ap.add_argument("--big-customers", type=int, default=1_000_000)
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results.json",
                    help="where the medians are written (default benchmarks/results.json)")
    ap.add_argument("--retail-months", type=int, default=48)
    args = ap.parse_args()
    if args.scale:
        args.telecom_1m = args.retail_50m = args.engines = args.bgnbd = True
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
    if args.bgnbd:
        results["bgnbd"] = b = bench_bgnbd(args.repeats)
        print(f"BG/NBD on CDNOW: churnlab {b['churnlab_median_ms']} ms, lifetimes {b['lifetimes_median_ms']} ms "
              f"({b['lifetimes_over_churnlab']}x); parameters agree to {b['max_relative_difference']:.1e}",
              flush=True)
        _save(results, args.results)
    if not args.skip_cox:
        results["cox"] = bench_cox(args.repeats, args.cox_customers, 36)
        results["cox"]["paths"] = c = bench_cox_paths(args.repeats, args.cox_customers, 36)
        print(f"Cox on {args.cox_customers:,}: churnlab's path ({c['cox_churnlab']['entry_point']}) "
              f"{c['cox_churnlab']['fit_median_s']} s, plain lifelines {c['cox_lifelines']['fit_median_s']} s; "
              f"{c['terms_compared']} hazard ratios compared, largest |log HR difference| "
              f"{c['max_abs_log_hr_difference']}", flush=True)
        _save(results, args.results)
    if args.engines:
        results["engines"] = e = bench_engines(args.repeats, args.customers, args.history_months)
        sp = e["churnlab_spark"]
        print(f"collection of {e['transaction_lines']:,} lines: floor {e['floor']['median_s']} s, churnlab "
              f"DuckDB {e['churnlab_duckdb']['median_s']} s ({e['duckdb_over_floor']}x), Spark "
              f"{sp.get('median_s', '-')} s {sp.get('skipped', '')}", flush=True)
        _save(results, args.results)
    for scenario, wanted, months, target in (("telecom", args.telecom_1m, None, 300),
                                             ("retail", args.retail_50m, args.retail_months, 480)):
        if not wanted:
            continue
        print(f"{scenario} study, {args.big_customers:,} customers, all five notebooks", flush=True)
        results[f"{scenario}_big"] = r = bench_big_study(args.repeats, scenario, args.big_customers,
                                                         months, target_s=target)
        print(f"{scenario} {args.big_customers:,} ({r['study'].get('transaction_lines', '-')} lines): median "
              f"{r['study']['median_s']} s, peak {r['study']['peak_mb']} MB (targets <= {target} s, <= 8 GB); "
              f"5k telecom reference {r['reference_5k_telecom']['median_s']} s", flush=True)
        _save(results, args.results)
    _save(results, args.results)


def _save(results: dict, path: Path) -> None:
    """Write ``benchmarks/results.json`` (after each long section, so a stopped run keeps its numbers)."""
    path.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
