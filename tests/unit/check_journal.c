/*
 * check_journal.c: the append-only journal (journal.h) and iccd's
 * journaled state (statelog, state.h): records read back in order, a
 * torn or damaged tail ignored and cut before the next append, a failed
 * group leaving nothing, rotation, replay over the files (journal.old
 * before journal), and compaction, inline and in a child process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "model.h"
#include "state.h"
#include "suites.h"

static char dir[64];
static char jpath[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/iccd-journal-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(state_init(dir, NULL, 0), 0);
	snprintf(jpath, sizeof(jpath), "%s/%s", dir, STATE_JOURNAL);
}

static void
teardown(void)
{
	char cmd[128];

	/* Test cleanup only: the path is our own mkdtemp result. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* What journal_read handed over, joined by '|'. */
struct seen {
	char	text[1024];
	long	n;
};

static int
seen_cb(const void *p, size_t len, void *arg)
{
	struct seen *s = arg;
	size_t at = strlen(s->text);

	snprintf(s->text + at, sizeof(s->text) - at, "%s%.*s",
	    at ? "|" : "", (int)len, (const char *)p);
	s->n++;
	return 0;
}

static long
read_all(const char *path, struct seen *s, off_t *end)
{
	memset(s, 0, sizeof(*s));
	return journal_read(path, seen_cb, s, end);
}

