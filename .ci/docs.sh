#!/usr/bin/env bash
# The documentation job: build the site with warnings as errors from a `statlearn reproduce` output
# folder, then open it in Debian's headless chromium (tests/docs/test_site.py, which may not skip
# here: STATLEARN_DOCS_REQUIRED=1).
#
#   bash .ci/docs.sh [REPRODUCE_OUT [VENV]]
#
# REPRODUCE_OUT is the --out folder of the quick run CI has just made (its <name>/checks.json and
# figures fill the gallery); default $CI_WORK/reproduce-out. VENV is the virtual environment to use;
# default $CI_VENV, else .ci-venv-docs (created if absent). The docs and test extras are installed
# into it. The site is written to $CI_WORK/docs/html when CI_WORK is set (.ci/run sets it), else
# docs/_build/html. Installs chromium with apt-get when it is missing (CI runs as root). Prints the
# time of the install, the build and the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-${CI_WORK:+$CI_WORK/reproduce-out}}"
venv="${2:-${CI_VENV:-.ci-venv-docs}}"
build="${CI_WORK:+$CI_WORK/docs}"
build="${build:-docs/_build}"
if [ -z "$out" ] || [ ! -d "$out" ]; then
  echo "docs: no reproduce output folder ('${out}'); usage: bash .ci/docs.sh REPRODUCE_OUT [VENV]" >&2
  exit 2
fi
t0=$(date +%s)
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -e ".[test,docs]"
t1=$(date +%s)
rm -rf "$build"
STATLEARN_REPRODUCE_OUT="$(cd "$out" && pwd)" "$venv/bin/python" -m sphinx -W --keep-going -q -b html docs "$build/html"
t2=$(date +%s)
STATLEARN_DOCS_REQUIRED=1 STATLEARN_DOCS_SITE="$build/html" STATLEARN_DOCS_SCREENSHOT="$build/gallery.png" \
  "$venv/bin/python" -m pytest -p no:cacheprovider -q tests/docs
t3=$(date +%s)
echo "docs: install $((t1 - t0)) s, sphinx build $((t2 - t1)) s, browser test $((t3 - t2)) s, total $((t3 - t0)) s"
echo "docs: site in $build/html, screenshot of the gallery in $build/gallery.png"
