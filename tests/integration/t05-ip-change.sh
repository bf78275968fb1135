#!/bin/bash
# t05-ip-change: `iccctl start` of a running container with other
# addresses moves its link elements to the new addresses and leaves
# nothing behind at the old ones, for a source (db) and a receiver (web):
# a newcomer given an old address inherits no access.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb
expect_tcp_ok web 10.88.0.2 3306
expect_tcp_ok web fd88::2 3306

# icc_control FROM ADDR PORT: with icc on, FROM does reach ADDR:PORT, so
# the failure asserted after it is iccd's verdict and nothing else.
icc_control() {
	must bridge br0 --icc on
	expect_tcp_ok "$@"
	must bridge br0 --icc off
}

# ---- the source moves ----
move_ip db 10.88.0.12 fd88::12
must start db --bridge br0 --ip 10.88.0.12 --ip6 fd88::12 --expose 3306/tcp
expect_tcp_ok web 10.88.0.12 3306
expect_tcp_ok web fd88::12 3306
expect_elems "db moved" <<'END'
links4 10.88.0.3 . 10.88.0.12 . tcp . 3306
links6 fd88::3 . fd88::12 . tcp . 3306
END
expect_no_elem_addr "db moved" 10.88.0.2 fd88::2
expect_list "db moved" \
	"container db running bridge br0 ip 10.88.0.12 ip6 fd88::12 expose 3306/tcp" \
	"  allow 10.88.0.3 . 10.88.0.12 . tcp . 3306"

# A newcomer takes db's old addresses; web's link must not follow them.
add_container ghost 10.88.0.2 fd88::2
must start ghost --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp
icc_control web 10.88.0.2 3306
expect_tcp_fail web 10.88.0.2 3306
expect_tcp_fail web fd88::2 3306
expect_tcp_ok web 10.88.0.12 3306

# ---- the receiver moves ----
move_ip web 10.88.0.13 fd88::13
must start web --bridge br0 --ip 10.88.0.13 --ip6 fd88::13 --link db:aliasdb
expect_tcp_ok web 10.88.0.12 3306
expect_tcp_ok web fd88::12 3306
expect_elems "web moved" <<'END'
links4 10.88.0.13 . 10.88.0.12 . tcp . 3306
links6 fd88::13 . fd88::12 . tcp . 3306
END
expect_no_elem_addr "web moved" 10.88.0.3 fd88::3 10.88.0.2 fd88::2

# A newcomer at web's old addresses is not web.
add_container ghost2 10.88.0.3 fd88::3
must start ghost2 --bridge br0 --ip 10.88.0.3 --ip6 fd88::3
icc_control ghost2 10.88.0.12 3306
expect_tcp_fail ghost2 10.88.0.12 3306
expect_tcp_fail ghost2 fd88::12 3306
expect_tcp_ok web 10.88.0.12 3306

finish
