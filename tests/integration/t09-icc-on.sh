#!/bin/bash
# t09-icc-on: `bridge br0 --icc on` opens the bridge to all traffic
# between its containers, links or not; `--icc off` closes it again.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3

# matrix ok|fail: every kind of traffic, both ways, IPv4 and IPv6.
matrix() {
	local want=$1 pair from to
	for pair in "web db" "db web"; do
		read -r from to <<<"$pair"
		"expect_tcp_$want" "$from" "${ICC_IP4[$to]}" 80
		"expect_udp_$want" "$from" "${ICC_IP4[$to]}" 53
		"expect_ping_$want" "$from" "${ICC_IP4[$to]}"
		"expect_tcp_$want" "$from" "${ICC_IP6[$to]}" 80
		"expect_ping_$want" "$from" "${ICC_IP6[$to]}"
	done
}

expect_list "icc off" "bridge br0 icc off"
expect_elems "icc off: br0 closed" closed <<<'closed "br0" . "br0"'
matrix fail

must bridge br0 --icc on
expect_list "icc on" "bridge br0 icc on"
expect_elems "icc on: br0 open" closed </dev/null
matrix ok

must bridge br0 --icc off
expect_list "icc off again" "bridge br0 icc off"
expect_elems "icc off again: br0 closed" closed <<<'closed "br0" . "br0"'
matrix fail

finish
