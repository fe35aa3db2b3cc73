/*
 * The seccomp filter: one table of trapped system calls, compiled by libseccomp, behind a
 * hand-written prefix.
 *
 * What it models: the boundary between the program and the memory manager. Every call that
 * creates, changes, inspects or shares the program's mappings, or that makes a new address
 * space (clone, exec) or a new tracer/filter (ptrace, seccomp), stops the program in the
 * supervisor; every other call runs at native speed.
 *
 * Invariants:
 * - The table below is the only list of trapped calls; --trace, --stats and the manual read it.
 * - The prefix runs first, on every call: (1) a foreign ABI (arch != AUDIT_ARCH_X86_64, or an
 *   x32 call: __X32_SYSCALL_BIT in nr) traps with TR_FILTER_FOREIGN, so the supervisor can say
 *   what happened instead of the program dying of a bare SIGSYS; (2) a call whose syscall
 *   instruction lies in the trampoline's code page is allowed, so injected calls never trap.
 *   The instruction pointer the filter sees is the address after the 2-byte syscall
 *   instruction, so the allowed range is [code + 2, code + 4096], compared on all 64 bits.
 * - libseccomp's program follows the prefix unchanged: classic BPF jumps are relative, so
 *   prepending needs no patching. It re-checks the arch itself, which now always passes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <asm/prctl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "tracer/filter.h"

#define PAGE_SIZE	 4096
#define SYSCALL_INSN_LEN 2 /* 0f 05 */

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41 /* include/uapi/linux/prctl.h, Linux 5.17 */
#endif
#ifndef ARCH_MAP_VDSO_X32
#define ARCH_MAP_VDSO_X32 0x2001 /* arch/x86/include/uapi/asm/prctl.h */
#define ARCH_MAP_VDSO_32  0x2002
#define ARCH_MAP_VDSO_64  0x2003
#endif

/* Which arguments make the call trapped: all calls, or only some first arguments. */
enum arg_rule { ALL, PRCTL_MM, ARCH_PRCTL_VDSO };

struct trapped {
	const char *name;
	int nr_fallback; /* x86-64 number when libseccomp does not know the name, else -1 */
	enum arg_rule rule;
	const char *args;
	const char *reason;
};

/*
 * The numbers of calls newer than libseccomp 2.5.4 come from the kernel's
 * arch/x86/entry/syscalls/syscall_64.tbl: trapping them by number keeps a program from
 * changing its mappings behind the model's back on a kernel that has them.
 */
static const struct trapped table[] = {
    {"mmap", -1, ALL, "xuPMdx", "creates a mapping: the model places it in a VMO"},
    {"munmap", -1, ALL, "xu", "removes mappings: the model splits or shrinks VMOs"},
    {"mremap", -1, ALL, "xuuRx", "moves or resizes a mapping and its VMO range"},
    {"mprotect", -1, ALL, "xuP", "changes protections: the model splits mappings"},
    {"pkey_mprotect", -1, ALL, "xuPd", "changes protections and protection keys"},
    {"brk", -1, ALL, "x", "moves the program break: the heap VMO grows or shrinks"},
    {"madvise", -1, ALL, "xuA", "advice that can discard pages or change mapping flags"},
    {"process_madvise", -1, ALL, "dxudu", "madvise on another process's mappings"},
    {"mlock", -1, ALL, "xu", "locks pages: counted against RLIMIT_MEMLOCK by the model"},
    {"mlock2", -1, ALL, "xuK", "locks pages, possibly on fault"},
    {"munlock", -1, ALL, "xu", "unlocks pages: the model's locked_vm changes"},
    {"mlockall", -1, ALL, "L", "locks every mapping, present and future"},
    {"munlockall", -1, ALL, "", "unlocks every mapping"},
    {"msync", -1, ALL, "xuS", "writes back shared mappings: must reach the VMO's file"},
    {"mincore", -1, ALL, "xux", "reports residency: answered from the VMOs"},
    {"shmat", -1, ALL, "dxx", "maps a System V segment: a mapping the model must know"},
    {"shmdt", -1, ALL, "x", "unmaps a System V segment"},
    {"remap_file_pages", -1, ALL, "xuuux", "rearranges a shared file mapping"},
    {"mseal", 462, ALL, "xux", "seals mappings against change (Linux 6.10)"},
    {"map_shadow_stack", 453, ALL, "xux", "creates a shadow-stack mapping (Linux 6.6)"},
    {"prctl", -1, PRCTL_MM, "dxxxx",
     "PR_SET_VMA names mappings, PR_SET_MM moves brk/stack, PR_SET_SECCOMP adds a filter"},
    {"personality", -1, ALL, "x", "ADDR_NO_RANDOMIZE and friends change the layout"},
    {"arch_prctl", -1, ARCH_PRCTL_VDSO, "xx", "ARCH_MAP_VDSO_* maps a vDSO"},
    {"clone", -1, ALL, "Cxxxx", "a new task: a thread shares the mm, a fork snapshots it"},
    {"clone3", -1, ALL, "xu", "a new task (clone_args in memory)"},
    {"fork", -1, ALL, "", "a new process: the model snapshots the address space"},
    {"vfork", -1, ALL, "", "a new process sharing the mm until it execs or exits"},
    {"execve", -1, ALL, "xxx", "replaces the address space: the model imports the new one"},
    {"execveat", -1, ALL, "dxxxx", "replaces the address space (by descriptor)"},
    {"ptrace", -1, ALL, "dxxx", "a program that traces cannot be traced by starmm-run"},
    {"seccomp", -1, ALL, "dxx", "a new filter could deny the trampoline's calls"},
    {"mount", -1, ALL, "xxxxx", "may put another /proc under the program (VMO hand-over)"},
    {"umount2", -1, ALL, "xd", "may take /proc away from the program (VMO hand-over)"},
    {"move_mount", 429, ALL, "dxdxx", "may put another /proc under the program"},
    {"chroot", -1, ALL, "x", "changes which /proc the program sees"},
    {"pivot_root", -1, ALL, "xx", "changes which /proc the program sees"},
    {"unshare", -1, ALL, "x", "a new mount namespace may come with its own /proc"},
    {"setns", -1, ALL, "dx", "another mount namespace may have another /proc"},
};

