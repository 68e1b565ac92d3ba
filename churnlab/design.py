"""Design matrices: which columns of a customer table are covariates, and how they enter a model.

* :func:`covariates` -- split the analysis table's columns into numeric and
  categorical covariates, leaving out identifiers, outcomes and the features
  that define churn (used by the cause analysis and the survival models alike);
* :func:`leaky_features` -- the one rule for features that restate the outcome:
  consequences of churn (:data:`CONSEQUENCES`) and stand-ins for tenure
  (:func:`tenure_proxies`), left out of the cause analysis, the early-warning
  model and the survival models alike;
* :class:`CovariateDesign` -- covariates as columns of a lifelines survival
  model (median-filled numbers, treatment-coded categories ``column=level``);
* :class:`FeatureDesign` -- the feature matrix of the early-warning models
  (numbers as they are, one 0/1 column ``column_level`` per level seen), built
  by :func:`churnlab.causes.warning.design_matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataError
from .schema import DEFINING_FEATURES

#: Columns that are identifiers, outcomes or outcome-derived: never covariates.
OUTCOME_COLUMNS = ("customer_id", "churned", "event", "duration", "duration_days", "end_reason",
                   "exit_reason", "n_returns", "defected_categories")


#: The level that stands for a missing category.
MISSING = "(missing)"


def as_level(s: pd.Series) -> pd.Series:
    """Category labels as text, missing values as the level ``(missing)``."""
    return s.astype("string").fillna(MISSING).astype(str)


def is_categorical(s: pd.Series) -> bool:
    if s.dtype == object or s.dtype == bool or isinstance(s.dtype, (pd.CategoricalDtype,
                                                                    pd.StringDtype)):
        return True
    if pd.api.types.is_bool_dtype(s):
        return True
    # 0/1 integer flags (IBM Telco's SeniorCitizen) are categories, not quantities
    return pd.api.types.is_integer_dtype(s) and s.nunique(dropna=True) <= 2


# --------------------------------------------------------------------------- covariates


def covariates(df: pd.DataFrame, *, exclude: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Split the analysis table's covariates into numeric and categorical.

    Left out: identifiers, dates, the outcome and outcome-derived columns
    (:data:`OUTCOME_COLUMNS`), features that define churn under some definition
    (:data:`churnlab.definitions.DEFINING_FEATURES`: using them would explain churn
    by its own definition) and ``exclude``. Text, bool, category and 0/1 integer
    columns are categorical; other numbers are numeric.

    Returns ``{"numeric": [...], "categorical": [...], "skipped": [...]}`` where
    ``skipped`` lists usable-looking columns that were dropped, as
    ``"column: reason"`` (all missing, constant, or one distinct value per customer).
    """
    numeric, categorical, skipped = [], [], []
    drop = set(OUTCOME_COLUMNS) | set(DEFINING_FEATURES) | set(exclude)
    n = len(df)
    for col in df.columns:
        s = df[col]
        if col in drop or pd.api.types.is_datetime64_any_dtype(s) \
                or isinstance(s.dtype, pd.PeriodDtype):
            continue
        if s.isna().all():
            skipped.append(f"{col}: all values missing")
            continue
        k = s.nunique(dropna=True)
        if k < 2 and not s.isna().any():
            skipped.append(f"{col}: constant ({s.dropna().iloc[0]!r} for every customer)")
            continue
        if is_categorical(s):
            if n > 50 and k == s.notna().sum():
                skipped.append(f"{col}: a different value for every customer (an identifier?)")
                continue
            categorical.append(col)
        elif pd.api.types.is_numeric_dtype(s):
            if k < 2:  # one value plus missing: only missingness varies
                skipped.append(f"{col}: constant apart from missing values")
                continue
            numeric.append(col)
        else:
            skipped.append(f"{col}: unsupported type {s.dtype}")
    return {"numeric": numeric, "categorical": categorical, "skipped": skipped}


#: Consequences of churn, not causes: retention offers go to customers who are already
#: cancelling (the save desk), so offers "predict" churn only because churn caused them.
CONSEQUENCES = ("n_offers", "offer_accepted")


def tenure_proxies(df: pd.DataFrame, columns: list[str], *, duration: str = "duration",
                   threshold: float = 0.85) -> list[str]:
    """Numeric covariates that are (almost) a function of tenure: |Spearman rho|
    with ``duration`` above ``threshold`` (e.g. a lifetime total such as the IBM
    Telco ``TotalCharges`` = monthly charge x tenure). For a churner, tenure is the
    time to churn, so such a column restates the outcome."""
    out = []
    if duration not in df:
        return out
    for col in columns:
        if col not in df or col == duration:
            continue
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) \
                and s.nunique() > 1 and s.notna().sum() > 10:
            rho = s.corr(df[duration], method="spearman")
            if pd.notna(rho) and abs(rho) > threshold:
                out.append(col)
    return out


