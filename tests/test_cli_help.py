"""``churnlab --help`` shows examples that parse, and ``churnlab --version`` the installed version."""

from __future__ import annotations

import shlex
from importlib.metadata import version
from pathlib import Path

import pytest

from churnlab.config import SCENARIOS
from churnlab.study.cli import EXAMPLES, RUN_EXAMPLES, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _help(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def _example_commands(text: str) -> list[list[str]]:
    """The ``churnlab ...`` commands of an examples block, without their comments."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("churnlab ")]
    return [shlex.split(ln.split("  ")[0])[1:] for ln in lines]


def test_help_shows_examples_of_every_command(capsys):
    out = _help(capsys)
    assert "examples:" in out and "--version" in out
    commands = {argv[0] for argv in _example_commands(out)}
    assert commands == {"run", "validate"}
    assert "make lab" in out
    assert "examples:" in _help(capsys, "run")
    assert "churnlab validate" in _help(capsys, "validate")


@pytest.mark.parametrize("argv", _example_commands(EXAMPLES) + _example_commands(RUN_EXAMPLES),
                         ids=" ".join)
def test_every_example_parses_and_names_real_scenarios_and_files(argv):
    args = build_parser().parse_args(argv)
    if args.command == "run":
        assert set(args.scenarios) <= set(SCENARIOS)
        for f in args.params:
            assert f == "my_shop.yaml" or (ROOT / f).is_file(), f
    else:
        assert args.files


def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"churnlab {version('churnlab')}"
