#!/bin/bash
#
# quickstart.sh: build iccd on Debian and either show it at work or run
# its whole test suite.
#
#   sudo contrib/quickstart.sh demo   three containers on one bridge: one
#                                     link allowed, everything else blocked
#   sudo contrib/quickstart.sh test   make check: unit + integration tests
#
# Both install the Debian packages they need (only those missing) and
# build from this tree (autoreconf -fi, ./configure, make).  The demo
# builds its world out of network namespaces of its own, so its traffic
# never leaves this machine, and removes all of it when it ends.

set -euo pipefail

BUILD_PKGS=(gcc make autoconf automake libtool pkg-config libnftnl-dev
	libmnl-dev libjansson-dev check libsystemd-dev)
RUN_PKGS=(nftables iproute2 iputils-ping netcat-openbsd kmod procps runc
	busybox-static containernetworking-plugins util-linux)

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'quickstart: %s\n' "$*" >&2
	exit 1
}

usage() {
	echo "usage: sudo $0 demo|test" >&2
	exit 2
}

# install_missing: apt-get install only what dpkg does not have, with one
# apt-get update first when anything is missing (a fresh machine has no
# package lists).
install_missing() {
	local p missing=()
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		echo "all needed packages are installed"
		return 0
	fi
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
}

build() {
	say "building iccd"
	cd "$TOP"
	autoreconf -fi
	./configure
	make -j"$(nproc)"
}

# ---- test -------------------------------------------------------------------

# summary: one closing line from automake's test-suite.log, so that a
# reader (or CI) sees the counts without opening the logs.
summary() {
	local log=$TOP/test-suite.log k n pass=0 fail=0 skip=0 error=0 xfail=0 xpass=0
	[ -r "$log" ] || return 0
	while read -r k n; do
		case $k in
		PASS:) pass=$n ;;
		FAIL:) fail=$n ;;
		SKIP:) skip=$n ;;
		ERROR:) error=$n ;;
		XFAIL:) xfail=$n ;;
		XPASS:) xpass=$n ;;
		esac
	done < <(sed -n 's/^# \([A-Z]*:\) *\([0-9]*\)$/\1 \2/p' "$log")
	echo "tests: $((pass + xfail)) passed, $((fail + error + xpass)) failed, $skip skipped"
}

run_tests() {
	local rc=0
	say "make check (unit and integration tests)"
	cd "$TOP"
	# VERBOSE=1: automake prints the logs of failed tests.
	make -j"$(nproc)" check VERBOSE=1 || rc=$?
	summary
	return "$rc"
}

# ---- demo -------------------------------------------------------------------

DEMO=iccdemo$$
HOSTNS=$DEMO-host
DEMO_TMP=
DEMO_NS=()
DEMO_PIDS=()

# demo_cleanup: kill what the demo started, delete its namespaces.
demo_cleanup() {
	local pid ns
	set +e
	for pid in "${DEMO_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for ns in "${DEMO_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null
		done
	done
	wait 2>/dev/null
	for ns in "${DEMO_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -z "$DEMO_TMP" ] || rm -rf "$DEMO_TMP"
	echo "demo cleaned up"
}

iccctl() { "$TOP/src/iccctl" --socket "$DEMO_TMP/sock" "$@"; }

# container NAME IP: a namespace with eth0 (a veth) plugged into br0.
container() {
	local ns=$DEMO-$1
	DEMO_NS+=("$ns")
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link add eth0 type veth peer name "v-$1" netns "$HOSTNS"
	ip -n "$HOSTNS" link set "v-$1" master br0 up
	ip -n "$ns" addr add "$2/24" dev eth0
	ip -n "$ns" link set eth0 up
}

# serve NAME PORT: a TCP listener in container NAME.
serve() {
	ip netns exec "$DEMO-$1" nc -lk "$2" >/dev/null 2>&1 &
	DEMO_PIDS+=("$!")
}

# try FROM IP PORT EXPECT: one TCP connection attempt from container FROM.
# The host namespace (which iccd never filters) checks that the target
# listens, so BLOCKED means iccd stopped it, not that nobody was there.
try() {
	local from=$1 ip=$2 port=$3 expect=$4 got listening=no
	if ip netns exec "$HOSTNS" nc -z -w 1 "$ip" "$port" 2>/dev/null; then
		listening=yes
	fi
	if ip netns exec "$DEMO-$from" nc -z -w 1 "$ip" "$port" 2>/dev/null; then
		got=ALLOWED
	else
		got=BLOCKED
	fi
	printf '  %-6s -> %-10s tcp/%-5s %-8s (expected %s; the host reaches it: %s)\n' \
		"$from" "$ip" "$port" "$got" "$expect" "$listening"
	[ "$got" = "$expect" ] && [ "$listening" = yes ]
}

demo() {
	local i ok=0
	DEMO_TMP=$(mktemp -d)
	trap demo_cleanup EXIT

	say "a host namespace with bridge br0, three containers on it"
	DEMO_NS+=("$HOSTNS")
	ip netns add "$HOSTNS"
	ip -n "$HOSTNS" link set lo up
	# Bridged traffic reaches nftables only through br_netfilter.
	[ -d /proc/sys/net/bridge ] || modprobe br_netfilter
	ip netns exec "$HOSTNS" sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
		net.bridge.bridge-nf-call-ip6tables=1
	ip -n "$HOSTNS" link add br0 type bridge
	ip -n "$HOSTNS" addr add 10.88.0.1/24 dev br0
	ip -n "$HOSTNS" link set br0 up
	container db 10.88.0.2
	container web 10.88.0.3
	container other 10.88.0.4
	serve db 3306
	serve db 22
	serve web 80
	echo "db 10.88.0.2 (listens on 3306, 22), web 10.88.0.3 (80), other 10.88.0.4"

	say "iccd in the host namespace"
	ip netns exec "$HOSTNS" "$TOP/src/iccd" --foreground --socket "$DEMO_TMP/sock" \
		--state-dir "$DEMO_TMP/state" >"$DEMO_TMP/iccd.log" 2>&1 &
	DEMO_PIDS+=("$!")
	for i in $(seq 1 50); do
		iccctl status >/dev/null 2>&1 && break
		[ "$i" -lt 50 ] || die "iccd did not start: $(cat "$DEMO_TMP/iccd.log")"
		sleep 0.1
	done

	say "declaring the containers (like docker run --expose / --link)"
	set -x
	iccctl start db --bridge br0 --ip 10.88.0.2 --expose 3306/tcp
	iccctl start web --bridge br0 --ip 10.88.0.3 --link db:aliasdb
	iccctl start other --bridge br0 --ip 10.88.0.4
	{ set +x; } 2>/dev/null

	say "traffic"
	try web 10.88.0.2 3306 ALLOWED || ok=1
	try other 10.88.0.2 3306 BLOCKED || ok=1
	try db 10.88.0.3 80 BLOCKED || ok=1
	try web 10.88.0.2 22 BLOCKED || ok=1

	say "iccctl list"
	iccctl list
	say "the kernel's table (nft list table inet icc)"
	ip netns exec "$HOSTNS" nft list table inet icc

	if [ "$ok" -ne 0 ]; then
		say "some traffic did not behave as expected; iccd's log:"
		cat "$DEMO_TMP/iccd.log"
		return 1
	fi
	say "demo done: only web -> db:3306 got through"
}

# ---- main -------------------------------------------------------------------

[ "$#" -eq 1 ] || usage
case $1 in
demo | test) ;;
*) usage ;;
esac
[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0 $1): it installs packages and uses network namespaces"
install_missing "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}"
build
case $1 in
demo) demo ;;
test) run_tests ;;
esac
