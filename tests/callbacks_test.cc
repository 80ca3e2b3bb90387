// Callbacks: Keras' rules worked by hand on given sequences of logged values, and the
// same callbacks inside real fits (stopping, checkpoints, CSV files tgplot reads).
#include "frontends/callbacks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "frontends/fit.h"
#include "frontends/model.h"
#include "frontends/persist.h"
#include "frontends/seed_problem.h"
#include "tools/plot.h"

namespace {

tg_logs Logs(const char* name, double v) {
  tg_logs l = {};
  l.n = 1;
  l.names[0] = name;
  l.values[0] = v;
  return l;
}

tg_model* Seed(uint64_t seed = 1) { return tg_seed_model_new(nullptr, seed, nullptr, nullptr); }

std::string TempPath(const char* name) {
  const char* dir = getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

TEST(ScheduleTest, ValuesAsKerasComputesThem) {
  tg_schedule e = {};
  e.kind = TG_SCHEDULE_EXPONENTIAL;
  e.initial = 0.1;
  e.decay_steps = 10;
  e.decay_rate = 0.5;
  EXPECT_DOUBLE_EQ(tg_schedule_value(&e, 0), 0.1);
  EXPECT_NEAR(tg_schedule_value(&e, 5), 0.1 * std::sqrt(0.5), 1e-15);  // 0.5^(5/10)
  EXPECT_DOUBLE_EQ(tg_schedule_value(&e, 20), 0.025);
  e.staircase = true;
  EXPECT_DOUBLE_EQ(tg_schedule_value(&e, 15), 0.05);  // floor(15/10) = 1

  tg_schedule c = {};
  c.kind = TG_SCHEDULE_COSINE;
  c.initial = 0.0;
  c.warmup_steps = 10;
  c.warmup_target = 1.0;
  c.decay_steps = 100;
  c.alpha = 0.1;
  EXPECT_DOUBLE_EQ(tg_schedule_value(&c, 5), 0.5);      // halfway up the warm-up
  EXPECT_DOUBLE_EQ(tg_schedule_value(&c, 10), 1.0);     // the peak: cos(0) = 1
  EXPECT_NEAR(tg_schedule_value(&c, 60), 0.55, 1e-12);  // 0.9 * (1 + cos(pi/2))/2 + 0.1
  EXPECT_NEAR(tg_schedule_value(&c, 110), 0.1, 1e-12);  // the end: alpha * peak
  EXPECT_NEAR(tg_schedule_value(&c, 500), 0.1, 1e-12);
  tg_schedule plain = c;  // no warm-up: from initial
  plain.warmup_steps = 0;
  plain.initial = 2.0;
  EXPECT_NEAR(tg_schedule_value(&plain, 50), 2.0 * (0.9 * 0.5 + 0.1), 1e-12);

  tg_schedule p = {};
  p.kind = TG_SCHEDULE_PIECEWISE;
  p.n_boundaries = 2;
  p.boundaries[0] = 10;
  p.boundaries[1] = 20;
  p.values[0] = 1.0;
  p.values[1] = 0.5;
  p.values[2] = 0.1;
  EXPECT_EQ(tg_schedule_value(&p, 10), 1.0);
  EXPECT_EQ(tg_schedule_value(&p, 11), 0.5);
  EXPECT_EQ(tg_schedule_value(&p, 20), 0.5);
  EXPECT_EQ(tg_schedule_value(&p, 21), 0.1);
  tg_error err = {};
  p.boundaries[1] = 10;
  EXPECT_EQ(tg_schedule_check(&p, &err), TG_ERR_ARG);
  EXPECT_STREQ(err.message,
               "tg_schedule: piecewise boundaries must increase: boundaries[1] = 10 after 10");
}

TEST(EarlyStoppingTest, PatienceMinDeltaAndTheBestWeights) {
  tg_model* m = Seed();
  tg_error err = {};
  tg_early_stopping_options o = {};
  o.patience = 2;
  o.restore_best_weights = true;
  tg_callback* es = tg_early_stopping_new(&o, &err);
  ASSERT_NE(es, nullptr) << err.message;
  // val_loss 1.0, 0.9, 0.95, 0.91: no improvement on epochs 2 and 3, so wait reaches
  // the patience at epoch 3 and training stops there; the best is epoch 1's.
  const double seq[] = {1.0, 0.9, 0.95, 0.91};
  tg_logs none = {};
  ASSERT_EQ(es->on_train_begin(es, m, &none), TG_OK);
  std::vector<float> best;
  for (int e = 0; e < 4; ++e) {
    tg_model_param_values(m)[0] = static_cast<float>(e);  // mark the weights per epoch
    tg_logs l = Logs("val_loss", seq[e]);
    ASSERT_EQ(es->on_epoch_end(es, m, e, &l), TG_OK);
  }
  int stopped = -1, best_epoch = -1;
  double best_v = 0;
  tg_early_stopping_result(es, &stopped, &best_v, &best_epoch);
  EXPECT_EQ(stopped, 3);
  EXPECT_EQ(best_epoch, 1);
  EXPECT_EQ(best_v, 0.9);
  EXPECT_EQ(tg_model_param_values(m)[0], 1.0f);  // epoch 1's weights are back
  tg_callback_free(es);

  // min_delta 0.2: 0.9 is not better than 1.0 by more than 0.2, so epoch 2 stops.
  o.min_delta = 0.2;
  o.restore_best_weights = false;
  es = tg_early_stopping_new(&o, &err);
  ASSERT_EQ(es->on_train_begin(es, m, &none), TG_OK);
  for (int e = 0; e < 3; ++e) {
    tg_logs l = Logs("val_loss", seq[e]);
    ASSERT_EQ(es->on_epoch_end(es, m, e, &l), TG_OK);
  }
  tg_early_stopping_result(es, &stopped, &best_v, &best_epoch);
  EXPECT_EQ(stopped, 2);
  EXPECT_EQ(best_epoch, 0);
  // A monitor that is not logged is an error naming what is.
  tg_logs l = Logs("loss", 1.0);
  EXPECT_EQ(es->on_epoch_end(es, m, 3, &l), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "EarlyStopping: monitor 'val_loss' is not logged (the logs hold: loss)");
  tg_callback_free(es);
  tg_model_free(m);
}

TEST(EarlyStoppingTest, StopsARealFitAndSaysSo) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_model* m = Seed();
  tg_error err = {};
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  tg_early_stopping_options o = {};
  o.monitor = "loss";
  o.min_delta = 1.0;  // nothing improves by 1: stops after patience epochs
  o.patience = 3;
  o.out = f;
  tg_callback* es = tg_early_stopping_new(&o, &err);
  tg_callback* cbs[] = {es};
  tg_history* h = tg_history_new(nullptr);
  tg_fit_options fo = {};
  fo.epochs = 50;
  fo.callbacks = cbs;
  fo.n_callbacks = 1;
  fo.history = h;
  ASSERT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_OK) << tg_model_message(m);
  fclose(f);
  EXPECT_EQ(tg_history_epochs(h), 4);  // epochs 0..3; wait reaches 3 at epoch 3
  EXPECT_EQ(std::string(buf, len), "Epoch 4: early stopping\n");
  free(buf);
  tg_history_free(h);
  tg_callback_free(es);
  tg_model_free(m);
}

