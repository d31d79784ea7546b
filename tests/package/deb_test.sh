#!/usr/bin/env bash
# The .deb as an operator uses it: build it from the build tree, install it, check what
# it set up (user, permissions, systemd unit), start the engine as the `flowgate` user
# (no systemd here: the way the unit would), post a webhook, stop it, purge the package
# and check that nothing is left. Needs root; exits 77 (skipped) without it, or when a
# flowgate package is installed already (this test must not replace a real one).
#
#   tests/package/deb_test.sh <builddir>
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$1

fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root (dpkg -i)"; exit 77; }
if dpkg-query -W -f='${Status}' flowgate 2>/dev/null | grep -q installed; then
  echo "skipped: a flowgate package is installed on this machine"; exit 77
fi

work=$(mktemp -d /tmp/flowgate-deb-test.XXXXXX)
engine_pid=""
cleanup() {
  if [ -n "$engine_pid" ]; then kill -KILL "$engine_pid" 2>/dev/null || true; fi
  dpkg --purge flowgate >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

deb=$("$root/packaging/deb/build-deb" "$builddir" "$work")
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }

# What postinst set up.
getent passwd flowgate >/dev/null || fail "no flowgate user"
[ "$(getent passwd flowgate | cut -d: -f7)" = /usr/sbin/nologin ] || fail "flowgate user has a login shell"
[ "$(stat -c '%U %a' /var/lib/flowgate)" = "flowgate 750" ] || fail "/var/lib/flowgate: $(stat -c '%U %a' /var/lib/flowgate)"
[ "$(stat -c '%U:%G %a' /etc/flowgate/credentials)" = "root:flowgate 750" ] ||
  fail "/etc/flowgate/credentials: $(stat -c '%U:%G %a' /etc/flowgate/credentials)"
[ -x /usr/bin/flowgate ] && [ -f /usr/lib/flowgate/plugins/libflowgate-jq.so ] || fail "binary or plugins missing"
[ -f /usr/include/flowgate/plugin.hpp ] && [ -f /usr/lib/cmake/FlowgateSDK/FlowgateSDKConfig.cmake ] || fail "SDK missing"
if command -v systemd-analyze >/dev/null; then
  # verify checks the unit's syntax, its ExecStart binary and the hardening directives.
  systemd-analyze verify /lib/systemd/system/flowgate.service >"$work/verify.log" 2>&1 ||
    { cat "$work/verify.log"; fail "systemd-analyze verify failed"; }
  if grep -q flowgate.service "$work/verify.log"; then cat "$work/verify.log"; fail "systemd-analyze warns about the unit"; fi
fi

# A flow, the way an operator adds one; then the engine as the service would run it.
cat >/etc/flowgate/flows/hello.json <<'JSON'
{"id": "hello", "steps": [
  {"id": "shape", "component": "jq", "function": "transform", "config": {"expression": "{greeting: .title}"}},
  {"id": "log", "component": "logger", "function": "log", "config": {}}
]}
JSON
: >"$work/out"  # exists before the background start creates it: sed reads it at once
# setpriv execs the engine itself (runuser would stay in between and turn SIGTERM into 143).
setpriv --reuid=flowgate --regid=flowgate --init-groups /usr/bin/flowgate run --config /etc/flowgate --port 0 --admin-port 0 >"$work/out" 2>"$work/err" &
engine_pid=$!
url=""
for ((i = 0; i < 100; i++)); do
  url=$(sed -n 's|^Flowgate listening on \(http://[^ ]*\).*|\1|p' "$work/out")
  [ -n "$url" ] && break
  kill -0 "$engine_pid" 2>/dev/null || { cat "$work/err"; fail "engine did not start as the flowgate user"; }
  sleep 0.1
done
[ -n "$url" ] || fail "engine printed no listening line"
status=$(curl -s -o "$work/answer" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"title":"from the package"}' "$url/hook/hello")
[ "$status" = 202 ] || fail "webhook answered $status: $(cat "$work/answer")"
for ((i = 0; i < 100; i++)); do
  grep -q 'from the package' "$work/out" "$work/err" && break
  sleep 0.1
done
grep -q 'from the package' "$work/out" "$work/err" || { cat "$work/err"; fail "the flow's logger step never ran"; }
[ -f /var/lib/flowgate/queue.db ] || fail "queue not in /var/lib/flowgate"
# The installed engine serves the dashboard (compiled in) on its admin listener.
admin=$(sed -n 's|^Flowgate admin on \(http://[^ ]*\).*|\1|p' "$work/out")
[ -n "$admin" ] || fail "engine printed no admin line"
ui=$(curl -s -o "$work/ui.html" -w '%{http_code} %{content_type}' "$admin/ui/")
[ "$ui" = "200 text/html; charset=utf-8" ] || fail "/ui/ answered $ui"
grep -q 'src="app.js"' "$work/ui.html" || fail "/ui/ is not the dashboard"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$admin/ui/app.js")" = 200 ] || fail "/ui/app.js missing"
[ "$(stat -c %U /var/lib/flowgate/queue.db)" = flowgate ] || fail "queue.db not owned by flowgate"

kill -TERM "$engine_pid"
for ((i = 0; i < 300; i++)); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 0.1; done
wait "$engine_pid" || fail "engine exited with status $? on SIGTERM"
engine_pid=""

dpkg --purge flowgate >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --purge failed"; }
[ ! -e /usr/bin/flowgate ] || fail "/usr/bin/flowgate left behind"
[ ! -e /etc/flowgate ] || fail "/etc/flowgate left behind"
[ ! -e /var/lib/flowgate ] || fail "/var/lib/flowgate left behind"
! getent passwd flowgate >/dev/null || fail "flowgate user left behind"
echo "ok: installed, served a webhook as the flowgate user, purged"
