/*
 * The outcome table: how many times each operation ended each way (success, an errno name,
 * a labelled case such as EINVAL(len0), brk's grow/shrink/same/refused, model-only,
 * mremap's success(move)..., madvise per advice as "madvise-advice ADVICE:outcome", fork
 * snapshots compared).
 *
 * --table-out writes it as "op outcome count" lines, which tests/run-difftest.sh merges over
 * runs and checks for the outcomes the test must have seen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault/inject.h"
#include "tests/difftest/dt.h"

#define MAX_ROWS 512

struct row {
	char op[24], label[48];
	unsigned long count;
};

static struct row rows[MAX_ROWS];
static int nrows;

void table_count(const char *op, const char *label)
{
	table_add(op, label, 1);
}

void table_add(const char *op, const char *label, unsigned long n)
{
	int i;

	for (i = 0; i < nrows; i++)
		if (!strcmp(rows[i].op, op) && !strcmp(rows[i].label, label))
			break;
	if (i == nrows) {
		if (nrows == MAX_ROWS)
			return;
		snprintf(rows[i].op, sizeof(rows[i].op), "%s", op);
		snprintf(rows[i].label, sizeof(rows[i].label), "%s", label);
		nrows++;
	}
	rows[i].count += n;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->op, y->op);

	return c ? c : strcmp(x->label, y->label);
}

void table_print(FILE *f)
{
	qsort(rows, (size_t)nrows, sizeof(rows[0]), row_cmp);
	fprintf(f, "%-16s %-32s %8s\n", "operation", "outcome", "count");
	for (int i = 0; i < nrows; i++)
		fprintf(f, "%-16s %-32s %8lu\n", rows[i].op, rows[i].label, rows[i].count);
}

int table_write(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	for (int i = 0; i < nrows; i++)
		fprintf(f, "%s %s %lu\n", rows[i].op, rows[i].label, rows[i].count);
	return fclose(f) ? -errno : 0;
}

const char *errno_label(long err)
{
	static char buf[32];
	const char *n = fault_errno_name((int)-err);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%ld", -err);
	return buf;
}
