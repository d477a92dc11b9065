/* wq.c — small pieces the campaign coordinator and workers share: the
 * lost-rank timeout, the digest that proves two ranks planned the same runs,
 * receiving a probed message as text, and how many workers (ranks > 0) share
 * a node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign_internal.h"
#include "mpi/mpi_internal.h"
#include "mpi/wq.h"

double wq_lost_after_s(void)
{
    const char *env = getenv("LLE_MPI_TIMEOUT");
    char *end = NULL;
    double v = env != NULL ? strtod(env, &end) : 0.0;

    return env != NULL && end != env && *end == '\0' && v >= 1.0 ? v : 60.0;
}

void wq_plan_digest(const lle_campaign_plan *p, char out[65])
{
    size_t cap = 256 + p->n_items * (LLE_CAMPAIGN_HASH_MAX + 16), len = 0;
    char *buf = malloc(cap);

    if (buf == NULL) {
        snprintf(out, 65, "%s", "unknown");
        return;
    }
    len += (size_t)snprintf(buf, cap, "%s|%zu|%d\n", p->id, p->n_items, p->max_retries);
    for (size_t i = 0; i < p->n_items && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s:%d\n", p->experiments[p->items[i].experiment].hash,
                                p->items[i].cycle);
    cmp_sha256_hex(buf, len < cap ? len : cap - 1, out);
    free(buf);
}

char *wq_recv_text(const MPI_Status *probe)
{
    int count = 0;
    char *text;

    MPI_Get_count(probe, MPI_CHAR, &count);
    if (count < 0)
        count = 0;
    text = malloc((size_t)count + 1);
    MPI_Recv(text, text != NULL ? count : 0, MPI_CHAR, probe->MPI_SOURCE, probe->MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    if (text != NULL)
        text[count] = '\0';
    return text;
}

void wq_workers_on_node(int rank, int *count, int *index)
{
    const mpi_topo *t = mpi_topo_get();

    *count = *index = 0;
    for (int r = 1; t != NULL && r < t->size; r++) {
        if (t->node_of[r] != t->node_of[rank])
            continue;
        if (r < rank)
            (*index)++;
        (*count)++;
    }
    if (*count == 0)
        *count = 1;
}
