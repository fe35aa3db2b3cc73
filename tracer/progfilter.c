/*
 * The program's own seccomp filters (progfilter.h): a classic BPF interpreter for the seccomp
 * subset (the instructions seccomp_check_filter() accepts), and the judgement of a filter
 * being installed on the calls the trampoline makes.
 *
 * Invariants: the interpreter never reads outside the program or the seccomp_data (programs
 * come from the tracee and are checked before they run: every jump lands inside, the last
 * instruction returns, loads are aligned and in range).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "tracer/progfilter.h"

#define BPF_MAXMEM 16
#define PROG_MAX   4096 /* BPF_MAXINSNS */

/* The kernel's checks of a seccomp program: false if it would reject it. */
static bool valid(const struct sock_filter *p, size_t len)
{
	if (len == 0 || len > PROG_MAX || BPF_CLASS(p[len - 1].code) != BPF_RET)
		return false;
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &p[pc];

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
		case BPF_LDX:
			if (f->code == (BPF_LD | BPF_W | BPF_ABS) &&
			    (f->k >= sizeof(struct seccomp_data) || f->k & 3))
				return false;
			if (BPF_MODE(f->code) == BPF_MEM && f->k >= BPF_MAXMEM)
				return false;
			if (BPF_MODE(f->code) == BPF_IND || BPF_MODE(f->code) == BPF_MSH)
				return false;
			break;
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MAXMEM)
				return false;
			break;
		case BPF_ALU:
			if ((BPF_OP(f->code) == BPF_DIV || BPF_OP(f->code) == BPF_MOD) &&
			    BPF_SRC(f->code) == BPF_K && f->k == 0)
				return false;
			break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA) {
				if (f->k >= len - pc - 1)
					return false;
			} else if ((size_t)f->jt >= len - pc - 1 || (size_t)f->jf >= len - pc - 1) {
				return false;
			}
			break;
		}
	}
	return true;
}

static uint32_t alu(uint32_t a, uint32_t v, int op, bool *div0)
{
	switch (op) {
	case BPF_ADD:
		return a + v;
	case BPF_SUB:
		return a - v;
	case BPF_MUL:
		return a * v;
	case BPF_DIV:
		return v ? a / v : (*div0 = true, 0);
	case BPF_MOD:
		return v ? a % v : (*div0 = true, 0);
	case BPF_OR:
		return a | v;
	case BPF_AND:
		return a & v;
	case BPF_XOR:
		return a ^ v;
	case BPF_LSH:
		return v < 32 ? a << v : 0;
	case BPF_RSH:
		return v < 32 ? a >> v : 0;
	case BPF_NEG:
		return -a;
	}
	return a;
}

static bool jump_taken(uint32_t a, uint32_t v, int op)
{
	switch (op) {
	case BPF_JEQ:
		return a == v;
	case BPF_JGT:
		return a > v;
	case BPF_JGE:
		return a >= v;
	case BPF_JSET:
		return (a & v) != 0;
	}
	return false;
}

uint32_t tr_bpf_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *d,
		    int *bad)
{
	uint32_t a = 0, x = 0, mem[BPF_MAXMEM] = {0}, word;
	bool div0 = false;

	*bad = !valid(prog, len);
	if (*bad)
		return SECCOMP_RET_KILL_PROCESS;
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];
		uint32_t v = BPF_SRC(f->code) == BPF_X ? x : f->k;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
		case BPF_LDX:
			switch (BPF_MODE(f->code)) {
			case BPF_ABS:
				memcpy(&word, (const char *)d + f->k, 4);
				break;
			case BPF_LEN:
				word = sizeof(*d);
				break;
			case BPF_MEM:
				word = mem[f->k];
				break;
			default: /* BPF_IMM */
				word = f->k;
			}
			*(BPF_CLASS(f->code) == BPF_LD ? &a : &x) = word;
			break;
		case BPF_ST:
			mem[f->k] = a;
			break;
		case BPF_STX:
			mem[f->k] = x;
			break;
		case BPF_ALU:
			a = alu(a, v, BPF_OP(f->code), &div0);
			if (div0)
				return 0; /* the program ends with 0: SECCOMP_RET_KILL_THREAD */
			break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA)
				pc += f->k;
			else
				pc += jump_taken(a, v, BPF_OP(f->code)) ? f->jt : f->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return SECCOMP_RET_KILL_PROCESS; /* not reached: valid() wants a return at the end */
}

static const char *action_name(uint32_t action)
{
	switch (action & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		return "KILL_PROCESS";
	case SECCOMP_RET_KILL_THREAD:
		return "KILL_THREAD";
	case SECCOMP_RET_TRAP:
		return "TRAP";
	case SECCOMP_RET_ERRNO:
		return "ERRNO";
	case SECCOMP_RET_USER_NOTIF:
		return "USER_NOTIF";
	}
	return "an unknown action";
}

