/* metrics.c: see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 100 us to 2.5 s: an element change takes 0.1-1 ms, a rebuild more. */
static const double bounds[METRICS_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5
};

void
metrics_reset(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
}

static void
observe(struct histogram *h, long ns)
{
	double s = ns / 1e9;
	size_t i;

	for (i = 0; i < METRICS_BUCKETS && s > bounds[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum += s;
}

void
metrics_request(struct metrics *m, enum req_cmd cmd, bool ok, long apply_ns,
    long reply_ns)
{
	if ((unsigned)cmd > REQ_NR)
		cmd = REQ_NR;
	m->requests[cmd][ok ? 0 : 1]++;
	if (apply_ns >= 0)
		observe(&m->apply, apply_ns);
	if (reply_ns >= 0)
		observe(&m->reply, reply_ns);
}

void
metrics_drop(struct metrics *m, const char *bridge)
{
	size_t i;

	for (i = 0; i < m->ndrops; i++)
		if (strcmp(m->drops[i].name, bridge) == 0) {
			m->drops[i].n++;
			return;
		}
	if (m->ndrops == METRICS_BRIDGES) {
		m->drops_other++;
		return;
	}
	snprintf(m->drops[i].name, sizeof(m->drops[i].name), "%s", bridge);
	m->drops[i].n = 1;
	m->ndrops++;
}

/* ---- rendering ---------------------------------------------------------- */

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
histogram(FILE *f, const char *name, const char *help,
    const struct histogram *h)
{
	unsigned long long cum = 0;

	family(f, name, "histogram", help);
	for (size_t i = 0; i < METRICS_BUCKETS; i++) {
		cum += h->bucket[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, h->count);
	fprintf(f, "%s_sum %.9f\n%s_count %llu\n", name, h->sum, name,
	    h->count);
}

void
metrics_round(struct metrics *m, size_t nreq)
{
	size_t i;

	for (i = 0; i < METRICS_ROUND_BUCKETS && nreq > (1u << i); i++)
		;
	m->round_size[i]++;
	m->round_txns++;
	m->round_requests += nreq;
}

/* rounds: the group-commit figures (a histogram of counts). */
static void
rounds(FILE *f, const struct metrics *m)
{
	const char *name = "iccd_round_requests_per_transaction";
	unsigned long long cum = 0;

	family(f, name, "histogram", "Group commit: the requests whose "
	    "changes one kernel transaction carried (a poll round's).");
	for (size_t i = 0; i < METRICS_ROUND_BUCKETS; i++) {
		cum += m->round_size[i];
		fprintf(f, "%s_bucket{le=\"%u\"} %llu\n", name, 1u << i, cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, m->round_txns);
	fprintf(f, "%s_sum %llu\n%s_count %llu\n", name, m->round_requests,
	    name, m->round_txns);
	family(f, "iccd_round_refusals_total", "counter", "Group commit: "
	    "transactions the kernel refused; their requests were handled "
	    "again one by one.");
	fprintf(f, "iccd_round_refusals_total %llu\n", m->round_refused);
}

static void
requests(FILE *f, const struct metrics *m)
{
	family(f, "iccd_requests_total", "counter", "Control requests "
	    "answered, by command (\"unknown\": none named) and result.");
	for (int c = 0; c <= REQ_NR; c++)
		for (int r = 0; r < 2; r++)
			fprintf(f, "iccd_requests_total{command=\"%s\","
			    "result=\"%s\"} %llu\n", c == REQ_NR ? "unknown" :
			    request_cmd_name(c), r ? "error" : "ok",
			    m->requests[c][r]);
}

static void
gauges(FILE *f, const struct metrics *m, const struct metrics_gauges *g)
{
	family(f, "iccd_set_elements", "gauge", "Elements iccd keeps in each "
	    "set of its table.");
	fprintf(f, "iccd_set_elements{set=\"closed\"} %zu\n",
	    g->closed_bridges);
	for (int s = 0; s < ICC_SET_NR; s++)
		fprintf(f, "iccd_set_elements{set=\"%s\"} %zu\n",
		    elem_set_name(s), g->set_elements[s]);
	family(f, "iccd_containers", "gauge", "Containers by state "
	    "(declared: declared by a rules file, never started).");
	fprintf(f, "iccd_containers{state=\"running\"} %zu\n"
	    "iccd_containers{state=\"stopped\"} %zu\n"
	    "iccd_containers{state=\"declared\"} %zu\n", g->running,
	    g->stopped, g->declared);
	family(f, "iccd_links", "gauge", "Links by state.");
	fprintf(f, "iccd_links{state=\"active\"} %zu\n"
	    "iccd_links{state=\"pending\"} %zu\n", g->active, g->pending);
	family(f, "iccd_repairs_total", "counter", "Repairs of the table "
	    "after someone else changed it.");
	fprintf(f, "iccd_repairs_total %lu\n", g->repairs);
	family(f, "iccd_sysctl_repairs_total", "counter", "br_netfilter "
	    "sysctls found changed and put back.");
	fprintf(f, "iccd_sysctl_repairs_total %lu\n", g->sysctl_repairs);
	family(f, "iccd_ports_lost_total", "counter", "Running containers "
	    "stopped by iccd because their bridge port went away.");
	fprintf(f, "iccd_ports_lost_total %lu\n", g->ports_lost);
	family(f, "iccd_table_owned", "gauge", "1 when iccd's table carries "
	    "the owner and persist flags: no other process can change it.");
	fprintf(f, "iccd_table_owned %d\n", g->owned ? 1 : 0);
	family(f, "iccd_range_gc_queued", "gauge", "Revoked range elements "
	    "still in the kernel, inert without their pair, being deleted "
	    "a chunk at a time.");
	fprintf(f, "iccd_range_gc_queued %zu\n", g->gc_queued);
	family(f, "iccd_range_gc_pending", "gauge", "Elements held back "
	    "until their pair's old ranges are deleted.");
	fprintf(f, "iccd_range_gc_pending %zu\n", g->gc_pending);
	family(f, "iccd_range_gc_drained_total", "counter", "Revoked range "
	    "elements deleted by the range garbage queue's drain.");
	fprintf(f, "iccd_range_gc_drained_total %lu\n", g->gc_drained);
	family(f, "iccd_control_clients", "gauge", "Clients connected to the "
	    "control socket.");
	fprintf(f, "iccd_control_clients %zu\n", m->clients);
}

static void
drops(FILE *f, const struct metrics *m)
{
	family(f, "iccd_drops_total", "counter", "Blocked connections between "
	    "containers of a closed bridge that the kernel logged "
	    "(rate-limited), by bridge; retransmits count once.");
	for (size_t i = 0; i < m->ndrops; i++)
		fprintf(f, "iccd_drops_total{bridge=\"%s\"} %llu\n",
		    m->drops[i].name, m->drops[i].n);
	if (m->drops_other > 0)
		fprintf(f, "iccd_drops_total{bridge=\"other\"} %llu\n",
		    m->drops_other);
	family(f, "iccd_drop_packets_total", "counter", "Packets of blocked "
	    "connections that the kernel logged (rate-limited), "
	    "retransmits included.");
	fprintf(f, "iccd_drop_packets_total %llu\n", m->drop_packets);
}

char *
metrics_render(const struct metrics *m, const struct metrics_gauges *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	requests(f, m);
	histogram(f, "iccd_apply_seconds", "From a request's arrival to the "
	    "kernel's ack of its change.", &m->apply);
	histogram(f, "iccd_reply_seconds", "From a request's arrival to its "
	    "reply.", &m->reply);
	rounds(f, m);
	gauges(f, m, g);
	drops(f, m);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	fclose(f);
	return buf;
}
