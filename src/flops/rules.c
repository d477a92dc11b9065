/* rules.c — the FLOPs of one ggml graph node, by op, from its shapes alone
 * (docs/flops.md lists every rule and why). Matrix products count 2 FLOPs per
 * multiply-add and are attributed to a component by the weight they multiply;
 * element-wise work counts the arithmetic per element; data movement (views,
 * copies, gathers, KV-cache stores) counts 0. The weight type never enters:
 * a Q4_0 matmul performs the same multiply-adds as an F16 one. */
#include <string.h>

#include "flops/flops_internal.h"

static uint64_t nel(const struct ggml_tensor *t)
{
    return (uint64_t)ggml_nelements(t);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Component of a matrix product from the weight in its first operand. A first
 * operand that is not a model weight is the KV cache or the attention
 * probabilities: the attention scores/values product. */
static lle_flops_part matmul_part(const struct ggml_tensor *w)
{
    const char *n = w->name;

    if (!ends_with(n, ".weight"))
        return LLE_FLOPS_ATTN_SCORES;
    if (strcmp(n, "output.weight") == 0 || strcmp(n, "token_embd.weight") == 0)
        return LLE_FLOPS_LM_HEAD;
    if (strstr(n, ".attn_") != NULL)
        return LLE_FLOPS_ATTN_PROJ;
    if (strstr(n, ".ffn_") != NULL)
        return LLE_FLOPS_FFN;
    return LLE_FLOPS_OTHER;
}

static float op_param_f32(const struct ggml_tensor *t, int i)
{
    float v;

    memcpy(&v, (const char *)t->op_params + (size_t)i * sizeof v, sizeof v);
    return v;
}

static int32_t op_param_i32(const struct ggml_tensor *t, int i)
{
    int32_t v;

    memcpy(&v, (const char *)t->op_params + (size_t)i * sizeof v, sizeof v);
    return v;
}

/* FLOPs per output element of a unary activation. */
static uint64_t unary_cost(enum ggml_unary_op op)
{
    switch (op) {
    case GGML_UNARY_OP_SILU:       /* x / (1 + exp(-x)): neg, exp, add, div */
    case GGML_UNARY_OP_GELU_QUICK: /* x * sigmoid(1.702 x) */
    case GGML_UNARY_OP_HARDSWISH:
        return 4;
    case GGML_UNARY_OP_SIGMOID: /* neg, exp, add+div counted as 2 */
    case GGML_UNARY_OP_SOFTPLUS:
    case GGML_UNARY_OP_HARDSIGMOID:
        return 3;
    case GGML_UNARY_OP_GELU: /* tanh approximation */
    case GGML_UNARY_OP_GELU_ERF:
        return 8;
    case GGML_UNARY_OP_ELU:
    case GGML_UNARY_OP_EXPM1:
        return 2;
    default:
        return 1; /* abs, neg, relu, tanh, exp, step, rounding ... */
    }
}

/* FLOPs per output element of a gated linear unit: activation(gate) * up. */
static uint64_t glu_cost(enum ggml_glu_op op)
{
    switch (op) {
    case GGML_GLU_OP_REGLU:
        return 2;
    case GGML_GLU_OP_GEGLU:
    case GGML_GLU_OP_GEGLU_ERF:
        return 9;
    default:
        return 5; /* GEGLU_QUICK: gelu_quick (4) + multiply; SwiGLU variants: silu (4) + multiply */
    }
}

/* Flash attention: the two products (scores, then probabilities times V) and
 * the softmax over the scores, as SOFT_MAX counts it. */
static void flash_attn(const struct ggml_tensor *t, uint64_t parts[])
{
    const struct ggml_tensor *q = t->src[0], *k = t->src[1], *v = t->src[2];
    uint64_t rows = (uint64_t)q->ne[1] * (uint64_t)q->ne[2] * (uint64_t)q->ne[3]; /* queries x heads */
    uint64_t scores = rows * (uint64_t)k->ne[1];

    parts[LLE_FLOPS_ATTN_SCORES] += 2 * scores * (uint64_t)(q->ne[0] + v->ne[0]);
    parts[LLE_FLOPS_OTHER] += scores * (t->src[3] != NULL ? 7 : 6);
}

/* Ops that move or reinterpret data, or produce integers: 0 FLOPs. */
static bool is_movement(enum ggml_op op)
{
    switch (op) {
    case GGML_OP_NONE:
    case GGML_OP_DUP:
    case GGML_OP_CPY:
    case GGML_OP_CONT:
    case GGML_OP_RESHAPE:
    case GGML_OP_VIEW:
    case GGML_OP_PERMUTE:
    case GGML_OP_TRANSPOSE:
    case GGML_OP_GET_ROWS:
    case GGML_OP_SET_ROWS:
    case GGML_OP_SET:
    case GGML_OP_CONCAT:
    case GGML_OP_REPEAT:
    case GGML_OP_PAD:
    case GGML_OP_ARGSORT:
    case GGML_OP_TOP_K:
    case GGML_OP_ARGMAX:
    case GGML_OP_ARANGE:
    case GGML_OP_FILL:
    case GGML_OP_DIAG:
    case GGML_OP_ROLL:
    case GGML_OP_TRI:
        return true;
    default:
        return false;
    }
}

/* FLOPs per output element of element-wise ops, 0 when not element-wise. */
static uint64_t elementwise_cost(const struct ggml_tensor *t)
{
    switch (t->op) {
    case GGML_OP_ADD:
    case GGML_OP_ADD1:
    case GGML_OP_ADD_ID:
    case GGML_OP_SUB:
    case GGML_OP_MUL:
    case GGML_OP_DIV:
    case GGML_OP_SQR:
    case GGML_OP_SQRT:
    case GGML_OP_LOG:
    case GGML_OP_SIN:
    case GGML_OP_COS:
    case GGML_OP_CLAMP:
    case GGML_OP_LEAKY_RELU:
    case GGML_OP_DIAG_MASK_INF:
    case GGML_OP_DIAG_MASK_ZERO:
        return 1;
    case GGML_OP_SCALE:
        return op_param_f32(t, 1) != 0.0f ? 2 : 1; /* s*x (+ b) */
    case GGML_OP_RMS_NORM:
    case GGML_OP_L2_NORM:
        return 3; /* square, sum, scale */
    case GGML_OP_NORM:
    case GGML_OP_GROUP_NORM:
        return 5; /* sum, subtract, square, sum, scale */
    case GGML_OP_SOFT_MAX:
        return t->src[1] != NULL ? 7 : 6; /* scale, (+mask), max, sub, exp, sum, normalise */
    case GGML_OP_UNARY:
        return unary_cost(ggml_get_unary_op(t));
    case GGML_OP_GLU:
        return glu_cost(ggml_get_glu_op(t));
    default:
        return 0;
    }
}

bool lle_flops_node(const struct ggml_tensor *t, uint64_t parts[LLE_FLOPS_N_PARTS])
{
    uint64_t per;

    switch (t->op) {
    case GGML_OP_MUL_MAT:
    case GGML_OP_MUL_MAT_ID: /* only the selected experts' rows are in dst */
        parts[matmul_part(t->src[0])] += 2 * (uint64_t)t->src[0]->ne[0] * nel(t);
        return true;
    case GGML_OP_FLASH_ATTN_EXT:
        flash_attn(t, parts);
        return true;
    case GGML_OP_ROPE: /* each rotated pair: 4 multiplies, 2 adds -> 3 per rotated element */
        parts[LLE_FLOPS_OTHER] += 3 * (nel(t) / (uint64_t)t->ne[0]) * (uint64_t)op_param_i32(t, 1);
        return true;
    case GGML_OP_SUM:
    case GGML_OP_SUM_ROWS:
    case GGML_OP_MEAN:
    case GGML_OP_CUMSUM:
        parts[LLE_FLOPS_OTHER] += nel(t->src[0]);
        return true;
    case GGML_OP_ACC:
        parts[LLE_FLOPS_OTHER] += nel(t->src[1]);
        return true;
    default:
        break;
    }
    if (is_movement(t->op))
        return true;
    per = elementwise_cost(t);
    parts[LLE_FLOPS_OTHER] += per * nel(t);
    return per > 0;
}

uint32_t lle_flops_node_kv_span(const struct ggml_tensor *t)
{
    if (t->op == GGML_OP_SOFT_MAX)
        return (uint32_t)t->ne[0];
    if (t->op == GGML_OP_FLASH_ATTN_EXT && t->src[1] != NULL)
        return (uint32_t)t->src[1]->ne[1];
    return 0;
}

void lle_flops_parts_finish(lle_flops_parts *p)
{
    p->total = 0;
    for (int i = 0; i < LLE_FLOPS_N_PARTS; i++)
        p->total += p->part[i];
}

void lle_flops_parts_add(lle_flops_parts *acc, const lle_flops_parts *x)
{
    for (int i = 0; i < LLE_FLOPS_N_PARTS; i++)
        acc->part[i] += x->part[i];
    acc->total += x->total;
}

const char *lle_flops_part_name(lle_flops_part p)
{
    static const char *const names[LLE_FLOPS_N_PARTS] = {"attention_projections", "attention_scores", "ffn", "lm_head",
                                                         "other"};

    return (int)p >= 0 && p < LLE_FLOPS_N_PARTS ? names[p] : NULL;
}