#define TABLE_LEN ((int)(sizeof(table) / sizeof(table[0])))

static int nr_at(int i)
{
	int nr = seccomp_syscall_resolve_name(table[i].name);

	return nr >= 0 ? nr : table[i].nr_fallback;
}

static int find(int nr)
{
	for (int i = 0; i < TABLE_LEN; i++)
		if (nr >= 0 && nr_at(i) == nr)
			return i;
	return -1;
}

int tr_filter_count(void)
{
	return TABLE_LEN;
}

int tr_filter_nr(int i)
{
	return i >= 0 && i < TABLE_LEN ? nr_at(i) : -1;
}

const char *tr_filter_name_at(int i)
{
	return i >= 0 && i < TABLE_LEN ? table[i].name : NULL;
}

const char *tr_filter_reason_at(int i)
{
	return i >= 0 && i < TABLE_LEN ? table[i].reason : NULL;
}

const char *tr_filter_reason(int nr)
{
	int i = find(nr);

	return i < 0 ? NULL : table[i].reason;
}

const char *tr_filter_name(int nr)
{
	int i = find(nr);

	return i < 0 ? NULL : table[i].name;
}

const char *tr_filter_args(int nr)
{
	int i = find(nr);

	return i < 0 ? NULL : table[i].args;
}

static int add_rules(scmp_filter_ctx ctx, int i)
{
	static const uint64_t prctl_ops[] = {PR_SET_VMA, PR_SET_MM, PR_SET_SECCOMP};
	static const uint64_t vdso_ops[] = {ARCH_MAP_VDSO_X32, ARCH_MAP_VDSO_32, ARCH_MAP_VDSO_64};
	const uint32_t act = SCMP_ACT_TRACE(TR_FILTER_TRAPPED);
	const uint64_t *ops = NULL;
	int nr = nr_at(i), nops = 3, ret = 0;

	if (nr < 0)
		return 0; /* unknown to libseccomp and to us: the kernel cannot have it either */
	switch (table[i].rule) {
	case ALL:
		return seccomp_rule_add(ctx, act, nr, 0);
	case PRCTL_MM:
		ops = prctl_ops;
		break;
	case ARCH_PRCTL_VDSO:
		ops = vdso_ops;
		break;
	}
	for (int k = 0; k < nops && !ret; k++)
		/* The kernel reads an int: the upper half of the register is not compared. */
		ret = seccomp_rule_add(ctx, act, nr, 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, ops[k]));
	return ret;
}

