/*
 * The trampoline (tramp.h): the routine that runs a batch of syscall records, and its
 * installation in a tracee.
 *
 * The routine is assembled here with the supervisor (not executed here: its bytes are
 * copied into the tracee's code page). It addresses the data page rip-relative, as "the
 * page after my own start", so it runs at any page-aligned address. Registers: rbx = data
 * page, r12 = n, r13 = current record, r14 = index; rcx = argument index (syscall clobbers
 * rcx and r11, so rcx is reset for every record).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracer/remote.h"
#include "tracer/givefd.h"
#include "tracer/tramp.h"

_Static_assert(sizeof(struct tr_rec) == TR_REC_SIZE, "record layout");
_Static_assert(sizeof(struct tr_data) == TR_PAGE, "data page layout");

/* clang-format off */
__asm__(
	"	.pushsection .rodata.tr_tramp, \"a\"\n"
	"	.balign 16\n"
	"	.globl tr_tramp_code\n"
	"	.hidden tr_tramp_code\n"
	"tr_tramp_code:\n"
	".Ltr_start:\n"
	"	lea	.Ltr_start+4096(%rip), %rbx\n"		/* data page */
	"	movl	0(%rbx), %r12d\n"			/* n */
	"	lea	64(%rbx), %r13\n"			/* rec[0] */
	"	xor	%r14d, %r14d\n"				/* i = 0 */
	"	movl	%r14d, 4(%rbx)\n"			/* done = 0 */
	"1:	cmp	%r12, %r14\n"
	"	jae	9f\n"
	"	xor	%ecx, %ecx\n"				/* j = 0 */
	"2:	movzbl	64(%r13,%rcx), %eax\n"			/* chain[j] */
	"	test	%eax, %eax\n"
	"	jz	3f\n"
	"	dec	%eax\n"
	"	imul	$80, %rax, %rax\n"
	"	mov	120(%rbx,%rax), %rax\n"			/* rec[chain - 1].result */
	"	mov	%rax, 8(%r13,%rcx,8)\n"			/* arg[j] = it */
	"3:	inc	%ecx\n"
	"	cmp	$6, %ecx\n"
	"	jb	2b\n"
	"	mov	0(%r13), %rax\n"
	"	mov	8(%r13), %rdi\n"
	"	mov	16(%r13), %rsi\n"
	"	mov	24(%r13), %rdx\n"
	"	mov	32(%r13), %r10\n"
	"	mov	40(%r13), %r8\n"
	"	mov	48(%r13), %r9\n"
	"	syscall\n"
	"	.globl tr_tramp_code_after_syscall\n"
	"	.hidden tr_tramp_code_after_syscall\n"
	"tr_tramp_code_after_syscall:\n"
	"	mov	%rax, 56(%r13)\n"			/* result */
	"	inc	%r14\n"
	"	movl	%r14d, 4(%rbx)\n"			/* done = i + 1 */
	"	cmp	$-4095, %rax\n"				/* -4095 <= rax <= -1: stop */
	"	jae	9f\n"
	"	add	$80, %r13\n"
	"	jmp	1b\n"
	"9:	int3\n"
	"	.globl tr_tramp_code_end\n"
	"	.hidden tr_tramp_code_end\n"
	"tr_tramp_code_end:\n"
	"	.popsection\n");
/* clang-format on */

extern const unsigned char tr_tramp_code[], tr_tramp_code_end[], tr_tramp_code_after_syscall[];

static size_t code_len(void)
{
	return (size_t)(tr_tramp_code_end - tr_tramp_code);
}

uint64_t tr_tramp_entry(const struct tr_tramp *t)
{
	return t->addr;
}

uint64_t tr_tramp_trap(const struct tr_tramp *t)
{
	return t->addr + code_len(); /* just after the int3, the last byte */
}

uint64_t tr_tramp_syscall_ip(uint64_t code_page)
{
	return code_page + (uint64_t)(tr_tramp_code_after_syscall - tr_tramp_code);
}

