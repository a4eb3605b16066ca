#!/usr/bin/env bash
# Installs configurable-http-proxy, the proxy JupyterHub runs in front of the students' servers,
# from npm into the virtual environment (.venv/node), where gatelab.classroom looks for it.
# Node.js and npm come from Debian when they are missing (as root). Nothing else is downloaded.
#   bash scripts/hub-install-proxy.sh [PREFIX]      (default .venv/node; make venv runs this)
set -euo pipefail
PREFIX="${1:-.venv/node}"
if [ -x "$PREFIX/node_modules/.bin/configurable-http-proxy" ]; then exit 0; fi
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "JupyterHub's proxy needs Node.js and npm." >&2
        echo "Install them as root: apt-get update && apt-get install -y nodejs npm" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
fi
# configurable-http-proxy 5 needs Node.js 20; 4.6 runs on older ones (Debian 12 has 18)
if [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
    VERSION=5
else
    VERSION=4.6
fi
npm install --prefix "$PREFIX" --no-audit --no-fund --no-save --loglevel=error \
    "configurable-http-proxy@$VERSION"
"$PREFIX/node_modules/.bin/configurable-http-proxy" --version >/dev/null
