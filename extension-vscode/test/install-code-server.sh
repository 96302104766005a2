#!/usr/bin/env bash
# Installs code-server 4.100.3 (= VS Code 1.100.3, the last release whose engine is Node 20)
# into a cache folder for the VS Code end-to-end test, offline except for the npm registry
# and Debian's packages. Idempotent: does nothing when code-server is already there.
# Usage: bash install-code-server.sh [target-dir]   (default: .cache/code-server at the repository's root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:-$here/../../.cache/code-server}
# The marker is written last, so an interrupted install is never taken for a finished one.
if [ -f "$target/.installed" ] && [ -x "$target/node_modules/.bin/code-server" ]; then echo "code-server already in $target"; exit 0; fi
# Started from `npm test`, this inherits npm's own settings as npm_config_* variables (the
# global prefix, nodedir, allow-scripts…): the install below starts from npm's defaults instead.
for v in $(env | grep -o '^npm_config_[A-Za-z0-9_]*'); do unset "$v"; done
export DEBIAN_FRONTEND=noninteractive
need=""
dpkg -s libkrb5-dev >/dev/null 2>&1 || need="$need libkrb5-dev"      # kerberos builds from source
command -v rg >/dev/null 2>&1 || need="$need ripgrep"                # stands in for @vscode/ripgrep's GitHub download
dpkg -s pkg-config >/dev/null 2>&1 || need="$need pkg-config"
if [ -n "$need" ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# @vscode/ripgrep 1.15.11 looks in this cache before it tries GitHub.
mkdir -p "$tmp/rg" "$tmp/vscode-ripgrep-cache-1.15.11"
cp "$(command -v rg)" "$tmp/rg/rg"
tar czf "$tmp/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$tmp/rg" rg
mkdir -p "$target"
target=$(cd "$target" && pwd)
cd "$target"
# A package.json of its own (not `npm init`): the folder sits inside the monorepo, and npm
# must not climb up to the workspace root and install there.
printf '{ "name": "code-server-cache", "private": true }\n' > package.json
# unsafe_perm: its postinstall refuses to run as root otherwise; yes: node-pty's install runs `npx node-gyp`.
TMPDIR="$tmp" npm_config_yes=true npm_config_unsafe_perm=true \
  npm install code-server@4.100.3 --prefix "$target" --no-workspaces --foreground-scripts --no-audit --no-fund --loglevel=error
# XDG_*: otherwise --version writes a default config.yaml into ~/.config/code-server
XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" ./node_modules/.bin/code-server --version
touch .installed
echo "code-server installed in $target"
