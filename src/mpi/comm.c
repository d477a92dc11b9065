/* comm.c — the collective steps of the data-parallel experiment: barriers
 * whose waiting ranks sleep instead of spinning (Open MPI's blocking barrier
 * polls at 100% of a core, which would steal cores from ranks still working
 * and inflate the idle baseline), gathering one text per rank to rank 0
 * (lengths, then the bytes), and rank 0's status shared with every rank. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "mpi/mpi_internal.h"

static lle_status mpi_fail(int rc, const char *what, lle_error *err)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;

    MPI_Error_string(rc, text, &len);
    return lle_fail(err, LLE_ERR_BACKEND, "MPI: %s failed: %s", what, text);
}

lle_status mpi_gentle_barrier(MPI_Comm comm, double poll_s, lle_error *err)
{
    MPI_Request req;
    int done = 0, rc = MPI_Ibarrier(comm, &req);
    struct timespec ts = {0, (long)(poll_s * 1e9)};

    while (rc == MPI_SUCCESS && !done) {
        rc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (rc == MPI_SUCCESS && !done)
            nanosleep(&ts, NULL);
    }
    if (rc == MPI_SUCCESS) /* everyone is there: this one returns together */
        rc = MPI_Barrier(comm);
    return rc == MPI_SUCCESS ? LLE_OK : mpi_fail(rc, "barrier", err);
}

static void free_texts(char **all, int n)
{
    for (int i = 0; all != NULL && i < n; i++)
        free(all[i]);
    free(all);
}

/* Rank 0: split the gathered bytes into one string per rank. */
static lle_status split_texts(const char *buf, const int *lens, const int *displs, int n, char ***all, lle_error *err)
{
    char **out = calloc((size_t)n, sizeof *out);

    if (out == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        out[i] = malloc((size_t)lens[i] + 1);
        if (out[i] == NULL) {
            free_texts(out, n);
            return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        }
        memcpy(out[i], buf + displs[i], (size_t)lens[i]);
        out[i][lens[i]] = '\0';
    }
    *all = out;
    return LLE_OK;
}

/* Rank 0: displacements of the gathered texts; on failure every count is
 * zeroed so the second gather still matches what the ranks send. */
static lle_status layout(int *lens, int *displs, int size, size_t *total, lle_error *err)
{
    lle_status st = LLE_OK;

    *total = 0;
    for (int i = 0; i < size && st == LLE_OK; i++) {
        if (lens[i] < 0 || *total + (size_t)lens[i] > (size_t)INT32_MAX)
            st = lle_fail(err, LLE_ERR_INVALID, "rank %d's result is too large to gather (over 2 GiB in all)", i);
        displs[i] = (int)*total;
        *total += lens[i] > 0 ? (size_t)lens[i] : 0;
    }
    for (int i = 0; i < size && st != LLE_OK; i++)
        lens[i] = displs[i] = 0;
    if (st != LLE_OK)
        *total = 0;
    return st;
}

lle_status mpi_gather_text(MPI_Comm comm, const char *mine, char ***all, lle_error *err)
{
    int rank = 0, size = 1, rc, len;
    size_t mlen = strlen(mine), total = 0;
    int *lens = NULL, *displs = NULL;
    char *buf = NULL;
    lle_status st = LLE_OK;

    *all = NULL;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    len = mlen > (size_t)INT32_MAX ? -1 : (int)mlen; /* a gather moves int-counted bytes */
    if (rank == 0) {
        lens = calloc((size_t)size, sizeof *lens);
        displs = calloc((size_t)size, sizeof *displs);
        if (lens == NULL || displs == NULL) { /* cannot take part in the gather: nothing sane is left */
            MPI_Abort(comm, 1);
            st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
    }
    rc = MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, comm);
    if (rc != MPI_SUCCESS) {
        st = mpi_fail(rc, "gather (result sizes)", err);
        goto cleanup;
    }
    if (rank == 0) {
        st = layout(lens, displs, size, &total, err);
        buf = malloc(total + 1);
        if (buf == NULL) { /* as above */
            MPI_Abort(comm, 1);
            st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
    }
    /* a rank whose text is too large sends nothing; rank 0 then expects nothing from anyone */
    rc = MPI_Gatherv(mine, len < 0 ? 0 : len, MPI_CHAR, buf, lens, displs, MPI_CHAR, 0, comm);
    if (rc != MPI_SUCCESS && st == LLE_OK)
        st = mpi_fail(rc, "gather (results)", err);
    if (rank == 0 && st == LLE_OK)
        st = split_texts(buf, lens, displs, size, all, err);
cleanup:
    free(buf);
    free(lens);
    free(displs);
    return st;
}

void mpi_share_status(MPI_Comm comm, lle_status *st, lle_error *err)
{
    int code = (int)*st;
    lle_error local = {0};
    lle_error *e = err != NULL ? err : &local;

    MPI_Bcast(&code, 1, MPI_INT, 0, comm);
    MPI_Bcast(e->msg, LLE_ERROR_MSG_MAX, MPI_CHAR, 0, comm);
    e->msg[LLE_ERROR_MSG_MAX - 1] = '\0';
    e->code = (lle_status)code;
    *st = (lle_status)code;
}
