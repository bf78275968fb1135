#!/bin/bash
# t07-pending: a link to a source that does not exist yet is pending: no
# access; once the source starts the link becomes active by itself.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2
add_container web 10.88.0.3
start_iccd

must start web --bridge br0 --ip 10.88.0.3 --link db:aliasdb
expect_list "db unknown" "link web db alias aliasdb pending"
expect_list_none "db unknown" "^  allow "
expect_elems "db unknown" </dev/null
# db's namespace already serves 3306: only iccd stands in the way.
expect_tcp_fail web 10.88.0.2 3306

must start db --bridge br0 --ip 10.88.0.2 --expose 3306/tcp
expect_list "db started" \
	"link web db alias aliasdb active" \
	"  allow 10.88.0.3 . 10.88.0.2 . tcp . 3306"
expect_elems "db started" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
END
expect_tcp_ok web 10.88.0.2 3306
expect_tcp_fail db 10.88.0.3 22

finish