static void
append_commit(struct journal *j, const char *text)
{
	ck_assert_int_eq(journal_append(j, text, strlen(text)), 0);
	ck_assert_int_eq(journal_commit(j), 0);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

START_TEST(test_crc32_known_value)
{
	/* The standard check value of CRC-32/ISO-HDLC. */
	ck_assert_uint_eq(journal_crc32("123456789", 9), 0xcbf43926u);
}
END_TEST

START_TEST(test_round_trip_and_groups)
{
	struct journal *j = journal_open(jpath);
	struct seen s;
	off_t end;

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(read_all(jpath, &s, &end), 0);
	append_commit(j, "one");
	/* A group of two: nothing on disk before the commit. */
	ck_assert_int_eq(journal_append(j, "two", 3), 0);
	ck_assert_int_eq(journal_append(j, "three", 5), 0);
	ck_assert_uint_eq(journal_pending(j), 2);
	ck_assert_int_eq(read_all(jpath, &s, NULL), 1);
	ck_assert_int_eq(journal_commit(j), 0);
	ck_assert_uint_eq(journal_pending(j), 0);
	ck_assert_int_eq(read_all(jpath, &s, &end), 3);
	ck_assert_str_eq(s.text, "one|two|three");
	ck_assert_int_eq(end, journal_size(j));
	ck_assert_int_eq(end, file_size(jpath));
	/* A discarded group leaves nothing. */
	ck_assert_int_eq(journal_append(j, "four", 4), 0);
	journal_discard(j);
	ck_assert_int_eq(journal_commit(j), 0);
	ck_assert_int_eq(read_all(jpath, &s, NULL), 3);
	/* Bad lengths are refused. */
	ck_assert_int_eq(journal_append(j, "", 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	journal_close(j);
	/* A missing file is an empty journal. */
	ck_assert_int_eq(unlink(jpath), 0);
	ck_assert_int_eq(read_all(jpath, &s, &end), 0);
	ck_assert_int_eq(end, 0);
}
END_TEST

/* cut_to: truncate the journal to len bytes (a crash mid-write). */
static void
cut_to(off_t len)
{
	ck_assert_int_eq(truncate(jpath, len), 0);
}

START_TEST(test_torn_tail_every_length)
{
	struct journal *j = journal_open(jpath);
	off_t whole, full;
	struct seen s;

	append_commit(j, "alpha");
	append_commit(j, "beta");
	whole = journal_size(j);
	append_commit(j, "gamma-gamma");
	full = journal_size(j);
	journal_close(j);
	/* Every cut inside the last record: the first two stay, whole. */
	for (off_t len = whole; len < full; len++) {
		/* Rebuild the full file, then tear it at len. */
		ck_assert_int_eq(truncate(jpath, whole), 0);
		ck_assert_ptr_nonnull(j = journal_open(jpath));
		append_commit(j, "gamma-gamma");
		journal_close(j);
		cut_to(len);
		ck_assert_int_eq(read_all(jpath, &s, NULL), 2);
		ck_assert_str_eq(s.text, "alpha|beta");
	}
	/* Opening cuts the torn tail off: a new record follows the last
	 * whole one, and is read. */
	cut_to(whole + 5);
	j = journal_open(jpath);
	ck_assert_int_eq(journal_size(j), whole);
	ck_assert_int_eq(file_size(jpath), whole);
	append_commit(j, "delta");
	journal_close(j);
	ck_assert_int_eq(read_all(jpath, &s, NULL), 3);
	ck_assert_str_eq(s.text, "alpha|beta|delta");
}
END_TEST

START_TEST(test_damaged_record_ends_the_journal)
{
	struct journal *j = journal_open(jpath);
	struct seen s;
	off_t first;
	int fd;

	append_commit(j, "alpha");
	first = journal_size(j);
	append_commit(j, "beta");
	append_commit(j, "gamma");
	journal_close(j);
	/* One flipped payload byte in the second record: its checksum
	 * fails, and nothing after it is trusted. */
	ck_assert_int_ne(fd = open(jpath, O_WRONLY), -1);
	ck_assert_int_eq(pwrite(fd, "B", 1, first + 8), 1);
	close(fd);
	ck_assert_int_eq(read_all(jpath, &s, NULL), 1);
	ck_assert_str_eq(s.text, "alpha");
	/* A length of 0 or past the end is damage too. */
	ck_assert_int_ne(fd = open(jpath, O_WRONLY), -1);
	ck_assert_int_eq(pwrite(fd, "\0\0\0\0", 4, first), 4);
	close(fd);
	ck_assert_int_eq(read_all(jpath, &s, NULL), 1);
	ck_assert_int_ne(fd = open(jpath, O_WRONLY), -1);
	ck_assert_int_eq(pwrite(fd, "\xff\xff\x00\x00", 4, first), 4);
	close(fd);
	ck_assert_int_eq(read_all(jpath, &s, NULL), 1);
}
END_TEST

START_TEST(test_rotate)
{
	struct journal *j = journal_open(jpath);
	char old[160];
	struct seen s;

	snprintf(old, sizeof(old), "%s/%s", dir, STATE_JOURNAL_OLD);
	append_commit(j, "before");
	ck_assert_int_eq(journal_rotate(j, old), 0);
	ck_assert_int_eq(journal_size(j), 0);
	append_commit(j, "after");
	ck_assert_int_eq(read_all(old, &s, NULL), 1);
	ck_assert_str_eq(s.text, "before");
	ck_assert_int_eq(read_all(jpath, &s, NULL), 1);
	ck_assert_str_eq(s.text, "after");
	/* journal.old still there: no second rotation over it. */
	ck_assert_int_eq(journal_rotate(j, old), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(journal_truncate(j), 0);
	ck_assert_int_eq(read_all(jpath, &s, NULL), 0);
	journal_close(j);
}
END_TEST

/* ---- the journaled state ---------------------------------------------------- */

static struct icc_container *
mk(const char *name, const char *ip, bool running)
{
	struct icc_container *c = container_new();

	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->bridge, sizeof(c->bridge), "br0");
	inet_pton(AF_INET, ip, &c->ip4);
	c->running = running;
	return c;
}

/* load: the state directory as iccd would read it at start. */
static struct icc_model *
load(uint64_t *seq)
{
	struct icc_model *m = model_new(false);
	char err[256];
	uint64_t s;

	ck_assert_int_eq(state_load(dir, m, seq ? seq : &s, NULL, NULL, err,
	    sizeof(err)), 0);
	return m;
}

static bool
exists(const char *rel)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return access(path, F_OK) == 0;
}

/* put: c journaled (one group) with seq. */
static void
put(struct statelog *l, const char *name, const char *ip, bool running,
    uint64_t seq)
{
	struct icc_container *c = mk(name, ip, running);

	ck_assert_int_eq(statelog_put_container(l, c, seq, NULL), 0);
	ck_assert_int_eq(statelog_commit(l), 0);
	container_free(c);
}

static bool
running(const struct icc_model *m, const char *name)
{
	const struct icc_container *c = model_find(m, name);

	return c != NULL && c->running;
}

START_TEST(test_statelog_replay_without_files)
{
	struct icc_model *m = model_new(false), *got;
	struct statelog *l;
	char err[256];
	uint64_t seq;

	ck_assert_ptr_nonnull(l = statelog_open(dir, err, sizeof(err)));
	put(l, "db", "10.0.0.2", true, 1);
	put(l, "web", "10.0.0.3", true, 2);
	put(l, "db", "10.0.0.2", false, 3);	/* the last record wins */
	ck_assert_int_eq(statelog_remove_container(l, "web"), 0);
	ck_assert_ptr_nonnull(model_bridge_add(m, "br0"));
	ck_assert_int_eq(statelog_put_bridges(l, m), 0);
	ck_assert_uint_eq(statelog_pending(l), 2);
	ck_assert_int_eq(statelog_commit(l), 0);
	/* Not yet in any file: what a crash now would leave. */
	ck_assert(!exists("c/db.json"));
	ck_assert(!exists("bridges.json"));
	got = load(&seq);
	ck_assert_uint_eq(seq, 3);
	ck_assert_uint_eq(model_count(got), 1);
	ck_assert_ptr_nonnull(model_find(got, "db"));
	ck_assert(!running(got, "db"));
	ck_assert_ptr_nonnull(model_bridge(got, "br0"));
	ck_assert_uint_eq(statelog_owed(l), 3);	/* db, web, bridges */
	model_free(got);
	/* A discarded group is not replayed. */
	put(l, "app", "10.0.0.5", true, 4);
	ck_assert_int_eq(statelog_remove_container(l, "app"), 0);
	statelog_discard(l);
	got = load(NULL);
	ck_assert(running(got, "app"));
	model_free(got);
	statelog_close(l);
	model_free(m);
}
END_TEST

START_TEST(test_statelog_torn_record_at_load)
{
	struct statelog *l;
	struct icc_model *got;
	char err[256];
	off_t before;

	ck_assert_ptr_nonnull(l = statelog_open(dir, err, sizeof(err)));
	put(l, "db", "10.0.0.2", true, 1);
	before = file_size(jpath);
	put(l, "db", "10.0.0.9", true, 2);
	/* SIGKILL of a process never leaves this (the record is written
	 * whole before fdatasync), but a power cut may: half of it. */
	cut_to(before + (file_size(jpath) - before) / 2);
	got = load(NULL);
	ck_assert_ptr_nonnull(model_find(got, "db"));
	ck_assert_uint_eq(model_find(got, "db")->ip4.s_addr, inet_addr("10.0.0.2"));
	model_free(got);
	/* Cleared up without the process: the next iccd cuts it off. */
	statelog_close(l);
}
END_TEST

START_TEST(test_statelog_replays_old_then_new_over_files)
{
	struct icc_container *c = mk("db", "10.0.0.2", true);
	struct icc_model *got;
	struct journal *j;
	char old[160], err[256];
	struct statelog *l;
	const char *r1 = "{\"c\":{\"bridge\":\"br0\",\"ip\":\"10.0.0.7\","
	    "\"name\":\"db\",\"running\":true,\"seq\":5}}";
	const char *r2 = "{\"rm\":\"web\"}";
	const char *r3 = "{\"c\":{\"bridge\":\"br0\",\"ip\":\"10.0.0.8\","
	    "\"name\":\"db\",\"running\":true,\"seq\":6}}";

	/* Files: db at .2 and web; journal.old: db at .7, web gone;
	 * journal: db at .8 (what a crash during a compaction leaves). */
	ck_assert_int_eq(state_save_container(dir, c, 1, NULL), 0);
	container_free(c);
	c = mk("web", "10.0.0.3", true);
	ck_assert_int_eq(state_save_container(dir, c, 2, NULL), 0);
	container_free(c);
	snprintf(old, sizeof(old), "%s/%s", dir, STATE_JOURNAL_OLD);
	ck_assert_ptr_nonnull(j = journal_open(old));
	append_commit(j, r1);
	append_commit(j, r2);
	journal_close(j);
	ck_assert_ptr_nonnull(j = journal_open(jpath));
	append_commit(j, r3);
	journal_close(j);
	got = load(NULL);
	ck_assert_uint_eq(model_count(got), 1);
	ck_assert_uint_eq(model_find(got, "db")->ip4.s_addr, inet_addr("10.0.0.8"));
	model_free(got);

	/* A start compacts what is owed: plain files, no journal left. */
	ck_assert_ptr_nonnull(l = statelog_open(dir, err, sizeof(err)));
	ck_assert_uint_eq(statelog_owed(l), 2);
	ck_assert_int_eq(statelog_compact(l, false), 0);
	ck_assert(!exists(STATE_JOURNAL_OLD));
	ck_assert_int_eq(file_size(jpath), 0);
	ck_assert(!exists("c/web.json"));
	got = load(NULL);
	ck_assert_uint_eq(model_find(got, "db")->ip4.s_addr, inet_addr("10.0.0.8"));
	ck_assert_uint_eq(model_count(got), 1);
	model_free(got);
	statelog_close(l);
}
END_TEST

START_TEST(test_statelog_background_compaction)
{
	struct icc_model *got;
	struct statelog *l;
	char err[256];

	ck_assert_ptr_nonnull(l = statelog_open(dir, err, sizeof(err)));
	put(l, "db", "10.0.0.2", true, 1);
	put(l, "web", "10.0.0.3", true, 2);
	ck_assert_int_eq(statelog_compact(l, true), 0);
	/* The journal went on in a new file at once. */
	ck_assert_int_eq(file_size(jpath), 0);
	ck_assert_uint_eq(statelog_owed(l), 0);
	put(l, "web", "10.0.0.3", false, 3);	/* while the child writes */
	while (statelog_busy(l))
		usleep(1000);
	ck_assert(exists("c/db.json"));
	ck_assert(exists("c/web.json"));
	ck_assert(!exists(STATE_JOURNAL_OLD));
	got = load(NULL);
	ck_assert(running(got, "db"));
	ck_assert(!running(got, "web"));	/* the journal's, newer */
	model_free(got);
	ck_assert_uint_eq(statelog_owed(l), 1);
	/* A clean close leaves plain files only. */
	statelog_close(l);
	ck_assert_int_eq(file_size(jpath), 0);
	got = load(NULL);
	ck_assert(!running(got, "web"));
	model_free(got);
}
END_TEST

START_TEST(test_statelog_failed_compaction_keeps_records)
{
	struct icc_model *got;
	struct statelog *l;
	char err[256], cdir[128];

	ck_assert_ptr_nonnull(l = statelog_open(dir, err, sizeof(err)));
	put(l, "db", "10.0.0.2", true, 1);
	/* The files cannot be written: the child fails (as root, a
	 * read-only mode would not stop it; a missing directory does). */
	snprintf(cdir, sizeof(cdir), "%s/c", dir);
	ck_assert_int_eq(rmdir(cdir), 0);
	ck_assert_int_eq(statelog_compact(l, true), 0);
	while (statelog_busy(l))
		usleep(1000);
	ck_assert(exists(STATE_JOURNAL_OLD));
	ck_assert_uint_eq(statelog_owed(l), 1);	/* owed again */
	ck_assert_int_eq(mkdir(cdir, 0700), 0);
	got = load(NULL);
	ck_assert(running(got, "db"));
	model_free(got);
	/* The retry writes it and clears journal.old. */
	ck_assert_int_eq(statelog_compact(l, true), 0);
	while (statelog_busy(l))
		usleep(1000);
	ck_assert(!exists(STATE_JOURNAL_OLD));
	ck_assert(exists("c/db.json"));
	statelog_close(l);
}
END_TEST

Suite *
journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");
	TCase *ts = tcase_create("statelog");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_crc32_known_value);
	tcase_add_test(tc, test_round_trip_and_groups);
	tcase_add_test(tc, test_torn_tail_every_length);
	tcase_add_test(tc, test_damaged_record_ends_the_journal);
	tcase_add_test(tc, test_rotate);
	suite_add_tcase(s, tc);
	/* fsync and fdatasync on a loaded machine can take seconds: more
	 * than Check's 4 s hang guard (as check_change.c). */
	tcase_set_timeout(ts, 120);
	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, test_statelog_replay_without_files);
	tcase_add_test(ts, test_statelog_torn_record_at_load);
	tcase_add_test(ts, test_statelog_replays_old_then_new_over_files);
	tcase_add_test(ts, test_statelog_background_compaction);
	tcase_add_test(ts, test_statelog_failed_compaction_keeps_records);
	suite_add_tcase(s, ts);
	return s;
}
