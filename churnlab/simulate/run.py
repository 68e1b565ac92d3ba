"""Entry points of the seeded churn simulator: :func:`simulate`, :func:`simulate_to_parquet`.

The simulator emits the canonical tables of :mod:`churnlab.schema` for one of
three industry scenarios and a ``ground_truth`` dict that says what was
planted, so later stages (driver ranking, Cox models, cost of churn, KPIs) can
show "planted vs recovered" and tests can assert recovery.

The industries live in :mod:`.telecom`, :mod:`.retail` and :mod:`.software`
(what each plants is in its module docstring; the shared machinery of
stated reasons, exit surveys and the save desk in :mod:`.engine`).

Randomness and scale. There is no global random state. Customers are simulated
in fixed blocks of :data:`RNG_BLOCK` customers; block ``b`` draws from its own
streams ``SeedSequence(seed, spawn_key=(scenario, b, stream))`` (child seed
sequences, as ``SeedSequence(seed).spawn`` makes, with explicit keys). Results
therefore depend only on ``(scenario, seed, n_customers, as_of,
history_months)`` and never on how blocks are grouped into write chunks:
:func:`simulate` and :func:`simulate_to_parquet` give identical data for any
``chunk_customers``. Inside a block the simulation loops over calendar months,
vectorised over customers. Every per-customer quantity that is not tied to a
month is drawn up front, and each month's draws come from a sequential stream
in month order, so adding holdout months (``months_after_as_of``) changes
nothing up to ``as_of``: it only appends later months.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..errors import ParamsError
from ..schema import TABLES
from . import retail, software, telecom
from .engine import Desk, Timeline, concat, to_arrow, to_pandas
from .retail import LATENT_DROPOUTS

__all__ = ["RNG_BLOCK", "SCENARIOS", "Simulation", "simulate", "simulate_to_parquet"]

SCENARIOS = ("telecom", "retail", "software")

#: Customers per random-number block (the unit of determinism, see module doc).
RNG_BLOCK = 2_000

_PREFIX = {"telecom": "T", "retail": "R", "software": "S"}
_SCENARIO_KEY = {"telecom": 1, "retail": 2, "software": 3}
#: The industry module of each scenario (its ``block`` and ``truth`` are looked up at call time).
_INDUSTRY = {"telecom": telecom, "retail": retail, "software": software}


@dataclass
class Simulation:
    """A simulated study: canonical ``tables``, the JSON-serialisable ``ground_truth`` and
    ``latent``: per-customer truths that are not data (retail: ``latent_dropouts``, the
    latent drop-out date that ended each relationship; in memory only, never written)."""

    tables: dict[str, pd.DataFrame]
    ground_truth: dict
    latent: dict[str, pd.DataFrame] = field(default_factory=dict)


def _check_args(scenario, n_customers, seed, as_of, history_months, months_after_as_of) -> dt.date:
    if scenario not in SCENARIOS:
        raise ParamsError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    if int(n_customers) < 1:
        raise ParamsError(f"n_customers must be at least 1, got {n_customers}")
    if int(seed) < 0:
        raise ParamsError(f"seed must be a non-negative integer, got {seed}")
    if int(history_months) < 3:
        raise ParamsError(f"history_months must be at least 3, got {history_months}")
    if int(months_after_as_of) < 0:
        raise ParamsError(f"months_after_as_of must be >= 0, got {months_after_as_of}")
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    if not isinstance(as_of, dt.date):
        raise ParamsError(f"as_of must be a date, got {as_of!r}")
    return as_of


def _block(scenario: str, seed: int, tl: Timeline, b: int, n_customers: int):
    first = b * RNG_BLOCK
    n = min(RNG_BLOCK, n_customers - first)
    key = (_SCENARIO_KEY[scenario], b)
    rs = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*key, 0)))
    rm = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*key, 1)))
    prefix = _PREFIX[scenario]
    ids = np.array([f"{prefix}{i:07d}" for i in range(first + 1, first + n + 1)], dtype=object)
    return _INDUSTRY[scenario].block(rs, rm, tl, n, ids)


def _chunks(scenario, seed, tl, n_customers, chunk_customers):
    """Yield ``(tables, counts)`` per chunk of whole RNG blocks."""
    n_blocks = -(-n_customers // RNG_BLOCK)
    per_chunk = max(1, -(-int(chunk_customers) // RNG_BLOCK))
    for start in range(0, n_blocks, per_chunk):
        parts = [_block(scenario, seed, tl, b, n_customers)
                 for b in range(start, min(start + per_chunk, n_blocks))]
        tables = {name: concat([p[0][name] for p in parts]) for name in (*TABLES, LATENT_DROPOUTS)
                  if name in parts[0][0]}
        counts = {c: sum(p[1][c] for p in parts) for c in parts[0][1]}
        yield tables, counts


def _ground_truth(scenario, seed, n_customers, tl: Timeline, counts: dict) -> dict:
    truth = _INDUSTRY[scenario].truth()
    desk: Desk = truth["desk"]
    return json.loads(json.dumps({
        "scenario": scenario,
        "seed": int(seed),
        "n_customers": int(n_customers),
        "as_of": tl.as_of.isoformat(),
        "history_months": tl.n_history,
        "months_after_as_of": tl.n_months - tl.n_history,
        "data_start": str(np.datetime64(tl.start_day, "D")),
        "data_end": str(np.datetime64(tl.end_day, "D")),
        "save_rate": desk.save_rate,
        "exit_survey_response_rate": truth["survey_rate"],
        "drivers": truth["drivers"],
        **({"competing": truth["competing"]} if "competing" in truth else {}),
        "hazard": truth["hazard"],
        "reason_model": {
            "form": "multinomial logit at the moment of leaving: P(reason) ~ exp(intercept + "
                    "sum(coef x feature)); one uniform per customer drawn up front",
            "features": truth["reason_features"],
            "coefficients": truth["reasons"],
        },
        "offer_model": desk.describe(),
        "planted_counts": counts,
        "rng": {"block_customers": RNG_BLOCK,
                "streams": "SeedSequence(seed, spawn_key=(scenario_key, block, 0=static|1=monthly))",
                "scenario_key": _SCENARIO_KEY[scenario]},
    }))


def simulate(scenario: str, *, n_customers: int, seed: int, as_of: dt.date,
             history_months: int = 36, months_after_as_of: int = 0) -> Simulation:
    """Simulate one industry scenario in memory.

    Parameters
    ----------
    scenario : ``"telecom"``, ``"retail"`` or ``"software"``.
    n_customers : customers in the study (all active at some point of the window).
    seed : non-negative integer; the same arguments always give the same data.
    as_of : the analysis date; the history window is the ``history_months``
        calendar months ending with the month of ``as_of``.
    months_after_as_of : extra holdout months simulated after ``as_of`` (data
        up to ``as_of`` do not depend on it).

    Returns a :class:`Simulation` with the canonical tables of the industry
    (telecom/software: customers, subscriptions, usage, interactions,
    exit_reasons, offers; retail: customers, transactions, interactions,
    exit_reasons, offers) and the ground truth of what was planted.
    """
    as_of = _check_args(scenario, n_customers, seed, as_of, history_months, months_after_as_of)
    tl = Timeline(as_of, int(history_months), int(months_after_as_of))
    chunks = list(_chunks(scenario, int(seed), tl, int(n_customers), n_customers))
    tables, counts = chunks[0]
    latent = {LATENT_DROPOUTS: to_pandas(tables.pop(LATENT_DROPOUTS))} if LATENT_DROPOUTS in tables else {}
    return Simulation({name: to_pandas(cols) for name, cols in tables.items()},
                      _ground_truth(scenario, seed, n_customers, tl, counts), latent)


def simulate_to_parquet(scenario: str, out_dir: Path, *, n_customers: int, seed: int, as_of: dt.date,
                        history_months: int = 36, months_after_as_of: int = 0,
                        chunk_customers: int = 100_000) -> dict[str, Path]:
    """Simulate a scenario straight to ``<out_dir>/<table>.parquet`` with bounded memory.

    Customers are simulated ``chunk_customers`` at a time (rounded up to whole
    blocks of :data:`RNG_BLOCK`) and each chunk is appended as one row group
    per table, so a million customers fit in a few hundred MB. The data are
    identical to :func:`simulate` with the same arguments, whatever
    ``chunk_customers`` is. ``<out_dir>/ground_truth.json`` holds the ground
    truth. Files are written under temporary names and renamed when complete.

    Returns the written paths by table name (plus ``"ground_truth"``).
    """
    as_of = _check_args(scenario, n_customers, seed, as_of, history_months, months_after_as_of)
    if int(chunk_customers) < 1:
        raise ParamsError(f"chunk_customers must be at least 1, got {chunk_customers}")
    tl = Timeline(as_of, int(history_months), int(months_after_as_of))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    paths: dict[str, Path] = {}
    totals: dict[str, int] = {}
    try:
        for tables, counts in _chunks(scenario, int(seed), tl, int(n_customers), chunk_customers):
            tables.pop(LATENT_DROPOUTS, None)  # a truth, not data: in memory only (simulate)
            for name, cols in tables.items():
                table = to_arrow(cols)
                if name not in writers:
                    paths[name] = out_dir / f"{name}.parquet"
                    writers[name] = pq.ParquetWriter(f"{paths[name]}.tmp", table.schema)
                writers[name].write_table(table)
            totals = {c: totals.get(c, 0) + v for c, v in counts.items()}
    finally:
        for w in writers.values():
            w.close()
    for path in paths.values():
        os.replace(f"{path}.tmp", path)
    truth = _ground_truth(scenario, seed, n_customers, tl, totals)
    gt_path = out_dir / "ground_truth.json"
    with open(f"{gt_path}.tmp", "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=2, sort_keys=True)
    os.replace(f"{gt_path}.tmp", gt_path)
    return {**paths, "ground_truth": gt_path}
