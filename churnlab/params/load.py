"""Reading and validating params files: every problem becomes one line naming the file and key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..config import SCENARIOS
from ..errors import ParamsError, shown
from .study import StudyParams

_TYPE_WORDS = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping (key: value lines)",
    "list_type": "a list",
    "date_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "date_type": "a date YYYY-MM-DD",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
}


def _describe(err: dict[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (key path, what was expected)."""
    loc = [str(p) for p in err["loc"] if p not in ("simulate", "files", "function-after[_known_tables(), dict[str,TableSource]]")]
    # discriminated unions put the tag in the path; drop pydantic's internal labels
    loc = [p for p in loc if not p.startswith("function-")]
    key = ".".join(loc) or "(top level)"
    typ = err["type"]
    got = err.get("input")
    if typ == "extra_forbidden":
        return key, "unknown key (not a churnlab parameter; check the spelling)"
    if typ == "missing":
        return key, "required key is missing"
    if typ == "literal_error":
        exp = err.get("ctx", {}).get("expected", "")
        return key, f"expected one of {exp}, got {shown(got)}"
    if typ == "union_tag_invalid" or typ == "union_tag_not_found":
        return key + ".kind" if not key.endswith("kind") else key, "expected kind 'simulate' or 'files'"
    if typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = err.get("ctx", {})
        op = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">",
              "less_than": "<"}[typ]
        bound = next(iter(ctx.values()))
        bound = f"{bound:g}" if isinstance(bound, float) else bound
        return key, f"expected a value {op} {bound}, got {shown(got)}"
    if typ in _TYPE_WORDS:
        return key, f"expected {_TYPE_WORDS[typ]}, got {shown(got)}"
    if typ == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        k, _, rest = msg.partition(": ")
        if rest and " " not in k:  # the message starts with a sub-key: join it to the path
            return (f"{key}.{k}" if loc else k), rest
        return key, msg
    if typ == "int_type" and isinstance(got, bool):
        return key, f"expected an integer, got {shown(got)}"
    return key, err["msg"]


def validate_params(data: Any, *, source: str = "params") -> StudyParams:
    """Validate a parameters mapping; raise one :class:`ParamsError` line on failure."""
    if not isinstance(data, dict):
        raise ParamsError(f"{source}: expected a mapping of key: value lines at the top level, "
                          f"got {type(data).__name__}")
    try:
        return StudyParams.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        key, what = _describe(errors[0])
        key = key if len(key) <= 100 else key[:99] + "…"
        what = what if len(what) <= 160 else what[:159] + "…"
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ParamsError(f"{source}: {key}: {what}{more}") from None


