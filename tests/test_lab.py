"""Analysts in JupyterLab: the notebooks' defaults, the project kernel, ``make lab``, and a live server.

* Each notebook's parameters cell, run as it is stored, opens exactly the study of
  ``params/telecom.yaml`` (KPI targets and quarterly sBG cohorts included): one source of defaults.
* The notebooks ask for the kernel the set-up installs (``churnlab``, "churnlab (project .venv)").
* ``make lab`` listens on 127.0.0.1, serves the project root, and passes ``--allow-root`` as root.
* Notebook tier: JupyterLab on a free port with a token serves a copy of the project; each
  stored notebook is read through the contents API and executed with its defaults on a kernel
  started through the REST API (cells sent over the kernel's websocket); no cell errors; the
  server is stopped.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from churnlab import open_study
from churnlab.config import NOTEBOOKS
from churnlab.params import load_params

ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "churnlab"
KERNEL_DISPLAY = "churnlab (project .venv)"


def _notebook(name: str, root: Path = ROOT) -> dict:
    return json.loads((root / "notebooks" / name).read_text(encoding="utf-8"))


def _parameters_cell(nb: dict) -> str:
    (cell,) = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    return "".join(cell["source"])


# ---------------------------------------------------------------- defaults and kernel
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_notebook_opened_with_its_defaults_resolves_exactly_the_telecom_params(name, tmp_path):
    ns: dict = {}
    exec(_parameters_cell(_notebook(name)), ns)  # what the kernel runs first in JupyterLab
    study = open_study(ns["params_file"], output_dir=str(tmp_path / "run"), injected=ns)
    telecom = load_params(ROOT / "params" / "telecom.yaml")
    assert study.params_file == (ROOT / "params" / "telecom.yaml").resolve()
    assert study.params == telecom
    assert study.params.kpi.targets, "the scorecard would say 'no target' for every KPI"
    assert study.params.survival.cohort_period == "quarter"


def test_the_parameters_cell_switches_the_study_in_one_line():
    for name in NOTEBOOKS:
        nb = _notebook(name)
        lines = [ln for ln in _parameters_cell(nb).splitlines() if ln.strip()]
        assert [ln.split("=")[0].strip() for ln in lines] == ["params_file", "output_dir"]
        at = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c["metadata"].get("tags", []))
        note = "".join(nb["cells"][at - 1]["source"])  # the cell right above says how to switch
        assert "params_file" in note and "switch" in nb["cells"][at - 1]["metadata"]["tags"], name


def test_the_notebooks_ask_for_the_kernel_the_set_up_installs():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    install = f'ipykernel install --sys-prefix --name {KERNEL_NAME} --display-name "{KERNEL_DISPLAY}"'
    assert install in make
    for name in NOTEBOOKS:
        spec = _notebook(name)["metadata"]["kernelspec"]
        assert (spec["name"], spec["display_name"]) == (KERNEL_NAME, KERNEL_DISPLAY), name


def _make_lab_command(euid_zero: bool) -> str:
    # ALLOW_ROOT is computed from `id -u`; override it to check both cases without changing users
    over = [] if euid_zero else ["ALLOW_ROOT="]
    out = subprocess.run(["make", "-n", "lab", *over], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    (line,) = [ln for ln in out.replace("\\\n", " ").splitlines() if "jupyter lab" in ln]
    return line


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_listens_on_localhost_at_the_project_root_and_runs_as_root():
    line = _make_lab_command(euid_zero=True)
    assert "--ServerApp.ip=127.0.0.1" in line
    assert re.search(r'--ServerApp\.root_dir="?' + re.escape(str(ROOT)) + r'"?(\s|$)', line), line
    assert ("--allow-root" in line) == (os.geteuid() == 0)
    assert "--allow-root" not in _make_lab_command(euid_zero=False)


# ---------------------------------------------------------------- a live JupyterLab
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1 (token auth), started and stopped by the test."""

    def __init__(self, root: Path, home: Path):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        prefix = home / "kernel-prefix"  # the project kernel, installed as `make` installs it
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix),
                        "--name", KERNEL_NAME, "--display-name", KERNEL_DISPLAY],
                       check=True, capture_output=True)
        env = {**os.environ, "CHURNLAB_ROOT": str(root), "JUPYTER_PATH": str(prefix / "share" / "jupyter"),
               "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
               "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "MPLBACKEND": "agg"}
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = open(home / "lab.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready(home / "lab.log")

    def _wait_ready(self, log: Path, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                if self.get("api/status").status_code == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"JupyterLab did not start in {timeout} s: {log.read_text(errors='replace')[-3000:]}")

    def _url(self, path: str) -> str:
        return f"{self.base}/{path}"

    def get(self, path: str):
        import requests

        return requests.get(self._url(path), headers={"Authorization": f"token {self.token}"}, timeout=30)

    def post(self, path: str, body: dict):
        import requests

        return requests.post(self._url(path), json=body, headers={"Authorization": f"token {self.token}"},
                             timeout=60)

    def delete(self, path: str):
        import requests

        return requests.delete(self._url(path), headers={"Authorization": f"token {self.token}"}, timeout=30)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _message(code: str, session: str) -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "username": "test",
                       "session": session, "date": datetime.now(timezone.utc).isoformat(), "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}


def _run_cells(lab: Lab, kernel_id: str, cells: list[str], timeout: float = 600) -> list[dict]:
    """Send each cell to the kernel over its websocket; return the errors (empty when all ran)."""
    import websocket

    ws = websocket.create_connection(f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel_id}/channels",
                                     header=[f"Authorization: token {lab.token}"], timeout=timeout)
    session, errors = uuid.uuid4().hex, []
    try:
        for i, code in enumerate(cells):
            msg = _message(code, session)
            ws.send(json.dumps(msg))
            reply = None
            while reply is None:
                m = json.loads(ws.recv())
                if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
                    continue
                if m["msg_type"] == "error":
                    errors.append({"cell": i, "ename": m["content"]["ename"], "evalue": m["content"]["evalue"]})
                if m["msg_type"] == "execute_reply":
                    reply = m["content"]
            if reply["status"] != "ok":
                errors.append({"cell": i, "status": reply["status"], "ename": reply.get("ename")})
                break
    finally:
        ws.close()
    return errors


@pytest.fixture
def lab(tmp_path):
    root = tmp_path / "project"  # the project's notebooks and params; outputs go under it
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "params", root / "params")
    (root / "outputs").mkdir()
    server = Lab(root, tmp_path / "jupyter")
    yield server
    server.stop()
    assert server.proc.returncode is not None


