/*
 * Unit tests of fault/inject: triggers, errnos, globs, spec syntax, hold, counters, listener.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/unit/testutil.h"

static void setup(void)
{
	fault_disarm();
	fault_seed(1);
	fault_set_listener(NULL, NULL);
}

static void teardown(void)
{
	while (fault_held())
		fault_release();
	fault_set_listener(NULL, NULL);
	fault_disarm();
}

START_TEST(test_nothing_armed_never_fires)
{
	for (size_t i = 0; i < fault_npoints; i++)
		ck_assert_int_eq(fault_hit(fault_points[i].name), 0);
	ck_assert_uint_eq(fault_calls("vmo.create"), 1);
	ck_assert_uint_eq(fault_fired("vmo.create"), 0);
}
END_TEST

START_TEST(test_table_lists_the_documented_points)
{
	static const struct {
		const char *name;
		int err;
	} want[] = {
	    {"vmo.create", ENOMEM},   {"vmo.resize", ENOMEM}, {"vmo.snapshot", ENOMEM},
	    {"vmo.commit", ENOMEM},   {"vmo.decommit", EIO},  {"vmo.read", EIO},
	    {"vmo.write", EIO},	      {"vmar.alloc", ENOMEM}, {"backend.step", ENOMEM},
	    {"backend.file", EMFILE}, {"remote.batch", EIO},
	};

	ck_assert_uint_eq(fault_npoints, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < fault_npoints; i++) {
		ck_assert_str_eq(fault_points[i].name, want[i].name);
		ck_assert_int_eq(fault_points[i].default_errno, want[i].err);
		ck_assert_ptr_nonnull(fault_points[i].what);
		ck_assert_int_gt(strlen(fault_points[i].what), 0);
	}
}
END_TEST

START_TEST(test_no_trigger_fails_every_call_with_default_errno)
{
	ck_assert_int_eq(fault_arm("backend.file"), 0);
	ck_assert_int_eq(fault_hit("backend.file"), -EMFILE);
	ck_assert_int_eq(fault_hit("backend.file"), -EMFILE);
	ck_assert_int_eq(fault_hit("vmo.create"), 0);
	ck_assert_uint_eq(fault_fired("backend.file"), 2);
}
END_TEST

START_TEST(test_nth_fails_only_the_nth_call)
{
	ck_assert_int_eq(fault_arm("vmo.read:nth=3"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), -EIO);
	ck_assert_int_eq(fault_hit("vmo.read"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), 0);
	ck_assert_uint_eq(fault_calls("vmo.read"), 5);
	ck_assert_uint_eq(fault_fired("vmo.read"), 1);
}
END_TEST

START_TEST(test_nth_counts_each_point_separately)
{
	ck_assert_int_eq(fault_arm("vmo.*:nth=2"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), 0);
	ck_assert_int_eq(fault_hit("vmo.write"), 0);
	ck_assert_int_eq(fault_hit("vmo.write"), -EIO);
	ck_assert_int_eq(fault_hit("vmo.read"), -EIO);
	ck_assert_int_eq(fault_hit("vmo.create"), 0);
	ck_assert_int_eq(fault_hit("vmo.create"), -ENOMEM);
}
END_TEST

START_TEST(test_every_fails_each_nth_multiple)
{
	static const int want[] = {0, -EIO, 0, -EIO, 0, -EIO};

	ck_assert_int_eq(fault_arm("vmo.write:every=2"), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_int_eq(fault_hit("vmo.write"), want[i]);
	ck_assert_uint_eq(fault_fired("vmo.write"), 3);
}
END_TEST

START_TEST(test_every_one_fails_all)
{
	ck_assert_int_eq(fault_arm("vmo.write:every=1"), 0);
	ck_assert_int_eq(fault_hit("vmo.write"), -EIO);
	ck_assert_int_eq(fault_hit("vmo.write"), -EIO);
}
END_TEST

/* The firing pattern of 256 calls under p=0.5, as a bit string. */
static void p_sequence(uint64_t seed, char out[257])
{
	fault_disarm();
	fault_seed(seed);
	ck_assert_int_eq(fault_arm("vmar.alloc:p=0.5"), 0);
	for (int i = 0; i < 256; i++)
		out[i] = fault_hit("vmar.alloc") ? '1' : '0';
	out[256] = '\0';
}

START_TEST(test_p_same_seed_same_failures)
{
	char a[257], b[257], c[257];
	uint64_t n;

	p_sequence(42, a);
	n = fault_fired("vmar.alloc");
	p_sequence(42, b);
	p_sequence(43, c);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_uint_gt(n, 64);
	ck_assert_uint_lt(n, 192);
}
END_TEST

