#!/bin/sh
# `npm start`: the poolform demo. Serves config.example/ with the embedded
# `local` provider: simulated VMs boot within seconds, their startup scripts
# check in with curl, and the session API is ready for the curl commands
# printed below. State is kept in ./state (delete it to start over).
#
# Arguments are passed to `poolform serve` (e.g. `npm start -- --listen 127.0.0.1:9000
# --log-level debug`); `--listen` also sets the address printed below.
#
# Environment (all optional):
#   POOLFORM_API_KEY   API key for the session API (default: a generated demo key, printed)
#   POOLFORM_LISTEN    HOST:PORT to listen on (default 127.0.0.1:8080; --listen wins)
set -e
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(dirname -- "$here")
cd "$root"
. "$here/node-env.sh" || exit 1

random_hex() {
  node -e 'process.stdout.write(require("node:crypto").randomBytes(16).toString("hex"))'
}

if [ -z "${POOLFORM_API_KEY:-}" ]; then
  POOLFORM_API_KEY="demo-$(random_hex)"
  key_note="(generated for this run; set POOLFORM_API_KEY to choose your own)"
else
  key_note="(from POOLFORM_API_KEY)"
fi
export POOLFORM_API_KEY
listen="${POOLFORM_LISTEN:-127.0.0.1:8080}"
# Take --listen out of the arguments (the rest go to serve unchanged).
n=$#
while [ "$n" -gt 0 ]; do
  arg=$1
  shift
  n=$((n - 1))
  case $arg in
    --listen)
      if [ "$n" -eq 0 ]; then echo "npm start: --listen needs HOST:PORT" >&2; exit 2; fi
      listen=$1
      shift
      n=$((n - 1))
      ;;
    --listen=*) listen=${arg#--listen=} ;;
    *) set -- "$@" "$arg" ;;
  esac
done
# The address to show: a wildcard bind (":8080", "0.0.0.0:8080") is reached on loopback.
case $listen in
  :*) shown="127.0.0.1$listen" ;;
  0.0.0.0:*) shown="127.0.0.1:${listen#0.0.0.0:}" ;;
  *) shown=$listen ;;
esac
url="http://$shown"
case $listen in
  *:0) url="http://HOST:PORT"; port_note="(port 0: the real port is on the \"listening on\" line below; use it for HOST:PORT)" ;;
  *) port_note="" ;;
esac
mkdir -p state

cat <<BANNER
poolform demo
=============
API:      $url $port_note
API key:  $POOLFORM_API_KEY $key_note
State:    $root/state

Try (in another terminal):
  export POOLFORM_API_KEY=$POOLFORM_API_KEY
  # the pools, servers (watch them boot and check in), sessions and queue
  curl -s $url/api/v1/status
  # request a session in the demo pool (it signs users in with their own
  # credential: {sso_username}/{sso_cred}, so send one)
  curl -s -X POST $url/api/v1/sessions -H "Authorization: Bearer \$POOLFORM_API_KEY" -H 'Content-Type: application/json' -d '{"pool": "demo-desktops", "user": "alice", "credential": "alice-password"}'
  # see where it was placed (use the id from the answer above)
  curl -s $url/api/v1/sessions/SESSION_ID -H "Authorization: Bearer \$POOLFORM_API_KEY"
  # end it
  curl -s -X DELETE $url/api/v1/sessions/SESSION_ID -H "Authorization: Bearer \$POOLFORM_API_KEY"
  # Prometheus metrics
  curl -s $url/metrics

Stop with Ctrl-C (the simulated VMs keep running like real ones; \`poolform apply\` or the next start manages them).

BANNER

exec node bin/poolform.js serve config.example --listen "$listen" --state state "$@"
