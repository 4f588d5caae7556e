#!/usr/bin/env bash
# The tsuiseki demo: the CLI tracks sample numbers of every carrier against
# the bundled carrier simulator, which serves real recorded carrier pages
# (tests/data) on 127.0.0.1, so it works offline. To track a real parcel
# online instead, run the CLI without the TSUISEKI_ENDPOINT_* variables:
#     BUILD/examples/tsuiseki track --carrier auto 1234-5678-9012
#
# usage: examples/demo.sh [BUILD_DIR]   (default: build)
set -euo pipefail
# BUILD_DIR is taken from where you run the demo, like every other path you type
given=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
if ! build=$(cd "$given" 2>/dev/null && pwd); then
	echo "demo: no build directory $given here ($(pwd)); build first: meson setup $given $src && ninja -C $given" >&2
	exit 2
fi
cli="$build/examples/tsuiseki"
sim="$build/tests/sim/tsk-sim"
for f in "$cli" "$sim"; do
	[ -x "$f" ] || { echo "demo: $f is missing; build it first: ninja -C $given" >&2; exit 2; }
done
cd "$src"

# Start the simulator on a free port; it exits on its own if forgotten.
coproc SIM { exec "$sim" --root tests/data --idle-exit 120; }
trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT
read -r word port <&"${SIM[0]}"
[ "$word" = PORT ] || { echo "demo: the simulator did not start" >&2; exit 1; }
base="http://127.0.0.1:$port"
export TSUISEKI_ENDPOINT_YAMATO="$base/yamato/cgi-bin/tneko"
export TSUISEKI_ENDPOINT_SAGAWA="$base/sagawa/p/web/okurijosearch.do"
export TSUISEKI_ENDPOINT_JAPANPOST="$base/japanpost/services/srv/search/direct"
# The recorded pages are from 2009: read them as of their capture day, so
# the year-less dates land in 2009 and the clock-based exceptions fit.
now="--now 2009-09-11T12:00:00+09:00"

# Bold step headers only on a terminal that shows them (not piped, not TERM=dumb, no NO_COLOR)
if [ -t 1 ] && [ "${TERM:-dumb}" != dumb ] && [ -z "${NO_COLOR:-}" ]; then
	step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	step() { printf '\n$ %s\n' "$*"; }
fi

step tsuiseki carriers
"$cli" carriers

step tsuiseki detect 2497-2497-3934 EF719215461JP 131-12-38385-2 1234
"$cli" detect 2497-2497-3934 EF719215461JP 131-12-38385-2 1234 || true

# --carrier auto asks every carrier that could own the number at once and
# keeps the one that knows it
for n in 2497-2497-3934 600078420325 317409136693; do
	step tsuiseki track --carrier auto "$now" "$n"
	"$cli" track --carrier auto $now "$n"
done

step tsuiseki track --carrier yamato "$now" 225303415632 225303549181 225305292332
"$cli" track --carrier yamato $now 225303415632 225303549181 225305292332

step tsuiseki track --json --carrier japanpost "$now" 317426268143 317440458506
"$cli" track --json --carrier japanpost $now 317426268143 317440458506

# a JSON tracking API through the generic REST adapter: the simulator
# serves a recorded AfterShip answer and checks the API key. The library
# reads only installed mappings and the directories named here: point it at
# the source tree's (an absolute path).
export TSUISEKI_MAPPING_PATH="$PWD/carriers/rest/mappings"
export TSUISEKI_ENDPOINT_REST_AFTERSHIP="$base/rest/aftership"
export AFTERSHIP_API_KEY=test-aftership-key
step tsuiseki track --carrier rest:aftership 1ZA2207X6791425225
"$cli" track --carrier rest:aftership 1ZA2207X6791425225

step tsuiseki track --carrier yamato "$now" 9999-9999-9994  "(an unregistered number: exit status 1)"
"$cli" track --carrier yamato $now 9999-9999-9994 || echo "(exit status $?)"

# A fleet: a shop adds its orders' parcels once, `tsuiseki run` polls each
# when it is due (here on a fixed clock, a step at a time: each --now is a
# later moment), and the notifications to send the customers wait in the
# outbox, once per real change, in the customer's language. The scripted
# pages move one parcel from in transit to delivered and return another.
db=$(mktemp -d)/fleet.db
trap 'kill "$SIM_PID" 2>/dev/null || true; rm -rf "$(dirname "$db")"' EXIT
fleet_step() {
	step tsuiseki run --db fleet.db --now "$1"
	"$cli" run --db "$db" --now "$1"
	step tsuiseki notifications --db fleet.db
	"$cli" notifications --db "$db"
}
step tsuiseki add --db fleet.db --ref order-1042 --now 2026-12-03T08:00:00+09:00 4001-2345-6784
"$cli" add --db "$db" --ref order-1042 --now 2026-12-03T08:00:00+09:00 4001-2345-6784
step tsuiseki add --db fleet.db --ref order-1043 --lang en --now 2026-12-03T08:00:00+09:00 4001-2345-6810
"$cli" add --db "$db" --ref order-1043 --lang en --now 2026-12-03T08:00:00+09:00 4001-2345-6810
fleet_step 2026-12-03T08:00:00+09:00
fleet_step 2026-12-03T16:00:00+09:00
step tsuiseki add --db fleet.db --ref order-1044 --now 2026-12-05T12:00:00+09:00 "4001-2345-6806  (delivered already: one notification, not its history)"
"$cli" add --db "$db" --ref order-1044 --now 2026-12-05T12:00:00+09:00 4001-2345-6806
fleet_step 2026-12-05T12:00:00+09:00
fleet_step 2026-12-05T17:00:00+09:00
fleet_step 2026-12-06T08:00:00+09:00
step tsuiseki list --db fleet.db --lang ja
"$cli" list --db "$db" --lang ja
