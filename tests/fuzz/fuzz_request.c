/*
 * fuzz_request.c: libFuzzer target for everything iccd parses from a
 * client: the frame header check, the JSON payload and request_parse with
 * every validator behind it.  Build and run: make fuzz (clang).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "proto.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_hdr h;
	struct request r;
	char err[512];
	json_t *obj;

	if (size >= sizeof(h)) {
		memcpy(&h, data, sizeof(h));
		(void)ctl_frame_check(&h, CTL_REQUEST, ICC_REQ_MAX);
	}
	obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	if (obj == NULL)
		return 0;
	if (request_parse(obj, &r, err, sizeof(err)) == 0) {
		/* A request that parses must encode back and parse again
		 * to the same container: the state files rely on it. */
		if (r.cmd == REQ_START) {
			json_t *again = request_encode_start(r.c);
			struct request r2;

			if (again == NULL ||
			    request_parse(again, &r2, err, sizeof(err)) != 0)
				__builtin_trap();
			if (r2.c->nports != r.c->nports ||
			    r2.c->nlinks != r.c->nlinks ||
			    r2.c->nenv != r.c->nenv ||
			    memcmp(&r2.c->ip4, &r.c->ip4, 4) != 0)
				__builtin_trap();
			request_clear(&r2);
			json_decref(again);
		}
		request_clear(&r);
	} else if (strchr(err, ':') == NULL)
		__builtin_trap();	/* every error names its field */
	json_decref(obj);
	return 0;
}
