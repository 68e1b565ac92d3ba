"""The course kit: every exercise accepts its solution and names each anticipated mistake;
editions; the course cells of the stored notebooks; ``churnlab check`` and ``churnlab editions``."""

from __future__ import annotations

import copy
import json
import math

import pandas as pd
import pytest

from churnlab.course import editions, exercises, text
from churnlab.course.cells import COURSE_TAG, with_course_cells
from churnlab.course.exercises import EXERCISES, CourseError, check, check_run, parse_answer, prompt
from churnlab.metrics import store
from churnlab.study import cli

from .conftest import ROOT

#: A run's metrics.json, by hand: every number an exercise needs, chosen so each mistake differs.
METRICS = {
    "data": {"n_customers": 1000, "n_churned": 250, "churn_rate": 0.25, "snapshot_positive_rate": 0.04,
             "median_duration_months": 20.0},
    "causes": {"segment_churn": {"region": {"east": {"customers": 600, "churned": 120, "rate": 0.2},
                                            "west": {"customers": 200, "churned": 80, "rate": 0.4}}},
               "exit_reasons": {"price": 0.5, "service": 0.3, "product": 0.2},
               "top_drivers": ["tenure_months", "n_complaints"]},
    "warning": {"top_decile_lift": 3.0, "calibration": {"event_rate": 0.05}},
    "survival": {"unit": "month", "km": {"median": 30.0},
                 "drivers": {"hazard_ratios": {"complaints": 1.4, "price_rise": 900.0, "senior": 1.01},
                             "p_value": {"complaints": 0.001, "price_rise": 1e-9, "senior": 0.5}},
                 "planted": {"complaints": {"planted_log_hr": 0.5, "log_hr": 0.9},
                             "price_rise": {"planted_log_hr": 1.2, "log_hr": 0.3}}},
    "value": {"currency": "EUR", "horizon_months": 24, "margin_rate": 0.6, "discount_rate": 0.1,
              "discount_period": "year", "clv_mean": 1000.0},
    "retention": {"currency": "EUR", "fix_ranking": [
        {"reason": "price", "roi": None, "investment": None, "value_saved_pv": None},
        {"reason": "service", "roi": 0.5, "investment": 1000.0, "value_saved_pv": 1500.0}]},
    "kpi": {"churn_rate_latest": {"month": 0.02}, "growth_rate_latest": 0.05},
}


class FakeStudy:
    """What a solution cell sees: ``study.exercise(ID)`` and ``res`` (notebooks 01 and 05)."""

    def __init__(self, metrics):
        self.m = metrics

    def exercise(self, exercise_id):
        return prompt(exercise_id, self.m)


class FakeResult:
    collection = type("C", (), {"analysis": pd.DataFrame({"duration": [10.0, 20.0, 30.0]})})()
    rates = {"month": pd.DataFrame({"period": ["2025-11", "2025-12"], "at_start": [90, 100],
                                    "churned": [3, 2], "at_end": [95, 105]})}


def run_solution(exercise_id, metrics):
    scope = {"study": FakeStudy(metrics), "res": FakeResult(), "pd": pd}
    exec(EXERCISES[exercise_id].solution, scope)
    return scope["answer"]


# ------------------------------------------------------------------ the catalogue


def test_every_notebook_has_objectives_and_at_least_three_exercises():
    for nb in ("01", "02", "03", "04", "05"):
        assert len(text.OBJECTIVES[nb]) >= 3
        assert sum(e.notebook == nb for e in EXERCISES.values()) >= 3


def test_every_exercise_has_a_prompt_a_hint_and_a_line_per_mistake():
    for ex in EXERCISES.values():
        assert ex.id in text.PROMPTS and f"hint.{ex.id}" in text.FEEDBACK
        _, mistakes = ex.truth(METRICS)
        for key in mistakes:
            assert f"{ex.id}.{key}" in text.FEEDBACK, (ex.id, key)


