"""Compare two metrics.json files: list every value that differs (a maintainer's check).

Usage: python scripts/compare_metrics.py OLD.json NEW.json [--rtol 1e-9]
Exit 0 when no value differs beyond rtol (renamed keys are listed as missing/added).
"""

import json
import math
import sys


def flat(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}."))
    elif isinstance(d, list) and d and isinstance(d[0], dict):
        for i, v in enumerate(d):
            out.update(flat(v, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = d
    return out


def main(argv):
    rtol = float(argv[argv.index("--rtol") + 1]) if "--rtol" in argv else 1e-9
    a, b = (flat(json.load(open(p))) for p in argv[:2])
    bad = 0
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k, "<missing>"), b.get(k, "<missing>")
        same = x == y or (isinstance(x, float) and isinstance(y, float)
                          and math.isclose(x, y, rel_tol=rtol, abs_tol=1e-12))
        if not same:
            bad += 1
            print(f"{k}: {x!r} -> {y!r}")
    print(f"{bad} of {len(set(a) | set(b))} values differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
