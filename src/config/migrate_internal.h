/* migrate_internal.h — shared by migrate.c (reading the legacy file, the
 * report, writing the YAML) and migrate_map.c (the field-by-field mapping of
 * the thesis tool's config dict). Not installed.
 *
 * Ownership: a mig holds a scratch lle_config used as the string arena; every
 * string it hands out is freed with that config. */
#ifndef LLE_MIGRATE_INTERNAL_H
#define LLE_MIGRATE_INTERNAL_H

#include "config/config_internal.h"

typedef struct mig {
    lle_config *arena; /* strings and comments */
    yaml_document_t *doc;
    yaml_node_t *root;
    const lle_migrate_opts *opts;
    lle_migrate_report *rep;
    size_t cap_items;
    lle_config_experiment e; /* the result */
    const char *comments[LLE_CONFIG_MAX_FIELDS];
    const char *name, *description;
    const char *stem; /* legacy file name without directory and extension */
    bool fatal;       /* no model could be chosen */
    bool oom;
} mig;

/* Node at a dotted path from the root ("decoder_config.decoder_top_k"), or NULL. */
yaml_node_t *mig_get(mig *m, const char *path);
/* Add a report item at the node of `key` (its value; 1:1 when absent). */
void mig_item(mig *m, lle_migrate_kind kind, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef enum mig_get_status { MIG_ABSENT, MIG_NULL, MIG_OK, MIG_WRONG } mig_get_status;
/* Typed reads; MIG_WRONG is reported as an invalid value. */
mig_get_status mig_number(mig *m, const char *key, double *out);
mig_get_status mig_bool(mig *m, const char *key, bool *out);
mig_get_status mig_string(mig *m, const char *key, const char **out);

/* Set a field of the result, noting the legacy key it came from. */
void mig_set_int(mig *m, const char *field, long long v, const char *from);
void mig_set_num(mig *m, const char *field, double v, const char *from);
void mig_set_str(mig *m, const char *field, const char *v, const char *from);
void mig_set_bool(mig *m, const char *field, bool v, const char *from);

/* The mapping itself (migrate_map.c). */
void mig_map_all(mig *m);
/* Top-level legacy keys the mapping knows (NULL-terminated). */
extern const char *const MIG_KNOWN_KEYS[];

#endif
