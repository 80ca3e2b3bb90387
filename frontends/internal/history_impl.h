/* frontends/internal/history_impl.h — how fit fills a History. */
#ifndef TAPEGRAD_FRONTENDS_INTERNAL_HISTORY_IMPL_H_
#define TAPEGRAD_FRONTENDS_INTERNAL_HISTORY_IMPL_H_

#include <stdbool.h>

#include "frontends/fit.h"

/* One epoch's values under their names (new names become new columns). False on
 * out of memory. */
bool tg_history_append(tg_history* h, int epoch, int n, const char* const* names,
                       const double* values);
/* Adds one fit's wall time and the part of it spent in the doctor. */
void tg_history_add_time(tg_history* h, double fit_seconds, double doctor_seconds);
/* Appends one warning line (without its newline). False on out of memory. */
bool tg_history_warn(tg_history* h, const char* line);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_HISTORY_IMPL_H_ */
