#!/usr/bin/env bash
# Build the README's example against the *installed* library with
# pkg-config, and track a number through the simulator with it: what a user
# of the package does. usage: tests/installed.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
stage="$build/staging"
rm -rf "$stage"
meson install -C "$build" --destdir "$stage" >/dev/null
pcdir=$(dirname "$(find "$stage" -name tsuiseki.pc | head -n 1)")
libdir=$(dirname "$(find "$stage" -name 'libtsuiseki.so.0' | head -n 1)")
export PKG_CONFIG_SYSROOT_DIR="$stage" PKG_CONFIG_PATH="$pcdir"
cc -std=c11 -Wall -Wextra -Werror examples/readme.c $(pkg-config --cflags --libs tsuiseki) -o "$build/readme-installed"

coproc SIM { exec "$build/tests/sim/tsk-sim" --root tests/data --idle-exit 60; }
trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT
read -r word port <&"${SIM[0]}"
[ "$word" = PORT ]
export TSUISEKI_ENDPOINT_YAMATO="http://127.0.0.1:$port/yamato/cgi-bin/tneko"
export TSUISEKI_ENDPOINT_SAGAWA="http://127.0.0.1:$port/sagawa/p/web/okurijosearch.do"
export TSUISEKI_ENDPOINT_JAPANPOST="http://127.0.0.1:$port/japanpost/services/srv/search/direct"
out=$(LD_LIBRARY_PATH="$libdir" "$build/readme-installed" 600078420325)
echo "$out"
# the binary really uses the installed library, and the answer is right
linked=$(LD_LIBRARY_PATH="$libdir" ldd "$build/readme-installed")
grep -q "$libdir/libtsuiseki.so.0" <<<"$linked"
grep -q '^sagawa 600078420325: delivered$' <<<"$out"

# The installed library reads only installed files and the paths the user
# names: no path of the source tree is compiled into it, and a mapping
# planted in the source tree's mapping directory is never loaded.
src=$(pwd)
lib="$libdir/libtsuiseki.so.0"
if strings "$lib" | grep -F "$src" | grep -vF "$build"; then
	echo "installed: $lib names the source tree" >&2
	exit 1
fi
planted="$src/carriers/rest/mappings/zz-installed-check-planted.json"
trap 'rm -f "$planted"; kill "$SIM_PID" 2>/dev/null || true' EXIT
printf '%s\n' '{"name":"planted","version":1,"base_url":"http://127.0.0.1:9/stolen",' \
	'"request":{"url":"{endpoint}/{number}"},' \
	'"response":{"shipments":"data","shipment":{"number":"id"}}}' >"$planted"
cli=$(find "$stage" -path '*/bin/tsuiseki' | head -n 1)
shipped=$(find "$stage" -type d -path '*/share/tsuiseki/mappings' | head -n 1)
listed=$(env -u TSUISEKI_MAPPING_PATH LD_LIBRARY_PATH="$libdir" "$cli" carriers)
if grep -q 'rest:planted' <<<"$listed"; then
	echo "installed: the library loaded a mapping from the source tree: $planted" >&2
	exit 1
fi
# ...while the installed mappings, named by the user, do load
listed=$(TSUISEKI_MAPPING_PATH="$shipped" LD_LIBRARY_PATH="$libdir" "$cli" carriers)
grep -q '^rest:aftership ' <<<"$listed"
! grep -q 'rest:planted' <<<"$listed"
rm -f "$planted"

# The README's first C example is examples/readme.c, to the letter (after its first comment line).
if ! diff <(awk '/^```c$/ { inside = 1; next } inside && /^```$/ { exit } inside' README.md) \
	<(tail -n +2 examples/readme.c) >&2; then
	echo "installed: README.md's C example differs from examples/readme.c" >&2
	exit 1
fi
# ...and it says why a lookup failed
if LD_LIBRARY_PATH="$libdir" "$build/readme-installed" 9999-9999-9994 >/dev/null 2>"$build/readme-err"; then
	echo "installed: an unregistered number did not fail" >&2
	exit 1
fi
grep -q '^not_found: none of the 3 carriers asked knows this number: yamato: number not registered (' "$build/readme-err"

# The static library, linked as the README says (system libcurl, libxml2, yajl stay shared)
cc -std=c11 examples/readme.c $(pkg-config --cflags --libs-only-L tsuiseki) -Wl,-Bstatic -ltsuiseki -Wl,-Bdynamic \
	$(pkg-config --libs libcurl libxml-2.0) -lyajl -pthread -ldl -lm -o "$build/readme-static"
# (outputs are captured before grep: grep -q may stop reading early, and pipefail would see SIGPIPE)
linked=$(ldd "$build/readme-static")
! grep -q libtsuiseki <<<"$linked"
out=$("$build/readme-static" 600078420325)
grep -q '^sagawa 600078420325: delivered$' <<<"$out"

# The installed command, run away from the source and build trees
(
	cd /
	export LD_LIBRARY_PATH="$libdir"
	out=$("$cli" --help)
	grep -q '^usage: tsuiseki <command>' <<<"$out"
	out=$("$cli" track --help)
	grep -q '^usage: tsuiseki track \[options\] NUMBER...$' <<<"$out"
	out=$(echo 600078420325 | "$cli" track --json --carrier sagawa)
	grep -q '"status":"delivered"' <<<"$out"
)
echo "installed: 5 passed, 0 failed"
