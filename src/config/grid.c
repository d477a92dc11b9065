/* grid.c — walking the combinations of a grid campaign and the `exclude`
 * test, shared by the validator (rules.c: every combination is checked) and
 * the planner (src/campaign/plan.c: every combination becomes a run). */
#include "config/config_internal.h"

bool lle_campaign_grid_next(const lle_campaign *cp, size_t *idx)
{
    for (size_t a = cp->n_grid; a-- > 0;) {
        if (++idx[a] < cp->grid[a].n_values)
            return true;
        idx[a] = 0;
    }
    return false;
}

bool lle_campaign_grid_excluded(const lle_campaign *cp, const size_t *idx)
{
    for (size_t i = 0; i < cp->n_exclude; i++) {
        bool all = cp->exclude[i].n_values > 0;
        for (size_t k = 0; all && k < cp->exclude[i].n_values; k++) {
            const lle_config_value *v = &cp->exclude[i].values[k];
            bool hit = false;
            for (size_t a = 0; a < cp->n_grid; a++)
                hit = hit || (cp->grid[a].field == v->field && lle_config_value_equal(v, &cp->grid[a].values[idx[a]]));
            all = hit;
        }
        if (all)
            return true;
    }
    return false;
}
