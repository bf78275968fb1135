#!/bin/bash
# t30-ops: what operators see.
#  - drop log: a blocked TCP attempt between containers of a closed bridge
#    shows in `iccctl log` with both names, addresses, port and the reason
#    check gives; --json and --follow; a flood of blocked packets is cut
#    down by the kernel's rate limit and iccd keeps answering.
#  - metrics: `iccctl metrics` is valid Prometheus text (checked by the
#    validator below), its counters move with the events (a link request,
#    a refused request, a blocked connection), and iccd --metrics-listen
#    serves the same over HTTP on 127.0.0.1 of the test's namespace.
#  - list --dot: parses with dot(1), names every link, dashes the pending
#    one, marks the closed bridge.
#  - the owned table (this kernel has owner and persist): a foreign
#    `nft delete table` fails, `nft flush ruleset` leaves it in place,
#    neither needs a repair; after a restart iccd adopts it again without
#    rebuilding it; stopped, iccd leaves it for the admin to delete.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for tool in jq curl dot; do
	command -v "$tool" >/dev/null || fatal "$tool is needed (contrib/quickstart.sh installs it)"
done

METRICS_ADDR=127.0.0.1:9431

# prom_check: stdin is valid Prometheus text format 0.0.4: HELP/TYPE
# lines, samples name{label="value",...} value, a TYPE before a family's
# samples, each family in one block, histogram buckets cumulative with
# +Inf equal to _count.  Prints the first problem, exits 1.
prom_check() {
	awk '
	function bad(why) { print "line " NR ": " why ": " $0; err = 1; exit 1 }
	function base(n) {
		if (type[n] != "") return n
		if (n ~ /_(bucket|sum|count)$/) { sub(/_(bucket|sum|count)$/, "", n) }
		return n
	}
	/^# HELP / { if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) bad("bad HELP name"); next }
	/^# TYPE / {
		if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) bad("bad TYPE name")
		if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) bad("bad type")
		if ($3 in type) bad("TYPE given twice")
		type[$3] = $4; next
	}
	/^#/ { next }
	/^$/ { bad("empty line") }
	{
		line = $0
		if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) bad("bad metric name")
		name = substr(line, 1, RLENGTH); rest = substr(line, RLENGTH + 1)
		labels = ""
		if (substr(rest, 1, 1) == "{") {
			if (!match(rest, /^\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*)?\}/))
				bad("bad labels")
			labels = substr(rest, 2, RLENGTH - 2); rest = substr(rest, RLENGTH + 1)
		}
		if (rest !~ /^ ([-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|[-+]?Inf|NaN)( [0-9]+)?$/)
			bad("bad value")
		value = substr(rest, 2) + 0
		fam = base(name)
		if (type[fam] == "") bad("sample before its TYPE")
		if (fam != cur) { if (fam in done) bad("family " fam " split"); done[cur] = 1; cur = fam }
		if (type[fam] == "histogram") {
			if (name == fam "_bucket") {
				if (labels !~ /le="/) bad("bucket without le")
				if (value < last[fam]) bad("buckets not cumulative")
				last[fam] = value
				if (labels ~ /le="\+Inf"/) inf[fam] = value
			} else if (name == fam "_count") {
				if (!(fam in inf) || inf[fam] != value) bad("+Inf bucket differs from _count")
			} else if (name != fam "_sum") bad("histogram sample " name)
		}
		n++
	}
	END { if (!err && n == 0) { print "no samples"; exit 1 } }'
}

# metric TEXT SAMPLE: the value of one sample line (name{labels}).
metric() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print "absent" }' <<<"$1"; }

