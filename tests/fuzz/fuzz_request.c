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

/* same_container: every field a start request carries is equal. */
static int
same_container(const struct icc_container *a, const struct icc_container *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || strcmp(a->id, b->id) != 0 ||
	    strcmp(a->hostname, b->hostname) != 0 ||
	    strcmp(a->bridge, b->bridge) != 0 ||
	    memcmp(&a->ip4, &b->ip4, sizeof(a->ip4)) != 0 ||
	    a->has_ip6 != b->has_ip6 || (a->has_ip6 &&
	    memcmp(&a->ip6, &b->ip6, sizeof(a->ip6)) != 0) ||
	    a->nports != b->nports || a->nlinks != b->nlinks ||
	    a->nenv != b->nenv || strcmp(a->port, b->port) != 0 ||
	    a->has_mac != b->has_mac || (a->has_mac &&
	    memcmp(a->mac, b->mac, sizeof(a->mac)) != 0))
		return 0;
	for (i = 0; i < a->nports; i++)
		if (a->ports[i].first != b->ports[i].first ||
		    a->ports[i].last != b->ports[i].last ||
		    a->ports[i].proto != b->ports[i].proto)
			return 0;
	for (i = 0; i < a->nlinks; i++)
		if (strcmp(a->links[i].source, b->links[i].source) != 0 ||
		    strcmp(a->links[i].alias, b->links[i].alias) != 0)
			return 0;
	for (i = 0; i < a->nenv; i++)
		if (strcmp(a->env[i], b->env[i]) != 0)
			return 0;
	return 1;
}

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
		 * to the same container, field by field, and encode the
		 * same again: the state files rely on it. */
		if (r.cmd == REQ_START) {
			json_t *again = request_encode_start(r.c), *third;
			struct request r2;

			if (again == NULL ||
			    request_parse(again, &r2, err, sizeof(err)) != 0)
				__builtin_trap();
			if (!same_container(r.c, r2.c))
				__builtin_trap();
			third = request_encode_start(r2.c);
			if (third == NULL || !json_equal(again, third))
				__builtin_trap();
			json_decref(third);
			request_clear(&r2);
			json_decref(again);
		}
		request_clear(&r);
	} else if (strchr(err, ':') == NULL)
		__builtin_trap();	/* every error names its field */
	json_decref(obj);
	return 0;
}
