/* Writes many lines to stdout and one to stderr (stdout must stay the program's own). */
#include <stdio.h>

int main(void)
{
	for (int i = 0; i < 1000; i++)
		printf("hello: line %d\n", i);
	fputs("hello: to stderr\n", stderr);
	return 0;
}