START_TEST(test_p_one_always_fires)
{
	ck_assert_int_eq(fault_arm("vmar.alloc:p=1"), 0);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(fault_hit("vmar.alloc"), -ENOMEM);
}
END_TEST

START_TEST(test_p_small_rarely_fires)
{
	ck_assert_int_eq(fault_arm("vmar.alloc:p=0.01"), 0);
	for (int i = 0; i < 10000; i++)
		fault_hit("vmar.alloc");
	ck_assert_uint_gt(fault_fired("vmar.alloc"), 50);
	ck_assert_uint_lt(fault_fired("vmar.alloc"), 200);
}
END_TEST

START_TEST(test_errno_names_round_trip)
{
	static const char *names[] = {
	    "EPERM",  "ENOENT",	    "EINTR",  "EIO",	 "ENXIO",  "E2BIG",  "EBADF",
	    "EAGAIN", "ENOMEM",	    "EACCES", "EFAULT",	 "EBUSY",  "EEXIST", "ENODEV",
	    "EINVAL", "ENFILE",	    "EMFILE", "EFBIG",	 "ENOSPC", "ERANGE", "EOVERFLOW",
	    "ENOSYS", "EOPNOTSUPP", "ESRCH",  "ETXTBSY", "EDQUOT",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int err = fault_errno_from_name(names[i]);

		ck_assert_int_gt(err, 0);
		ck_assert_str_eq(fault_errno_name(err), names[i]);
	}
	ck_assert_int_eq(fault_errno_from_name("ENOMEM"), ENOMEM);
	ck_assert_int_eq(fault_errno_from_name("EDQUOT"), EDQUOT);
	ck_assert_str_eq(fault_errno_name(EAGAIN), "EAGAIN");
	ck_assert_int_eq(fault_errno_from_name("EBOGUS"), -1);
	ck_assert_int_eq(fault_errno_from_name(""), -1);
	ck_assert_ptr_null(fault_errno_name(0));
	ck_assert_ptr_null(fault_errno_name(4000));
}
END_TEST

START_TEST(test_errno_by_name_overrides_default)
{
	ck_assert_int_eq(fault_arm("vmo.create:errno=EACCES"), 0);
	ck_assert_int_eq(fault_hit("vmo.create"), -EACCES);
}
END_TEST

START_TEST(test_errno_by_number)
{
	ck_assert_int_eq(fault_arm("vmo.create:nth=1:errno=28"), 0);
	ck_assert_int_eq(fault_hit("vmo.create"), -28);
}
END_TEST

START_TEST(test_errno_before_trigger)
{
	ck_assert_int_eq(fault_arm("vmo.resize:errno=EFBIG:every=2"), 0);
	ck_assert_int_eq(fault_hit("vmo.resize"), 0);
	ck_assert_int_eq(fault_hit("vmo.resize"), -EFBIG);
}
END_TEST

START_TEST(test_glob_selects_matching_points_only)
{
	ck_assert_int_eq(fault_arm("vmo.*"), 0);
	ck_assert_int_eq(fault_hit("vmo.create"), -ENOMEM);
	ck_assert_int_eq(fault_hit("vmo.decommit"), -EIO);
	ck_assert_int_eq(fault_hit("vmar.alloc"), 0);
	ck_assert_int_eq(fault_hit("backend.step"), 0);
}
END_TEST

START_TEST(test_glob_brackets_and_question_mark)
{
	ck_assert_int_eq(fault_arm("backend.[f]il?"), 0);
	ck_assert_int_eq(fault_hit("backend.file"), -EMFILE);
	ck_assert_int_eq(fault_hit("backend.step"), 0);
}
END_TEST

START_TEST(test_star_selects_every_point)
{
	ck_assert_int_eq(fault_arm("*:errno=EINTR"), 0);
	for (size_t i = 0; i < fault_npoints; i++)
		ck_assert_int_eq(fault_hit(fault_points[i].name), -EINTR);
}
END_TEST

START_TEST(test_unknown_point_is_einval)
{
	ck_assert_int_eq(fault_arm("vmo.nosuch"), -EINVAL);
	ck_assert_int_eq(fault_arm("nosuch.*"), -EINVAL);
	ck_assert_int_eq(fault_arm("vmo.creat"), -EINVAL);
	ck_assert_int_eq(fault_arm("VMO.CREATE"), -EINVAL);
	ck_assert_int_eq(fault_hit("vmo.create"), 0);
}
END_TEST

