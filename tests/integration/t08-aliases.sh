#!/bin/bash
# t08-aliases: two aliases of one source derive the same element once;
# it stays while any alias is left and goes with the last one.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2
add_container web 10.88.0.3
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --expose 3306/tcp
must start web --bridge br0 --ip 10.88.0.3
expect_tcp_fail web 10.88.0.2 3306

ELEM="links4 10.88.0.3 . 10.88.0.2 . tcp . 3306"

must link web db:a1
must link web db:a2
expect_elems "two aliases" <<<"$ELEM"
expect_list "two aliases" "link web db alias a1 active" "link web db alias a2 active"
expect_tcp_ok web 10.88.0.2 3306

must unlink web a1
expect_elems "a1 unlinked" <<<"$ELEM"
expect_list "a1 unlinked" "link web db alias a2 active"
expect_list_none "a1 unlinked" "alias a1 "
expect_tcp_ok web 10.88.0.2 3306

must unlink web a2
expect_elems "a2 unlinked too" </dev/null
expect_list_none "a2 unlinked too" "^link web "
expect_tcp_fail web 10.88.0.2 3306

finish
