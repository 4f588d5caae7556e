/*
 * Private: learned transit lanes (lib/learn.c; the public side is
 * include/tsuiseki/learn.h). The model is owned by a context.
 */
#ifndef TSK_LIB_LEARN_H
#define TSK_LIB_LEARN_H

#include "lanes.h"

#include <stdbool.h>
#include <stddef.h>

struct tsk__eta_model;
void tsk__eta_model_free(struct tsk__eta_model *m);

/* The learned hours (p10, p90 and the sample count) of the best lane for
 * a shipment: the exact lane, then the origin's aggregate; the all-origins
 * aggregate only when the origin is unknown. False when none has enough
 * samples (or m is NULL). */
bool tsk__learned_hours(const struct tsk__eta_model *m, const tsk_shipment *s, const struct tsk__lane *lane,
                        double *p10, double *p90, size_t *samples);

#endif
