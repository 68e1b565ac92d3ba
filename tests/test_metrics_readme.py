"""The README's "`metrics.json` keys" table agrees with the section models (churnlab.metrics.sections).

Every key the table documents is a field of a section model, and every field of
every section model is documented: by its own row, or by a row of a key above
it (``survival.km`` documents ``survival.km.median``); a field holding a model
is documented when all of that model's fields are. A key cell lists keys in
backticks; ``.name`` is a sibling of the key before it (``survival.sbg.alpha``,
``.beta``).
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from churnlab.metrics import SECTIONS

README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = "### `metrics.json` keys"


def documented_keys(text: str) -> list[str]:
    """The keys of the table under :data:`HEADING`, in order, with ``.name`` shorthands expanded."""
    start = text.index(HEADING)
    keys, previous = [], None
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        if not line.startswith("|") or line.startswith("|---") or line.startswith("| key "):
            continue
        cell = line.split("|")[1]
        for key in re.findall(r"`([^`]+)`", cell):
            if key.startswith("."):
                assert previous is not None, f"{key!r} has no key before it: {line}"
                key = previous.rsplit(".", 1)[0] + key
            keys.append(key)
            previous = key
    return keys


def _model(annotation) -> type[BaseModel] | None:
    """The model of an ``Optional[Model]`` field (maps and lists of models are not walked into)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (dict, list):
        return None
    return next((m for m in map(_model, typing.get_args(annotation)) if m is not None), None)


def resolves(key: str) -> bool:
    """Whether ``section.field[.field...]`` names a field of the section models."""
    section, *fields = key.split(".")
    model = SECTIONS.get(section)
    if model is None or not fields:
        return False
    for name in fields:
        if model is None or name not in model.model_fields:
            return False
        model = _model(model.model_fields[name].annotation)
    return True


def leaf_fields(model: type[BaseModel], prefix: str) -> list[str]:
    """The fields of ``model`` as dotted keys, a field holding a model replaced by that model's fields."""
    out = []
    for name, field in model.model_fields.items():
        inner = _model(field.annotation)
        out += leaf_fields(inner, f"{prefix}.{name}") if inner is not None else [f"{prefix}.{name}"]
    return out


@pytest.fixture(scope="module")
def keys() -> list[str]:
    return documented_keys(README.read_text(encoding="utf-8"))


def test_the_table_is_found_and_has_rows(keys):
    assert len(keys) > 50
    assert "retention.break_even_save_rate" in keys and "retention.break_even_accept_rate" not in keys


def test_every_documented_key_is_a_field(keys):
    assert [k for k in keys if not resolves(k)] == []


def test_every_field_is_documented(keys):
    documented = set(keys)

    def covered(path: str) -> bool:
        parts = path.split(".")
        return any(".".join(parts[:i]) in documented for i in range(2, len(parts) + 1))

    missing = [p for name, model in SECTIONS.items() for p in leaf_fields(model, name) if not covered(p)]
    assert missing == []


def test_the_parser_expands_siblings_and_rejects_unknown_keys():
    text = (f"{HEADING}\n\n| key | meaning |\n|---|---|\n"
            "| `survival.sbg.alpha`, `.beta` | x |\n| `data.n_customers` | y |\n\n## Next\n| `kpi.x` | z |\n")
    assert documented_keys(text) == ["survival.sbg.alpha", "survival.sbg.beta", "data.n_customers"]
    assert resolves("survival.sbg.beta") and resolves("survival.km")
    assert not resolves("survival.km.survival.12")      # inside a map: not a field
    assert not resolves("retention.break_even_accept_rate") and not resolves("survival") and not resolves("x.y")