TEST(ReduceLROnPlateauTest, ReducesAfterPatienceThenCoolsDown) {
  tg_model* m = Seed();  // Adam, lr 0.001
  tg_error err = {};
  tg_reduce_lr_options o = {};
  o.patience = 2;
  o.factor = 0.5;
  o.cooldown = 1;
  o.min_lr = 0.0002;
  tg_callback* r = tg_reduce_lr_on_plateau_new(&o, &err);
  ASSERT_NE(r, nullptr) << err.message;
  tg_logs none = {};
  ASSERT_EQ(r->on_train_begin(r, m, &none), TG_OK);
  // A flat val_loss, Keras' order of checks: epoch 0 sets the best; 1, 2 wait -> lr
  // 0.0005 at epoch 2 and a cooldown of 1; epoch 3 spends the cooldown and, no longer
  // in it, waits (1); epoch 4 waits (2) -> 0.00025; 5 cools down and waits; 6 ->
  // max(0.000125, min_lr) = 0.0002; from then on lr is at min_lr and stays.
  const float want[] = {0.001f,  0.001f,  0.0005f, 0.0005f, 0.00025f, 0.00025f,
                        0.0002f, 0.0002f, 0.0002f, 0.0002f, 0.0002f,  0.0002f};
  for (int e = 0; e < 12; ++e) {
    tg_logs l = Logs("val_loss", 1.0);
    ASSERT_EQ(r->on_epoch_end(r, m, e, &l), TG_OK);
    EXPECT_FLOAT_EQ(tg_model_learning_rate(m), want[e]) << "epoch " << e;
  }
  tg_callback_free(r);
  tg_model_free(m);
}

double TenTimesEpoch(int epoch, double lr, void* user) {
  ++*static_cast<int*>(user);
  return lr * 0 + 0.01 * (epoch + 1);
}