#: Most values a params document may hold once its aliases are expanded (:func:`count_values`).
MAX_VALUES = 100_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader with three rules for params files.

    - a key given twice in one mapping is an error (not last-one-wins); keys brought in by a
      merge key ``<<: *defaults`` may be overridden, as YAML intends;
    - keys are plain values: a complex key (``? [a, b]``) is an error at its line;
    - an unquoted date that does not exist (``2024-02-30``) stays the text it was, so the
      validation names its key and the expected format instead of failing inside YAML.
    """

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        own = [k for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"]
        self.flatten_mapping(node)
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be a plain name, got {kind} (a '?' complex key)",
                    key_node.start_mark)
        seen = set()
        for key_node in own:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {shown(key)} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node, deep=False):
        """A value an explicit tag cannot build (``!!bool x``, ``!!int x``) is an error at its line."""
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            what = shown(node.value) if isinstance(node, yaml.ScalarNode) else "a value"
            raise yaml.constructor.ConstructorError(
                None, None, f"{what} cannot be read as {node.tag.rsplit(':', 1)[-1]}",
                node.start_mark) from None

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, AttributeError):  # 2024-02-30, or `!!timestamp x`: validation names the key
            return self.construct_scalar(node)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _UniqueKeyLoader.construct_yaml_timestamp)


def count_values(node: yaml.Node, limit: int = MAX_VALUES) -> int:
    """Values a composed YAML document holds once every alias is expanded (stops past ``limit``).

    An alias bomb (``a: &a [x, x, ...]``, ``b: &b [*a, *a, ...]``, ...) is a few kilobytes of
    text that expands to millions of values; counting on the node graph, where an alias is
    the same node object, costs one pass over the distinct nodes. A node that contains itself
    (``&a [*a]``) counts as more than ``limit``.
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    open_: set[int] = set()
    while stack:
        n, done = stack.pop()
        if id(n) in sizes:
            continue
        kids = ([c for pair in n.value for c in pair] if isinstance(n, yaml.MappingNode)
                else list(n.value) if isinstance(n, yaml.SequenceNode) else [])
        if not done:
            if id(n) in open_:
                return limit + 1  # recursive: infinite once expanded
            open_.add(id(n))
            stack.append((n, True))
            for c in kids:
                if id(c) in open_ and id(c) not in sizes:
                    return limit + 1
                stack.append((c, False))
            continue
        open_.discard(id(n))
        sizes[id(n)] = min(limit + 1, 1 + sum(sizes[id(c)] for c in kids))
    return sizes[id(node)]


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML params file as a dict; one-line :class:`ParamsError` if it can't be.

    Besides syntax, the document may hold at most :data:`MAX_VALUES` values once its
    aliases are expanded, and its keys must be plain names (see :class:`_UniqueKeyLoader`).
    """
    p = Path(path)
    if not p.exists():
        raise ParamsError(f"{p}: params file not found (looked for {p.absolute()})")
    if p.is_dir():
        raise ParamsError(f"{p}: is a folder; expected a YAML params file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamsError(f"{p}: cannot read params file ({exc.__class__.__name__}: "
                          f"{str(exc)[:150]})") from None
    loader = None
    try:
        loader = _UniqueKeyLoader(text)  # the reader refuses control characters here
        node = loader.get_single_node()
        if node is not None and count_values(node) > MAX_VALUES:
            raise ParamsError(f"{p}: the document expands to more than {MAX_VALUES:,} values "
                              "(aliases repeated inside aliases); expected a params file")
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = (getattr(exc, "problem", None) or getattr(exc, "reason", None)
                   or str(exc).splitlines()[0])
        kind = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise ParamsError(f"{p}: {kind}{where}: {problem[:150]}") from None
    except RecursionError:
        raise ParamsError(f"{p}: the document is nested too deeply; expected a params file") from None
    except ValueError as exc:  # any other value YAML cannot build
        raise ParamsError(f"{p}: a value cannot be read ({str(exc)[:150]})") from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        raise ParamsError(f"{p}: params file is empty; expected keys scenario, seed, as_of, churn, source")
    return data


def load_params(path: str | Path) -> StudyParams:
    """Read and validate a params file: the one early check before any notebook runs."""
    return validate_params(read_params_file(path), source=str(path))


def scenario_params_path(name: str) -> Path:
    """The params file of a built-in scenario; :class:`ParamsError` for an unknown name."""
    from ..config import PARAMS_DIR

    if name not in SCENARIOS:
        raise ParamsError(
            f"unknown scenario {shown(name)}: expected one of {', '.join(SCENARIOS)} "
            "(or give your own file with --params FILE)"
        )
    return PARAMS_DIR / f"{name}.yaml"


#: A study name: a plain folder name (letters, digits, ``_`` and ``-``; not hidden, not empty, no dots).
STUDY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
#: Names the output root uses for itself (``lab/``: notebook runs outside the runner; ``index.html``).
RESERVED_NAMES = frozenset({"lab", "index"})


def study_name(params_path: str | Path, name: str | None = None) -> str:
    """The name of a study's output folder: ``name`` if given, else the params file's stem.

    The name becomes ``<out>/<name>/``, which publishing replaces whole, so it
    must be a plain folder name: 1-100 letters, digits, ``_`` or ``-``, starting
    with a letter or digit (so never ``.``, ``..``, hidden, or holding a dot like
    ``index.html``), and not a name the output root uses itself (``lab``,
    ``index``, in any case). Otherwise one :class:`ParamsError` line naming the
    params file and the rule, raised before anything is read or written.
    """
    p = Path(params_path)
    given = name is not None
    value = name if given else p.stem
    if STUDY_NAME.fullmatch(value) and value.lower() not in RESERVED_NAMES:
        return value
    shown = value if len(value) <= 30 else value[:30] + "…"
    where = str(p) if len(str(p)) <= 70 else "…" + str(p)[-69:]
    what = "--name" if given else "study name (from the file name)"
    why = "is reserved" if value.lower() in RESERVED_NAMES else "is not a plain name"
    fix = "choose another --name" if given else "rename the file or give --name NAME"
    raise ParamsError(f"{where}: {what} {shown!r} {why}: expected 1-100 of A-Z a-z 0-9 _ - "
                      f"(first a letter or digit), not lab or index; {fix}")
