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
	libmnl-dev libjansson-dev check libsystemd-dev libcurl4-openssl-dev
	libmicrohttpd-dev)
RUN_PKGS=(nftables iproute2 iputils-ping netcat-openbsd kmod procps runc
	busybox-static containernetworking-plugins util-linux)
# Only for `test`: memcheck, the fuzzer, the benchmark's baselines and plot,
# Docker Engine for icc-docker's test (t28 starts its own dockerd),
# Podman with netavark for t31 (runc, CNI plugins and iptables as above).
TEST_PKGS=(valgrind clang libclang-rt-14-dev iptables iperf3 gnuplot-nox jq
	groff-base passwd docker.io graphviz curl podman netavark)

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

# Totals over every pass of `test`, for the closing line.  What ran is
# counted: each check of the unit runner (Check's own count; a case that
# prints "SKIP: " counts as skipped), each other test, and the tests of
# distcheck (whose root suites skip) with their skips.
TOTAL_PASS=0
TOTAL_FAIL=0
TOTAL_SKIP=0
COUNTS_LOG=	# a temporary file of run_tests

# automake_counts LOG: "PASS FAIL SKIP" from the last "# PASS: N" ...
# summary in LOG (a test-suite.log, or make's output), or nothing.
automake_counts() {
	awk '/^# [A-Z]+: *[0-9]+$/ { sub(/:/, "", $2); n[$2] = $3; seen = 1 }
		END { if (seen) print n["PASS"] + n["XFAIL"],
			n["FAIL"] + n["ERROR"] + n["XPASS"], n["SKIP"] + 0 }' "$1"
}

# check_counts LOG: "PASS FAIL SKIP" of the unit runner from its output:
# Check's "Checks: N, Failures: F, Errors: E" line and the SKIP lines.  No
# such line (the runner died): one failure.
check_counts() {
	local n f e s
	read -r n f e < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$1" | tail -n 1)
	if [ -z "${n:-}" ]; then
		echo "0 1 0"
		return
	fi
	s=$(grep -c '^SKIP: ' "$1" || true)
	echo "$((n - f - e - s)) $((f + e)) $s"
}

# add_counts WHAT PASS FAIL SKIP: into the totals, and say so.
add_counts() {
	TOTAL_PASS=$((TOTAL_PASS + $2))
	TOTAL_FAIL=$((TOTAL_FAIL + $3))
	TOTAL_SKIP=$((TOTAL_SKIP + $4))
	echo "$1: $2 passed, $3 failed, $4 skipped"
}

# summary DIR: count one pass's results from DIR/test-suite.log into the
# totals and print them, so a reader (or CI) sees the counts per pass.
# The unit runner, one test for automake, counts as its checks.
summary() {
	local dir=$1 pass=0 fail=0 skip=0 up=0 uf=0 us=0 res
	[ -r "$dir/test-suite.log" ] || return 0
	read -r pass fail skip < <(automake_counts "$dir/test-suite.log")
	if [ -r "$dir/tests/unit/check_iccd.trs" ]; then
		res=$(sed -n 's/^:test-result: //p' "$dir/tests/unit/check_iccd.trs")
		case $res in
		PASS) pass=$((pass - 1)) ;;
		SKIP) skip=$((skip - 1)) ;;
		*) fail=$((fail - 1)) ;;
		esac
		read -r up uf us < <(check_counts "$dir/tests/unit/check_iccd.log")
		pass=$((pass + up)) fail=$((fail + uf)) skip=$((skip + us))
	fi
	add_counts pass "${pass:-0}" "${fail:-0}" "${skip:-0}"
}

# check_pass NAME DIR MAKEARGS...: one `make check` pass in build dir DIR.
check_pass() {
	local name=$1 dir=$2 rc=0
	shift 2
	say "$name"
	rm -f "$dir/test-suite.log" "$dir"/tests/unit/check_iccd.{log,trs}
	# VERBOSE=1: automake prints the logs of failed tests.
	make -C "$dir" -j"$(nproc)" check VERBOSE=1 "$@" || rc=$?
	summary "$dir"
	[ "$rc" -eq 0 ] || [ -r "$dir/test-suite.log" ] || TOTAL_FAIL=$((TOTAL_FAIL + 1))
	return "$rc"
}

