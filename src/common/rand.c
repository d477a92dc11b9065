/* rand.c — the one PRNG behind every seeded choice of the tool (synthetic
 * weights and prompts, orders, traffic): splitmix64 (Steele, Lea, Flood 2014),
 * plus unbiased bounded draws. Defined exactly in docs/prompts.md so other
 * tools can reproduce our orders. */
#include "common/util.h"

uint64_t lle_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double lle_rand01(uint64_t *state)
{
    return (double)(lle_splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t lle_rand_below(uint64_t *state, uint64_t bound)
{
    uint64_t threshold = (0 - bound) % bound, r;

    do
        r = lle_splitmix64(state);
    while (r < threshold);
    return r % bound;
}