# ------------------------------------------------------------------ checking


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_solution_is_accepted(exercise_id):
    answer = run_solution(exercise_id, METRICS)
    fb = check(exercise_id, answer, METRICS)
    assert fb.ok and fb.message == "correct", (answer, fb)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_each_anticipated_mistake_gets_its_own_feedback(exercise_id):
    truth, mistakes = EXERCISES[exercise_id].truth(METRICS)
    assert mistakes, "every exercise anticipates at least one mistake"
    for key, wrong in mistakes.items():
        wrong = wrong[0] if isinstance(wrong, list) else wrong
        fb = check(exercise_id, wrong, METRICS)
        assert fb.verdict == "close" and fb.mistake == key, (key, wrong, fb)
        assert fb.message == "close: " + text.FEEDBACK[f"{exercise_id}.{key}"]


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_anything_else_gets_the_hint(exercise_id):
    ex = EXERCISES[exercise_id]
    wrong = "nobody" if ex.kind == "name" else -123.456
    fb = check(exercise_id, wrong, METRICS)
    assert fb.verdict == "not yet" and fb.message == "not yet: " + text.FEEDBACK[f"hint.{exercise_id}"]


def test_known_answers_by_hand():
    assert EXERCISES["01.1"].truth(METRICS)[0] == 0.25
    assert EXERCISES["02.1"].truth(METRICS)[0] == "west"  # highest rate, though east has more churners
    assert EXERCISES["02.2"].truth(METRICS)[0] == pytest.approx(0.15)
    assert EXERCISES["03.2"].truth(METRICS)[0] == pytest.approx(0.4)  # readable term, not price_rise ×900
    assert EXERCISES["03.3"].truth(METRICS)[0] == "price_rise"
    assert EXERCISES["04.3"].truth(METRICS)[0] == 0.5  # the first fix with an ROI
    # Gold, Fighting Churn with Data: 5% a month is about 46% a year
    assert EXERCISES["05.2"].truth({"kpi": {"churn_rate_latest": {"month": 0.05}}})[0] == pytest.approx(0.4596, abs=1e-4)
    assert EXERCISES["05.3"].truth({})[0] == pytest.approx(0.9)
    # CLV over 2 months, margin 0.5, monthly discount 1%: 50*0.5 + 50*0.5*0.9/1.01
    assert exercises.clv(0.5, 0.01, 2) == pytest.approx(25 + 22.5 / 1.01)
    assert exercises.monthly_discount({"value": {"discount_rate": 0.1, "discount_period": "year"}}) == \
        pytest.approx(1.1 ** (1 / 12) - 1)
    # break-even: 0.3 × s × (1000 − 500) = 10
    assert EXERCISES["04.2"].truth(METRICS)[0] == pytest.approx(10 / 150)


def test_the_issue_example_end_of_month_denominator():
    fb = check("05.1", 0.02 / 1.05, METRICS)
    assert fb.message == "close: you used customers at the end of the month as the denominator; use those at its start"


def test_a_percentage_is_recognised_and_parsed():
    assert check("01.1", 25, METRICS).mistake == "percent"
    assert check("01.1", "25%", METRICS).ok
    assert parse_answer(EXERCISES["04.3"], "1,234.5") == 1234.5


def test_names_ignore_case_and_spaces():
    assert check("02.3", "  Price ", METRICS).ok


@pytest.mark.parametrize("answer", ["abc", True, [1], float("inf")])
def test_an_answer_of_the_wrong_kind_is_one_line(answer):
    with pytest.raises(CourseError) as exc:
        check("01.1", answer, METRICS)
    assert "01.1" in str(exc.value) and "\n" not in str(exc.value)


def test_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(CourseError, match="unknown exercise '9.9'.*01.1"):
        check("9.9", 1, METRICS)


def test_no_answer_yet_and_a_run_without_the_numbers():
    assert check("01.1", None, METRICS).message.startswith("not yet: set `answer`")
    for exercise_id in EXERCISES:
        answer = run_solution(exercise_id, {})  # the solution cell never fails on an empty run
        if exercise_id != "05.3":
            fb = check(exercise_id, answer, {})
            assert fb.verdict == "unavailable" and "cannot be checked" in fb.message, fb


def test_prompts_fill_in_the_run_and_escape_it():
    p = prompt("04.3", METRICS)
    assert "`service`" in p.text and "1,000 EUR" in p.text and p.fields["saved"] == 1500.0
    hostile = copy.deepcopy(METRICS)
    hostile["causes"]["segment_churn"] = {"<script>x</script>": METRICS["causes"]["segment_churn"]["region"]}
    md = prompt("02.1", hostile)._repr_markdown_()
    assert "<script>" not in md