def leaky_features(analysis: pd.DataFrame, *, duration: str = "duration",
                   threshold: float = 0.85) -> dict[str, str]:
    """Features that restate the outcome, with the reason: ``{column: reason}``.

    One rule for every model of churn (cause analysis, early warning, survival):

    * consequences of churn (:data:`CONSEQUENCES`: retention offers are made
      because a customer was about to leave);
    * tenure stand-ins: numeric columns with |Spearman rho| > ``threshold`` with
      the customer's ``duration`` on the analysis table (:func:`tenure_proxies`).

    Judged once on the analysis table (where ``duration`` is known) and applied by
    name to every frame with the same features (snapshots, current customers).
    """
    out = {c: "consequence of churn (retention offers go to customers about to leave)"
           for c in CONSEQUENCES if c in analysis}
    numeric = [c for c in analysis.columns if c not in out and c not in OUTCOME_COLUMNS
               and not pd.api.types.is_bool_dtype(analysis[c])
               and pd.api.types.is_numeric_dtype(analysis[c])]
    for col in tenure_proxies(analysis, numeric, duration=duration, threshold=threshold):
        out[col] = f"stand-in for tenure (|Spearman rho| with {duration} > {threshold})"
    return out


# --------------------------------------------------------------------------- survival models


@dataclass
class CovariateDesign:
    """How covariates become columns of a lifelines model; :meth:`transform` applies it to new rows.

    Numeric columns: missing values filled with the training median.
    Categorical columns (text, bool, category): one 0/1 column per level except
    the reference, named ``column=level`` (treatment coding against the
    reference level; ``terms`` maps each such model column back to its column and
    level, so names that themselves hold ``=`` stay unambiguous, and a name taken
    twice gets a ``~2`` suffix, see :func:`unique_name`). Columns that are constant in the training rows, or
    identical to an earlier column (e.g. two counts that are always equal), are
    left out (``dropped``): they would make the model unidentifiable.
    """

    numeric: dict[str, float]
    categorical: dict[str, list[str]]
    reference: dict[str, str]
    columns: list[str]
    dropped: list[str]
    terms: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.terms:
            taken: set[str] = set()
            for col in self.numeric:
                name = unique_name(col, taken)
                taken.add(name)
                self.terms[name] = (col, None)
            for col, levels in self.categorical.items():
                for level in levels:
                    name = unique_name(f"{col}={level}", taken)
                    taken.add(name)
                    self.terms[name] = (col, level)

    @classmethod
    def fit(cls, df: pd.DataFrame, covariates: list[str], *,
            reference: dict[str, str] | None = None) -> "CovariateDesign":
        """Learn medians, levels and references from ``df``.

        The reference level of a categorical covariate is ``reference[column]``
        when given, else its most common level.
        """
        reference = dict(reference or {})
        numeric, categorical, ref = {}, {}, {}
        for col in covariates:
            if col not in df:
                raise DataError(f"analysis table: no covariate column {col!r}")
            s = df[col]
            if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
                counts = as_level(df[col]).value_counts()
                base = str(reference.get(col, counts.index[0]))
                if base not in counts.index:
                    base = counts.index[0]
                ref[col] = base
                categorical[col] = sorted(str(v) for v in counts.index if str(v) != base)
            else:
                med = s.median()
                numeric[col] = float(med) if pd.notna(med) else 0.0
        d = cls(numeric, categorical, ref, [], [])
        X = d.all_columns(df)
        const = [c for c in X.columns if X[c].nunique() < 2]
        X = X.drop(columns=const)
        twins = _twin_columns(X)
        d.columns = [c for c in X.columns if c not in twins]
        d.dropped = const + twins
        return d

    def all_columns(self, df: pd.DataFrame) -> pd.DataFrame:
        """Every model column the covariates give for the rows of ``df``, including the ones
        :meth:`fit` leaves out as constant or duplicate."""
        parts, lv = {}, {}
        for name, (col, level) in self.terms.items():
            if level is None:
                parts[name] = df[col].astype(float).fillna(self.numeric[col])
                continue
            if col not in lv:
                lv[col] = as_level(df[col])
            parts[name] = (lv[col] == level).astype(float)
        return pd.DataFrame(parts, index=df.index, columns=list(self.terms))

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """Model columns for the rows of ``df`` (same columns as in the fit)."""
        return self.all_columns(df).reindex(columns=self.columns, fill_value=0.0)

    def source(self, term: str) -> str:
        """The covariate a model column came from (``plan=one_year`` -> ``plan``; a name
        holding ``=`` itself, ``a=b=c``, is looked up, not split)."""
        if term in self.terms:
            return self.terms[term][0]
        return term.split("=", 1)[0] if term not in self.numeric else term


