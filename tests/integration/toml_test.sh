#!/usr/bin/env bash
# tests/integration/toml_test.sh: runs the toml-test suite (TOML 1.0.0 cases)
# against `$SLUICE_BIN config decode`.
#
# Every case listed in $SLUICE_SHARED/toml-test/files-toml-1.0.0 runs: a
# valid/X.toml must exit 0 and print JSON equal to valid/X.json under the
# suite's rules (integers and floats compared as numbers, nan equal to nan,
# date-times compared as instants or as local values, so 'z'/'Z', ' '/'T'
# and trailing fractional zeros do not matter); an invalid/X.toml must exit
# 1. Prints one line per failure, then "toml-test: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
SLUICE_SHARED=${SLUICE_SHARED:-$(cd .. && pwd)/shared}
SLUICE_BIN=${SLUICE_BIN:-$PWD/build/sluice}
suite=$SLUICE_SHARED/toml-test
if [ ! -f "$suite/files-toml-1.0.0" ]; then
  echo "toml-test: suite not found at $suite (set SLUICE_SHARED)"
  echo "toml-test: 0 passed, 1 failed"
  exit 1
fi

exec python3 - "$suite" "$SLUICE_BIN" <<'PY'
import concurrent.futures, datetime, json, math, os, re, shlex, subprocess, sys

suite, binary = sys.argv[1], sys.argv[2]
cmd = shlex.split(binary) + ["config", "decode"]

DT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?$")
DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$")

def frac_ns(f):
    return int((f or "").ljust(9, "0")[:9] or "0")

def norm_scalar(t, v):
    """Maps a tagged value to something == compares the way toml-test does."""
    if t == "integer":
        return int(v)
    if t == "float":
        s = v.lstrip("+")
        if s in ("nan", "-nan"):
            return "nan"
        return float(s)
    if t in ("datetime", "datetime-local"):
        m = DT.match(v)
        if not m:
            raise ValueError("bad %s %r" % (t, v))
        y, mo, d, h, mi, s, f, off = m.groups()
        days = datetime.date(int(y), int(mo), int(d)).toordinal()
        secs = days * 86400 + int(h) * 3600 + int(mi) * 60 + int(s)
        if t == "datetime":
            if off is None:
                raise ValueError("offset date-time without offset %r" % v)
            if off not in ("Z", "z"):
                sign = -1 if off[0] == "-" else 1
                secs -= sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
        elif off is not None:
            raise ValueError("local date-time with offset %r" % v)
        return (secs, frac_ns(f))
    if t == "date-local":
        m = DATE.match(v)
        if not m:
            raise ValueError("bad date %r" % v)
        return tuple(int(x) for x in m.groups())
    if t == "time-local":
        m = TIME.match(v)
        if not m:
            raise ValueError("bad time %r" % v)
        h, mi, s, f = m.groups()
        return (int(h), int(mi), int(s), frac_ns(f))
    return v

def is_tagged(x):
    return (isinstance(x, dict) and set(x) == {"type", "value"}
            and isinstance(x["type"], str) and isinstance(x["value"], str))

def diff(want, got, path="$"):
    """Returns None if equal, else a short description of the first difference."""
    if is_tagged(want):
        if not is_tagged(got):
            return "%s: want %s value, got %s" % (path, want["type"], json.dumps(got)[:80])
        if want["type"] != got["type"]:
            return "%s: want type %s, got %s" % (path, want["type"], got["type"])
        try:
            a, b = norm_scalar(want["type"], want["value"]), norm_scalar(got["type"], got["value"])
        except (ValueError, OverflowError) as e:
            return "%s: %s" % (path, e)
        if a != b:
            return "%s: want %r, got %r" % (path, want["value"], got["value"])
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or is_tagged(got):
            return "%s: want a table, got %s" % (path, json.dumps(got)[:80])
        if set(want) != set(got):
            return "%s: keys differ: missing %s, extra %s" % (
                path, sorted(set(want) - set(got)), sorted(set(got) - set(want)))
        for k in want:
            d = diff(want[k], got[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(want, list):
        if not isinstance(got, list):
            return "%s: want an array, got %s" % (path, json.dumps(got)[:80])
        if len(want) != len(got):
            return "%s: want %d elements, got %d" % (path, len(want), len(got))
        for i, (a, b) in enumerate(zip(want, got)):
            d = diff(a, b, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if want == got else "%s: want %r, got %r" % (path, want, got)

def run(case):
    with open(os.path.join(suite, case), "rb") as f:
        data = f.read()
    try:
        p = subprocess.run(cmd, input=data, capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return "%s: timed out" % case
    except OSError as e:
        return "%s: cannot run %s: %s" % (case, cmd[0], e)
    err = p.stderr.decode("utf-8", "replace").strip().splitlines()
    err = err[0] if err else ""
    if case.startswith("invalid/"):
        if p.returncode == 1:
            return None
        if p.returncode < 0:
            return "%s: killed by signal %d" % (case, -p.returncode)
        return "%s: exit %d, want 1 (accepted invalid TOML)" % (case, p.returncode)
    if p.returncode != 0:
        return "%s: exit %d, want 0: %s" % (case, p.returncode, err)
    try:
        got = json.loads(p.stdout)
    except ValueError as e:
        return "%s: output is not JSON: %s" % (case, e)
    with open(os.path.join(suite, case[:-5] + ".json"), "rb") as f:
        want = json.load(f)
    d = diff(want, got)
    return "%s: %s" % (case, d) if d else None

with open(os.path.join(suite, "files-toml-1.0.0")) as f:
    cases = [l.strip() for l in f if l.strip().endswith(".toml")]
with concurrent.futures.ThreadPoolExecutor(max_workers=(os.cpu_count() or 1) * 2) as ex:
    results = list(ex.map(run, cases))
failed = [r for r in results if r]
for r in failed:
    print(r)
print("toml-test: %d passed, %d failed" % (len(cases) - len(failed), len(failed)))
sys.exit(1 if failed else 0)
PY
