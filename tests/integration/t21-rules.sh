#!/bin/bash
# t21-rules: declarations from rules files (iccd --rules-dir) combine with
# start events; `iccctl reload` and SIGHUP apply a changed file in one
# transaction; a bad file is reported as FILE:LINE:COL and changes nothing;
# `iccctl list` says where each declaration came from.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

RULES=$ICC_TMP/rules.d
mkdir -p "$RULES"
cat >"$RULES/10-app.rules" <<'END'
# db's port and web's link come from this file
expose db 3306/tcp
link web db:aliasdb
END
ICC_ICCD_ARGS=(--rules-dir "$RULES")

add_container db 10.88.0.2
add_container web 10.88.0.3
add_container other 10.88.0.4
start_iccd

# The events say nothing of ports or links: the file does.
must start db --bridge br0 --ip 10.88.0.2 --expose 53/udp
must start web --bridge br0 --ip 10.88.0.3
must start other --bridge br0 --ip 10.88.0.4
expect_elems "file + events" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
links4 10.88.0.3 . 10.88.0.2 . udp . 53
END
expect_list "origins" \
	"link web db alias aliasdb active from $RULES/10-app.rules:3" \
	"container db running bridge br0 ip 10.88.0.2 expose 53/udp,3306/tcp($RULES/10-app.rules:2)"
expect_tcp_ok web 10.88.0.2 3306
expect_udp_ok web 10.88.0.2 53
expect_tcp_fail other 10.88.0.2 3306

# A link a file declares cannot be unlinked by an event.
if out=$(iccctl unlink web aliasdb 2>&1); then
	fail "unlink of a file's link succeeded"
else
	case $out in
	*"is declared in $RULES/10-app.rules:3"*) pass "unlink of a file's link refused: $out" ;;
	*) fail "unlink of a file's link: unexpected message: $out" ;;
	esac
fi

# reload: port 3306 becomes 3307, other gets a link too.
cat >"$RULES/10-app.rules" <<'END'
expose db 3307/tcp
link web db:aliasdb
link other db
END
must reload
expect_elems "after reload" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3307
links4 10.88.0.3 . 10.88.0.2 . udp . 53
links4 10.88.0.4 . 10.88.0.2 . tcp . 3307
links4 10.88.0.4 . 10.88.0.2 . udp . 53
END
expect_tcp_ok web 10.88.0.2 3307
expect_tcp_fail web 10.88.0.2 3306
expect_tcp_ok other 10.88.0.2 3307

# A bad file: one line FILE:LINE:COL, and nothing changes.
before=$(kernel_elems)
list_before=$(iccctl list --json)
printf 'expose db 70000/tcp\n' >"$RULES/20-bad.rules"
if out=$(iccctl reload 2>&1); then
	fail "reload of a bad file succeeded"
else
	case $out in
	"iccctl: $RULES/20-bad.rules:1:11: expose: port out of range 1-65535")
		pass "bad file reported as FILE:LINE:COL: $out" ;;
	*) fail "bad file: unexpected message: $out" ;;
	esac
fi
same "bad reload: kernel unchanged" "$before" "$(kernel_elems)"
same "bad reload: model unchanged" "$list_before" "$(iccctl list --json)"
expect_tcp_ok other 10.88.0.2 3307
rm -f "$RULES/20-bad.rules"

# refused_reload WHAT WANT: reload fails with exactly the line WANT (no
# byte of any file in it) and nothing changes.
refused_reload() {
	local what=$1 want=$2 out before list_before
	before=$(kernel_elems)
	list_before=$(iccctl list --json)
	if out=$(iccctl reload 2>&1); then
		fail "$what: reload succeeded"
	elif [ "$out" = "$want" ]; then
		pass "$what: reload refused: $out"
	else
		fail "$what: expected '$want', got: $out"
	fi
	case $out in *SECRET*) fail "$what: the reply quotes a file: $out" ;; esac
	same "$what: kernel unchanged" "$before" "$(kernel_elems)"
	same "$what: model unchanged" "$list_before" "$(iccctl list --json)"
}

# A rules file that is a symlink to a secret (as /etc/shadow): never
# followed, never quoted.
SECRET=$ICC_TMP/shadow
printf 'root:SECRETHASH:19000:0:99999:7:::\n' >"$SECRET"
chmod 0600 "$SECRET"
ln -s "$SECRET" "$RULES/30-shadow.rules"
refused_reload "a symlinked rules file" \
	"iccctl: $RULES/30-shadow.rules: a symbolic link (not followed: rules files must be regular files in the directory)"
rm -f "$RULES/30-shadow.rules"
# The secret's text in a rules file (a copy, by root): the error says
# where and why, never what.
cp "$SECRET" "$RULES/30-shadow.rules"
refused_reload "a rules file holding a secret" \
	"iccctl: $RULES/30-shadow.rules:1:1: unknown keyword (expected bridge, expose or link)"
rm -f "$RULES/30-shadow.rules"
# Files and directories others may write are refused.
printf 'expose db 3307/tcp\n' >"$RULES/40-open.rules"
chmod 0666 "$RULES/40-open.rules"
refused_reload "a rules file others may write" \
	"iccctl: $RULES/40-open.rules: writable by group or others (mode 0666)"
rm -f "$RULES/40-open.rules"
chmod 1777 "$RULES"
refused_reload "a rules directory of mode 1777" \
	"iccctl: rules directory $RULES: writable by group or others (mode 1777)"
chmod 0755 "$RULES"

# SIGHUP reloads too: the file now drops other's link and closes nothing else.
cat >"$RULES/10-app.rules" <<'END'
expose db 3307/tcp
link web db:aliasdb
END
kill -HUP "$ICC_ICCD_PID"
for _ in $(seq 1 50); do
	[ "$(kernel_elems | grep -c '10.88.0.4')" -eq 0 ] && break
	sleep 0.1
done
expect_elems "after SIGHUP" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3307
links4 10.88.0.3 . 10.88.0.2 . udp . 53
END
expect_tcp_fail other 10.88.0.2 3307
expect_tcp_ok web 10.88.0.2 3307

# rm forgets the events' declarations; the file's stay (db is "declared").
must rm db
expect_elems "db removed" </dev/null
expect_list "declared by the file only" "container db declared expose 3307/tcp($RULES/10-app.rules:1)"
must start db --bridge br0 --ip 10.88.0.2
expect_elems "db back: the file's port again" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3307
END
expect_tcp_ok web 10.88.0.2 3307

# A restart reads the files again (they are not in the state).
stop_iccd
# ... and refuses, with one line, a rules or state directory others may
# write: iccd exits before it touches anything.
for d in "$RULES" "$ICC_STATE"; do
	chmod 0777 "$d"
	out=$(ip netns exec "$HOST" timeout 20 "$ICCD_BIN" --foreground --socket "$ICC_TMP/bad.sock" \
		--state-dir "$ICC_STATE" --rules-dir "$RULES" 2>&1)
	rc=$?
	case $d in "$RULES") want="rules directory $RULES" ;; *) want="--state-dir: state directory $ICC_STATE" ;; esac
	if [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] &&
		[[ "$out" == *"$want: writable by group or others (mode 0777)" ]]; then
		pass "iccd refuses $d of mode 0777 at start: $out"
	else
		fail "iccd with $d of mode 0777: expected one line ending '$want: writable by group or others (mode 0777)'; got exit $rc: $out"
	fi
	chmod 0755 "$d"
done
[ -e "$ICC_TMP/bad.sock" ] && fail "a refused iccd left a socket"
start_iccd
expect_elems "after restart" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3307
END
finish
