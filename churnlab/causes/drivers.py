"""Stage 2, cause analysis: why customers leave (GUIDE §1.4).

Every function takes the customer-level analysis table written by stage 1
(:mod:`churnlab.collect`) plus plain keyword parameters and returns a DataFrame
or a small dataclass; nothing is kept between calls. Statistics come from
statsmodels and scipy; the formulas are given in each docstring.

* :func:`covariates` -- which columns are numeric / categorical covariates;
* :func:`compare_groups` -- churned vs retained, every covariate, with effect
  sizes, confidence intervals and Benjamini-Hochberg adjusted p-values;
* :func:`segment_churn`, :func:`metric_cohorts` -- churn rates by segment and by
  decile of a metric, with Wilson intervals;
* :func:`logistic_drivers` -- a multivariable logistic regression with a VIF
  collinearity screen (odds ratios per 1 SD / vs the most frequent level);

Stated exit reasons are in :mod:`.reasons`, the figures in :mod:`.plots`.

Associations here are not causal effects: churned and retained customers differ
in many ways at once, and the logistic model only adjusts for what is measured.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from ..design import MISSING, OUTCOME_COLUMNS, as_level, covariates, is_categorical  # noqa: F401 (re-exported)
from ..errors import DataError
from ..intervals import wilson

Z95 = stats.norm.isf(0.025)

COMPARE_COLUMNS = ["covariate", "level", "kind", "churned_value", "retained_value", "effect",
                   "effect_ci_low", "effect_ci_high", "effect_kind", "p_value", "p_adjusted"]


# --------------------------------------------------------------------------- helpers

def _check_groups(df: pd.DataFrame, what: str = "the analysis table",
                  outcome: str = "churned") -> pd.Series:
    """The churn flag as bool; DataError unless both churned and retained customers exist."""
    if outcome not in df.columns:
        raise DataError(f"{what} has no {outcome!r} column; cause analysis needs the churn flag")
    y = df[outcome].astype(bool)
    if not y.any():
        raise DataError(f"{what} has no churned customers; cause analysis needs both groups")
    if y.all():
        raise DataError(f"{what} has no retained customers; cause analysis needs both groups")
    return y


# --------------------------------------------------------------------------- group comparison

def compare_groups(df: pd.DataFrame, *, min_count: int = 30, alpha: float = 0.05,
                   numeric: list[str] | None = None,
                   categorical: list[str] | None = None) -> pd.DataFrame:
    """Churned vs retained customers on every covariate (univariate, unadjusted).

    Numeric covariates (one row, ``level`` empty): ``churned_value`` and
    ``retained_value`` are the group means (missing values left out). ``effect`` is
    Hedges' g, the bias-corrected standardised mean difference
    ``g = J·(m_c - m_r)/s_p`` with ``s_p² = ((n_c-1)s_c² + (n_r-1)s_r²)/(n_c+n_r-2)``
    and ``J = 1 - 3/(4N-9)``; its 95% CI is ``g ± 1.96·sqrt(N/(n_c n_r) + g²/(2(N-3.94)))``
    (Hedges & Olkin 1985; Borenstein et al. 2009, ch. 4; statsmodels
    ``effectsize_smd``). p-value: Welch's unequal-variance t-test (scipy).

    Categorical covariates (one row per level with at least ``min_count``
    customers in it and outside it; missing is the level ``(missing)``):
    ``churned_value``/``retained_value`` are the shares of churned / retained
    customers with the level; ``rate_in``/``rate_out`` the churn rates in and
    outside the level. ``effect`` is the rate ratio ``RR = rate_in/rate_out`` with
    the log-method CI ``exp(log RR ± 1.96·sqrt(1/a - 1/n_in + 1/c - 1/n_out))``
    (Katz et al. 1978; statsmodels ``Table2x2``). p-value: Pearson chi-square
    without continuity correction, or Fisher's exact test when an expected cell
    count is below 5.

    ``p_adjusted``: Benjamini-Hochberg (1995) false discovery rate over all rows
    (statsmodels ``multipletests(method='fdr_bh')``). Levels left out for size are
    listed in ``result.attrs['skipped']``. Rows are sorted by ``p_value``.
    """
    from statsmodels.stats.contingency_tables import Table2x2
    from statsmodels.stats.meta_analysis import effectsize_smd
    from statsmodels.stats.multitest import multipletests

    y = _check_groups(df)
    if numeric is None or categorical is None:
        cov = covariates(df)
        numeric = cov["numeric"] if numeric is None else numeric
        categorical = cov["categorical"] if categorical is None else categorical
    z = stats.norm.isf(alpha / 2)
    rows, skipped = [], []
    n_c, n_r = int(y.sum()), int((~y).sum())
    for col in numeric:
        x = pd.to_numeric(df[col], errors="coerce")
        c, r = x[y].dropna().to_numpy(float), x[~y].dropna().to_numpy(float)
        row = {"covariate": col, "level": "", "kind": "numeric", "churned_value": np.nan,
               "retained_value": np.nan, "effect": np.nan, "effect_ci_low": np.nan,
               "effect_ci_high": np.nan, "effect_kind": "smd", "p_value": np.nan}
        if len(c) >= 2 and len(r) >= 2:
            row["churned_value"], row["retained_value"] = c.mean(), r.mean()
            sd_c, sd_r = c.std(ddof=1), r.std(ddof=1)
            if sd_c > 0 or sd_r > 0:
                g, var = effectsize_smd(c.mean(), sd_c, len(c), r.mean(), sd_r, len(r))
                row.update(effect=g, effect_ci_low=g - z * np.sqrt(var),
                           effect_ci_high=g + z * np.sqrt(var),
                           p_value=stats.ttest_ind(c, r, equal_var=False).pvalue)
        rows.append(row)
    for col in categorical:
        lev = as_level(df[col])
        for level in sorted(lev.unique()):
            m = lev.eq(level).to_numpy()
            n_in, n_out = int(m.sum()), int((~m).sum())
            if n_in < min_count or n_out < min_count:
                skipped.append({"covariate": col, "level": level, "customers": n_in,
                                "reason": f"fewer than {min_count} customers in or outside the level"})
                continue
            a, c = int(y[m].sum()), int(y[~m].sum())
            table = np.array([[a, n_in - a], [c, n_out - c]])
            row = {"covariate": col, "level": str(level), "kind": "categorical",
                   "churned_value": a / n_c, "retained_value": (n_in - a) / n_r,
                   "effect_kind": "rate_ratio", "rate_in": a / n_in, "rate_out": c / n_out,
                   "customers": n_in}
            if a > 0 and c > 0:
                t = Table2x2(table)
                lo, hi = t.riskratio_confint(alpha=alpha)
                row.update(effect=t.riskratio, effect_ci_low=lo, effect_ci_high=hi)
            else:
                row.update(effect=(a / n_in) / (c / n_out) if c else np.inf,
                           effect_ci_low=np.nan, effect_ci_high=np.nan)
            expected = stats.contingency.expected_freq(table)
            if (expected < 5).any():
                row["p_value"] = stats.fisher_exact(table).pvalue
            else:
                row["p_value"] = stats.chi2_contingency(table, correction=False).pvalue
            rows.append(row)
    out = pd.DataFrame(rows, columns=COMPARE_COLUMNS[:-1] + ["rate_in", "rate_out", "customers"])
    out["p_adjusted"] = np.nan
    ok = out["p_value"].notna()
    if ok.any():
        out.loc[ok, "p_adjusted"] = multipletests(out.loc[ok, "p_value"], method="fdr_bh")[1]
    out = out[COMPARE_COLUMNS + ["rate_in", "rate_out", "customers"]]
    out = out.sort_values(["p_value", "covariate"], na_position="last").reset_index(drop=True)
    out.attrs["skipped"] = pd.DataFrame(skipped, columns=["covariate", "level", "customers",
                                                          "reason"])
    return out


# --------------------------------------------------------------------------- segments and cohorts

@dataclass
class SegmentResult:
    """Churn rate per segment level (``table``) and the levels left out (``skipped``)."""

    table: pd.DataFrame
    skipped: pd.DataFrame


def _rates(customers, churned) -> dict:
    customers = np.asarray(customers, dtype=int)
    churned = np.asarray(churned, dtype=int)
    lo, hi = wilson(churned, customers)
    return {"customers": customers, "churned": churned, "churn_rate": churned / customers,
            "ci_low": lo, "ci_high": hi}


def segment_churn(df: pd.DataFrame, *, columns: list[str] | str,
                  min_count: int = 30) -> SegmentResult:
    """Churn rate per level of each segment column, with 95% Wilson intervals.

    ``churn_rate = churned / customers``; ``ci_low``/``ci_high`` from statsmodels
    ``proportion_confint(method='wilson')`` (Wilson 1927; Newcombe 1998). Missing
    values form the level ``(missing)``. Levels with fewer than ``min_count``
    customers go to ``skipped`` (column, level, customers, churned, reason) instead:
    their rates are too noisy to compare. Within a column levels are sorted by
    churn rate, highest first.
    """
    y = _check_groups(df)
    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"segment_churn: column(s) {', '.join(missing)} not in the analysis table")
    parts, skipped = [], []
    for col in columns:
        lev = as_level(df[col])
        g = y.groupby(lev, sort=True)
        counts = pd.DataFrame({"customers": g.size(), "churned": g.sum().astype(int)})
        small = counts["customers"] < min_count
        for level, r in counts[small].iterrows():
            skipped.append({"column": col, "level": level, "customers": int(r["customers"]),
                            "churned": int(r["churned"]),
                            "reason": f"{int(r['customers'])} customers < min_count={min_count}"})
        big = counts[~small]
        t = pd.DataFrame({"column": col, "level": big.index.astype(str),
                          **_rates(big["customers"], big["churned"])})
        parts.append(t.sort_values("churn_rate", ascending=False, kind="stable"))
    cols = ["column", "level", "customers", "churned", "churn_rate", "ci_low", "ci_high"]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    return SegmentResult(table=table[cols].reset_index(drop=True),
                         skipped=pd.DataFrame(skipped, columns=["column", "level", "customers",
                                                                "churned", "reason"]))


def metric_cohorts(df: pd.DataFrame, *, column: str, q: int = 10) -> pd.DataFrame:
    """Churn rate by quantile group (default deciles) of a numeric metric.

    Groups from ``pd.qcut(x, q, duplicates='drop')``, so a metric with many tied
    values gets fewer than ``q`` groups; customers with a missing value are left
    out (their number is in ``result.attrs['missing']``). Columns: ``cohort``
    (1 = lowest values), ``low``/``high`` (the interval edges), ``mean`` (of the
    metric), customers, churned, churn_rate and the 95% Wilson interval.
    """
    y = _check_groups(df)
    if column not in df.columns:
        raise DataError(f"metric_cohorts: column {column!r} not in the analysis table")
    x = pd.to_numeric(df[column], errors="coerce")
    ok = x.notna()
    if x[ok].nunique() < 2:
        raise DataError(f"metric_cohorts: {column!r} has fewer than 2 distinct values")
    bins = pd.qcut(x[ok], q, duplicates="drop")
    g = pd.DataFrame({"bin": bins, "x": x[ok], "y": y[ok]}).groupby("bin", observed=True)
    agg = g.agg(customers=("y", "size"), churned=("y", "sum"), mean=("x", "mean"))
    out = pd.DataFrame({"cohort": np.arange(1, len(agg) + 1),
                        "low": [iv.left for iv in agg.index], "high": [iv.right for iv in agg.index],
                        "mean": agg["mean"].to_numpy(),
                        **_rates(agg["customers"], agg["churned"])})
    out.attrs["missing"] = int((~ok).sum())
    out.attrs["column"] = column
    return out


# --------------------------------------------------------------------------- logistic regression

@dataclass
class LogitResult:
    """A multivariable logistic regression of ``churned`` on covariates.

    ``table``: term, odds_ratio (``rate_ratio`` with an exposure offset), ci_low, ci_high,
    p_value, p_adjusted (Holm) (intercept left out);
    ``dropped``: term, reason, vif; ``notes``: what was done, in plain sentences;
    ``model``: the statsmodels results object.
    """

    table: pd.DataFrame
    dropped: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    model: object = None
    regularized: bool = False


def _vif_table(X: pd.DataFrame) -> pd.Series:
    """VIF of every column of ``X`` (an intercept is added), statsmodels' formula."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    exog = np.column_stack([np.ones(len(X)), X.to_numpy(float)])
    # many small least-squares fits: BLAS threads only add contention here
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings(), \
            threadpool_limits(1):
        warnings.simplefilter("ignore")
        v = [variance_inflation_factor(exog, i + 1) for i in range(X.shape[1])]
    v = np.nan_to_num(np.asarray(v, float), nan=np.inf)
    return pd.Series(np.where(v > 1e10, np.inf, v), index=X.columns)


