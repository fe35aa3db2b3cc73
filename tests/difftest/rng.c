/*
 * Seeded randomness for the differential test: splitmix64 for the generator and for write
 * patterns, and a 64-bit FNV-1a hash for comparing pages across processes (the brk child).
 *
 * Invariant: everything derives from the run's seed, so the same seed replays the same run.
 */
#include "tests/difftest/dt.h"

uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

bool rng_pct(uint64_t *s, unsigned pct)
{
	return rng_below(s, 100) < pct;
}

void pattern_fill(void *buf, uint64_t len, uint64_t seed)
{
	unsigned char *p = buf;
	uint64_t s = seed, v = 0;

	for (uint64_t i = 0; i < len; i++) {
		if ((i & 7) == 0)
			v = rng_next(&s);
		p[i] = (unsigned char)(v >> ((i & 7) * 8));
	}
}

uint64_t hash_bytes(const void *buf, uint64_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint64_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}