# ------------------------------------------------------------------ notebooks and editions


def stored(name):
    return json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))


NOTEBOOK_FILES = sorted(p.name for p in (ROOT / "notebooks").glob("0[1-5]_*.ipynb"))


@pytest.mark.parametrize("name", NOTEBOOK_FILES)
def test_stored_notebooks_hold_the_current_course_cells(name):
    nb = stored(name)
    assert with_course_cells(nb, name[:2]) == nb, "run: python -m churnlab.course.cells notebooks"
    assert "objectives" in nb["cells"][1]["metadata"]["tags"]  # right after the title
    ids = [c["source"][0] for c in nb["cells"] if "exercise" in c["metadata"].get("tags", [])]
    assert len(ids) >= 3
    course = [c for c in nb["cells"] if COURSE_TAG in c["metadata"].get("tags", [])]
    assert all(not c.get("outputs") for c in course)


def test_editions(tmp_path):
    written = editions.write_editions(ROOT / "notebooks", tmp_path)
    assert [p.name for p in written["student"]] == NOTEBOOK_FILES == [p.name for p in written["instructor"]]
    for name in NOTEBOOK_FILES:
        student = json.loads((tmp_path / "student" / name).read_text())
        instructor = json.loads((tmp_path / "instructor" / name).read_text())
        assert len(student["cells"]) == len(instructor["cells"])
        assert instructor == editions.instructor_notebook(stored(name))  # what the notebook tier runs
        code = "\n".join("".join(c["source"]) for c in student["cells"])
        for ex in (e for e in EXERCISES.values() if e.notebook == name[:2]):
            assert ex.solution not in code
            assert ex.solution in "\n".join("".join(c["source"]) for c in instructor["cells"])
        answers = [c for c in student["cells"] if "answer" in c["metadata"].get("tags", [])]
        assert len(answers) >= 3 and all("".join(c["source"]) == editions.STUDENT_CELL for c in answers)
        assert not any(editions.is_solution(c) for c in student["cells"])
        assert all(c.get("outputs") == [] for nb in (student, instructor) for c in nb["cells"]
                   if c["cell_type"] == "code")


def test_student_answer_cell_leaves_the_check_saying_not_yet():
    scope = {}
    exec(editions.STUDENT_CELL, scope)
    assert check("01.1", scope["answer"], METRICS).verdict == "not yet"


# ------------------------------------------------------------------ the study object and the CLI


def test_study_check(tmp_path):
    from churnlab import open_study

    study = open_study(ROOT / "params" / "telecom.yaml", output_dir=tmp_path / "run")
    store.write_json(study.run_dir / store.FILENAME, METRICS)
    assert study.check("02.1", "west").ok
    assert study.check("02.1", "east").verdict == "close"
    assert study.exercise("03.2").fields["term"] == "complaints"


def test_cli_check(tmp_path, capsys):
    store.write_json(tmp_path / store.FILENAME, METRICS)
    assert cli.main(["check", str(tmp_path), "01.1", "0.25"]) == 0
    assert capsys.readouterr().out.strip() == "01.1: correct"
    assert cli.main(["check", str(tmp_path), "05.1", str(0.02 / 1.05)]) == 1
    assert "end of the month" in capsys.readouterr().out
    assert cli.main(["check", str(tmp_path / "nowhere"), "01.1", "0.25"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "metrics.json" in err[0]
    assert cli.main(["check", str(tmp_path), "01.1", "lots"]) == 2
    assert "expected a number" in capsys.readouterr().err


def test_cli_editions(tmp_path, capsys):
    assert cli.main(["editions", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "student" / NOTEBOOK_FILES[0]).exists()
    assert str(tmp_path / "instructor") in capsys.readouterr().out


def test_check_run_reads_the_folder(tmp_path):
    store.write_json(tmp_path / store.FILENAME, METRICS)
    assert check_run(tmp_path, "03.1", "30").ok
    assert math.isclose(exercises.solution_answer("03.1", METRICS), 30.0)