def _dependent_columns(X: pd.DataFrame) -> list[str]:
    """Columns that are exact linear combinations of earlier columns and the intercept
    (infinite VIF), found by adding columns in order and watching the matrix rank."""
    kept, out = [np.ones(len(X))], []
    for col in X.columns:
        trial = np.column_stack(kept + [X[col].to_numpy(float)])
        if np.linalg.matrix_rank(trial) < trial.shape[1]:
            out.append(col)
        else:
            kept.append(X[col].to_numpy(float))
    return out


def logistic_drivers(df: pd.DataFrame, *, numeric: list[str] | None = None,
                     categorical: list[str] | None = None, vif_threshold: float = 5.0,
                     max_levels: int = 12, alpha: float = 0.05,
                     l2_alpha: float = 0.01, outcome: str = "churned", exposure: str | None = None,
                     cluster: str | None = None) -> LogitResult:
    """Logistic regression ``logit P(outcome) = b0 + Σ b_j x_j`` (statsmodels ``Logit``), or,
    with ``exposure``, a binomial model of the monthly churn rate.

    Design:

    * numeric covariates: missing values replaced by the column median **and** a 0/1
      indicator ``<column> (missing)`` added, so the slope is estimated from the observed
      values only and missingness gets its own effect (a column that is 99% imputed no
      longer borrows significance from the fill); then standardised ``(x - mean)/sd``, so
      ``exp(b)`` is per one standard deviation;
    * categorical covariates: one-hot, the most frequent level is the reference
      (missing is the level ``(missing)``); a covariate with more than
      ``max_levels`` levels is dropped;
    * columns that are constant, or dummies that perfectly separate churned from
      retained (every customer with the level churned, or none did), are dropped;
    * collinearity: the variance inflation factor ``VIF_j = 1/(1 - R_j²)``
      (statsmodels ``variance_inflation_factor``, R_j² from regressing column j on
      the others and an intercept) is computed and the column with the highest VIF
      above ``vif_threshold`` dropped, repeatedly, until none is above. Exact
      linear dependencies (infinite VIF, e.g. Telco's "No internet service"
      dummies) are removed first, keeping the earlier column.

    Exposure: customers watched for different lengths of time have different chances to
    churn, so ``exposure`` (months at risk, a column) enters as an offset of a
    complementary log-log model, ``log(-log(1 - P)) = log(exposure) + b0 + Σ b_j x_j``:
    with a constant monthly hazard ``λ = exp(b0 + b'x)``, ``P = 1 - exp(-λ·exposure)``, so
    ``exp(b)`` is the **ratio of monthly churn rates** (column ``rate_ratio``; statsmodels
    ``GLM(Binomial(CLogLog), offset=log exposure)``). Without it the outcome window must be
    the same for everyone (a landmark design: churn within the lead time after a snapshot).

    ``cluster``: a column of groups (customer id when one customer has several rows, as in
    stacked snapshots) for cluster-robust standard errors.

    The model is fitted by maximum likelihood; ratios and Wald 95% CIs are ``exp(b)`` and
    ``exp(b ± 1.96·se)``; ``p_adjusted`` is Holm's step-down adjustment over the terms shown
    (statsmodels ``multipletests(method='holm')``; family-wise error rate, Holm 1979). If the
    fit fails (singular Hessian, perfect separation, no convergence) the model is refitted
    with a small L2 penalty ``l2_alpha`` on the slopes (``GLM(Binomial).fit_regularized(L1_wt=0)``);
    then only the ratios are reported (no CIs or p-values) and the notes say so.
    """
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import (ConvergenceWarning, PerfectSeparationError,
                                                 PerfectSeparationWarning)

    from statsmodels.genmod.families.links import CLogLog
    from statsmodels.stats.multitest import multipletests

    y = _check_groups(df, "the table", outcome)
    if numeric is None or categorical is None:
        cov = covariates(df, exclude=(outcome, exposure or "", cluster or ""))
        numeric = cov["numeric"] if numeric is None else list(numeric)
        categorical = cov["categorical"] if categorical is None else list(categorical)
    notes: list[str] = []
    dropped: list[dict] = []
    cols: dict[str, pd.Series] = {}
    imputed = []
    for col in numeric:
        x = pd.to_numeric(df[col], errors="coerce").astype(float)
        n_miss = int(x.isna().sum())
        if n_miss == len(x):
            dropped.append({"term": col, "reason": "all values missing", "vif": np.nan})
            continue
        if n_miss:
            flag = x.isna().astype(float)
            same = next((k for k in cols if k.endswith(" (missing)") and cols[k].equals(flag)), None)
            outcomes = np.unique(np.asarray(y)[flag.to_numpy(bool)])
            if len(outcomes) < 2:  # an indicator that separates the outcome has no finite estimate
                dropped.append({"term": f"{col} (missing)", "vif": np.nan,
                                "reason": "separates the outcome: every row with a missing value "
                                          f"has outcome {int(outcomes[0])}"})
            elif same is None:  # columns missing together share one indicator
                cols[f"{col} (missing)"] = flag
            x = x.fillna(x.median())
            imputed.append(f"{col} ({n_miss:,}, {n_miss / len(x):.0%})")
        sd = x.std()
        if not sd > 0:
            dropped.append({"term": col, "reason": "constant", "vif": np.nan})
            continue
        cols[col] = (x - x.mean()) / sd
    if imputed:
        notes.append("Missing values were replaced by the column median and a missing-value "
                     "indicator `<column> (missing)` was added, so each slope rests on the observed "
                     "values only: " + ", ".join(imputed) + ".")
    for col in categorical:
        lev = as_level(df[col])
        counts = lev.value_counts()
        if len(counts) < 2:
            dropped.append({"term": col, "reason": "constant", "vif": np.nan})
            continue
        if len(counts) > max_levels:
            dropped.append({"term": col, "reason": f"{len(counts)} levels > max_levels={max_levels}",
                            "vif": np.nan})
            notes.append(f"{col} was left out: it has {len(counts)} levels (more than {max_levels}).")
            continue
        ref = counts.index[0]
        notes.append(f"{col}: reference level is {ref!r} (the most frequent).")
        for level in counts.index[1:]:
            d = lev.eq(level).astype(float)
            term = f"{col}={level}"
            churn_in = y[d.eq(1)]
            if churn_in.all() or not churn_in.any():
                dropped.append({"term": term, "reason": "perfectly separates churned and retained",
                                "vif": np.nan})
                notes.append(f"{term} was dropped: {'all' if churn_in.all() else 'none'} of its "
                             f"{len(churn_in):,} customers churned (perfect separation).")
                continue
            cols[term] = d
    if not cols:
        raise DataError("logistic_drivers: no usable covariates left to model churn")
    ratio = "rate_ratio" if exposure is not None else "odds_ratio"
    X = pd.DataFrame(cols, index=df.index)

    # collinearity: exact linear dependencies first (VIF infinite; the later column of
    # the combination goes), then the highest VIF above the threshold, one at a time
    for col in _dependent_columns(X):
        dropped.append({"term": col, "reason": "VIF infinite: exact linear combination of other "
                        "columns", "vif": np.inf})
        notes.append(f"{col} was dropped for collinearity: it is an exact linear combination of "
                     "other columns (VIF infinite, above the threshold "
                     f"{vif_threshold:g}).")
        X = X.drop(columns=col)
    while X.shape[1] > 1:
        vif = _vif_table(X)
        worst = vif.idxmax()
        if not vif[worst] > vif_threshold:
            break
        shown = "infinite (an exact linear combination of other columns)" if np.isinf(vif[worst]) \
            else f"{vif[worst]:.1f}"
        dropped.append({"term": worst, "reason": f"VIF above {vif_threshold:g}", "vif": vif[worst]})
        notes.append(f"{worst} was dropped for collinearity: its VIF was {shown}, above "
                     f"{vif_threshold:g}; the remaining covariates carry its information.")
        X = X.drop(columns=worst)

    exog = pd.concat([pd.Series(1.0, index=X.index, name="const"), X], axis=1)
    endog = y.astype(float)
    offset = None
    if exposure is not None:
        months = pd.to_numeric(df[exposure], errors="coerce").astype(float)
        if not (months > 0).all():
            raise DataError(f"logistic_drivers: exposure {exposure!r} must be > 0 for every row")
        offset = np.log(months.to_numpy())
    fit_kw = ({"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(df[cluster])[0]}}
              if cluster else {})
    family = Binomial(link=CLogLog()) if exposure is not None else Binomial()
    res, problem = None, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("error", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            with threadpool_limits(1):
                if exposure is not None:
                    res = GLM(endog, exog, family=family, offset=offset).fit(maxiter=200, **fit_kw)
                    res.mle_retvals = {"converged": res.converged}
                else:
                    res = Logit(endog, exog).fit(disp=0, maxiter=200, **fit_kw)
        if not res.mle_retvals.get("converged", True):
            problem = "the maximum-likelihood fit did not converge"
        elif not np.all(np.isfinite(res.bse)):
            problem = "the information matrix is singular"
    except (np.linalg.LinAlgError, PerfectSeparationError, PerfectSeparationWarning,
            ConvergenceWarning) as exc:
        problem = f"the maximum-likelihood fit failed ({type(exc).__name__}: {str(exc)[:80]})"
    regularized = problem is not None
    if regularized:
        pen = np.r_[0.0, np.full(X.shape[1], l2_alpha)]
        res = GLM(endog, exog, family=family, offset=offset).fit_regularized(alpha=pen, L1_wt=0.0)
        notes.append(f"The model was refitted with a small L2 penalty (alpha={l2_alpha:g}) because "
                     f"{problem}; ratios are shrunk slightly toward 1 and no confidence "
                     "intervals or p-values are given.")
        params = pd.Series(np.asarray(res.params), index=exog.columns)
        table = pd.DataFrame({"term": X.columns, ratio: np.exp(params[X.columns]).to_numpy(),
                              "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan})
    else:
        ci = res.conf_int(alpha=alpha)
        table = pd.DataFrame({"term": X.columns, ratio: np.exp(res.params[X.columns]).to_numpy(),
                              "ci_low": np.exp(ci.loc[X.columns, 0]).to_numpy(),
                              "ci_high": np.exp(ci.loc[X.columns, 1]).to_numpy(),
                              "p_value": res.pvalues[X.columns].to_numpy()})
    table["p_adjusted"] = np.nan
    ok = table["p_value"].notna()
    if ok.any():
        table.loc[ok, "p_adjusted"] = multipletests(table.loc[ok, "p_value"], method="holm")[1]
    what = ("Complementary log-log model of the monthly churn rate (offset: log of "
            f"{exposure}), so ratios are ratios of monthly churn rates" if exposure is not None
            else "Logistic regression, so ratios are odds ratios")
    notes.insert(0, f"{what}: {outcome} on {X.shape[1]} terms, {len(X):,} rows ({int(y.sum()):,} "
                 "with the outcome"
                 + (f"; standard errors robust to repeated rows of one {cluster}" if cluster else "")
                 + "). Numeric ratios are per one standard deviation; categorical ones against the "
                 "reference level. `p_adjusted`: Holm's family-wise adjustment over the "
                 f"{int(ok.sum())} terms shown. Associations, not causal effects.")
    table = table.reindex(table[ratio].apply(lambda v: abs(np.log(v)) if v > 0 else np.inf)
                          .sort_values(ascending=False).index).reset_index(drop=True)
    return LogitResult(table=table,
                       dropped=pd.DataFrame(dropped, columns=["term", "reason", "vif"]),
                       notes=notes, model=res, regularized=regularized)
