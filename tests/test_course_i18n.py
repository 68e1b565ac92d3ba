"""The course kit in Chinese: every line of churnlab/course/text.py has a zh entry that keeps its fields
and code; prompts, feedback and messages come out in the session's (or the run's) language with names
kept as they are; the course cells and the editions translate; ``churnlab check`` speaks the run's language."""

from __future__ import annotations

import json
import re

import pytest

from churnlab import i18n
from churnlab.course import editions, exercises, text
from churnlab.course.cells import COURSE_TAG, course_cells
from churnlab.course.exercises import EXERCISES, CourseError, Verbatim, check, check_run, prompt, render
from churnlab.metrics import store
from churnlab.study import cli

from .conftest import ROOT
from .test_course import METRICS, NOTEBOOK_FILES

ZH = i18n.catalogue("zh")
CJK = re.compile(r"[\u4e00-\u9fff]")


def course_lines() -> list[str]:
    """Every English line of the course kit (the catalogue keys it needs)."""
    lines = [text.OBJECTIVES_TITLE, text.OBJECTIVES_LEAD, text.EXERCISES_TITLE, text.EXERCISES_LEAD,
             text.NO_ANSWER, text.UNAVAILABLE, text.UNKNOWN, text.BAD_ANSWER, text.BAD_NAME]
    lines += [o for objectives in text.OBJECTIVES.values() for o in objectives]
    lines += list(text.PROMPTS.values()) + list(text.FEEDBACK.values()) + list(text.TIME_UNITS.values())
    return lines


def translation(line: str) -> str | None:
    line = line.strip()
    return ZH.exact.get(line) or next((t.target for t in ZH.templates if t.source == line), None)


def fields(s: str) -> set[str]:
    return set(i18n.FIELD.findall(s))


def code_spans(s: str) -> list[str]:
    return sorted(re.findall(r"`[^`]*`", s))


@pytest.mark.parametrize("line", course_lines())
def test_every_course_line_has_a_chinese_entry_with_its_fields_and_code(line):
    zh = translation(line)
    assert zh is not None, f"no zh entry in churnlab/i18n/zh/course.yaml for {line!r}"
    assert CJK.search(zh), zh
    assert fields(zh) == fields(line), (line, zh)
    assert code_spans(zh) == code_spans(line), (line, zh)
    assert not i18n.english_prose(zh), zh


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_prompts_in_chinese_hold_the_runs_numbers_and_no_english(exercise_id):
    en, zh = prompt(exercise_id, METRICS, "en"), prompt(exercise_id, METRICS, "zh")
    assert zh.fields == en.fields and CJK.search(zh.text)
    assert not i18n.english_prose(zh.text), zh.text
    assert not i18n.english_prose(zh._repr_markdown_()), zh._repr_markdown_()
    for number in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?%?", en.text):   # every number of the English prompt
        assert number in zh.text, (number, zh.text)
    assert "{" not in zh.text, zh.text


def test_time_units_are_words_and_names_stay_as_they_are(monkeypatch):
    assert "单位：月" in prompt("03.1", METRICS, "zh").text
    weeks = dict(METRICS, survival=dict(METRICS["survival"], unit="week"))
    assert "单位：周" in prompt("03.1", weeks, "zh").text
    assert "每年 10.0%" in prompt("04.1", METRICS, "zh").text
    # a column name is pasted as it is, even when the catalogue translates that word elsewhere
    zh = i18n.Catalogue("zh", exact=dict(ZH.exact, region="地区", service="服务"), templates=ZH.templates)
    monkeypatch.setattr(i18n, "catalogue", lambda lang="en": zh if lang == "zh" else i18n.Catalogue("en"))
    assert "`region`" in prompt("02.1", METRICS, "zh").text
    assert "`service`" in prompt("04.3", METRICS, "zh").text
    assert render("{a} and {b}", "zh", a=Verbatim("x"), b=1) == "{a} and {b}".format(a="x", b=1)  # no entry: English


def test_prompt_without_a_language_follows_the_session():
    with i18n.use("zh"):
        assert CJK.search(prompt("05.3", METRICS).text)
        assert CJK.search(check("05.3", 0.9, METRICS).message)
    assert prompt("05.3", METRICS).text == text.PROMPTS["05.3"]       # English again after the block
    assert check("05.3", 0.9, METRICS).message == "correct"


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_feedback_in_chinese_has_the_same_verdicts(exercise_id):
    truth, mistakes = EXERCISES[exercise_id].truth(METRICS)
    answers = [truth, None, "nobody" if EXERCISES[exercise_id].kind == "name" else -123.456]
    answers += [w[0] if isinstance(w, list) else w for w in mistakes.values()]
    for answer in answers:
        en, zh = check(exercise_id, answer, METRICS, "en"), check(exercise_id, answer, METRICS, "zh")
        assert (zh.verdict, zh.mistake, zh.ok) == (en.verdict, en.mistake, en.ok)
        assert CJK.search(zh.message) and not i18n.english_prose(zh.message), zh.message
        assert not i18n.english_prose(zh._repr_markdown_()), zh._repr_markdown_()
    assert check(exercise_id, truth, METRICS, "zh").message == "正确"