/* libseccomp 2.5 has no seccomp_export_bpf_mem(): export to a memfd and read it back. */
static int export(scmp_filter_ctx ctx, struct sock_filter **insns, size_t *len)
{
	struct stat st;
	int fd, ret;

	fd = memfd_create("starmm-filter", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = seccomp_export_bpf(ctx, fd);
	if (ret < 0)
		goto out;
	if (fstat(fd, &st) < 0 || st.st_size % sizeof(struct sock_filter)) {
		ret = -EIO;
		goto out;
	}
	*len = st.st_size / sizeof(struct sock_filter);
	*insns = malloc(st.st_size ? st.st_size : 1);
	if (!*insns) {
		ret = -ENOMEM;
		goto out;
	}
	if (pread(fd, *insns, st.st_size, 0) != st.st_size) {
		free(*insns);
		ret = -EIO;
	}
out:
	close(fd);
	return ret;
}

#define LD_ABS(off)	   BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JMP(op, k, jt, jf) BPF_JUMP(BPF_JMP | (op) | BPF_K, (k), (jt), (jf))
#define RET(k)		   BPF_STMT(BPF_RET | BPF_K, (k))
#define SD_NR		   offsetof(struct seccomp_data, nr)
#define SD_ARCH		   offsetof(struct seccomp_data, arch)
#define SD_IP_LO	   offsetof(struct seccomp_data, instruction_pointer)
#define SD_IP_HI	   (SD_IP_LO + 4) /* little endian */

/*
 * The prefix. Jump offsets count instructions after the jump; PREFIX_LEN is where libseccomp's
 * program starts. The syscall instruction lies in the code page when ip - 2 is in
 * [code, code + 4096 - 2], i.e. ip in [code + 2, code + 4096]; code + 4096 may carry into the
 * high word, so the last value is checked on its own.
 */
enum { I_ALLOW = 13, I_FOREIGN = 14, PREFIX_LEN = 15 };

static void prefix(uint64_t code, struct sock_filter *p)
{
	uint64_t end = code + PAGE_SIZE;
	uint32_t lo = (uint32_t)code, hi = code >> 32;
	const struct sock_filter insns[PREFIX_LEN] = {
	    /* 0 */ LD_ABS(SD_ARCH),
	    /* 1 */ JMP(BPF_JEQ, AUDIT_ARCH_X86_64, 0, I_FOREIGN - 2),
	    /* 2 */ LD_ABS(SD_NR),
	    /* 3 */ JMP(BPF_JSET, __X32_SYSCALL_BIT, I_FOREIGN - 4, 0),
	    /* 4 */ LD_ABS(SD_IP_HI),
	    /* 5 */ JMP(BPF_JEQ, hi, 0, 9 - 6),
	    /* 6 */ LD_ABS(SD_IP_LO),
	    /* 7 */ JMP(BPF_JGE, lo + SYSCALL_INSN_LEN, 0, PREFIX_LEN - 8),
	    /* 8 */ JMP(BPF_JGT, lo + PAGE_SIZE - 1, 0, I_ALLOW - 9),
	    /* 9 */ LD_ABS(SD_IP_HI),
	    /* 10 */ JMP(BPF_JEQ, (uint32_t)(end >> 32), 0, PREFIX_LEN - 11),
	    /* 11 */ LD_ABS(SD_IP_LO),
	    /* 12 */ JMP(BPF_JEQ, (uint32_t)end, I_ALLOW - 13, PREFIX_LEN - 13),
	    /* 13 */ RET(SECCOMP_RET_ALLOW),
	    /* 14 */ RET(SECCOMP_RET_TRACE | TR_FILTER_FOREIGN),
	};

	memcpy(p, insns, sizeof(insns));
}

int tr_filter_build(uint64_t code_page, struct sock_fprog *out)
{
	struct sock_filter *lib = NULL, *all;
	scmp_filter_ctx ctx;
	size_t len = 0;
	int ret = 0;

	if (code_page % PAGE_SIZE || code_page > UINT64_MAX - PAGE_SIZE)
		return -EINVAL;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* Never reached (the prefix traps foreign ABIs first); kept as a safe default. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRACE(TR_FILTER_FOREIGN));
	for (int i = 0; i < TABLE_LEN && !ret; i++)
		ret = add_rules(ctx, i);
	if (!ret)
		ret = export(ctx, &lib, &len);
	seccomp_release(ctx);
	if (ret)
		return ret;
	if (len + PREFIX_LEN > BPF_MAXINSNS) {
		free(lib);
		return -E2BIG;
	}
	all = malloc((len + PREFIX_LEN) * sizeof(*all));
	if (!all) {
		free(lib);
		return -ENOMEM;
	}
	prefix(code_page, all);
	memcpy(all + PREFIX_LEN, lib, len * sizeof(*all));
	free(lib);
	out->filter = all;
	out->len = len + PREFIX_LEN;
	return 0;
}

void tr_filter_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

int tr_filter_load(const struct sock_fprog *prog)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	return 0;
}