@pytest.mark.notebooks
def test_jupyterlab_runs_every_stored_notebook_with_its_defaults(lab):
    listing = {item["name"] for item in lab.get("api/contents/").json()["content"]}
    assert {"notebooks", "params", "outputs"} <= listing  # opened at the project root
    assert KERNEL_NAME in lab.get("api/kernelspecs").json()["kernelspecs"]
    probe = lab.post("api/kernels", {"name": KERNEL_NAME}).json()  # the check sees a failing cell
    try:
        assert [e["ename"] for e in _run_cells(lab, probe["id"], ["x = 1", "1 / 0", "x"])] == [
            "ZeroDivisionError", "ZeroDivisionError"]  # reported once as output, once as the reply
    finally:
        lab.delete(f"api/kernels/{probe['id']}")
    for name in NOTEBOOKS:
        nb = lab.get(f"api/contents/notebooks/{name}").json()["content"]
        kernel = lab.post("api/kernels", {"name": nb["metadata"]["kernelspec"]["name"],
                                          "path": "notebooks"}).json()
        try:
            cells = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                     for c in nb["cells"] if c["cell_type"] == "code"]
            assert _run_cells(lab, kernel["id"], cells) == [], name
        finally:
            assert lab.delete(f"api/kernels/{kernel['id']}").status_code == 204
    done = lab.get("api/contents/outputs/lab/telecom").json()["content"]
    assert "metrics.json" in {item["name"] for item in done}  # the defaults' study, in outputs/lab/
    m = json.loads(lab.get("api/contents/outputs/lab/telecom/metrics.json?format=text&type=file").json()["content"])
    assert m["survival"]["sbg"]["period"] == "quarter"  # as params/telecom.yaml says
    statuses = {row["status"] for row in m["kpi"]["scorecard"]}
    assert statuses - {"no target"}, "every KPI scored 'no target': the Lab run missed the telecom targets"