def test_messages_in_chinese_keep_the_names():
    fb = check("02.3", "price", {}, "zh")
    assert fb.verdict == "unavailable" and "`causes.exit_reasons`" in fb.message and "02.3" in fb.message
    assert not i18n.english_prose(fb.message)
    with pytest.raises(CourseError) as exc:
        check("01.1", "lots", METRICS, "zh")
    assert "'lots'" in str(exc.value) and "0.031" in str(exc.value) and CJK.search(str(exc.value))
    with pytest.raises(CourseError) as exc:
        check("9.9", 1, METRICS, "zh")
    assert "'9.9'" in str(exc.value) and "01.1" in str(exc.value) and CJK.search(str(exc.value))


def write_run(folder, lang):
    store.write_json(folder / store.FILENAME, METRICS)
    (folder / "manifest.json").write_text(json.dumps({"params": {"lang": lang}}), encoding="utf-8")
    return folder


def test_check_run_speaks_the_runs_language(tmp_path):
    zh_run = write_run(tmp_path, "zh")
    assert exercises.run_language(zh_run) == "zh"
    assert check_run(zh_run, "05.3", "0.9").message == "正确"
    assert check_run(zh_run, "05.3", "0.9", lang="en").message == "correct"
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert exercises.run_language(tmp_path) == "en"
    (tmp_path / "manifest.json").write_text(json.dumps({"params": {"lang": "xx"}}), encoding="utf-8")
    assert exercises.run_language(tmp_path) == "en"


def test_cli_check_on_a_chinese_run(tmp_path, capsys):
    write_run(tmp_path, "zh")
    assert cli.main(["check", str(tmp_path), "05.1", str(0.02 / 1.05)]) == 1
    out = capsys.readouterr().out.strip()
    assert out == "05.1: 接近了：你用月末客户数作分母；应使用月初客户数"


@pytest.mark.parametrize("notebook", ["01", "02", "03", "04", "05"])
def test_course_cells_translate_whole(notebook):
    objectives, cells = course_cells(notebook)
    for cell in [objectives] + [c for c in cells if c["cell_type"] == "markdown"]:
        source = "".join(cell["source"])
        zh = ZH.markdown(source)
        assert not i18n.english_prose(zh), zh
        assert zh.splitlines()[0].startswith(("### ", "## ")), zh   # the heading keeps its level


def test_chinese_editions(tmp_path):
    written = editions.write_editions(ROOT / "notebooks", tmp_path, lang="zh")
    assert [p.name for p in written["student"]] == NOTEBOOK_FILES
    for name in NOTEBOOK_FILES:
        stored = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        student = json.loads((tmp_path / "student" / name).read_text(encoding="utf-8"))
        instructor = json.loads((tmp_path / "instructor" / name).read_text(encoding="utf-8"))
        assert not any(editions.is_solution(c) for c in student["cells"])
        code = "\n".join("".join(c["source"]) for c in student["cells"])
        assert not any(ex.solution in code for ex in EXERCISES.values() if ex.notebook == name[:2])
        for edition in (student, instructor):
            assert edition["metadata"]["churnlab_lang"] == "zh"
            for before, after in zip(stored["cells"], edition["cells"]):
                if after["cell_type"] == "code":
                    continue
                source = "".join(before["source"])
                translated = "".join(after["source"])
                if COURSE_TAG in after["metadata"].get("tags", []):
                    assert not i18n.english_prose(translated), (name, translated)
                if i18n.catalogue("zh").markdown(source) != source:   # cells the catalogue has translate
                    assert translated != source


def test_cli_editions_in_chinese(tmp_path, capsys):
    assert cli.main(["editions", "--lang", "zh", "--out", str(tmp_path)]) == 0
    nb = json.loads((tmp_path / "student" / NOTEBOOK_FILES[0]).read_text(encoding="utf-8"))
    objectives = next(c for c in nb["cells"] if "objectives" in c["metadata"].get("tags", []))
    assert "".join(objectives["source"]).startswith("### 学习目标")
    assert str(tmp_path / "student") in capsys.readouterr().out
