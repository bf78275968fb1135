#!/bin/bash
# t03-range: an exposed port range is one interval element (set ranges4)
# that opens every port of the range, its bounds included, and no port
# outside it.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2
add_container web 10.88.0.3
add_container other 10.88.0.4
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --expose 7000-7999/tcp
must start web --bridge br0 --ip 10.88.0.3 --link db:aliasdb
must start other --bridge br0 --ip 10.88.0.4

expect_elems "one range, one element" <<'END'
ranges4 10.88.0.3 . 10.88.0.2 . tcp . 7000-7999
END

for port in 7000 7500 7999; do
	expect_tcp_ok web 10.88.0.2 "$port"
done
for port in 6999 8000; do
	expect_tcp_fail web 10.88.0.2 "$port"
done
# The range is for TCP only, for web only, and one way.
expect_udp_fail web 10.88.0.2 7500
expect_tcp_fail other 10.88.0.2 7500
expect_tcp_fail db 10.88.0.3 7500

finish
