"""Design matrices: which columns of a customer table are covariates, and how they enter a model.

* :func:`covariates` -- split the analysis table's columns into numeric and
  categorical covariates, leaving out identifiers, outcomes and the features
  that define churn (used by the cause analysis and the survival models alike).
"""

from __future__ import annotations

import pandas as pd

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
