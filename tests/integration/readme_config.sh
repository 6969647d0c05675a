#!/usr/bin/env bash
# tests/integration/readme_config.sh: README.md must show config/default.toml
# verbatim, between the lines
#   <!-- default.toml begin -->   ```toml   ...   ```   <!-- default.toml end -->
# Prints a diff on mismatch, then "readme-config: N passed, M failed".
# tests/readme_sync.sh rewrites the block from default.toml.
set -uo pipefail
cd "$(dirname "$0")/../.."

exec python3 - README.md config/default.toml <<'PY'
import difflib, sys

readme_path, toml_path = sys.argv[1], sys.argv[2]
BEGIN, END = "<!-- default.toml begin -->", "<!-- default.toml end -->"

def fail(msg):
    print(msg)
    print("readme-config: 0 passed, 1 failed")
    sys.exit(1)

try:
    readme = open(readme_path, encoding="utf-8").read().splitlines(keepends=True)
    want = open(toml_path, encoding="utf-8").read()
except OSError as e:
    fail("readme-config: %s" % e)

starts = [i for i, l in enumerate(readme) if l.rstrip("\r\n") == BEGIN]
ends = [i for i, l in enumerate(readme) if l.rstrip("\r\n") == END]
if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
    fail("readme-config: %s needs exactly one line %r and, after it, one line %r around the default config; "
         "put both lines where the block belongs and run tests/readme_sync.sh to fill it in"
         % (readme_path, BEGIN, END))
block = readme[starts[0] + 1:ends[0]]
if len(block) < 2 or block[0].rstrip("\r\n") != "```toml" or block[-1].rstrip("\r\n") != "```":
    fail("readme-config: the block between the markers in %s must be a ```toml fence; "
         "run tests/readme_sync.sh to rewrite it" % readme_path)
got = "".join(block[1:-1])
if got != want:
    sys.stdout.writelines(difflib.unified_diff(want.splitlines(keepends=True), got.splitlines(keepends=True),
                                               toml_path, readme_path + " (default.toml block)"))
    fail("readme-config: README.md's default.toml block differs from %s; run tests/readme_sync.sh" % toml_path)
print("readme-config: 1 passed, 0 failed")
PY
