/* persist.c: writing the model's changes to the state directory. */
#include "daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

/*
 * persist: write the files of names (removing those no longer in the
 * model) and, when bridges changed, bridges.json.  Nothing to do without
 * a state directory.  Returns 0 or -1 with errno.
 */
int
persist(struct iccd *d, const char *const *names, size_t n, bool bridges)
{
	if (d->state_dir[0] == '\0')
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct icc_container *c = model_find(d->model, names[i]);
		json_t *hosts;
		int rv;

		if (c == NULL || !c->has_identity) {
			if (state_remove_container(d->state_dir, names[i]) == -1)
				return -1;
			continue;
		}
		hosts = hosts_state(d, c->name);
		rv = state_save_container(d->state_dir, c, ++d->seq, hosts);
		json_decref(hosts);
		if (rv == -1)
			return -1;
	}
	if (bridges && state_save_bridges(d->state_dir, d->model) == -1)
		return -1;
	return 0;
}
