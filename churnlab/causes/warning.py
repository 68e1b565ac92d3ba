"""Early warning: who is about to leave, why, and what to do about it.

Supervised churn scoring on the stage-1 tables:

* **snapshots** (``snapshots.parquet``): one row per customer and observation
  date ``s``, features computed from data up to ``s`` only and the label
  ``churn_next`` (churned within the lead time after ``s``). Models are
  validated **in time order**: trained on the earlier dates, tested on the
  latest (:func:`time_split`, :func:`validate`).
* **analysis table** without dates (shape a, e.g. IBM Telco): label
  ``churned``, validated by stratified K-fold (:func:`cross_validate`).

Two models, each fitted once per training set (:func:`fit_models`): an
XGBoost classifier and a standardised logistic regression. The one with the
higher held-out ROC AUC drives the list (:func:`choose_model`); its held-out
scores are calibrated (:mod:`.calibration`) before any money is computed from
them, and AUC and lift get stratified bootstrap intervals (:mod:`.scores`).
Drivers (SHAP) and the list of customers at risk are in :mod:`.warning_list`;
the figures in :mod:`.plots`.

Every function takes DataFrames and keyword parameters and returns a
DataFrame or a small dataclass; random steps take an explicit ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..design import FeatureDesign, dummy_column, model_name, unique_name
from ..errors import DataError
from .calibration import Calibration, calibrate
from .scores import bootstrap_intervals, calibration_table, evaluate, top_decile_lift  # noqa: F401

#: Label / outcome columns: known only after the fact, never a feature.
OUTCOME_COLUMNS = ("churn_next", "churned", "event", "duration", "duration_days", "end_date",
                   "end_reason", "exit_reason", "defected_categories", "n_returns")
#: Identifier and date columns: not features either (dates are also dropped by dtype).
ID_DATE_COLUMNS = ("customer_id", "snapshot_date", "start_date", "signup_date", "last_purchase",
                   "first_purchase")
#: Everything :func:`design_matrix` leaves out by name (plus any ``duration*`` column).
EXCLUDED = OUTCOME_COLUMNS + ID_DATE_COLUMNS

MODEL_NAMES = ("xgboost", "logistic")


def _is_excluded(col: str, extra: tuple[str, ...]) -> bool:
    return col in EXCLUDED or col in extra or col.startswith("duration")


def label_column(df: pd.DataFrame) -> str:
    """``churn_next`` for snapshots, else ``churned`` (analysis table)."""
    for col in ("churn_next", "churned"):
        if col in df:
            return col
    raise DataError("no label column: expected 'churn_next' (snapshots) or 'churned' (analysis table)")


# --------------------------------------------------------------------------- design matrix

def _kind(s: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
        return "date"
    if pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype) \
            or pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
        return "categorical"
    if pd.api.types.is_numeric_dtype(s):
        return "numeric"
    return "other"


#: Averages over a customer's contacts. They are undefined (missing) exactly for
#: customers without contacts, so left missing they would repeat what the
#: contact counts say and take their credit in the driver ranking. They are
#: filled with the average (0 for the unresolved share) for the models.
PER_CONTACT = ("response_hours_mean", "csat_mean", "unresolved_share")


def design_matrix(df: pd.DataFrame, *, exclude: tuple[str, ...] | list[str] = (),
                  max_levels: int = 50) -> tuple[pd.DataFrame, FeatureDesign]:
    """Model inputs from a snapshot or analysis frame: ``(X, design)``.

    * numeric columns as they are (missing stays NaN; XGBoost routes it, the
      logistic baseline imputes the median), except the per-contact averages
      (:data:`PER_CONTACT`), filled for customers without contacts;
    * text / boolean / categorical columns one-hot encoded, one 0/1 column per
      level seen here, named ``<column>_<level>`` (as ``pandas.get_dummies``),
      levels in sorted order so the column order is stable;
    * left out: ids, dates (by dtype and by name), every label or outcome
      column (:data:`OUTCOME_COLUMNS`, any ``duration*``), ``exclude``, and
      categoricals with more than ``max_levels`` levels, and numeric columns
      identical to an earlier one (e.g. all contacts are complaints), all
      listed in ``design.dropped``.

    ``design.transform(new_df)`` gives new rows the same columns (unseen
    levels -> zeros).
    """
    extra = tuple(exclude)
    numeric, levels, dropped = [], {}, {}
    for col in df.columns:
        if _is_excluded(col, extra):
            dropped[col] = "id, date, label or outcome" if col not in extra else "excluded"
            continue
        kind = _kind(df[col])
        if kind == "numeric":
            numeric.append(col)
        elif kind == "categorical":
            seen = sorted(df[col].dropna().astype("string").unique())
            if len(seen) > max_levels:
                dropped[col] = f"{len(seen)} levels (> {max_levels})"
            elif len(seen) == 0:
                dropped[col] = "all missing"
            else:
                levels[col] = [str(v) for v in seen]
        else:
            dropped[col] = f"{kind} column"
    seen_values: dict[int, str] = {}
    for col in list(numeric):  # a column identical to an earlier one says nothing new
        key = int(pd.util.hash_pandas_object(pd.to_numeric(df[col], errors="coerce"),
                                             index=False).sum())
        if key in seen_values and pd.to_numeric(df[col], errors="coerce").equals(
                pd.to_numeric(df[seen_values[key]], errors="coerce")):
            numeric.remove(col)
            dropped[col] = f"identical to {seen_values[key]}"
        else:
            seen_values.setdefault(key, col)
    columns, source, level_of, taken = [], {}, {}, set()
    for col in df.columns:  # original column order; dummies where their column was
        if col in numeric:  # names XGBoost accepts, unique; source maps back to the display name
            name = unique_name(model_name(col), taken)
            taken.add(name)
            columns.append(name)
            source[name] = col
        elif col in levels:
            for level in levels[col]:
                name = unique_name(dummy_column(col, level), taken)
                taken.add(name)
                columns.append(name)
                source[name] = col
                level_of[name] = level
    fill = {}
    for col in numeric:  # per-contact averages: undefined without contacts
        if col in PER_CONTACT:
            values = pd.to_numeric(df[col], errors="coerce")
            fill[col] = 0.0 if col == "unresolved_share" else float(values.mean()) if values.notna().any() else 0.0
    design = FeatureDesign(numeric=numeric, levels=levels, columns=columns, source=source,
                           dropped=dropped, fill=fill, level=level_of)
    return design.transform(df), design


# --------------------------------------------------------------------------- splits and models

@dataclass
class Split:
    """A time-ordered split of snapshots (``embargoed``: earlier dates left out of training
    because their label window reaches into the test window)."""

    train: pd.DataFrame
    test: pd.DataFrame
    train_dates: list[pd.Timestamp]
    test_dates: list[pd.Timestamp]
    embargoed: list[pd.Timestamp] = field(default_factory=list)


def _check_both_classes(y: pd.Series, what: str) -> None:
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        raise DataError(f"{what}: {len(y)} rows with {n_pos} positive label(s); a split needs both "
                        "churners and non-churners (more snapshots, more customers or a longer lead time)")


def time_split(snapshots: pd.DataFrame, *, lead_days: int, test_dates: int = 1) -> Split:
    """Train on the earlier snapshot dates, test on the latest ``test_dates`` dates,
    with an embargo of the lead time between them.

    A training date ``s`` is kept only if its label window ``[s, s + lead_days)``
    ends by the first test date ``t``: ``s + lead_days <= t``. Otherwise its labels
    (who churned up to ``s + lead_days``) would be observed after ``t``, i.e. in the
    window the model is tested on (Lopez de Prado 2018, *Advances in Financial
    Machine Learning*, section 7.4: purging and embargo). The dropped dates are in
    ``split.embargoed``. Raises :class:`DataError` with fewer than 2 snapshot dates,
    when the embargo leaves no training date, or when either side lacks positives
    or negatives.
    """
    if "snapshot_date" not in snapshots or "churn_next" not in snapshots:
        raise DataError("snapshots: expected columns 'snapshot_date' and 'churn_next'")
    dates = sorted(pd.to_datetime(snapshots["snapshot_date"]).dropna().unique())
    if len(dates) < 2:
        raise DataError(f"snapshots: {len(dates)} snapshot date(s); time-ordered validation needs "
                        "at least 2 (set snapshots.count >= 2, or use cross_validate on the analysis table)")
    if not 1 <= test_dates < len(dates):
        raise DataError(f"snapshots: test_dates={test_dates} must be between 1 and {len(dates) - 1} "
                        f"(there are {len(dates)} snapshot dates)")
    test_d = [pd.Timestamp(d) for d in dates[-test_dates:]]
    earlier = [pd.Timestamp(d) for d in dates[:-test_dates]]
    train_d = [d for d in earlier if d + pd.Timedelta(days=lead_days) <= test_d[0]]
    if not train_d:
        raise DataError(f"snapshots: no training date ends its {lead_days}-day label window "
                        f"by the first test date {test_d[0]:%Y-%m-%d} (more snapshots, or a "
                        "spacing of at least the lead time)")
    sd = pd.to_datetime(snapshots["snapshot_date"])
    train = snapshots[sd.isin(train_d)].reset_index(drop=True)
    test = snapshots[sd.isin(test_d)].reset_index(drop=True)
    _check_both_classes(train["churn_next"],
                        f"snapshots, training dates {train_d[0]:%Y-%m-%d}..{train_d[-1]:%Y-%m-%d}")
    _check_both_classes(test["churn_next"],
                        f"snapshots, test dates {test_d[0]:%Y-%m-%d}..{test_d[-1]:%Y-%m-%d}")
    return Split(train, test, train_d, test_d, [d for d in earlier if d not in train_d])


@dataclass
class Models:
    """The two fitted models and the design they were fitted on."""

    xgboost: object
    logistic: object
    design: FeatureDesign
    label: str
    #: mean of the logistic model's (imputed, standardised) training inputs: the
    #: reference point of its SHAP values (:func:`churnlab.causes.warning_list.shap_values`)
    background: np.ndarray | None = None

    def matrix(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` as design columns (a frame that already is a design matrix passes through)."""
        if list(df.columns) == self.design.columns:
            return df
        return self.design.transform(df)

    def predict(self, df: pd.DataFrame, *, model: str = "xgboost") -> np.ndarray:
        """P(churn) per row from ``model`` (``xgboost`` or ``logistic``)."""
        if model not in MODEL_NAMES:
            raise ValueError(f"model must be one of {MODEL_NAMES}, not {model!r}")
        X = self.matrix(df)
        return getattr(self, model).predict_proba(X)[:, 1]


