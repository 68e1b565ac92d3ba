"""Replace the code cells of a notebook, keeping its markdown cells (a maintainer's tool).

Usage: python scripts/nbedit.py NOTEBOOK.ipynb CELLS.py
CELLS.py holds the new code cells separated by lines '# %% [N]' where N is the index of the
cell (in the notebook's cell list) the code replaces; '# %% [N+]' inserts a new code cell after N.
Cells not named are left as they are; code cells named '# %% [N-]' are deleted.
Outputs are stripped; the first replaced cell keeps the 'parameters' tag.
"""

import json
import re
import sys

nb_path, cells_path = sys.argv[1], sys.argv[2]
nb = json.load(open(nb_path, encoding="utf-8"))
text = open(cells_path, encoding="utf-8").read()
parts = re.split(r"^# %% \[(\d+)([+-]?)\]\n", text, flags=re.M)
edits = [(int(parts[i]), parts[i + 1], parts[i + 2].rstrip("\n")) for i in range(1, len(parts), 3)]
cells = nb["cells"]
out = []
inserts: dict[int, list[str]] = {}
replace: dict[int, str] = {}
delete = set()
for idx, mode, src in edits:
    if mode == "+":
        inserts.setdefault(idx, []).append(src)
    elif mode == "-":
        delete.add(idx)
    else:
        replace[idx] = src


def code(src, tags=None):
    c = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": src.splitlines(keepends=True)}
    if tags:
        c["metadata"]["tags"] = tags
    return c


for i, c in enumerate(cells):
    if i in delete:
        continue
    if i in replace:
        out.append(code(replace[i], c.get("metadata", {}).get("tags")))
    else:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [], None
        out.append(c)
    for src in inserts.get(i, []):
        out.append(code(src))
nb["cells"] = out
for i, c in enumerate(nb["cells"]):  # nbformat 4.5: stable, unique cell ids
    c["id"] = f"cell-{i:02d}"
json.dump(nb, open(nb_path, "w", encoding="utf-8"), indent=1, ensure_ascii=False)
open(nb_path, "a", encoding="utf-8").write("\n")
