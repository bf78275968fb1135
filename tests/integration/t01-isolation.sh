#!/bin/bash
# t01-isolation: with icc off (iccd's default) two containers on one
# bridge cannot open TCP, UDP or ICMP echo to each other, either way.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container a 10.88.0.2 fd88::2
add_container b 10.88.0.3 fd88::3
start_iccd
# Declared but unlinked: iccd knows both, and still nothing may pass.
must start a --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 80/tcp --expose 53/udp
must start b --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --expose 80/tcp --expose 53/udp
expect_list "icc is off by default" "bridge br0 icc off"

for pair in "a b" "b a"; do
	read -r from to <<<"$pair"
	for addr in "${ICC_IP4[$to]}" "${ICC_IP6[$to]}"; do
		expect_tcp_fail "$from" "$addr" 80
		expect_udp_fail "$from" "$addr" 53
		expect_ping_fail "$from" "$addr"
	done
done
# Even exposed ports are closed without a link.
expect_elems "no links, no elements" </dev/null

finish
