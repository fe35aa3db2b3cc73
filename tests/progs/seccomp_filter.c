/* seccomp_filter mmap|getppid: installs its own seccomp filter, a hand-written classic BPF
 * program that makes the named call fail with EPERM and allows everything else, then checks
 * that the call fails with EPERM while the memory calls it did not deny still work. Natively
 * it prints one line and exits 0. A supervisor that runs mmap inside the program for it cannot
 * honour a filter denying mmap and must refuse the program; a filter denying getppid must not
 * disturb it. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "progs.h"

/* Given to stdout before the filter is in place, so printing needs no new memory. */
static char outbuf[BUFSIZ];

int main(int argc, char **argv)
{
	int deny_mmap = argc > 1 && argv[1][0] == 'm';
	struct sock_filter code[] = {
		/* Other architectures (i386 calls through int 0x80) are not our business. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, deny_mmap ? __NR_mmap : __NR_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
	long page = sysconf(_SC_PAGESIZE);
	void *p;
	char *brk0;

	CHECK(setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf) == 0, "setvbuf");
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
	CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0, "PR_SET_SECCOMP");

	errno = 0;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (deny_mmap) {
		CHECK(p == MAP_FAILED, "mmap was not denied");
		CHECK(errno == EPERM, "mmap failed with EPERM");
	} else {
		CHECK(p != MAP_FAILED && munmap(p, page) == 0, "mmap and munmap");
		CHECK(syscall(SYS_getppid) == -1 && errno == EPERM, "getppid failed with EPERM");
	}
	/* Only mmap is filtered: the break still moves. */
	brk0 = sbrk(0);
	CHECK(brk0 != (void *)-1 && sbrk(page) == brk0, "sbrk grow");
	brk0[page - 1] = 1;
	CHECK(sbrk(-page) != (void *)-1, "sbrk shrink");
	printf("seccomp_filter: %s EPERM\n", deny_mmap ? "mmap" : "getppid");
	return 0;
}