# one_check NAME CMD...: a check outside automake, counted as one test.
one_check() {
	local name=$1
	shift
	say "$name"
	if "$@"; then
		TOTAL_PASS=$((TOTAL_PASS + 1))
		return 0
	fi
	echo "FAIL: $name"
	TOTAL_FAIL=$((TOTAL_FAIL + 1))
	return 1
}

# counted_check NAME COUNTER CMD...: a check outside automake whose
# output (shown, and kept in $COUNTS_LOG) COUNTER turns into "PASS FAIL
# SKIP"; a failure of CMD with no failure counted counts as one.
counted_check() {
	local name=$1 counter=$2 rc=0 p=0 f=0 s=0
	shift 2
	say "$name"
	"$@" 2>&1 | tee "$COUNTS_LOG" || rc=$?	# pipefail: CMD's status
	read -r p f s < <("$counter" "$COUNTS_LOG")
	p=${p:-0} f=${f:-0} s=${s:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name (exit $rc)"
		f=1
	fi
	add_counts "$name" "$p" "$f" "$s"
	[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
}

# unit_valgrind: the unit runner in one process under memcheck.
unit_valgrind() {
	# Tests tagged "fork" have a forked peer whose exit valgrind would
	# also judge; they run in every other pass.
	CK_FORK=no CK_EXCLUDE_TAGS=fork valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$TOP/tests/unit/check_iccd"
}

# sanitized_build: a second tree, unpacked from `make dist` (automake
# refuses a VPATH build next to an in-tree one), built with ASan + UBSan
# (configure --enable-sanitizers).
sanitized_build() {
	local tarball
	make dist >/dev/null || return 1
	tarball=$TOP/$(sed -n "s/^PACKAGE_TARNAME = //p" Makefile)-$(sed -n "s/^PACKAGE_VERSION = //p" Makefile).tar.gz
	rm -rf "$TOP/build-san"
	mkdir -p "$TOP/build-san"
	tar -xzf "$tarball" -C "$TOP/build-san" --strip-components=1 || return 1
	(cd "$TOP/build-san" && ./configure -q --enable-sanitizers &&
		make -j"$(nproc)")
}

# run_tests: every suite, then the same suites again under valgrind and
# under AddressSanitizer + UndefinedBehaviorSanitizer, then distcheck, a
# fuzzing smoke run and the benchmark's smoke size.  ICC_QUICK=1 stops
# after the first pass.
run_tests() {
	local rc=0
	cd "$TOP"
	COUNTS_LOG=$(mktemp "${TMPDIR:-/tmp}/iccd-quickstart.XXXXXX")
	trap 'rm -f "$COUNTS_LOG"' EXIT
	check_pass "make check (unit and integration tests)" "$TOP" || rc=1
	if [ "${ICC_QUICK:-0}" != 1 ]; then
		counted_check "unit tests under valgrind" check_counts unit_valgrind || rc=1
		check_pass "integration tests with iccd under valgrind" "$TOP" \
			ICC_VALGRIND=1 TESTS="\$(INTEGRATION_TESTS)" || rc=1
		if one_check "ASan + UBSan build" sanitized_build; then
			check_pass "make check with ASan + UBSan" "$TOP/build-san" \
				ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 || rc=1
		else
			rc=1
		fi
		counted_check "make distcheck" automake_counts make -j"$(nproc)" distcheck || rc=1
		one_check "fuzzing smoke run (make fuzz, 30 s)" make fuzz FUZZ_SECONDS=30 || rc=1
		if grep -q '^bench-smoke:' Makefile; then
			one_check "benchmark smoke size (make bench-smoke)" make bench-smoke || rc=1
		fi
	fi
	echo
	echo "tests: $TOTAL_PASS passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"
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

iccctl() { "$TOP/src/iccctl/iccctl" --socket "$DEMO_TMP/sock" "$@"; }

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
	ip netns exec "$HOSTNS" "$TOP/src/iccd/iccd" --foreground --socket "$DEMO_TMP/sock" \
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
if [ "$1" = test ]; then
	install_missing "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${TEST_PKGS[@]}"
else
	install_missing "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}"
fi
build
case $1 in
demo) demo ;;
test) run_tests ;;
esac
