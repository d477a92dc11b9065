/* topology.c — where this process sits in an MPI job: launcher detection
 * (the environment mpirun, PMI or PMIx set), MPI set-up with errors returned
 * rather than fatal, the node map (ranks grouped by node name: the host
 * name, or $LLE_MPI_NODE, so ranks on one machine can stand for several
 * nodes in tests and unusual set-ups), and each rank's engine budget: a share
 * of the node's cores, or one GPU of the node. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "ggml-backend.h"
#include "llama.h"
#include "mpi/mpi_internal.h"

static mpi_topo g_topo;
static bool g_init;

bool lle_cluster_launched(void)
{
    static const char *const VARS[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", NULL};

    for (int i = 0; VARS[i] != NULL; i++) {
        const char *v = getenv(VARS[i]);
        if (v != NULL && v[0] != '\0')
            return true;
    }
    return false;
}

void mpi_topo_clear(mpi_topo *t)
{
    free(t->hosts);
    free(t->node_of);
    free(t->local_of);
    memset(t, 0, sizeof *t);
}

lle_status mpi_topo_build(mpi_topo *t, int rank, int size, const char (*hosts)[MPI_HOST_MAX], lle_error *err)
{
    memset(t, 0, sizeof *t);
    t->rank = rank;
    t->size = size;
    t->hosts = malloc((size_t)size * sizeof *t->hosts);
    t->node_of = calloc((size_t)size, sizeof *t->node_of);
    t->local_of = calloc((size_t)size, sizeof *t->local_of);
    if (t->hosts == NULL || t->node_of == NULL || t->local_of == NULL) {
        mpi_topo_clear(t);
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    }
    memcpy(t->hosts, hosts, (size_t)size * sizeof *t->hosts);
    for (int r = 0; r < size; r++) {
        int first = r;
        for (int q = 0; q < r; q++)
            if (strcmp(t->hosts[q], t->hosts[r]) == 0) {
                first = q;
                break;
            }
        t->node_of[r] = first == r ? t->n_nodes++ : t->node_of[first];
        for (int q = 0; q < r; q++)
            t->local_of[r] += t->node_of[q] == t->node_of[r];
    }
    t->node = t->node_of[rank];
    t->local_rank = t->local_of[rank];
    for (int r = 0; r < size; r++)
        t->local_size += t->node_of[r] == t->node;
    return LLE_OK;
}

static void node_name(char *out, size_t size)
{
    const char *env = getenv("LLE_MPI_NODE");

    if (env != NULL && env[0] != '\0') {
        lle_strlcpy(out, env, size);
        return;
    }
    if (gethostname(out, size) != 0)
        lle_strlcpy(out, "unknown-host", size);
    out[size - 1] = '\0';
}

static lle_status mpi_status(int rc, const char *what, lle_error *err)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;

    if (rc == MPI_SUCCESS)
        return LLE_OK;
    MPI_Error_string(rc, text, &len);
    return lle_fail(err, LLE_ERR_BACKEND, "MPI: %s failed: %s", what, text);
}

lle_status lle_cluster_init(int *argc, char ***argv, lle_error *err)
{
    char(*hosts)[MPI_HOST_MAX] = NULL;
    char mine[MPI_HOST_MAX] = "";
    int provided = 0, rank = 0, size = 1;
    lle_status st;

    if (g_init)
        return LLE_OK;
    st = mpi_status(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread", err);
    if (st != LLE_OK)
        return st;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    node_name(mine, sizeof mine);
    hosts = calloc((size_t)size, sizeof *hosts);
    if (hosts == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    st = mpi_status(MPI_Allgather(mine, MPI_HOST_MAX, MPI_CHAR, hosts, MPI_HOST_MAX, MPI_CHAR, MPI_COMM_WORLD),
                    "MPI_Allgather (node names)", err);
    if (st == LLE_OK)
        st = mpi_topo_build(&g_topo, rank, size, (const char(*)[MPI_HOST_MAX])hosts, err);
cleanup:
    free(hosts);
    g_init = true; /* finalize even after a failure here */
    return st;
}

void lle_cluster_finalize(void)
{
    int finalized = 0;

    if (!g_init)
        return;
    mpi_topo_clear(&g_topo);
    g_init = false;
    MPI_Finalized(&finalized);
    if (!finalized)
        MPI_Finalize();
}

int lle_cluster_rank(void)
{
    return g_init ? g_topo.rank : 0;
}
int lle_cluster_size(void)
{
    return g_init && g_topo.size > 0 ? g_topo.size : 1;
}

const mpi_topo *mpi_topo_get(void)
{
    return g_init && g_topo.hosts != NULL ? &g_topo : NULL;
}

int mpi_gpu_count(void)
{
    int n = 0;

    if (lle_runtime_init(NULL) != LLE_OK || !llama_supports_gpu_offload())
        return 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++)
        if (ggml_backend_dev_type(ggml_backend_dev_get(i)) == GGML_BACKEND_DEVICE_TYPE_GPU)
            n++;
    return n;
}

lle_status mpi_plan_rank(const mpi_topo *t, int cores, int gpus, lle_run_config *cfg, int *gpu_out, lle_error *err)
{
    bool split = cfg->n_tensor_split > 0 || (cfg->split_mode != NULL && strcmp(cfg->split_mode, "none") != 0);

    *gpu_out = -1;
    if (cfg->n_threads <= 0) {
        int share = cores / (t->local_size > 0 ? t->local_size : 1);
        cfg->n_threads = share > 0 ? share : 1;
    }
    if (gpus <= 0 || cfg->n_gpu_layers == 0)
        return LLE_OK;
    if (t->local_size <= 1) { /* the only rank of its node keeps the config's GPU placement */
        *gpu_out = cfg->main_gpu;
        return LLE_OK;
    }
    if (split)
        return lle_fail(err, LLE_ERR_INVALID,
                        "%d ranks share node '%s': each gets one GPU, so split_mode/tensor_split cannot split a "
                        "model over GPUs; run one rank per node to do that",
                        t->local_size, t->hosts[t->rank]);
    cfg->main_gpu = t->local_rank % gpus;
    cfg->split_mode = "none";
    *gpu_out = cfg->main_gpu;
    return LLE_OK;
}
