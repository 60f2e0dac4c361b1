#!/bin/sh
# Re-run corpus.json through ODK Web Forms' @getodk/xpath and Enketo's openrosa-xpath-evaluator
# and rewrite results.json. Needs node 20+ and npm. @getodk/xpath's dependency @getodk/common is
# bundled in its dist but not published, so the package is unpacked rather than installed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund openrosa-xpath-evaluator@3.1.0 node-forge jsdom \
    web-tree-sitter @getodk/tree-sitter-xpath temporal-polyfill crypto-js >/dev/null
npm pack --silent @getodk/xpath@0.11.0 >/dev/null
mkdir -p node_modules/@getodk/xpath
tar xzf getodk-xpath-0.11.0.tgz -C node_modules/@getodk/xpath --strip-components=1
TZ=UTC ENGINES_DIR="$work" node "$here/evaluate.mjs"
