"""The note at the top of each notebook names the study it runs and lists the others
(churnlab.course.switch); ``churnlab run`` writes the run's own params file into it, in its language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from churnlab import i18n
from churnlab.config import PROJECT_ROOT
from churnlab.course.cells import COURSE_TAG
from churnlab.course.switch import DEFAULT_PARAMS, SWITCH_NOTE, shown_path, switch_note, with_switch_note
from churnlab.study.runner import notebook_in_language

from .conftest import ROOT
from .test_course import NOTEBOOK_FILES


def note_of(nb: dict) -> str:
    """The switch note: the one cell tagged ``switch``, right before the parameters cell."""
    tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
    notes = [i for i, t in enumerate(tags) if "switch" in t]
    assert len(notes) == 1 and "parameters" in tags[notes[0] + 1] and COURSE_TAG in tags[notes[0]], tags
    text = "".join(nb["cells"][notes[0]]["source"])
    assert text.startswith(("> **Switch the study**", "> **切换研究**")) and "\n" not in text.strip(), text
    return text


@pytest.mark.parametrize("name", NOTEBOOK_FILES)
def test_stored_notebooks_name_their_default_and_list_the_others(name):
    nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    assert with_switch_note(nb) == nb, "run: python -m churnlab.course.cells"
    note = note_of(nb)
    assert "Switch the study" not in "".join(nb["cells"][0]["source"])  # the title cell stays the same for any study
    assert "runs `params/telecom.yaml`" in note and "`params/retail.yaml`, `params/software.yaml`" in note
    params = "".join(next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))["source"])
    assert 'params_file = "params/telecom.yaml"' in params
    assert '"params/retail.yaml", "params/software.yaml"' in params.splitlines()[0]


def test_the_note_names_the_current_file_and_only_the_others():
    note = switch_note("params/retail.yaml")
    assert "runs `params/retail.yaml`;" in note
    assert re.findall(r"`(params/\w+\.yaml)`", note) == ["params/retail.yaml", "params/telecom.yaml",
                                                           "params/software.yaml"]
    own = switch_note("/data/shop/my_shop.yaml")
    assert "runs `/data/shop/my_shop.yaml`;" in own and own.count("params/") == 3
    assert shown_path(PROJECT_ROOT / "params" / "software.yaml") == "params/software.yaml"
    assert shown_path("params/retail.yaml") == "params/retail.yaml"
    assert switch_note() == SWITCH_NOTE.format(current=DEFAULT_PARAMS,
                                               others="`params/retail.yaml`, `params/software.yaml`")


def test_a_notebook_without_the_note_is_unchanged():
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Title\n\n> **Switch the study** x"}]}
    assert with_switch_note(nb, "params/retail.yaml") == nb   # only the cell tagged switch is the note


def test_the_runner_writes_the_runs_params_file_into_the_note(tmp_path):
    src = ROOT / "notebooks" / NOTEBOOK_FILES[1]
    assert notebook_in_language(src, tmp_path, "en", PROJECT_ROOT / "params" / "telecom.yaml") == src
    assert notebook_in_language(src, tmp_path, "en") == src
    copy = notebook_in_language(src, tmp_path, "en", PROJECT_ROOT / "params" / "retail.yaml")
    assert copy != src and "runs `params/retail.yaml`" in note_of(json.loads(copy.read_text(encoding="utf-8")))
    zh = json.loads(notebook_in_language(src, tmp_path, "zh", PROJECT_ROOT / "params" / "retail.yaml")
                    .read_text(encoding="utf-8"))
    line = note_of(zh)
    assert "`params/retail.yaml`" in line and line.startswith("> **切换研究**") and "`params/telecom.yaml`, `params/software.yaml`" in line
    assert "params_file" in line and not i18n.english_prose(line), line


def test_churnlab_run_executes_the_note_of_its_own_study(fake_runner, monkeypatch, tmp_path):
    """Through the real CLI (kernels faked): the notebook a retail run executes names params/retail.yaml."""
    import churnlab.study.runner as runner
    from churnlab.study import cli

    notes = []

    def execute(src, out, parameters, kernel_log, launched, attempts=3):
        notes.append(note_of(json.loads(Path(src).read_text(encoding="utf-8"))))
        fake_runner.execute(src, out, parameters, kernel_log, launched, attempts)

    monkeypatch.setattr(runner, "_execute", execute)
    assert cli.main(["run", "retail", "--out", str(tmp_path / "out")]) == 0
    assert len(notes) == 5 and all("runs `params/retail.yaml`;" in n for n in notes), notes
    assert not (tmp_path / "out" / "retail" / ".source").exists()  # the notebooks as run are not published
    notes.clear()
    assert cli.main(["run", "telecom", "--lang", "zh", "--out", str(tmp_path / "out")]) == 0
    assert len(notes) == 5 and all(n.startswith("> **切换研究**") and "`params/telecom.yaml`；" in n
                                   for n in notes), notes
