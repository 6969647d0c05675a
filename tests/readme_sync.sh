#!/usr/bin/env bash
# tests/readme_sync.sh: rewrites the block of README.md between the lines
# "<!-- default.toml begin -->" and "<!-- default.toml end -->" with
# config/default.toml in a ```toml fence (what tests/integration/readme_config.sh
# checks). Only that block changes. If the markers are missing, says where
# they go and changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - README.md config/default.toml <<'PY'
import os, sys, tempfile

readme_path, toml_path = sys.argv[1], sys.argv[2]
BEGIN, END = "<!-- default.toml begin -->", "<!-- default.toml end -->"
lines = open(readme_path, encoding="utf-8").read().splitlines(keepends=True)
toml = open(toml_path, encoding="utf-8").read()
if not toml.endswith("\n"):
    toml += "\n"
starts = [i for i, l in enumerate(lines) if l.rstrip("\r\n") == BEGIN]
ends = [i for i, l in enumerate(lines) if l.rstrip("\r\n") == END]
if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
    sys.exit("readme_sync: %s needs exactly one line %r followed later by one line %r; "
             "add them where the default config belongs, then run me again" % (readme_path, BEGIN, END))
new = lines[:starts[0] + 1] + ["```toml\n", toml, "```\n"] + lines[ends[0]:]
text = "".join(new)
if text == "".join(lines):
    print("readme_sync: %s already matches %s" % (readme_path, toml_path))
    sys.exit(0)
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(readme_path)), prefix=".README.")
with os.fdopen(fd, "w", encoding="utf-8") as f:
    f.write(text)
os.chmod(tmp, os.stat(readme_path).st_mode & 0o7777)
os.replace(tmp, readme_path)
print("readme_sync: rewrote the default.toml block of %s" % readme_path)
PY
