#!/usr/bin/env bash
# The documentation job: build the site with warnings as errors from a `statlearn reproduce` output
# folder, then open it in Debian's headless chromium (tests/docs/test_site.py, which may not skip
# here: STATLEARN_DOCS_REQUIRED=1).
#
#   bash .ci/docs.sh REPRODUCE_OUT [VENV]
#
# REPRODUCE_OUT is the --out folder of the quick run CI has just made (its <name>/checks.json and
# figures fill the gallery). VENV is a virtual environment to use (default .ci-venv-docs, created
# if absent); the docs and test extras are installed into it. Installs chromium with apt-get when
# it is missing (CI runs as root). Prints the time of the build and of the whole job.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: bash .ci/docs.sh REPRODUCE_OUT [VENV]}"
venv="${2:-.ci-venv-docs}"
t0=$(date +%s)
if [ ! -d "$out" ]; then
  echo "docs: no reproduce output folder at $out" >&2
  exit 2
fi
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -e ".[test,docs]"
t1=$(date +%s)
rm -rf docs/_build
STATLEARN_REPRODUCE_OUT="$(cd "$out" && pwd)" "$venv/bin/python" -m sphinx -W --keep-going -q -b html docs docs/_build/html
t2=$(date +%s)
STATLEARN_DOCS_REQUIRED=1 STATLEARN_DOCS_SCREENSHOT=docs/_build/gallery.png \
  "$venv/bin/python" -m pytest -p no:cacheprovider -q tests/docs
t3=$(date +%s)
echo "docs: install $((t1 - t0)) s, sphinx build $((t2 - t1)) s, browser test $((t3 - t2)) s, total $((t3 - t0)) s"
