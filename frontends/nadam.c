/* frontends/nadam.c — Keras' Nadam (Adam with Nesterov momentum and Dozat's momentum
 * schedule), step t = iterations + 1:
 *   u_t  = beta_1 (1 - 0.5 * 0.96^(0.004 t)),  u_t1 = beta_1 (1 - 0.5 * 0.96^(0.004 (t+1)))
 *   P_t  = P_{t-1} u_t (P_0 = 1),              P_t1 = P_t u_t1
 *   m = beta_1 m + (1 - beta_1) g;  v = beta_2 v + (1 - beta_2) g²
 *   w -= lr' (u_t1 m / (1 - P_t1) + (1 - u_t) g / (1 - P_t)) / (sqrt(v / (1 - beta_2^t)) + eps)
 * State block: m[n], v[n], then P (one float, as Keras keeps it in float32). */
#include <math.h>

#include "frontends/internal/optimizer_impl.h"

void tg_nadam_consts(const tg_optimizer* o, tg_opt_consts* c) {
  const tg_optimizer_options* p = &o->opt;
  const double t = (double)(o->iterations + 1);
  const float b1 = p->beta_1;
  const float* product = o->state + 2 * o->n;
  c->u_t = (float)(b1 * (1.0 - 0.5 * pow(0.96, 0.004 * t)));
  c->u_t1 = (float)(b1 * (1.0 - 0.5 * pow(0.96, 0.004 * (t + 1.0))));
  c->p_t = *product * c->u_t;
  c->p_t1 = c->p_t * c->u_t1;
  c->b2_power = (float)pow(p->beta_2, t);
}

void tg_nadam_range(tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g, int64_t i0,
                    int64_t i1) {
  const tg_optimizer_options* p = &o->opt;
  const int64_t n = o->n;
  const float b1 = p->beta_1, b2 = p->beta_2, eps = p->epsilon;
  const float lr = c->lr;
  float* m = o->state;
  float* v = o->state + n;
  const float u_t = c->u_t, u_t1 = c->u_t1, p_t = c->p_t, p_t1 = c->p_t1;
  const float b2_power = c->b2_power;
  for (int64_t i = i0; i < i1; ++i) {
    m[i] += (g[i] - m[i]) * (1.0f - b1);
    v[i] += (g[i] * g[i] - v[i]) * (1.0f - b2);
    const float m_hat = u_t1 * m[i] / (1.0f - p_t1) + (1.0f - u_t) * g[i] / (1.0f - p_t);
    const float v_hat = v[i] / (1.0f - b2_power);
    w[i] -= lr * m_hat / (sqrtf(v_hat) + eps);
  }
}
