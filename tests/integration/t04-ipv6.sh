#!/bin/bash
# t04-ipv6: the t02 matrix over IPv6 (sets links6 and ranges6), with
# neighbour discovery left to work on its own: no neighbour is seeded, so
# a link can only work if iccd lets ND through the isolated bridge.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
add_container other 10.88.0.4 fd88::4
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 \
	--expose 3306/tcp --expose 53/udp --expose 7000-7001/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb
must start other --bridge br0 --ip 10.88.0.4 --ip6 fd88::4

expect_elems "web linked to db, IPv4 and IPv6" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
links4 10.88.0.3 . 10.88.0.2 . udp . 53
ranges4 10.88.0.3 . 10.88.0.2 . tcp . 7000-7001
links6 fd88::3 . fd88::2 . tcp . 3306
links6 fd88::3 . fd88::2 . udp . 53
ranges6 fd88::3 . fd88::2 . tcp . 7000-7001
END
expect_list "IPv6 declared" \
	"container db running bridge br0 ip 10.88.0.2 ip6 fd88::2 expose 3306/tcp,53/udp,7000-7001/tcp" \
	"  allow fd88::3 . fd88::2 . tcp . 3306"

# Nothing known about any neighbour before the first packet.
for c in db web other; do
	in_ctr "$c" ip -6 neigh flush all
done
expect_tcp_ok web fd88::2 3306
expect_udp_ok web fd88::2 53
expect_tcp_ok web fd88::2 7000
expect_tcp_ok web fd88::2 7001
expect_neigh web fd88::2
expect_neigh db fd88::3

expect_tcp_fail web fd88::2 3307
expect_tcp_fail web fd88::2 7002
expect_tcp_fail web fd88::2 53
expect_udp_fail web fd88::2 3306
expect_ping_fail web fd88::2

expect_tcp_fail db fd88::3 22
expect_tcp_fail db fd88::3 22 --sport 3306
expect_udp_fail db fd88::3 5353 --sport 53
expect_ping_fail db fd88::3

# other's drops are iccd's doing, not a failed ND: other resolves db.
expect_tcp_fail other fd88::2 3306
expect_udp_fail other fd88::2 53
expect_neigh other fd88::2
expect_tcp_fail other fd88::3 22

# And IPv4 still works beside it.
expect_tcp_ok web 10.88.0.2 3306

finish
