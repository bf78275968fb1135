#!/bin/bash
# t02-link: a link opens exactly the source's exposed ports to the
# receiver, replies included, and nothing else: not other ports, not the
# other protocol, not the reverse direction (even from the exposed source
# port), not a third container.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2
add_container web 10.88.0.3
add_container other 10.88.0.4
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --expose 3306/tcp --expose 53/udp
must start web --bridge br0 --ip 10.88.0.3 --link db:aliasdb
must start other --bridge br0 --ip 10.88.0.4

expect_elems "web linked to db" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
links4 10.88.0.3 . 10.88.0.2 . udp . 53
END
expect_list "declarations" \
	"bridge br0 icc off" \
	"container db running bridge br0 ip 10.88.0.2 expose 3306/tcp,53/udp" \
	"container web running bridge br0 ip 10.88.0.3" \
	"container other running bridge br0 ip 10.88.0.4" \
	"link web db alias aliasdb active" \
	"  allow 10.88.0.3 . 10.88.0.2 . tcp . 3306" \
	"  allow 10.88.0.3 . 10.88.0.2 . udp . 53"

# The receiver reaches the exposed ports; icc-probe's echo proves replies.
expect_tcp_ok web 10.88.0.2 3306
expect_udp_ok web 10.88.0.2 53
# Only those: another port, the other protocol, ICMP.
expect_tcp_fail web 10.88.0.2 3307
expect_tcp_fail web 10.88.0.2 53
expect_udp_fail web 10.88.0.2 3306
expect_ping_fail web 10.88.0.2

# The source never opens a connection back, whatever the ports.
expect_tcp_fail db 10.88.0.3 22
expect_tcp_fail db 10.88.0.3 3306
expect_tcp_fail db 10.88.0.3 22 --sport 3306
expect_tcp_fail db 10.88.0.3 3306 --sport 3306
expect_udp_fail db 10.88.0.3 53
expect_udp_fail db 10.88.0.3 5353 --sport 53
expect_ping_fail db 10.88.0.3

# A container without a link gets nothing, in either direction.
expect_tcp_fail other 10.88.0.2 3306
expect_udp_fail other 10.88.0.2 53
expect_tcp_fail other 10.88.0.3 22
expect_tcp_fail web 10.88.0.4 22
expect_tcp_fail db 10.88.0.4 22

# The allowed traffic still works after all those drops.
expect_tcp_ok web 10.88.0.2 3306

finish
