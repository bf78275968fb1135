#!/bin/bash
# t25-brnf-drift: br_netfilter switched off behind iccd's back.  With
# net.bridge.bridge-nf-call-iptables (or -ip6tables) at 0 bridged traffic
# never reaches the inet table, so the bridge table fails closed: IP to or
# from a bound port passes only with the mark the inet isolate chain sets
# (rules/icc-bridge.nft).  iccd is frozen (SIGSTOP) while the sysctls are
# off, so that the checks surely run before it repairs them; once it runs
# again it puts them back, logs it and counts it in `iccctl status`.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container a 10.88.0.2 fd88::2
add_container b 10.88.0.3 fd88::3
add_container r 10.88.0.4 fd88::4	# b's receiver: linked
start_iccd
# shellcheck disable=SC2046 # bind_args is two options and their values
must start a --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 $(bind_args a)
# shellcheck disable=SC2046
must start b --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --expose 80/tcp $(bind_args b)
# shellcheck disable=SC2046
must start r --bridge br0 --ip 10.88.0.4 --ip6 fd88::4 --link b $(bind_args r)
expect_tcp_ok r 10.88.0.3 80
expect_tcp_fail a 10.88.0.3 80

sysctl_of() { in_host cat "/proc/sys/net/bridge/bridge-nf-call-$1"; }
repairs() { iccctl status --json | jq -r .sysctl_repairs; }
same "no sysctl repaired yet" 0 "$(repairs)"

kill -STOP "$ICC_ICCD_PID" || fatal "cannot stop iccd"
in_host sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
	net.bridge.bridge-nf-call-ip6tables=0 || fatal "cannot turn br_netfilter off"
# While iccd cannot react: the unlinked pair never connects, IPv4 or IPv6.
for i in 1 2 3; do
	expect_tcp_fail a 10.88.0.3 80
	expect_tcp_fail a fd88::3 80
done
# Fail closed: without the inet table's word even the link is cut.
expect_tcp_fail r 10.88.0.3 80
same "sysctls still off while iccd is stopped" "0 0" \
	"$(sysctl_of iptables) $(sysctl_of ip6tables)"
# Traffic to the host's bridge address does not cross the bridge: it works.
expect_ping_ok a 10.88.0.1
kill -CONT "$ICC_ICCD_PID" || fatal "cannot continue iccd"

# Wait for the repair (the event, not a time), trying the unlinked pair
# now and then meanwhile: it must never connect.
reached=0
for i in $(seq 1 300); do
	[ "$(repairs)" = 2 ] && break
	if [ "$reached" -eq 0 ] && [ $((i % 10)) -eq 1 ] &&
		probe a tcp 10.88.0.3 80 --timeout 200 >/dev/null; then
		reached=1
		fail "a reached b while iccd was repairing the sysctls"
	fi
	sleep 0.1
done
same "status counts both sysctls put back" 2 "$(repairs)"
same "metrics count both sysctls put back" "iccd_sysctl_repairs_total 2" \
	"$(iccctl metrics | grep '^iccd_sysctl_repairs_total ')"
same "sysctls back to 1" "1 1" "$(sysctl_of iptables) $(sysctl_of ip6tables)"
if grep -q 'br_netfilter: someone turned off bridge-nf-call' "$ICC_ICCD_LOG"; then
	pass "iccd logged the repair"
else
	fail "iccd did not log the repair"
fi
# Isolation and links as before.
expect_tcp_fail a 10.88.0.3 80
expect_tcp_ok r 10.88.0.3 80
expect_tcp_ok r fd88::3 80
expect_status_matches "after the repair"

finish