def fit_models(train: pd.DataFrame, *, seed: int, label: str | None = None,
               exclude: tuple[str, ...] = (), n_jobs: int | None = None) -> Models:
    """Fit XGBoost and the logistic baseline once on ``train``.

    ``n_jobs=None`` lets XGBoost use ``OMP_NUM_THREADS`` (the runner sets it
    per parallel study so kernels do not oversubscribe the cores).

    XGBoost: ``XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.05,
    subsample=0.8, colsample_bytree=0.8, tree_method='hist', random_state=seed)``
    on the design matrix with missing values left in.

    Logistic baseline: numeric columns median-imputed then standardised
    ``z = (x - mean) / sd``, one-hot columns as 0/1, L2-penalised logistic
    regression ``P(churn) = 1 / (1 + exp(-(b0 + b'z)))`` (C = 1).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import StandardScaler
    from xgboost import XGBClassifier

    label = label or label_column(train)
    y = train[label].astype(bool).to_numpy()
    _check_both_classes(pd.Series(y), "training rows")
    X, design = design_matrix(train, exclude=exclude)
    if not design.columns:
        raise DataError("training rows: no feature columns left after removing ids, dates and labels")
    xgb = XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.05, subsample=0.8,
                        colsample_bytree=0.8, min_child_weight=1.0, tree_method="hist",
                        n_jobs=n_jobs, random_state=seed, eval_metric="logloss")
    xgb.fit(X, y)
    pre = ColumnTransformer(
        [("num", make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                               StandardScaler()), design.model_numeric),
         ("cat", "passthrough", design.dummies)],
        verbose_feature_names_out=False)
    logit = Pipeline([("prep", pre), ("model", LogisticRegression(C=1.0, max_iter=5000))])
    logit.fit(X, y)
    background = np.asarray(logit.named_steps["prep"].transform(X), dtype=float).mean(axis=0)
    return Models(xgboost=xgb, logistic=logit, design=design, label=label, background=background)


# --------------------------------------------------------------------------- validation

@dataclass
class ValidationResult:
    """Per-model metrics, held-out predictions, the chosen model and its calibration.

    ``metrics``: one row per model, :func:`~.scores.evaluate` columns on the raw
    held-out scores plus ``auc_low, auc_high, lift_low, lift_high`` (stratified
    bootstrap 95% intervals); ``predictions``: ``customer_id`` (and
    ``snapshot_date`` / ``fold``), ``y``, ``p_xgboost``, ``p_logistic`` and
    ``p_calibrated`` (the chosen model's scores, cross-fitted calibrated) for
    every held-out row; ``chosen``: the model that drives the list
    (:func:`choose_model`) and ``choice`` why; ``calibration``: the map from the
    chosen model's scores to probabilities; ``calibrated``: :func:`evaluate` of
    ``p_calibrated`` plus its bootstrap intervals; ``auc_difference``: bootstrap
    95% interval of AUC(xgboost) - AUC(logistic); ``models``: the models whose
    scores and drivers the list uses (time-ordered: fitted on the training
    dates; cross-validation: fitted once on all rows when ``refit``);
    ``fold_models``: the per-fold models of cross-validation.
    """

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    models: Models | None
    note: str
    fold_models: list[Models] = field(default_factory=list)
    chosen: str = "xgboost"
    choice: str = ""
    calibration: Calibration | None = None
    calibrated: dict = field(default_factory=dict)
    auc_difference: tuple[float, float] = (float("nan"), float("nan"))


def choose_model(metrics: pd.DataFrame) -> tuple[str, str]:
    """The model whose held-out ROC AUC is highest, and a sentence saying so.

    The metric is the ROC AUC because the list is used as a ranking (risk tiers
    and campaigns take the top of it) and the probability scale is recalibrated
    afterwards on the same held-out rows (:mod:`.calibration`): a model should not
    win or lose on a miscalibration the calibration removes. On an exact tie the
    logistic regression (the simpler model) wins.
    """
    auc = metrics["roc_auc"]
    order = sorted(MODEL_NAMES, key=lambda m: (-auc[m], m != "logistic"))
    best, other = order
    return best, (f"{best} drives the list: higher held-out ROC AUC ({auc[best]:.3f} vs "
                  f"{auc[other]:.3f} for {other})")


def _finish(pred: pd.DataFrame, models: Models | None, note: str, *, seed: int,
            fold_models: list[Models] | None = None) -> ValidationResult:
    """Metrics, bootstrap intervals, model choice and calibration of held-out predictions."""
    y = pred["y"].to_numpy()
    rows = {m: evaluate(y, pred[f"p_{m}"]) for m in MODEL_NAMES}
    metrics = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
    ci = bootstrap_intervals(y, {m: pred[f"p_{m}"].to_numpy() for m in MODEL_NAMES}, seed=seed)
    metrics = metrics.join(ci.loc[list(MODEL_NAMES)])
    chosen, choice = choose_model(metrics)
    cal = calibrate(y, pred[f"p_{chosen}"], seed=seed)
    pred["p_calibrated"] = cal.held_out
    calibrated = {**evaluate(y, cal.held_out),
                  **bootstrap_intervals(y, {"c": cal.held_out}, seed=seed).loc["c"].to_dict()}
    diff = tuple(float(v) for v in ci.loc["difference", ["auc_low", "auc_high"]])
    return ValidationResult(metrics, pred, models, note, fold_models or [], chosen, choice, cal,
                            calibrated, diff)


def validate(snapshots: pd.DataFrame, *, seed: int, lead_days: int, test_dates: int = 1,
             exclude: tuple[str, ...] = ()) -> ValidationResult:
    """Time-ordered validation on snapshots: fit on earlier dates, score the latest.

    Needs >= 2 snapshot dates and the label horizon ``lead_days`` for the embargo
    (:func:`time_split`); for data without dates use :func:`cross_validate`.
    ``exclude``: features left out of both models (e.g.
    :func:`churnlab.design.leaky_features`). The returned ``models`` are fitted
    once on the training dates; the chosen one's scores are calibrated on the
    test date (:func:`_finish`).
    """
    split = time_split(snapshots, test_dates=test_dates, lead_days=lead_days)
    models = fit_models(split.train, seed=seed, label="churn_next", exclude=exclude)
    X = models.matrix(split.test)
    pred = pd.DataFrame({"snapshot_date": split.test["snapshot_date"].to_numpy(),
                         "customer_id": split.test["customer_id"].to_numpy(),
                         "y": split.test["churn_next"].astype(bool).to_numpy()})
    for m in MODEL_NAMES:
        pred[f"p_{m}"] = models.predict(X, model=m)
    fmt = lambda ds: ", ".join(f"{d:%Y-%m-%d}" for d in ds)  # noqa: E731
    note = (f"time-ordered: trained on {len(split.train):,} rows from {fmt(split.train_dates)}; "
            f"tested on {len(split.test):,} rows from {fmt(split.test_dates)}")
    if split.embargoed:
        note += (f"; {fmt(split.embargoed)} left out of training (embargo: its {lead_days}-day "
                 "label window reaches past the test date)")
    return _finish(pred, models, note, seed=seed)


def cross_validate(analysis: pd.DataFrame, *, seed: int, folds: int = 5, refit: bool = True,
                   exclude: tuple[str, ...] = ()) -> ValidationResult:
    """Stratified K-fold validation for data without dates (label ``churned``).

    Each fold's models are fitted on the other folds and score the held-out
    fold; metrics, the model choice and the calibration use the pooled
    out-of-fold predictions. Folds are shuffled with ``seed``. With ``refit`` the
    models are fitted once more on all rows (``result.models``, for drivers and
    the warning list; the calibration map of the out-of-fold scores is applied to
    its scores).
    """
    from sklearn.model_selection import StratifiedKFold

    if "churned" not in analysis:
        raise DataError("analysis table: expected a 'churned' column")
    y = analysis["churned"].astype(bool).to_numpy()
    n_pos = int(y.sum())
    if min(n_pos, len(y) - n_pos) < folds:
        raise DataError(f"analysis table: {n_pos} churned and {len(y) - n_pos} not churned; "
                        f"{folds}-fold cross-validation needs at least {folds} of each")
    pred = pd.DataFrame({"customer_id": analysis["customer_id"].to_numpy(), "fold": 0, "y": y,
                         "p_xgboost": np.nan, "p_logistic": np.nan})
    fold_models = []
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (tr, te) in enumerate(cv.split(np.zeros(len(y)), y), start=1):
        models = fit_models(analysis.iloc[tr], seed=seed, label="churned", exclude=exclude)
        X = models.matrix(analysis.iloc[te])
        pred.loc[te, "fold"] = k
        for m in MODEL_NAMES:
            pred.loc[te, f"p_{m}"] = models.predict(X, model=m)
        fold_models.append(models)
    final = fit_models(analysis, seed=seed, label="churned", exclude=exclude) if refit else None
    note = f"no dates: stratified {folds}-fold cross-validation"
    return _finish(pred, final, note, seed=seed, fold_models=fold_models)
