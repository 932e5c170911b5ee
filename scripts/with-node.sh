#!/bin/sh
# Run a command with Node.js >= 22.22 first on PATH (see node-env.sh).
# Used by the npm scripts so that `npm start` and `npm test` work on a machine
# whose system Node is 20.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
. "$here/node-env.sh" || exit 1
exec "$@"