START_TEST(test_bad_syntax_is_einval)
{
	static const char *bad[] = {
	    "",
	    ":nth=1",
	    "vmo.read:",
	    "vmo.read::nth=1",
	    "vmo.read:nth",
	    "vmo.read:nth=",
	    "vmo.read:nth=0",
	    "vmo.read:nth=-1",
	    "vmo.read:nth= 1",
	    "vmo.read:nth=1x",
	    "vmo.read:nth=99999999999999999999999",
	    "vmo.read:every=0",
	    "vmo.read:p=0",
	    "vmo.read:p=1.5",
	    "vmo.read:p=-0.5",
	    "vmo.read:p=abc",
	    "vmo.read:p=nan",
	    "vmo.read:nth=1:every=2",
	    "vmo.read:nth=1:nth=2",
	    "vmo.read:foo=1",
	    "vmo.read:errno=",
	    "vmo.read:errno=EBOGUS",
	    "vmo.read:errno=0",
	    "vmo.read:errno=5000",
	    "vmo.read:errno=EIO:errno=EIO",
	    "vmo.read:nth=1=2",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(fault_arm(bad[i]) == -EINVAL, "\"%s\" was accepted", bad[i]);
	ck_assert_int_eq(fault_hit("vmo.read"), 0);
}
END_TEST

START_TEST(test_too_many_rules_is_enospc)
{
	int i, ret = 0;

	for (i = 0; i < 1000 && ret == 0; i++)
		ret = fault_arm("vmo.read:nth=1000000");
	ck_assert_int_eq(ret, -ENOSPC);
	ck_assert_int_ge(i - 1, 16); /* a useful number of rules fit */
	fault_disarm();
	ck_assert_int_eq(fault_arm("vmo.read"), 0);
}
END_TEST

START_TEST(test_first_matching_rule_decides)
{
	ck_assert_int_eq(fault_arm("vmo.read:nth=2:errno=EFAULT"), 0);
	ck_assert_int_eq(fault_arm("vmo.*:errno=EBUSY"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), -EBUSY);
	ck_assert_int_eq(fault_hit("vmo.read"), -EFAULT);
	ck_assert_uint_eq(fault_fired("vmo.read"), 2);
}
END_TEST

START_TEST(test_hold_suppresses_but_counts)
{
	ck_assert_int_eq(fault_arm("vmo.commit"), 0);
	ck_assert(!fault_held());
	fault_hold();
	ck_assert(fault_held());
	ck_assert_int_eq(fault_hit("vmo.commit"), 0);
	ck_assert_int_eq(fault_hit("vmo.commit"), 0);
	ck_assert_uint_eq(fault_calls("vmo.commit"), 2);
	ck_assert_uint_eq(fault_fired("vmo.commit"), 0);
	fault_release();
	ck_assert(!fault_held());
	ck_assert_int_eq(fault_hit("vmo.commit"), -ENOMEM);
}
END_TEST

START_TEST(test_hold_nests)
{
	ck_assert_int_eq(fault_arm("vmo.commit"), 0);
	fault_hold();
	fault_hold();
	fault_release();
	ck_assert(fault_held());
	ck_assert_int_eq(fault_hit("vmo.commit"), 0);
	fault_release();
	ck_assert(!fault_held());
	ck_assert_int_eq(fault_hit("vmo.commit"), -ENOMEM);
}
END_TEST

/* nth counts the calls that could fail: a held call is counted by fault_calls but not by nth,
 * so nth=2 fires at the 2nd unheld call (the 3rd call). */
START_TEST(test_nth_skips_held_calls)
{
	ck_assert_int_eq(fault_arm("vmo.commit:nth=2"), 0);
	ck_assert_int_eq(fault_hit("vmo.commit"), 0);
	fault_hold();
	ck_assert_int_eq(fault_hit("vmo.commit"), 0);
	fault_release();
	ck_assert_int_eq(fault_hit("vmo.commit"), -ENOMEM);
	ck_assert_int_eq(fault_hit("vmo.commit"), 0);
	ck_assert_uint_eq(fault_calls("vmo.commit"), 4);
	ck_assert_uint_eq(fault_fired("vmo.commit"), 1);
}
END_TEST

START_TEST(test_disarm_removes_rules_and_resets_counters)
{
	ck_assert_int_eq(fault_arm("vmo.read:nth=2"), 0);
	ck_assert_int_eq(fault_arm("vmo.write"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), 0);
	ck_assert_int_eq(fault_hit("vmo.write"), -EIO);
	fault_disarm();
	ck_assert_uint_eq(fault_calls("vmo.read"), 0);
	ck_assert_uint_eq(fault_calls("vmo.write"), 0);
	ck_assert_uint_eq(fault_fired("vmo.write"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), 0);
	ck_assert_int_eq(fault_hit("vmo.write"), 0);
	/* a new nth rule counts from the disarm */
	ck_assert_int_eq(fault_arm("vmo.read:nth=3"), 0);
	ck_assert_int_eq(fault_hit("vmo.read"), -EIO);
}
END_TEST

START_TEST(test_counters_of_unknown_point_are_zero)
{
	ck_assert_uint_eq(fault_calls("nosuch.point"), 0);
	ck_assert_uint_eq(fault_fired("nosuch.point"), 0);
}
END_TEST

START_TEST(test_name_compared_by_content)
{
	char name[16] = "vmo.read";

	ck_assert_int_eq(fault_arm("vmo.read"), 0);
	ck_assert_int_eq(fault_hit(name), -EIO);
	strcpy(name, "vmar.alloc"); /* same address, other point: must not be taken for vmo.read */
	ck_assert_int_eq(fault_hit(name), 0);
	ck_assert_uint_eq(fault_calls("vmo.read"), 1);
	ck_assert_uint_eq(fault_calls("vmar.alloc"), 1);
}
END_TEST

struct log {
	int n;
	const char *point;
	int err;
};

static void record(const char *point, int err, void *arg)
{
	struct log *log = arg;

	log->n++;
	log->point = point;
	log->err = err;
}

START_TEST(test_listener_called_after_each_firing)
{
	struct log log = {0};

	fault_set_listener(record, &log);
	ck_assert_int_eq(fault_arm("vmo.snapshot:every=2:errno=ENOSPC"), 0);
	fault_hit("vmo.snapshot");
	ck_assert_int_eq(log.n, 0);
	fault_hit("vmo.snapshot");
	ck_assert_int_eq(log.n, 1);
	ck_assert_str_eq(log.point, "vmo.snapshot");
	ck_assert_int_eq(log.err, ENOSPC);
	fault_hold();
	fault_hit("vmo.snapshot");
	fault_hit("vmo.snapshot");
	fault_release();
	ck_assert_int_eq(log.n, 1);
	fault_set_listener(NULL, NULL);
	fault_hit("vmo.snapshot");
	fault_hit("vmo.snapshot");
	ck_assert_int_eq(log.n, 1);
	ck_assert_uint_eq(fault_fired("vmo.snapshot"), 2);
}
END_TEST

/* An abort cannot be caught in-process (and CK_FORK=no must work): run it in a child. */
static int dies_of_abort(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDERR_FILENO);
		signal(SIGABRT, SIG_DFL);
		fn();
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void hit_unknown(void)
{
	fault_hit("vmo.nosuch");
}

static void release_unheld(void)
{
	fault_release();
}

START_TEST(test_unknown_point_aborts)
{
	ck_assert(dies_of_abort(hit_unknown));
}
END_TEST

START_TEST(test_release_without_hold_aborts)
{
	ck_assert(dies_of_abort(release_unheld));
}
END_TEST

static Suite *inject_suite(void)
{
	Suite *s = suite_create("inject");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nothing_armed_never_fires);
	tcase_add_test(tc, test_table_lists_the_documented_points);
	tcase_add_test(tc, test_no_trigger_fails_every_call_with_default_errno);
	tcase_add_test(tc, test_nth_fails_only_the_nth_call);
	tcase_add_test(tc, test_nth_counts_each_point_separately);
	tcase_add_test(tc, test_every_fails_each_nth_multiple);
	tcase_add_test(tc, test_every_one_fails_all);
	tcase_add_test(tc, test_p_same_seed_same_failures);
	tcase_add_test(tc, test_p_one_always_fires);
	tcase_add_test(tc, test_p_small_rarely_fires);
	tcase_add_test(tc, test_errno_names_round_trip);
	tcase_add_test(tc, test_errno_by_name_overrides_default);
	tcase_add_test(tc, test_errno_by_number);
	tcase_add_test(tc, test_errno_before_trigger);
	tcase_add_test(tc, test_glob_selects_matching_points_only);
	tcase_add_test(tc, test_glob_brackets_and_question_mark);
	tcase_add_test(tc, test_star_selects_every_point);
	tcase_add_test(tc, test_unknown_point_is_einval);
	tcase_add_test(tc, test_bad_syntax_is_einval);
	tcase_add_test(tc, test_too_many_rules_is_enospc);
	tcase_add_test(tc, test_first_matching_rule_decides);
	tcase_add_test(tc, test_hold_suppresses_but_counts);
	tcase_add_test(tc, test_hold_nests);
	tcase_add_test(tc, test_nth_skips_held_calls);
	tcase_add_test(tc, test_disarm_removes_rules_and_resets_counters);
	tcase_add_test(tc, test_counters_of_unknown_point_are_zero);
	tcase_add_test(tc, test_name_compared_by_content);
	tcase_add_test(tc, test_listener_called_after_each_firing);
	tcase_add_test(tc, test_unknown_point_aborts);
	tcase_add_test(tc, test_release_without_hold_aborts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(inject_suite());
}
