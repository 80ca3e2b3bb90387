/* frontends/internal/doctor_impl.h — the training doctor's hooks in fit's loop
 * (doctor.c). */
#ifndef TAPEGRAD_FRONTENDS_INTERNAL_DOCTOR_IMPL_H_
#define TAPEGRAD_FRONTENDS_INTERNAL_DOCTOR_IMPL_H_

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "frontends/fit.h"
#include "frontends/internal/fit_impl.h"

typedef struct tg_doctor tg_doctor;

/* A doctor for one fit over n training rows of targets y (target_width floats per
 * row, as fit holds them) writing to out (and into h when not NULL). NULL on OOM. */
tg_doctor* tg_doctor_new(struct tg_model* m, FILE* out, tg_history* h, tg_progress* progress,
                         const float* y, int64_t n, int64_t target_width);
void tg_doctor_free(tg_doctor* d);
/* Before a step (forward, backward, update). */
void tg_doctor_before_step(tg_doctor* d);
/* After backward, before the update: the loss and the gradients. A non-finite loss
 * stops training: TG_ERR_STATE with the cause on the model. */
tg_status tg_doctor_after_backward(tg_doctor* d, const char* fn, int epoch, int64_t step,
                                   float loss, int64_t rows);
void tg_doctor_after_update(tg_doctor* d, int epoch, int64_t step);
void tg_doctor_epoch_end(tg_doctor* d, int epoch, bool first_epoch);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_DOCTOR_IMPL_H_ */
