/*
 * Unit tests of fault_classify (fault/decide.c): a kernel SEGV_MAPERR below a growsdown
 * mapping is a growth candidate, inside a model mapping a mismatch, elsewhere the program's;
 * SEGV_ACCERR, SIGBUS and signals a process sent are always the program's.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "fault/decide.h"
#include "tests/unit/testutil.h"

#define P  TU_PAGE
#define RW (PROT_READ | PROT_WRITE)

static struct tu_mm T;

static siginfo_t info(int code, uint64_t addr)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGSEGV;
	si.si_code = code;
	si.si_addr = (void *)(uintptr_t)addr;
	return si;
}

START_TEST(classifies_faults)
{
	uint64_t stack, plain;
	siginfo_t si;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	stack = tu_mmap_ok(&T, T.hi - 4 * P, 4 * P, RW,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
	plain = tu_mmap_ok(&T, T.hi - 64 * P, 4 * P, RW,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	si = info(SEGV_MAPERR, stack - P);
	ck_assert_int_eq(fault_classify(&T.mm, SIGSEGV, &si), FAULT_GROWTH);
	si = info(SEGV_MAPERR, stack + P); /* the kernel lost what the model has */
	ck_assert_int_eq(fault_classify(&T.mm, SIGSEGV, &si), FAULT_MISMATCH);
	si = info(SEGV_MAPERR, plain + 2 * P);
	ck_assert_int_eq(fault_classify(&T.mm, SIGSEGV, &si), FAULT_MISMATCH);
	si = info(SEGV_MAPERR, plain - P); /* below a plain mapping: a bad pointer */
	ck_assert_int_eq(fault_classify(&T.mm, SIGSEGV, &si), FAULT_PROGRAM);
	si = info(SEGV_MAPERR, T.hi + P); /* above everything */
	ck_assert_int_eq(fault_classify(&T.mm, SIGSEGV, &si), FAULT_PROGRAM);
	si = info(SEGV_ACCERR, plain);
	ck_assert_int_eq(fault_classify(&T.mm, SIGSEGV, &si), FAULT_PROGRAM);
	si = info(BUS_ADRERR, plain);
	ck_assert_int_eq(fault_classify(&T.mm, SIGBUS, &si), FAULT_PROGRAM);
	si = info(SI_USER, stack - P); /* kill(2): never a fault */
	ck_assert_int_eq(fault_classify(&T.mm, SIGSEGV, &si), FAULT_PROGRAM);
	ck_assert_int_eq(fault_classify(NULL, SIGSEGV, &si), FAULT_PROGRAM);
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("classify");

	tcase_add_test(tc, classifies_faults);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
