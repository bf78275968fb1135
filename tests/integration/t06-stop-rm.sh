#!/bin/bash
# t06-stop-rm: stop and rm of either side take every element naming its
# addresses out of the kernel and end the access; stop keeps the
# declarations (the link goes pending) and start brings it all back.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
start_iccd

DB_ARGS=(--bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp)
WEB_ARGS=(--bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb)
LINKED="links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
links6 fd88::3 . fd88::2 . tcp . 3306"

# linked WHAT: the link is in force: elements, list, traffic.
linked() {
	expect_elems "$1" <<<"$LINKED"
	expect_list "$1" "link web db alias aliasdb active"
	expect_tcp_ok web 10.88.0.2 3306
	expect_tcp_ok web fd88::2 3306
}

# cut WHAT ADDR...: nothing left of the link in the kernel, no traffic.
cut() {
	local what=$1
	shift
	expect_no_elem_addr "$what" "$@"
	expect_elems "$what" </dev/null
	expect_tcp_fail web 10.88.0.2 3306
	expect_tcp_fail web fd88::2 3306
}

must start db "${DB_ARGS[@]}"
must start web "${WEB_ARGS[@]}"
linked "both running"

for side in db web; do
	if [ "$side" = db ]; then
		addrs=(10.88.0.2 fd88::2)
		line="container db stopped bridge br0 ip 10.88.0.2 ip6 fd88::2 expose 3306/tcp"
		args=("${DB_ARGS[@]}")
	else
		addrs=(10.88.0.3 fd88::3)
		line="container web stopped bridge br0 ip 10.88.0.3 ip6 fd88::3"
		args=("${WEB_ARGS[@]}")
	fi

	must stop "$side"
	cut "$side stopped" "${addrs[@]}"
	expect_list "$side stopped" "$line" "link web db alias aliasdb pending"
	must start "$side" "${args[@]}"
	linked "$side started again"

	must rm "$side"
	cut "$side removed" "${addrs[@]}"
	expect_list_none "$side removed" "^container $side "
	if [ "$side" = web ]; then
		# The link was web's declaration: it is gone with web.
		expect_list_none "web removed" "^link web "
	fi
	must start "$side" "${args[@]}"
	linked "$side declared again"
done

finish