def _twin_columns(X: pd.DataFrame) -> list[str]:
    """Columns identical to an earlier column (checked by a cheap signature, then exactly)."""
    arr = X.to_numpy(dtype=float)
    sig = np.round(np.c_[arr.sum(axis=0), (arr ** 2).sum(axis=0)], 9)
    twins, seen = [], {}
    for j, key in enumerate(map(tuple, sig)):
        match = next((i for i in seen.get(key, []) if np.array_equal(arr[:, i], arr[:, j])), None)
        if match is None:
            seen.setdefault(key, []).append(j)
        else:
            twins.append(X.columns[j])
    return twins


# --------------------------------------------------------------------------- early-warning models


#: Characters XGBoost refuses in feature names, and what a model column name uses instead.
MODEL_NAME_REPLACEMENTS = (("[", "("), ("]", ")"), ("<", "lt"))


def model_name(name: str) -> str:
    """``name`` as a feature name every model accepts: the characters XGBoost refuses
    ('[', ']', '<') replaced (``a[1] < b`` -> ``a(1) lt b``). Display names stay the
    original ones (:attr:`FeatureDesign.source` maps a model column back)."""
    for bad, good in MODEL_NAME_REPLACEMENTS:
        name = name.replace(bad, good)
    return name


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name~2``, ``name~3``, ... : the first not in ``taken`` (two columns whose
    model names coincide, e.g. ``a<b`` and ``altb``, stay two columns)."""
    out, k = name, 1
    while out in taken:
        k += 1
        out = f"{name}~{k}"
    return out


def dummy_column(column: str, level: str) -> str:
    """Name of the 0/1 column of ``column == level`` in a :class:`FeatureDesign`:
    ``<column>_<level>`` (as ``pandas.get_dummies``), passed through :func:`model_name`."""
    return model_name(f"{column}_{level}")


@dataclass
class FeatureDesign:
    """Columns of a fitted feature matrix for the early-warning models (XGBoost and a
    logistic baseline), and the transform that reproduces them
    (built by :func:`churnlab.causes.warning.design_matrix`).

    ``numeric``: numeric columns of the input kept as they are (NaN allowed);
    ``levels``: categorical column -> its levels seen at fit time, in sorted
    order; ``columns``: final column order (model column names, see
    :func:`model_name`); ``source``: model column -> the original feature it came
    from (a dummy's source is its categorical column); ``level``: dummy model
    column -> its level (filled from ``levels`` with :func:`dummy_column` when not
    given); ``dropped``: columns left out and why; ``fill``: the value that
    replaces a missing value of a numeric column.
    """

    numeric: list[str]
    levels: dict[str, list[str]]
    columns: list[str]
    source: dict[str, str]
    dropped: dict[str, str] = field(default_factory=dict)
    fill: dict[str, float] = field(default_factory=dict)
    level: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.level:
            self.level = {dummy_column(col, lv): lv for col, lvs in self.levels.items()
                          for lv in lvs}

    @property
    def dummies(self) -> list[str]:
        """Model columns that are 0/1 indicators of a level."""
        return [c for c in self.columns if c in self.level]

    @property
    def model_numeric(self) -> list[str]:
        """Model columns of the numeric features (their names as the models see them)."""
        return [c for c in self.columns if c not in self.level]

    @property
    def features(self) -> list[str]:
        """Original feature names, in design order."""
        return list(dict.fromkeys(self.source[c] for c in self.columns))

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """The same columns for new rows: ``x = float(value)`` for numeric columns,
        ``x_{col,level} = 1[value == level]`` for each level seen at fit time
        (unseen levels and missing values give all zeros; a numeric column
        absent from ``df`` is all missing)."""
        parts, arrays = {}, {}
        for name in self.columns:
            col = self.source[name]
            if name in self.level:
                if col not in arrays:
                    values = (df[col].astype("string").fillna("\0missing") if col in df  # missing: no level
                              else pd.Series(pd.NA, index=df.index, dtype="string"))
                    arrays[col] = values.to_numpy(dtype=object)
                parts[name] = (arrays[col] == self.level[name]).astype(float)
                continue
            x = (pd.to_numeric(df[col], errors="coerce").astype(float).to_numpy()
                 if col in df else np.full(len(df), np.nan))
            parts[name] = np.where(np.isnan(x), self.fill[col], x) if col in self.fill else x
        return pd.DataFrame(parts, index=df.index, columns=self.columns)


def segment_column(analysis: pd.DataFrame, *, configured: str = "",
                   candidates: list[str] | None = None) -> str | None:
    """The one column a study breaks its results down by (value, cost, KPIs, stated reasons).

    ``value.segment`` from the params when set (it must exist); else the first of
    ``candidates`` -- by default the categorical covariates (:func:`covariates`) -- with
    2 to 8 levels; None when there is none.
    """
    if configured:
        if configured not in analysis:
            raise DataError(f"value.segment: the analysis table has no column {configured!r}")
        return configured
    if candidates is None:
        candidates = covariates(analysis)["categorical"]
    return next((c for c in candidates if c in analysis and 2 <= analysis[c].nunique() <= 8), None)