TEST(LearningRateSchedulerTest, PerEpochFunctionAndPerStepSchedule) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_model* m = Seed();
  tg_error err = {};
  int calls = 0;
  tg_lr_scheduler_options o = {};
  o.fn = TenTimesEpoch;
  o.user = &calls;
  tg_callback* s = tg_lr_scheduler_new(&o, &err);
  ASSERT_NE(s, nullptr) << err.message;
  tg_callback* cbs[] = {s};
  tg_fit_options fo = {};
  fo.epochs = 3;
  fo.callbacks = cbs;
  fo.n_callbacks = 1;
  ASSERT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_OK);
  EXPECT_EQ(calls, 3);
  EXPECT_FLOAT_EQ(tg_model_learning_rate(m), 0.03f);
  tg_callback_free(s);

  // Per step: exponential decay 0.01 * 0.5^(step/4); batches of 2 rows, 5 steps per
  // epoch, 2 epochs: after the 10th step the next step's rate is set, 0.01 * 0.5^2.5.
  tg_schedule e = {};
  e.kind = TG_SCHEDULE_EXPONENTIAL;
  e.initial = 0.01;
  e.decay_steps = 4;
  e.decay_rate = 0.5;
  tg_model* m2 = Seed();
  tg_lr_scheduler_options ps = {};
  ps.schedule = &e;
  ps.per_step = true;
  s = tg_lr_scheduler_new(&ps, &err);
  cbs[0] = s;
  fo.epochs = 2;
  fo.batch_size = 2;
  ASSERT_EQ(tg_model_fit(m2, x, 10, y, &fo), TG_OK);
  EXPECT_FLOAT_EQ(tg_model_learning_rate(m2), static_cast<float>(0.01 * std::pow(0.5, 2.5)));
  tg_callback_free(s);
  // Options that cannot work are refused.
  tg_lr_scheduler_options bad = {};
  EXPECT_EQ(tg_lr_scheduler_new(&bad, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_lr_scheduler_new: give exactly one of a schedule and a function");
  tg_model_free(m);
  tg_model_free(m2);
}

TEST(TerminateOnNaNTest, StopsAtTheFirstBadBatch) {
  float x[10], y[20];
  tg_seed_data(x, y);
  y[13] = NAN;  // row 6
  tg_model* m = Seed();
  tg_error err = {};
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  tg_callback* t = tg_terminate_on_nan_new(f, &err);
  tg_callback* cbs[] = {t};
  tg_fit_options fo = {};
  fo.epochs = 5;
  fo.batch_size = 5;
  fo.no_shuffle = true;
  fo.no_doctor = true;  // the doctor would stop with an error instead
  fo.callbacks = cbs;
  fo.n_callbacks = 1;
  ASSERT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_OK);
  fclose(f);
  EXPECT_EQ(std::string(buf, len), "Batch 1: Invalid loss, terminating training\n");
  free(buf);
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(m)), 2);  // batches 0 and 1 ran
  tg_callback_free(t);
  tg_model_free(m);
}

TEST(ModelCheckpointTest, SavesEveryEpochOrOnlyTheBest) {
  tg_model* m = Seed();
  tg_error err = {};
  const std::string pattern = TempPath("ck_{epoch:02d}.tgm");
  tg_model_checkpoint_options o = {};
  o.path = pattern.c_str();
  o.save_best_only = true;
  tg_callback* c = tg_model_checkpoint_new(&o, &err);
  ASSERT_NE(c, nullptr) << err.message;
  tg_logs none = {};
  ASSERT_EQ(c->on_train_begin(c, m, &none), TG_OK);
  const double seq[] = {0.5, 0.6, 0.4, 0.4};  // improves at epochs 0 and 2 only
  for (int e = 0; e < 4; ++e) {
    tg_logs l = Logs("val_loss", seq[e]);
    ASSERT_EQ(c->on_epoch_end(c, m, e, &l), TG_OK) << tg_model_message(m);
  }
  EXPECT_EQ(tg_model_checkpoint_saves(c), 2);
  for (int e = 1; e <= 4; ++e) {
    char p[64];
    snprintf(p, sizeof p, "ck_%02d.tgm", e);
    FILE* f = fopen(TempPath(p).c_str(), "rb");
    EXPECT_EQ(f != nullptr, e == 1 || e == 3) << p;
    if (f) fclose(f);
  }
  tg_model* back = tg_model_load(TempPath("ck_03.tgm").c_str(), nullptr, &err);
  ASSERT_NE(back, nullptr) << err.message;
  EXPECT_EQ(0, memcmp(tg_model_param_values(back), tg_model_param_values(m),
                      tg_model_param_size(m) * sizeof(float)));
  tg_model_free(back);
  tg_callback_free(c);
  // A path that cannot be written stops fit with the saver's message.
  o.path = "/nonexistent-dir/m.tgm";
  o.save_best_only = false;
  c = tg_model_checkpoint_new(&o, &err);
  tg_logs l = Logs("val_loss", 1.0);
  EXPECT_NE(c->on_epoch_end(c, m, 0, &l), TG_OK);
  EXPECT_EQ(std::string(tg_model_message(m)).rfind("ModelCheckpoint: ", 0), 0u)
      << tg_model_message(m);
  tg_callback_free(c);
  tg_model_free(m);
}

