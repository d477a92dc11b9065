/* model.c — model FLOPs: the architecture formula of a decoder transformer
 * (docs/flops.md), from the GGUF hyperparameters alone. It counts the useful
 * multiply-adds at 2 FLOPs each: the Q/K/V/output projections and the FFN
 * (gated, three matrices; MoE: the router and the active experts only) for
 * every token, causal attention (token i of a prefill attends to i
 * positions), and the vocabulary projection only where logits are needed.
 * Element-wise work (norms, RoPE, softmax, activations) is not part of it. */
#include <string.h>

#include "common/util.h"
#include "flops/flops_internal.h"

/* Multiply-adds per token of one layer's projections and FFN, by component. */
typedef struct layer_macs {
    uint64_t attn_proj;    /* d·d_q + d·d_k + d·d_v + d_o·d */
    uint64_t ffn;          /* dense: 3·d·d_ff; MoE: d·n_expert + n_used·3·d·d_ff */
    uint64_t attn_per_pos; /* per attended position: n_head·(head_dim_k + head_dim_v) */
} layer_macs;

static layer_macs macs_of(const lle_model_info *m)
{
    uint64_t d = m->n_embd, ff = m->n_ff;
    uint64_t d_q = (uint64_t)m->n_head * m->head_dim_k, d_o = (uint64_t)m->n_head * m->head_dim_v;
    uint64_t d_k = (uint64_t)m->n_head_kv * m->head_dim_k, d_v = (uint64_t)m->n_head_kv * m->head_dim_v;
    layer_macs l;

    l.attn_proj = d * d_q + d * d_k + d * d_v + d_o * d;
    if (m->n_expert > 0)
        l.ffn = d * m->n_expert + (uint64_t)m->n_expert_used * 3 * d * ff;
    else
        l.ffn = 3 * d * ff;
    l.attn_per_pos = (uint64_t)m->n_head * ((uint64_t)m->head_dim_k + m->head_dim_v);
    return l;
}

lle_status lle_flops_model_check(const lle_model_info *m, lle_error *err)
{
    const char *missing = m->n_layer == 0                            ? "block_count"
                          : m->n_embd == 0                           ? "embedding_length"
                          : m->n_head == 0                           ? "attention.head_count"
                          : m->n_head_kv == 0                        ? "attention.head_count_kv"
                          : m->head_dim_k == 0 || m->head_dim_v == 0 ? "attention.key_length/value_length"
                          : m->n_ff == 0                             ? "feed_forward_length"
                          : m->n_vocab == 0                          ? "vocabulary size"
                                                                     : NULL;

    if (missing != NULL)
        return lle_fail(err, LLE_ERR_UNSUPPORTED,
                        "%s: model FLOPs need %s.%s, which is missing or 0 (not a decoder transformer?)",
                        m->path[0] ? m->path : m->name, m->arch, missing);
    if (m->n_expert_used > m->n_expert)
        return lle_fail(err, LLE_ERR_UNSUPPORTED, "%s: %s.expert_used_count %u exceeds expert_count %u",
                        m->path[0] ? m->path : m->name, m->arch, m->n_expert_used, m->n_expert);
    return LLE_OK;
}

void lle_flops_model_prefill(const lle_model_info *m, uint64_t n_prompt, lle_flops_parts *out)
{
    layer_macs l = macs_of(m);
    uint64_t nl = m->n_layer, p = n_prompt;

    memset(out, 0, sizeof *out);
    if (p == 0)
        return;
    out->part[LLE_FLOPS_ATTN_PROJ] = 2 * nl * l.attn_proj * p;
    out->part[LLE_FLOPS_FFN] = 2 * nl * l.ffn * p;
    /* sum over i = 1..p of i attended positions = p(p+1)/2, two products */
    out->part[LLE_FLOPS_ATTN_SCORES] = nl * l.attn_per_pos * p * (p + 1);
    out->part[LLE_FLOPS_LM_HEAD] = 2 * (uint64_t)m->n_embd * m->n_vocab;
    lle_flops_parts_finish(out);
}

void lle_flops_model_decode(const lle_model_info *m, uint64_t context_len, lle_flops_parts *out)
{
    layer_macs l = macs_of(m);
    uint64_t nl = m->n_layer;

    memset(out, 0, sizeof *out);
    out->part[LLE_FLOPS_ATTN_PROJ] = 2 * nl * l.attn_proj;
    out->part[LLE_FLOPS_FFN] = 2 * nl * l.ffn;
    out->part[LLE_FLOPS_ATTN_SCORES] = 2 * nl * l.attn_per_pos * context_len;
    out->part[LLE_FLOPS_LM_HEAD] = 2 * (uint64_t)m->n_embd * m->n_vocab;
    lle_flops_parts_finish(out);
}

void lle_flops_model_request(const lle_model_info *m, uint64_t n_prompt, uint64_t n_gen, lle_flops_parts *prefill,
                             lle_flops_parts *decode)
{
    layer_macs l = macs_of(m);
    uint64_t steps = n_gen > 0 ? n_gen - 1 : 0, nl = m->n_layer;
    /* context lengths n_prompt+1 .. n_prompt+steps */
    uint64_t ctx_sum = steps * n_prompt + steps * (steps + 1) / 2;

    lle_flops_model_prefill(m, n_prompt, prefill);
    memset(decode, 0, sizeof *decode);
    decode->part[LLE_FLOPS_ATTN_PROJ] = 2 * nl * l.attn_proj * steps;
    decode->part[LLE_FLOPS_FFN] = 2 * nl * l.ffn * steps;
    decode->part[LLE_FLOPS_ATTN_SCORES] = 2 * nl * l.attn_per_pos * ctx_sum;
    decode->part[LLE_FLOPS_LM_HEAD] = 2 * (uint64_t)m->n_embd * m->n_vocab * steps;
    lle_flops_parts_finish(decode);
}

void lle_flops_info_from_preset(const lle_preset *p, lle_model_info *out)
{
    memset(out, 0, sizeof *out);
    lle_strlcpy(out->arch, p->arch, sizeof out->arch);
    lle_strlcpy(out->name, p->name, sizeof out->name);
    lle_strlcpy(out->file_type, "unknown", sizeof out->file_type);
    out->n_layer = p->n_layer;
    out->n_embd = p->n_embd;
    out->n_head = p->n_head;
    out->n_head_kv = p->n_head_kv;
    out->head_dim_k = out->head_dim_v = p->n_head ? p->n_embd / p->n_head : 0;
    out->n_rot = out->head_dim_k;
    out->n_ff = p->n_ff;
    out->n_vocab = p->n_vocab;
    out->n_ctx_train = p->n_ctx_train;
    out->rope_freq_base = p->rope_freq_base;
    out->norm_eps = p->norm_eps;
    out->tied_embeddings = p->tied_embeddings;
    out->n_params = lle_preset_param_count(p);
}
