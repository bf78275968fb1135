#!/bin/bash
# t13-linkdata: the rest of Docker's link model.  `iccctl env` prints
# exactly the variables Docker gives a receiver and follows the source's
# address; `iccctl hosts --write FILE` keeps FILE in sync, touching only
# the lines of the sources that changed.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2
add_container web 10.88.0.3
add_container api 10.88.0.5
add_container api2 10.88.0.6
add_container api-x 10.88.0.7
start_iccd

# env_for IP: what web gets for db:aliasdb with db at IP.
env_for() {
	cat <<END
ALIASDB_PORT=tcp://$1:3306
ALIASDB_PORT_3306_TCP=tcp://$1:3306
ALIASDB_PORT_3306_TCP_ADDR=$1
ALIASDB_PORT_3306_TCP_PORT=3306
ALIASDB_PORT_3306_TCP_PROTO=tcp
ALIASDB_NAME=/web/aliasdb
ALIASDB_ENV_MYSQL_ROOT_PASSWORD=server
END
}

# ---- env ----
must start db --bridge br0 --ip 10.88.0.2 --expose 3306/tcp --env MYSQL_ROOT_PASSWORD=server
must start web --bridge br0 --ip 10.88.0.3 --link db:aliasdb
same "iccctl env web" "$(env_for 10.88.0.2)" "$(iccctl env web 2>&1)"
same "iccctl env web --link aliasdb" "$(env_for 10.88.0.2)" \
	"$(iccctl env web --link aliasdb 2>&1)"
move_ip db 10.88.0.12
must start db --bridge br0 --ip 10.88.0.12 --expose 3306/tcp --env MYSQL_ROOT_PASSWORD=server
same "iccctl env web after db moved" "$(env_for 10.88.0.12)" "$(iccctl env web 2>&1)"
expect_tcp_ok web 10.88.0.12 3306

# ---- hosts ----
HOSTS=$ICC_TMP/hosts
printf '127.0.0.1\tlocalhost\n# written by hand: keep me\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$HOSTS"
HAND=$(cat "$HOSTS")
API_ARGS=(--bridge br0 --expose 8080/tcp)
must start api "${API_ARGS[@]}" --ip 10.88.0.5
must start api2 "${API_ARGS[@]}" --ip 10.88.0.6
must start api-x "${API_ARGS[@]}" --ip 10.88.0.7
must link web api
must link web api2
must link web api-x
must hosts web --write "$HOSTS"
TAB=$(printf '\t')

same "hosts file written" "$HAND
10.88.0.12${TAB}aliasdb db
10.88.0.5${TAB}api
10.88.0.6${TAB}api2
10.88.0.7${TAB}api-x" "$(cat "$HOSTS")"
before=$(cat "$HOSTS")

# api restarts elsewhere: only its line may change, nothing else moves.
move_ip api 10.88.0.15
must start api "${API_ARGS[@]}" --ip 10.88.0.15
after=$(cat "$HOSTS")
same "only api's line changed" \
	"$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep '^[<>]')" \
	"< 10.88.0.5${TAB}api
> 10.88.0.15${TAB}api"
same "hand-written lines untouched" "$HAND" "$(head -n 3 "$HOSTS")"

# Stopping a source removes its line; starting it brings the line back.
must stop api2
same "api2 stopped: its line is gone" "$(grep -v "${TAB}api2\$" <<<"$after")" "$(cat "$HOSTS")"
must start api2 "${API_ARGS[@]}" --ip 10.88.0.6
if grep -qxF "10.88.0.6${TAB}api2" "$HOSTS"; then
	pass "api2 started again: its line is back"
else
	fail "api2 started again: no line '10.88.0.6<TAB>api2' in the hosts file:"
	sed 's/^/  /' "$HOSTS"
fi
same "hand-written lines still untouched" "$HAND" "$(head -n 3 "$HOSTS")"
same "lines of the other sources untouched" \
	"$(grep -E "${TAB}(api|api-x)\$" <<<"$after" | sed "s/10.88.0.5${TAB}/10.88.0.15${TAB}/")" \
	"$(grep -E "${TAB}(api|api-x)\$" "$HOSTS")"
# db's line (web's first link) was there all along.
if grep -qxF "10.88.0.12${TAB}aliasdb db" "$HOSTS"; then
	pass "db's line (alias then name) is in the hosts file"
else
	fail "no line '10.88.0.12<TAB>aliasdb db' in the hosts file"
fi

finish