int tr_progfilter_judge(const struct sock_filter *prog, size_t len, uint64_t ip, char *why,
			size_t why_len)
{
	/* What a batch runs: the plan steps of mm/backend.h and the trampoline's install. */
	static const struct {
		int nr;
		const char *name;
	} calls[] = {
	    {SYS_mmap, "mmap"},
	    {SYS_munmap, "munmap"},
	    {SYS_mprotect, "mprotect"},
	    {SYS_mremap, "mremap"},
	    {SYS_openat, "openat"},
	    {SYS_close, "close"},
	    {SYS_madvise, "madvise"},
	    {SYS_mlock, "mlock"},
	    {SYS_mlock2, "mlock2"},
	    {SYS_munlock, "munlock"},
	    {SYS_mlockall, "mlockall"},
	    {SYS_munlockall, "munlockall"},
	    {SYS_msync, "msync"},
	    {SYS_mincore, "mincore"},
	    {SYS_pkey_mprotect, "pkey_mprotect"},
	};
	/* What tr_give_fd runs instead of openat (tracer/givefd.h). */
	static const int give_calls[] = {SYS_socketpair, SYS_recvmsg};
	struct seccomp_data d = {.arch = AUDIT_ARCH_X86_64, .instruction_pointer = ip};
	uint32_t act, full;
	int bad, openat_denied = 0;

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		d.nr = calls[i].nr;
		act = tr_bpf_run(prog, len, &d, &bad);
		if (bad)
			return 0; /* the kernel rejects it (EINVAL): nothing gets installed */
		full = act & SECCOMP_RET_ACTION_FULL;
		if (full == SECCOMP_RET_ALLOW || full == SECCOMP_RET_LOG ||
		    full == SECCOMP_RET_TRACE)
			continue;
		if (full == SECCOMP_RET_ERRNO)
			snprintf(why, why_len, "its action for %s is ERRNO(%u)", calls[i].name,
				 act & SECCOMP_RET_DATA);
		else
			snprintf(why, why_len, "its action for %s is %s", calls[i].name,
				 action_name(act));
		if (calls[i].nr != SYS_openat)
			return 1;
		openat_denied = 1;
	}
	for (size_t i = 0; openat_denied && i < sizeof(give_calls) / sizeof(give_calls[0]); i++) {
		d.nr = give_calls[i];
		full = tr_bpf_run(prog, len, &d, &bad) & SECCOMP_RET_ACTION_FULL;
		if (full != SECCOMP_RET_ALLOW && full != SECCOMP_RET_LOG &&
		    full != SECCOMP_RET_TRACE)
			return 1; /* why: openat's action */
	}
	return openat_denied ? 2 : 0;
}

static int peek(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)addr, len};
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EFAULT;
}

int tr_progfilter_check(pid_t tid, long nr, const uint64_t a[3], uint64_t ip, char *why,
			size_t why_len)
{
	struct {
		uint16_t len;
		uint64_t filter;
	} __attribute__((aligned(8))) fprog;
	struct sock_filter *prog;
	uint64_t uargs;
	int e;

	if (nr == SYS_seccomp && a[0] == SECCOMP_SET_MODE_FILTER)
		uargs = a[2];
	else if (nr == SYS_prctl && a[0] == PR_SET_SECCOMP && a[1] == SECCOMP_MODE_FILTER)
		uargs = a[2];
	else if ((nr == SYS_seccomp && a[0] == SECCOMP_SET_MODE_STRICT && !a[1] && !a[2]) ||
		 (nr == SYS_prctl && a[0] == PR_SET_SECCOMP && a[1] == SECCOMP_MODE_STRICT)) {
		snprintf(why, why_len, "strict mode allows only read, write, exit and sigreturn");
		return 1;
	} else {
		return 0;
	}
	memset(&fprog, 0, sizeof(fprog));
	if (peek(tid, uargs, &fprog.len, 2) || peek(tid, uargs + 8, &fprog.filter, 8))
		return 0; /* EFAULT: the kernel says so itself */
	if (!fprog.len || fprog.len > PROG_MAX)
		return 0; /* EINVAL from the kernel */
	prog = calloc(fprog.len, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	e = peek(tid, fprog.filter, prog, fprog.len * sizeof(*prog));
	if (e == 0)
		e = tr_progfilter_judge(prog, fprog.len, ip, why, why_len);
	else
		e = 0; /* EFAULT again */
	free(prog);
	return e;
}