uint64_t tr_tramp_str(struct tr_tramp *t, const char *s)
{
	size_t n = strlen(s) + 1;
	uint64_t at;

	if (n > TR_STR_SIZE - t->str_used)
		return 0;
	memcpy(t->data->str + t->str_used, s, n);
	at = t->addr + TR_PAGE + TR_STR_OFF + t->str_used;
	t->str_used += n;
	return at;
}

void tr_tramp_str_reset(struct tr_tramp *t)
{
	t->str_used = 0;
}

/* Writes the memfd's path into the tracee's code page (read+exec), and the routine first when
 * asked. */
static int write_code(pid_t tid, uint64_t addr, const char *path, bool routine)
{
	char mem[64];
	int fd, e = 0;

	snprintf(mem, sizeof(mem), "/proc/%d/mem", tid);
	fd = open(mem, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if ((routine &&
	     pwrite(fd, tr_tramp_code, code_len(), (off_t)addr) != (ssize_t)code_len()) ||
	    pwrite(fd, path, strlen(path) + 1, (off_t)(addr + TR_CODE_PATH_OFF)) !=
		(ssize_t)strlen(path) + 1)
		e = errno ? -errno : -EIO;
	close(fd);
	return e;
}

/* The data page's memfd, mapped on the supervisor's side; t->memfd -1 on failure. */
static int data_create(struct tr_tramp *t)
{
	t->data = NULL;
	t->addr = 0;
	t->str_used = 0;
	t->memfd = memfd_create("starmm-tramp", MFD_CLOEXEC);
	if (t->memfd < 0)
		return -errno;
	if (ftruncate(t->memfd, TR_PAGE) == 0) {
		t->data = mmap(NULL, TR_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, t->memfd, 0);
		if (t->data != MAP_FAILED)
			return 0;
		t->data = NULL;
	}
	close(t->memfd);
	t->memfd = -1;
	return -errno;
}

static void data_release(struct tr_tramp *t)
{
	if (t->data)
		munmap(t->data, TR_PAGE);
	if (t->memfd >= 0)
		close(t->memfd);
	t->data = NULL;
	t->memfd = -1;
}

/*
 * The tracee's descriptor of t's memfd when it cannot open the path (tr_give_fd), the data
 * page's place as scratch area: the parent's page after a fork (*fixed MAP_FIXED), else a
 * private page mapped there first (MAP_FIXED_NOREPLACE), which the memfd then replaces.
 */
static long give_data_fd(struct tr_remote *r, const struct tr_tramp *t, uint64_t data,
			 int *fixed)
{
	unsigned ncalls; /* bootstrap injections are not counted as batches */
	long res, fd;

	if (*fixed == MAP_FIXED)
		return tr_give_fd(r, t->memfd, data + TR_STR_OFF, true, &ncalls);
	res = tr_remote_inject(r, SYS_mmap,
			       (uint64_t[6]){data, TR_PAGE, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
					     (uint64_t)-1, 0});
	if (res != (long)data)
		return res < 0 && res >= -4095 ? res : -EEXIST;
	fd = tr_give_fd(r, t->memfd, data, true, &ncalls);
	if (fd < 0)
		tr_remote_inject(r, SYS_munmap, (uint64_t[6]){data, TR_PAGE});
	else
		*fixed = MAP_FIXED;
	return fd;
}

/* The tracee's descriptor of t's memfd: openat of its path, or give_data_fd when the tracee
 * may not open it. */
static long data_fd(struct tr_remote *r, const struct tr_tramp *t, uint64_t addr, int *fixed)
{
	long fd = -ENOENT;

	if (!t->give_only && tr_proc_fd_usable(r->tid))
		fd = tr_remote_inject(r, SYS_openat,
				      (uint64_t[6]){(uint64_t)AT_FDCWD, addr + TR_CODE_PATH_OFF,
						    O_RDWR | O_CLOEXEC});
	return tr_give_needed(fd) ? give_data_fd(r, t, addr + TR_PAGE, fixed) : fd;
}

/*
 * Maps t's memfd as the data page at addr + TR_PAGE in r's tracee, whose code page at addr
 * holds the memfd's path at TR_CODE_PATH_OFF: data_fd (with room made for it when the
 * program is at its RLIMIT_NOFILE), mmap (MAP_SHARED|fixed, fixed being MAP_FIXED_NOREPLACE
 * or MAP_FIXED), close, each injected. 0 or -errno (-EEXIST: something else is mapped there).
 */
static int data_map(struct tr_remote *r, const struct tr_tramp *t, uint64_t addr, int fixed)
{
	uint64_t data = addr + TR_PAGE;
	struct rlimit old;
	long fd, res;

	fd = data_fd(r, t, addr, &fixed);
	if (fd == -EMFILE && tr_fd_room(r->tid, &old) == 0) {
		fd = data_fd(r, t, addr, &fixed);
		tr_fd_room_end(r->tid, &old);
	}
	if (fd < 0)
		return (int)fd;
	res = tr_remote_inject(r, SYS_mmap,
			       (uint64_t[6]){data, TR_PAGE, PROT_READ | PROT_WRITE,
					     (uint64_t)(MAP_SHARED | fixed), (uint64_t)fd, 0});
	tr_remote_inject(r, SYS_close, (uint64_t[6]){(uint64_t)fd});
	if (res == (long)data)
		return r->dead ? -ESRCH : 0;
	if (res >= 0) /* a kernel that ignores MAP_FIXED_NOREPLACE */
		tr_remote_inject(r, SYS_munmap, (uint64_t[6]){(uint64_t)res, TR_PAGE});
	return res < 0 && res >= -4095 ? (int)res : -EEXIST;
}

static void memfd_path(const struct tr_tramp *t, char *path, size_t len)
{
	snprintf(path, len, "/proc/%d/fd/%d", getpid(), t->memfd);
}

int tr_tramp_install(struct tr_tramp *t, struct tr_remote *r, uint64_t addr)
{
	char path[64];
	long res;
	int e;

	_Static_assert(TR_CODE_PATH_OFF >= 256, "the path must not overlap the routine");
	t->memfd = -1;
	t->data = NULL;
	if (code_len() > TR_CODE_PATH_OFF || addr % TR_PAGE || !addr || !r->active)
		return -EINVAL;
	e = data_create(t);
	if (e)
		return e;
	memfd_path(t, path, sizeof(path));
	res = tr_remote_inject(r, SYS_mmap,
			       (uint64_t[6]){addr, TR_PAGE, PROT_READ | PROT_EXEC,
					     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
					     (uint64_t)-1, 0});
	if (res < 0 && res >= -4095) {
		e = (int)res;
		goto out_memfd;
	}
	if ((uint64_t)res != addr) { /* a kernel that ignores MAP_FIXED_NOREPLACE */
		e = -EEXIST;
		tr_remote_inject(r, SYS_munmap, (uint64_t[6]){(uint64_t)res, TR_PAGE});
		goto out_memfd;
	}
	e = write_code(r->tid, addr, path, true);
	if (!e)
		e = data_map(r, t, addr, MAP_FIXED_NOREPLACE);
	if (!e) {
		t->addr = addr;
		r->t = t;
		return 0;
	}
	tr_remote_inject(r, SYS_munmap, (uint64_t[6]){addr, TR_PAGE});
out_memfd:
	data_release(t);
	return r->dead ? -ESRCH : e;
}

int tr_tramp_fork(struct tr_tramp *t, const struct tr_tramp *parent, struct tr_remote *r)
{
	char path[64];
	int e;

	t->memfd = -1;
	t->data = NULL;
	if (!r->active || !r->at_exec)
		return -EINVAL;
	e = data_create(t);
	if (e)
		return e;
	memfd_path(t, path, sizeof(path));
	e = write_code(r->tid, parent->addr, path, false);
	if (!e)
		e = data_map(r, t, parent->addr, MAP_FIXED);
	if (e) {
		data_release(t);
		return r->dead ? -ESRCH : e;
	}
	t->addr = parent->addr;
	r->t = t;
	return 0;
}

void tr_tramp_release(struct tr_tramp *t)
{
	data_release(t);
	t->addr = 0;
}