# Bad option values: one line naming the option, exit 1, nothing started.
for bad in "--metrics-listen 127.0.0.1|--metrics-listen: expected ADDR:PORT" \
	"--metrics-listen 127.0.0.1:0|--metrics-listen: port out of range 1-65535" \
	"--metrics-listen nohost:80|--metrics-listen: \"nohost\" is not an IPv4 or IPv6 address" \
	"--log-group 70000|--log-group: expected a group from 0 to 65535 or \"none\""; do
	args=${bad%%|*}
	want="iccd: ${bad#*|}"
	# shellcheck disable=SC2086 # the option and its value
	out=$(in_host "$ICCD_BIN" --foreground --socket "$ICC_TMP/bad.sock" $args 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && [ "$out" = "$want" ] && [ ! -e "$ICC_TMP/bad.sock" ]; then
		pass "iccd $args: exit 1: $out"
	else
		fail "iccd $args: expected exit 1 and '$want'; got exit $rc: $out"
	fi
done

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
add_container cache 10.88.0.4
ICC_ICCD_ARGS=(--metrics-listen "$METRICS_ADDR")
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb --link ghost:g
must start cache --bridge br0 --ip 10.88.0.4

log "== metrics: valid text, counters move with events"
m0=$(iccctl metrics) || fail "iccctl metrics failed"
if err=$(prom_check <<<"$m0"); then
	pass "iccctl metrics is valid Prometheus text ($(grep -vc '^#' <<<"$m0") samples)"
else
	fail "iccctl metrics is not valid Prometheus text: $err"
fi
L='iccd_requests_total{command="link",result="ok"}'
E='iccd_requests_total{command="stop",result="error"}'
must link cache db:d2
iccctl stop nosuch >/dev/null 2>&1 && fail "stop of an unknown container succeeded"
m1=$(iccctl metrics)
same "a link request counts once in $L" "$(( $(metric "$m0" "$L") + 1 ))" "$(metric "$m1" "$L")"
same "a refused stop counts once in $E" "$(( $(metric "$m0" "$E") + 1 ))" "$(metric "$m1" "$E")"
same "links by state" "2 1" "$(metric "$m1" 'iccd_links{state="active"}') $(metric "$m1" 'iccd_links{state="pending"}')"
same "elements of links4 (web, cache -> db 3306)" "2" "$(metric "$m1" 'iccd_set_elements{set="links4"}')"
same "the table is owned" "1" "$(metric "$m1" iccd_table_owned)"
same "the apply histogram counted the link" "1" \
	"$(( $(metric "$m1" iccd_apply_seconds_count) - $(metric "$m0" iccd_apply_seconds_count) ))"
must unlink cache d2

log "== drop log: a blocked TCP attempt, with both names"
expect_tcp_fail cache 10.88.0.2 3306
want='cache 10.88.0.4 -> db 10.88.0.2 tcp/3306 blocked: no link from cache to db on closed bridge br0'
got=
for _ in $(seq 1 50); do
	got=$(iccctl log | grep -F -- " br0 $want" | head -n 1)
	[ -n "$got" ] && break
	sleep 0.1
done
if [ -n "$got" ] && [[ $got =~ ^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:.]+Z\ br0\  ]]; then
	pass "iccctl log: $got"
else
	fail "iccctl log lacks '<time> br0 $want':"
	iccctl log | sed 's/^/  log| /'
