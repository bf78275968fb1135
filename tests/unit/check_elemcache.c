/*
 * check_elemcache.c: the start's element cache (elemcache.h) and the
 * start from it (startcache.c): a round trip; a stale generation, a
 * journal with records, another --icc default; a damaged, truncated or
 * disordered file; a file others may write, a symbolic link, another
 * owner; and, with the fake kernel, a start that loads the cache and
 * syncs nothing, and one whose cache the state no longer matches, whose
 * table ends as the state says.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "change_fixture.h"
#include "elemcache.h"
#include "state.h"
#include "suites.h"

static char dir[64], cpath[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/iccd-elemcache-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(state_init(dir, NULL, 0), 0);
	snprintf(cpath, sizeof(cpath), "%s/%s", dir, ELEMCACHE_FILE);
}

static void
teardown(void)
{
	char cmd[128];

	/* Test cleanup only: the path is our own mkdtemp result. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* sample: four elements (sorted): two ports, a range and the pair that
 * gates it; br0 closed, one binding. */
static void
sample(struct elemcache *c)
{
	struct icc_belem be = { .set = ICC_BSET_PORTS };

	struct icc_elem e[4] = {
		e4("10.0.0.3", "10.0.0.2", "3306/tcp"),
		e4("10.0.0.3", "10.0.0.2", "53/udp"),
		e4("10.0.0.4", "10.0.0.2", "7000-7999/tcp"),
	};

	elem_init_pair(&e[3], &e[2]);

	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(elemcache_stamp(dir, &c->generation), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(elemvec_push(&c->elems, &e[i]), 0);
	elemvec_sort(&c->elems);
	ck_assert_int_eq(strvec_push(&c->closed, "br0"), 0);
	memcpy(be.key, "veth1", 5);
	ck_assert_int_eq(belemvec_push(&c->binds, &be), 0);
}

/* read_fails: elemcache_read refuses the file with a line holding want. */
static void
read_fails(const char *want)
{
	struct elemcache c;
	char err[512];

	ck_assert_int_eq(elemcache_read(dir, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, want) != NULL, "\"%s\" lacks \"%s\"", err,
	    want);
	ck_assert_uint_eq(c.elems.n, 0);
	elemcache_free(&c);
}

START_TEST(test_round_trip)
{
	struct elemcache w, r;
	char err[512];

	sample(&w);
	ck_assert_int_eq(elemcache_write(dir, &w), 0);
	ck_assert_int_eq(elemcache_read(dir, &r, err, sizeof(err)), 0);
	ck_assert(r.generation == w.generation);
	ck_assert(!r.icc_on);
	ck_assert_uint_eq(r.elems.n, 4);
	ck_assert_mem_eq(r.elems.v, w.elems.v, 4 * sizeof(*r.elems.v));
	ck_assert_uint_eq(r.closed.n, 1);
	ck_assert_str_eq(r.closed.v[0], "br0");
	ck_assert_uint_eq(r.binds.n, 1);
	ck_assert_mem_eq(&r.binds.v[0], &w.binds.v[0], sizeof(w.binds.v[0]));
	ck_assert(elemcache_current(dir, &r, false, err, sizeof(err)));
	elemcache_free(&w);
	elemcache_free(&r);
}
END_TEST

START_TEST(test_stale)
{
	struct elemcache w, r;
	char err[512], path[160];
	int fd;

	sample(&w);
	ck_assert_int_eq(elemcache_write(dir, &w), 0);
	ck_assert_int_eq(elemcache_read(dir, &r, err, sizeof(err)), 0);
	/* Another --icc default. */
	ck_assert(!elemcache_current(dir, &r, true, err, sizeof(err)));
	ck_assert_str_eq(err, "elements.cache: made with --icc off");
	/* Records in the journal: newer than the files. */
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_JOURNAL);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT, 0600), -1);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert(!elemcache_current(dir, &r, false, err, sizeof(err)));
	ck_assert_str_eq(err, "elements.cache: stale: the journal holds "
	    "newer changes");
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert(elemcache_current(dir, &r, false, err, sizeof(err)));
	/* A file written in c/ after the cache moves the generation. */
	snprintf(path, sizeof(path), "%s/c/web.json", dir);
	ck_assert_int_eq(state_write_text(path, "{}", 2, true), 0);
	ck_assert(!elemcache_current(dir, &r, false, err, sizeof(err)));
	ck_assert_str_eq(err, "elements.cache: stale: the state changed "
	    "since it was written");
	/* And so does bridges.json. */
	ck_assert_int_eq(elemcache_stamp(dir, &r.generation), 0);
	ck_assert(elemcache_current(dir, &r, false, err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/bridges.json", dir);
	ck_assert_int_eq(state_write_text(path, "{}", 2, true), 0);
	ck_assert(!elemcache_current(dir, &r, false, err, sizeof(err)));
	elemcache_free(&w);
	elemcache_free(&r);
}
END_TEST

/* poke: byte at offset off of the cache file xor'd with x. */
static void
poke(off_t off, unsigned char x)
{
	unsigned char b;
	int fd = open(cpath, O_RDWR);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= x;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

START_TEST(test_damaged)
{
	struct elemcache w;
	struct stat st;

	sample(&w);
	ck_assert_int_eq(elemcache_write(dir, &w), 0);
	/* One bit of an element's port. */
	poke(48 + 40 + 2, 0x01);
	read_fails("elements.cache: checksum mismatch");
	poke(48 + 40 + 2, 0x01);
	/* The magic, the version. */
	poke(0, 0x20);
	read_fails("elements.cache: not a cache file");
	poke(0, 0x20);
	poke(8, 0x02);
	read_fails("elements.cache: version 3, not 1");
	poke(8, 0x02);
	/* Truncated: the counts say more. */
	ck_assert_int_eq(stat(cpath, &st), 0);
	ck_assert_int_eq(truncate(cpath, st.st_size - 1), 0);
	read_fails("elements.cache: size does not match its counts");
	ck_assert_int_eq(truncate(cpath, 20), 0);
	read_fails("elements.cache: not a cache file");
	/* Valid checksum, but out of order (or a duplicate): refused, so
	 * that the compare may count on distinct elements. */
	w.elems.v[1] = w.elems.v[0];
	ck_assert_int_eq(elemcache_write(dir, &w), 0);
	read_fails("elements.cache: element 2 is not one iccd makes, or out "
	    "of order");
	/* A bad bridge name. */
	elemcache_free(&w);
	sample(&w);
	free(w.closed.v[0]);
	w.closed.v[0] = strdup("a/b");
	ck_assert_int_eq(elemcache_write(dir, &w), 0);
	read_fails("elements.cache: closed bridge 1: not a bridge name");
	elemcache_free(&w);
}
END_TEST

START_TEST(test_owner_and_mode)
{
	struct elemcache w, r;
	char err[512], other[160];

	sample(&w);
	ck_assert_int_eq(elemcache_write(dir, &w), 0);
	/* As the state files: writable by others: refused. */
	ck_assert_int_eq(chmod(cpath, 0666), 0);
	read_fails("writable by group or others (mode 0666)");
	ck_assert_int_eq(chmod(cpath, 0600), 0);
	ck_assert_int_eq(elemcache_read(dir, &r, err, sizeof(err)), 0);
	elemcache_free(&r);
	/* Never followed: a symbolic link to a good cache. */
	snprintf(other, sizeof(other), "%s/other.cache", dir);
	ck_assert_int_eq(rename(cpath, other), 0);
	ck_assert_int_eq(symlink(other, cpath), 0);
	read_fails("elements.cache: a symbolic link (never followed)");
	ck_assert_int_eq(unlink(cpath), 0);
	/* Not a regular file. */
	ck_assert_int_eq(mkfifo(cpath, 0600), 0);
	read_fails("elements.cache: not a regular file");
	ck_assert_int_eq(unlink(cpath), 0);
	/* None: ENOENT, no line. */
	ck_assert_int_eq(elemcache_read(dir, &r, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* Another owner (only root can make one). */
	if (geteuid() == 0) {
		ck_assert_int_eq(rename(other, cpath), 0);
		ck_assert_int_eq(chown(cpath, 12345, 0), 0);
		read_fails("owned by uid 12345");
	}
	elemcache_free(&w);
}
END_TEST

/* ---- the start from the cache, over the fake kernel ---------------------- */

/* restart: daemon_free (a clean stop: it writes the cache when due),
 * then edit (may be NULL) while stopped, then a cold start: no table. */
static void
restart(void (*edit)(void))
{
	char err[512];

	daemon_free(&chg_d);
	if (edit != NULL)
		edit();
	fake_reset();
	ck_assert_msg(daemon_init(&chg_d, "icctest", chg_state, chg_rules, NULL,
	    0, false, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(daemon_start_sync(&chg_d, err, sizeof(err)), 0);
}

START_TEST(test_start_from_cache)
{
	struct icc_elem want[2] = {
		e4("10.0.0.3", "10.0.0.2", "3306/tcp"),
		e4("10.0.0.3", "10.0.0.2", "53/udp"),
	};

	start_db_web();
	restart(NULL);		/* the first start had no cache: written */
	ck_assert_uint_eq(fake_loads(), 1);
	ck_assert(chg_d.cache_matches);
	ck_assert_uint_eq(fake_syncs(), 0);	/* nothing left to do */
	expect_table(want, 2);
	/* Someone changed the ruleset meanwhile: synced all the same. */
	daemon_free(&chg_d);
	fake_reset();
	fake_set_moved(true);
	{
		char err[512];

		ck_assert(daemon_init(&chg_d, "icctest", chg_state, chg_rules,
		    NULL, 0, false, err, sizeof(err)) == 0);
		ck_assert_int_eq(daemon_start_sync(&chg_d, err, sizeof(err)),
		    0);
	}
	ck_assert_uint_eq(fake_loads(), 1);
	ck_assert_uint_eq(fake_syncs(), 1);
	expect_table(want, 2);
}
END_TEST

/* unlink_web: web's file rewritten in place, its link gone: c/ itself
 * does not change, so the generation still matches. */
static void
unlink_web(void)
{
	char path[160];
	const char *text = "{\"bridge\":\"br0\",\"env\":[],\"expose\":[],"
	    "\"ip\":\"10.0.0.3\",\"links\":[],\"name\":\"web\","
	    "\"running\":true,\"seq\":99}\n";
	int fd;

	snprintf(path, sizeof(path), "%s/c/web.json", chg_state);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_TRUNC), -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(test_cache_the_state_disowns)
{
	start_db_web();
	restart(NULL);
	ck_assert(chg_d.cache_matches);
	/* The cache still grants web -> db; the state no longer does. */
	restart(unlink_web);
	ck_assert_uint_eq(fake_loads(), 1);
	ck_assert(chg_d.cache_loaded);
	ck_assert(!chg_d.cache_matches);
	ck_assert_uint_eq(fake_syncs(), 1);
	expect_table(NULL, 0);
	/* And the cache is written anew at the next stop: then it is
	 * used again. */
	restart(NULL);
	ck_assert(chg_d.cache_matches);
	ck_assert_uint_eq(fake_syncs(), 0);
	expect_table(NULL, 0);
}
END_TEST

/* damage_cache: the cache's last byte flipped. */
static void
damage_cache(void)
{
	char path[160];
	struct stat st;
	unsigned char b;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", chg_state, ELEMCACHE_FILE);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_ne(fd = open(path, O_RDWR), -1);
	ck_assert_int_eq(pread(fd, &b, 1, st.st_size - 1), 1);
	b ^= 0xff;
	ck_assert_int_eq(pwrite(fd, &b, 1, st.st_size - 1), 1);
	close(fd);
}

START_TEST(test_damaged_cache_ignored)
{
	struct icc_elem want[2] = {
		e4("10.0.0.3", "10.0.0.2", "3306/tcp"),
		e4("10.0.0.3", "10.0.0.2", "53/udp"),
	};

	start_db_web();
	restart(NULL);
	restart(damage_cache);
	ck_assert_uint_eq(fake_loads(), 0);	/* never loaded */
	ck_assert(!chg_d.cache_loaded);
	ck_assert_uint_eq(fake_syncs(), 1);
	expect_table(want, 2);
}
END_TEST

Suite *
elemcache_suite(void)
{
	Suite *s = suite_create("elemcache");
	TCase *tc = tcase_create("file"), *ts = tcase_create("start");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_stale);
	tcase_add_test(tc, test_damaged);
	tcase_add_test(tc, test_owner_and_mode);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(ts, chg_setup, chg_teardown);
	tcase_add_test(ts, test_start_from_cache);
	tcase_add_test(ts, test_cache_the_state_disowns);
	tcase_add_test(ts, test_damaged_cache_ignored);
	suite_add_tcase(s, ts);
	return s;
}