struct Counter {
  int begin = 0, end = 0, epoch_begin = 0, epoch_end = 0, batches = 0;
};

tg_status CountBegin(tg_callback* self, tg_model*, const tg_logs*) {
  static_cast<Counter*>(self->user)->begin++;
  return TG_OK;
}
tg_status CountEnd(tg_callback* self, tg_model*, const tg_logs*) {
  static_cast<Counter*>(self->user)->end++;
  return TG_OK;
}
tg_status CountEpochBegin(tg_callback* self, tg_model*, int, const tg_logs*) {
  static_cast<Counter*>(self->user)->epoch_begin++;
  return TG_OK;
}
tg_status CountEpochEnd(tg_callback* self, tg_model* m, int epoch, const tg_logs* logs) {
  static_cast<Counter*>(self->user)->epoch_end++;
  double loss = 0;
  EXPECT_TRUE(tg_logs_get(logs, "loss", &loss));
  if (epoch == 2) tg_model_stop_training(m);
  return TG_OK;
}
tg_status CountBatch(tg_callback* self, tg_model*, int64_t, const tg_logs*) {
  static_cast<Counter*>(self->user)->batches++;
  return TG_OK;
}

TEST(UserCallbackTest, GetsEveryHookAndCanStopTraining) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_model* m = Seed();
  Counter n;
  tg_callback hooks = {};
  hooks.on_train_begin = CountBegin;
  hooks.on_train_end = CountEnd;
  hooks.on_epoch_begin = CountEpochBegin;
  hooks.on_epoch_end = CountEpochEnd;
  hooks.on_batch_end = CountBatch;
  hooks.user = &n;
  tg_error err = {};
  tg_callback* cb = tg_callback_new(&hooks, &err);
  tg_callback* cbs[] = {cb};
  tg_fit_options fo = {};
  fo.epochs = 10;
  fo.batch_size = 4;  // 3 batches per epoch
  fo.callbacks = cbs;
  fo.n_callbacks = 1;
  ASSERT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_OK);
  EXPECT_EQ(n.begin, 1);
  EXPECT_EQ(n.end, 1);
  EXPECT_EQ(n.epoch_begin, 3);  // stopped at the end of epoch 2
  EXPECT_EQ(n.epoch_end, 3);
  EXPECT_EQ(n.batches, 9);
  tg_callback_free(cb);
  tg_model_free(m);
}

TEST(CsvLoggerTest, WritesWhatTgplotReads) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_model* m = tg_seed_model_new(nullptr, 2, nullptr, nullptr);
  const char* metrics[] = {"mae"};
  tg_loss mse = {};
  tg_optimizer_options adam = {};
  adam.epsilon = 1e-8f;
  ASSERT_EQ(tg_model_compile_metrics(m, mse, &adam, metrics, 1), TG_OK) << tg_model_message(m);
  const std::string path = TempPath("history.csv");
  tg_error err = {};
  tg_csv_logger_options o = {};
  o.path = path.c_str();
  o.grad_norms = true;
  tg_callback* log = tg_csv_logger_new(&o, &err);
  tg_callback* cbs[] = {log};
  tg_history* h = tg_history_new(nullptr);
  tg_fit_options fo = {};
  fo.epochs = 3;
  fo.validation_split = 0.2f;
  fo.callbacks = cbs;
  fo.n_callbacks = 1;
  fo.history = h;
  ASSERT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_OK) << tg_model_message(m);
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(
      header,
      "epoch,loss,mae,val_loss,val_mae,grad_norm/dense_1,grad_norm/dense_2,grad_norm/dense_3");
  for (int e = 0; e < 3; ++e) {
    std::string row;
    ASSERT_TRUE(std::getline(in, row));
    std::stringstream ss(row);
    std::string cell;
    std::getline(ss, cell, ',');
    EXPECT_EQ(std::stoi(cell), e + 1);
    for (const char* key : {"loss", "mae", "val_loss", "val_mae"}) {
      std::getline(ss, cell, ',');
      EXPECT_FLOAT_EQ(std::stof(cell), static_cast<float>(tg_history_values(h, key)[e])) << key;
    }
    for (int l = 0; l < 3; ++l) {
      std::getline(ss, cell, ',');
      EXPECT_GT(std::stod(cell), 0.0);
    }
  }
  std::string extra;
  EXPECT_FALSE(std::getline(in, extra));
  int charts = 0;
  ASSERT_EQ(tg_plot_history(path.c_str(), getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp",
                            &charts, &err),
            TG_OK)
      << err.message;
  EXPECT_EQ(charts, 3);  // loss.svg, mae.svg, grad_norm.svg
  tg_history_free(h);
  tg_callback_free(log);
  tg_model_free(m);
}

}  // namespace
