#!/usr/bin/env bash
# pgtmp.sh — a throwaway PostgreSQL cluster for tests.
#
#   pgtmp.sh -- CMD ARGS...   run CMD with TSK_TEST_PG set to a libpq
#                             connection string, then stop and remove the
#                             cluster; exits with CMD's status
#   pgtmp.sh                  keeper mode (tests/common/pgtmp.c): prints
#                             "CONNINFO <string>", then obeys one command a
#                             line on stdin (stop, start, restart, kill),
#                             answering "OK" or "ERR <why>"; at EOF on stdin
#                             (the test ended or died) it stops and removes
#                             the cluster
#
# The cluster lives in a fresh directory under $TMPDIR (or /tmp), listens on
# a Unix socket in that directory only (listen_addresses=''), trusts local
# connections, and is removed on every way out (EXIT/INT/TERM/HUP traps).
# initdb refuses to run as root: as root (CI) the server runs as the
# `postgres` system user (TSK_PG_USER to choose another), otherwise as the
# invoking user.  Exits 77 (meson: skipped) with the reason when the server
# binaries are not installed (Debian: apt-get install postgresql).
set -u

say() { printf 'pgtmp: %s\n' "$*" >&2; }

# The server binaries: $PG_BINDIR, pg_config's bindir, or the newest
# /usr/lib/postgresql/<version>/bin (Debian keeps them off $PATH).
find_bindir() {
	local c
	for c in "${PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null)" \
		$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) \
		"$(dirname "$(command -v postgres 2>/dev/null || echo /nonexistent/x)")"; do
		if [ -n "$c" ] && [ -x "$c/initdb" ] && [ -x "$c/pg_ctl" ] && [ -x "$c/postgres" ]; then
			printf '%s\n' "$c"
			return 0
		fi
	done
	return 1
}

if ! bindir=$(find_bindir); then
	say "skipped: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; install Debian's postgresql package or set PG_BINDIR"
	exit 77
fi

runas=()
if [ "$(id -u)" = 0 ]; then
	pguser=${TSK_PG_USER:-postgres}
	if ! id -u "$pguser" >/dev/null 2>&1; then
		say "skipped: running as root and there is no '$pguser' user for the server (initdb refuses root); set TSK_PG_USER"
		exit 77
	fi
	if command -v runuser >/dev/null 2>&1; then
		runas=(runuser -u "$pguser" --)
	else
		runas=(setpriv --reuid="$pguser" --regid="$(id -g "$pguser")" --init-groups)
	fi
fi
as_pg() { "${runas[@]}" "$@"; }

# A Unix socket path must fit in 107 bytes: fall back to /tmp for a long $TMPDIR.
base=${TMPDIR:-/tmp}
[ ${#base} -gt 60 ] && base=/tmp
dir=$(mktemp -d "$base/tsk-pg.XXXXXX") || { say "cannot create a directory under $base"; exit 1; }
data=$dir/data
log=$dir/server.log

cleanup() {
	trap - EXIT INT TERM HUP
	if [ -f "$data/postmaster.pid" ]; then
		as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w -t 30 stop </dev/null >/dev/null 2>&1
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ ${#runas[@]} -gt 0 ] && chown "$pguser" "$dir"
chmod 700 "$dir"
cd "$dir" || exit 1 # the server user must be able to stat its working directory

if ! as_pg "$bindir/initdb" -D "$data" -A trust -U tsk -E UTF8 --locale=C --no-sync \
	</dev/null >"$dir/initdb.log" 2>&1; then
	say "initdb failed:"
	cat "$dir/initdb.log" >&2
	exit 1
fi
# A test server: socket only, no durability work (the data is thrown away).
as_pg tee -a "$data/postgresql.conf" >/dev/null <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
shared_buffers = 32MB
log_min_messages = warning
EOF

server_start() {
	as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start </dev/null >/dev/null 2>&1 && return 0
	say "the server did not start:"
	tail -n 20 "$log" >&2
	return 1
}
server_stop() { as_pg "$bindir/pg_ctl" -D "$data" -m "${1:-fast}" -w -t 60 stop </dev/null >/dev/null 2>&1; }

server_start || exit 1
if ! as_pg "$bindir/createdb" -h "$dir" -U tsk tsuiseki </dev/null >&2; then
	say "createdb failed"
	exit 1
fi
conninfo="host=$dir dbname=tsuiseki user=tsk"

if [ "${1:-}" = "--" ]; then
	shift
	[ $# -gt 0 ] || { say "usage: pgtmp.sh -- CMD ARGS..."; exit 2; }
	TSK_TEST_PG=$conninfo "$@"
	exit $?
fi

printf 'CONNINFO %s\n' "$conninfo"
while IFS= read -r cmd; do
	case $cmd in
	stop) server_stop fast && echo OK || echo "ERR stop failed" ;;
	kill) server_stop immediate && echo OK || echo "ERR stop failed" ;;
	start) server_start && echo OK || echo "ERR start failed" ;;
	restart) server_stop fast && server_start && echo OK || echo "ERR restart failed" ;;
	*) echo "ERR unknown command: $cmd" ;;
	esac
done
exit 0