fi
j=$(iccctl log --json | jq -c '[.[] | select(.from == "cache" and .to == "db" and .port == 3306)][0]
	| [.bridge, .from_addr, .to_addr, .proto, .reason]')
same "iccctl log --json: the entry's fields" \
	'["br0","10.88.0.4","10.88.0.2","tcp","no link from cache to db on closed bridge br0"]' "$j"
m2=$(iccctl metrics)
if [ "$(metric "$m2" 'iccd_drops_total{bridge="br0"}')" -ge 1 ] 2>/dev/null; then
	pass "iccd_drops_total{bridge=\"br0\"} counts it: $(metric "$m2" 'iccd_drops_total{bridge="br0"}')"
else
	fail "iccd_drops_total{bridge=\"br0\"}: $(metric "$m2" 'iccd_drops_total{bridge="br0"}')"
fi

log "== drop log: a connection's retransmits are one entry"
# A connect left to retransmit its SYN (at 1 s, 3 s, ...): each SYN is
# "new" to conntrack again, but iccd keeps one entry and counts them.
p0=$(metric "$(iccctl metrics)" iccd_drop_packets_total)
d0=$(metric "$(iccctl metrics)" 'iccd_drops_total{bridge="br0"}')
in_ctr cache timeout 20 bash -c 'exec 3<>/dev/tcp/10.88.0.2/3307' >/dev/null 2>&1 &
SYNS=$!
ICC_PIDS+=("$SYNS")
pk=0
for _ in $(seq 1 150); do
	pk=$(iccctl log --json | jq '[.[] | select(.port == 3307)] | map(.packets) | max // 0')
	[ "$pk" -ge 2 ] && break
	sleep 0.1
done
kill "$SYNS" 2>/dev/null
same "the retransmitted connection is one entry" 1 \
	"$(iccctl log --json | jq '[.[] | select(.port == 3307)] | length')"
if [ "$pk" -ge 2 ]; then
	pass "its entry counts the retransmits: $pk packets"
	line=$(iccctl log | grep -F -- "tcp/3307 blocked: ")
	if [[ $line =~ \ blocked:\ no\ link\ from\ cache\ to\ db\ on\ closed\ bridge\ br0\ \([0-9]+\ packets\)$ ]]; then
		pass "iccctl log shows the count: $line"
	else
		fail "iccctl log does not show the count: $line"
	fi
else
	fail "the entry never counted a second packet: $(iccctl log --json | jq -c '.[] | select(.port == 3307)')"
fi
m3=$(iccctl metrics)
same "iccd_drops_total counts the connection once" "$((d0 + 1))" "$(metric "$m3" 'iccd_drops_total{bridge="br0"}')"
if [ "$(metric "$m3" iccd_drop_packets_total)" -ge $((p0 + 2)) ]; then
	pass "iccd_drop_packets_total counts its packets: $p0 -> $(metric "$m3" iccd_drop_packets_total)"
else
	fail "iccd_drop_packets_total: $p0 -> $(metric "$m3" iccd_drop_packets_total), expected 2 more at least"
fi
m2=$m3

log "== drop log --follow"
ICCD_SOCKET=$ICC_SOCK "$ICCCTL_BIN" log --follow --json >"$ICC_TMP/follow" 2>&1 &
FOLLOW=$!
ICC_PIDS+=("$FOLLOW")
# Wait until the follower printed the old entries: then it is following.
for _ in $(seq 1 50); do grep -q '"port":3306' "$ICC_TMP/follow" && break; sleep 0.1; done
expect_tcp_fail web 10.88.0.2 80
for _ in $(seq 1 50); do grep -q '"port":80,' "$ICC_TMP/follow" && break; sleep 0.1; done
f=$(grep '"port":80,' "$ICC_TMP/follow" | head -n 1 | jq -r '"\(.from) \(.to) \(.reason)"')
same "log --follow prints a new entry as it comes" \
	"web db link web -> db alias aliasdb is active, but db does not expose 80/tcp (it exposes 3306/tcp)" "$f"
kill "$FOLLOW" 2>/dev/null

log "== a flood of blocked packets: the kernel's limit, iccd answers"
before=$(iccctl log --json | jq length)
in_ctr cache ping -n -q -f -l 3000 -c 3000 -w 2 10.88.0.2 >/dev/null 2>&1
after=$(iccctl metrics)
flooded=$(( $(metric "$after" 'iccd_drops_total{bridge="br0"}') - $(metric "$m2" 'iccd_drops_total{bridge="br0"}') ))
if [ "$flooded" -ge 1 ] && [ "$flooded" -lt 1500 ]; then
	pass "3000 blocked pings: $flooded logged (rate limit in the kernel)"
else
	fail "3000 blocked pings: $flooded logged; expected some, far fewer than sent"
fi
n=$(iccctl log --json | jq length)
if [ "$n" -le 256 ] && [ "$n" -ge "$before" ]; then
	pass "the log holds $n entries (at most 256)"
else
	fail "the log holds $n entries (before the flood: $before; at most 256)"
fi
if iccctl status >/dev/null; then
	pass "iccd answers after the flood"
else
	fail "iccd does not answer after the flood"
fi
if iccctl log | grep -q " cache 10.88.0.4 -> db 10.88.0.2 icmp/0 blocked: links allow only tcp, udp and sctp ports"; then
	pass "a blocked ping is logged as icmp"
else
	fail "no icmp entry in the log"
fi

log "== metrics over HTTP"
a=$(iccctl metrics)
if h=$(in_host curl -sS --max-time 10 "http://$METRICS_ADDR/metrics"); then
	if err=$(prom_check <<<"$h"); then
		pass "GET /metrics is valid Prometheus text"
	else
		fail "GET /metrics is not valid Prometheus text: $err"
	fi
	# The HTTP scrape is no control request; iccctl metrics is, and its
	# own reply time and client: those lines aside, both are the same.
	# Drops may still come in from the flood above (the kernel batches
	# nflog messages): the scrape, taken second, may only count more.
	strip_self() { grep -v -e '^iccd_requests_total{command="metrics"' -e '^iccd_reply_seconds' \
		-e '^iccd_control_clients' -e '^iccd_drops_total{'; }
	same "HTTP and iccctl metrics agree" "$(strip_self <<<"$a")" "$(strip_self <<<"$h")"
	drops_of() { sed -n 's/^iccd_drops_total{bridge="br0"} //p'; }
	da=$(drops_of <<<"$a")
	dh=$(drops_of <<<"$h")
	if [ -n "$da" ] && [ -n "$dh" ] && [ "$dh" -ge "$da" ]; then
		pass "drops over HTTP ($dh) are at least iccctl's, read before ($da)"
	else
		fail "drops over HTTP ($dh) fewer than iccctl's, read before ($da)"
	fi
else
	fail "GET http://$METRICS_ADDR/metrics failed"
fi
code=$(in_host curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$METRICS_ADDR/other")
same "GET /other is 404" 404 "$code"

# At most 2 connections from one address: a client holding them open
# cannot starve another address's scrape.  The holder keeps two idle
# connections from 127.0.0.1; a scrape from 127.0.0.2 is served (and,
# queued behind them, proves iccd accepted both); a third from 127.0.0.1
# is closed unanswered.
# ip netns exec and bash exec in place: $! holds the connections.
ip netns exec "$HOST" bash -c "exec 3<>/dev/tcp/${METRICS_ADDR%:*}/${METRICS_ADDR#*:} \
	4<>/dev/tcp/${METRICS_ADDR%:*}/${METRICS_ADDR#*:}; exec sleep 8" &
HOLDER=$!
ICC_PIDS+=("$HOLDER")
for _ in $(seq 1 50); do
	[ "$(in_host ss -Htn state established "dport = :${METRICS_ADDR#*:}" | wc -l)" -ge 2 ] && break
	sleep 0.1
done
code=$(in_host curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	--interface 127.0.0.2 "http://$METRICS_ADDR/metrics")
same "per address limit: another address is served" 200 "$code"
code=$(in_host curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$METRICS_ADDR/metrics")
same "per address limit: a 3rd connection from 127.0.0.1 is refused" 000 "$code"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
for _ in $(seq 1 50); do	# until iccd saw them close
	code=$(in_host curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$METRICS_ADDR/metrics")
	[ "$code" = 200 ] && break
	sleep 0.1
done
same "per address limit: 127.0.0.1 served once it let go" 200 "$code"

log "== list --dot"
if dotsrc=$(iccctl list --dot) && dot -Tcanon <<<"$dotsrc" >"$ICC_TMP/canon" 2>"$ICC_TMP/dot.err"; then
	pass "iccctl list --dot parses with dot"
else
	fail "iccctl list --dot does not parse: $(cat "$ICC_TMP/dot.err")"
fi
while read -r recv src alias state; do
	edge=$(grep -F -- "\"$recv\" -> \"$src\"" <<<"$dotsrc")
	if [ -z "$edge" ] || ! grep -qF -- "label=\"$alias\\n" <<<"$edge"; then
		fail "dot: no edge $recv -> $src labelled $alias"
		continue
	fi
	if [ "$state" = pending ] && ! grep -q 'style=dashed' <<<"$edge"; then
		fail "dot: pending link $recv -> $src is not dashed: $edge"
	elif [ "$state" = active ] && grep -q 'style=dashed' <<<"$edge"; then
		fail "dot: active link $recv -> $src is dashed: $edge"
	else
		pass "dot: $edge"
	fi
done < <(iccctl list --json | jq -r '.links[] | "\(.receiver) \(.source) \(.alias) \(.state)"')
if grep -qF 'label="br0 (icc off: closed)"' <<<"$dotsrc" && grep -qF 'color=red' <<<"$dotsrc"; then
	pass "dot: br0 is marked closed"
else
	fail "dot: br0 not marked closed"
fi
if grep -qF '"web" -> "db" [label="aliasdb\n3306/tcp"]' <<<"$dotsrc"; then
	pass "dot: the edge web -> db names db's port"
else
	fail "dot: the edge web -> db lacks 'aliasdb\n3306/tcp'"
fi

log "== the owned table"
t=$(nft_table)
# progname: iccd's own name, memcheck's under valgrind.
if grep -qE '^table inet icc \{ # progname (iccd|memcheck)' <<<"$t" && grep -qx $'\tflags owner' <<<"$t"; then
	pass "the table is owned by iccd (nft: '# progname', 'flags owner')"
else
	fail "the table is not owned: $(head -n 3 <<<"$t")"
fi
r0=$(iccctl status --json | jq .repairs)
e0=$(kernel_elems closed links4 ranges4 links6 ranges6)
if out=$(in_host nft delete table inet icc 2>&1); then
	fail "a foreign nft delete table inet icc succeeded"
else
	pass "a foreign nft delete table inet icc fails: $(grep -m1 Error <<<"$out")"
fi
in_host nft flush ruleset || fail "nft flush ruleset failed"
same "the table is whole after the delete and the flush" "$e0" "$(kernel_elems closed links4 ranges4 links6 ranges6)"
same "no repair was needed" "$r0" "$(iccctl status --json | jq .repairs)"
expect_tcp_ok web 10.88.0.2 3306
expect_tcp_fail cache 10.88.0.2 3306
stop_iccd
if t=$(nft_table) && ! grep -qx $'\tflags owner' <<<"$t"; then
	pass "iccd stopped: the table stays, no longer owned (an orphan)"
else
	fail "iccd stopped: the table is gone or still owned: $(head -n 3 <<<"$t")"
fi
expect_tcp_fail cache 10.88.0.2 3306
start_iccd
if grep -qx $'\tflags owner' <<<"$(nft_table)"; then
	pass "restarted: iccd owns its table again"
else
	fail "restarted: the table is not owned again"
fi
n=$(grep -c '(rebuilt)' "$ICC_ICCD_LOG")
same "the restart adopted the table in place (one rebuild in the log: the first start's)" 1 "$n"
same "the table's elements survived the restart" "$e0" "$(kernel_elems closed links4 ranges4 links6 ranges6)"

log "== the log group in use by another process"
# A second iccd on a table of its own: the first one has group 31.
mkdir -p "$ICC_TMP/g-state"
ip netns exec "$HOST" "$ICCD_BIN" --foreground --socket "$ICC_TMP/g.sock" \
	--state-dir "$ICC_TMP/g-state" --table iccg >"$ICC_TMP/g.log" 2>&1 &
G=$!
ICC_PIDS+=("$G")
for _ in $(seq 1 100); do
	ICCD_SOCKET=$ICC_TMP/g.sock "$ICCCTL_BIN" status >/dev/null 2>&1 && break
	sleep 0.1
done
if grep -qx "iccd: drop log: log group 31 is in use by another process (another iccd?): blocked connections will not be logged" "$ICC_TMP/g.log"; then
	pass "a second iccd says the log group is in use"
else
	fail "a second iccd: no 'log group 31 is in use' line: $(cat "$ICC_TMP/g.log")"
fi
out=$(ICCD_SOCKET=$ICC_TMP/g.sock "$ICCCTL_BIN" log 2>&1)
rc=$?
same "its iccctl log: exit 1 and why" "1 iccctl: iccd's drop log is off (log group 31 is in use by another process)" "$rc $out"
kill "$G"
wait "$G" 2>/dev/null
in_host nft delete table inet iccg || fail "cannot delete table inet iccg"
in_host nft delete table bridge iccg 2>/dev/null
stop_iccd
if in_host nft delete table inet icc; then
	pass "with iccd stopped, the admin deletes the table"
else
	fail "with iccd stopped, nft delete table inet icc failed"
fi

log "== --log-group none: iccctl log says the drop log is off"
ICC_ICCD_ARGS=(--log-group none)
start_iccd
for args in "" "--follow" "--json"; do
	# shellcheck disable=SC2086 # no option, or one
	out=$(iccctl log $args 2>&1 >/dev/null)
	rc=$?
	same "iccctl log $args with --log-group none: exit 1, one line" \
		"1 iccctl: iccd's drop log is off (--log-group none)" "$rc $out"
done
stop_iccd
in_host nft delete table inet icc 2>/dev/null
in_host nft delete table bridge icc 2>/dev/null

finish
