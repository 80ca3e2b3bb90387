// Fault injection over every allocation: a seed-model lifecycle (create, add
// layers, compile, train, predict, save, load, predict and save again) and a raw
// tape program (record, backward, replay), at 1 and 2 kernel threads, with the k-th
// allocation failing (and, separately, the k-th and every later one) for every k
// from 1 to the number of allocations the run makes. Each time:
//   - the call that met the failure returns TG_ERR_NOMEM (none swallows it, none
//     returns another code);
//   - retried with allocation working again, it succeeds, and the whole run ends
//     with the same bits as a run without failures (a failed call changed nothing);
//   - everything allocated is freed (the counting allocator's live count is 0).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tests/counting_allocator.h"
#include "tests/test_files.h"

extern "C" {
#include "core/tape.h"
#include "frontends/model.h"
#include "frontends/persist.h"
#include "ops/ops.h"
}

namespace {

using tgtest::CountingAllocator;

struct Outcome {
  std::vector<float> values;   // everything the run computed, in order
  std::vector<uint8_t> saved;  // the model file (lifecycle only)
  int failed_calls = 0;        // calls that returned TG_ERR_NOMEM
};

// Runs `call`; when it fails, checks that it failed for the injected allocation
// failure with TG_ERR_NOMEM, turns failures off and runs it again (which must
// succeed). `what` names the call in failure messages.
class Stepper {
 public:
  Stepper(CountingAllocator* a, Outcome* o, std::string label) : a_(a), o_(o), label_(label) {}
  bool Step(const char* what, const std::function<tg_status()>& call) {
    const bool before = a_->failed();
    tg_status s = call();
    if (s == TG_OK) {
      // A failure met inside a call that still succeeded must not have changed the
      // result; the end-of-run comparison checks that. Note it to report.
      if (!before && a_->failed()) swallowed_.push_back(what);
      return true;
    }
    EXPECT_EQ(TG_ERR_NOMEM, s) << label_ << ": " << what << " failed with " << tg_status_name(s)
                               << ": " << message_;
    EXPECT_TRUE(a_->failed()) << label_ << ": " << what << " failed without an injected failure";
    o_->failed_calls++;
    a_->NeverFail();
    s = call();
    EXPECT_EQ(TG_OK, s) << label_ << ": " << what << " retried: " << message_;
    return s == TG_OK;
  }
  std::string message_;
  std::vector<std::string> swallowed_;

 private:
  CountingAllocator* a_;
  Outcome* o_;
  std::string label_;
};

// The seed model 1 -> 16 relu -> 16 relu -> 2, glorot kernels, Adam, MSE, on the
// seed data x[i] = i/10, y[i] = (0.1, 0.01 i).
Outcome Lifecycle(CountingAllocator* a, int threads, const std::string& label,
                  std::vector<std::string>* swallowed) {
  Outcome o;
  Stepper st(a, &o, label);
  std::vector<float> x(10), y(20);
  for (int i = 0; i < 10; ++i) {
    x[i] = i / 10.0f;
    y[2 * i] = 0.1f;
    y[2 * i + 1] = 0.01f * i;
  }
  tg_model* m = nullptr;
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = 1;
  mo.seed = 7;
  mo.threads = threads;
  mo.allocator = a->get();
  auto model_call = [&](const std::function<tg_status()>& f) {
    return [&, f]() {
      const tg_status s = f();
      st.message_ = tg_model_message(m);
      return s;
    };
  };
  bool ok = st.Step("tg_sequential_new", [&] {
    err = {};
    m = tg_sequential_new(&mo, &err);
    st.message_ = err.message;
    return m ? TG_OK : err.code;
  });
  const int64_t units[3] = {16, 16, 2};
  for (int l = 0; ok && l < 3; ++l) {
    tg_dense_options d = {};
    d.units = units[l];
    d.activation = l < 2 ? TG_ACT_RELU : TG_ACT_LINEAR;
    ok = st.Step("tg_model_add_dense", model_call([&, d] { return tg_model_add_dense(m, d); }));
  }
  tg_loss loss = {};
  loss.kind = TG_LOSS_MSE;
  if (ok)
    ok =
        st.Step("tg_model_compile", model_call([&] { return tg_model_compile(m, loss, nullptr); }));
  for (int s = 0; ok && s < 3; ++s) {
    float l = 0.0f;
    ok =
        st.Step("tg_model_train_on_batch",
                model_call([&] { return tg_model_train_on_batch(m, x.data(), 10, y.data(), &l); }));
    o.values.push_back(l);
  }
  std::vector<float> pred(20);
  if (ok)
    ok = st.Step("tg_model_predict",
                 model_call([&] { return tg_model_predict(m, x.data(), 10, pred.data(), 20); }));
  o.values.insert(o.values.end(), pred.begin(), pred.end());
  const std::string path = tgtest::TempPath("fault_" + std::to_string(threads) + ".tgm");
  if (ok)
    ok = st.Step("tg_model_save", [&] {
      err = {};
      const tg_status s = tg_model_save(m, path.c_str(), &err);
      st.message_ = err.message;
      return s;
    });
  tg_model* back = nullptr;
  tg_model_options lo = {};
  lo.threads = threads;
  lo.allocator = a->get();
  if (ok)
    ok = st.Step("tg_model_load", [&] {
      err = {};
      back = tg_model_load(path.c_str(), &lo, &err);
      st.message_ = err.message;
      return back ? TG_OK : err.code;
    });
  if (ok) {
    tg_model* keep = m;
    m = back;  // model_call reads m's message
    float l = 0.0f;
    ok = st.Step("tg_model_train_on_batch (loaded)", model_call([&] {
                   return tg_model_train_on_batch(back, x.data(), 10, y.data(), &l);
                 })) &&
         st.Step("tg_model_predict (loaded)",
                 model_call([&] { return tg_model_predict(back, x.data(), 10, pred.data(), 20); }));
    m = keep;
    o.values.push_back(l);
    o.values.insert(o.values.end(), pred.begin(), pred.end());
    o.saved.resize(tg_model_save_buffer(back, nullptr, 0, &err));
    tg_model_save_buffer(back, o.saved.data(), o.saved.size(), &err);
  }
  tg_model_free(back);
  tg_model_free(m);
  swallowed->insert(swallowed->end(), st.swallowed_.begin(), st.swallowed_.end());
  return o;
}

// A raw tape: one hidden layer by hand (64x32 @ 32x160: big enough for two kernel
// threads and several arena chunks), backward, then two replays of forward and
// backward. A failed recording is retried from a cleared tape.
Outcome TapeProgram(CountingAllocator* a, int threads, const std::string& label,
                    std::vector<std::string>* swallowed) {
  Outcome o;
  Stepper st(a, &o, label);
  tg_tape* t = nullptr;
  bool ok = st.Step("tg_tape_new_ex", [&] {
    t = tg_tape_new_ex(a->get());
    st.message_ = "";
    return t ? TG_OK : TG_ERR_NOMEM;
  });
  if (ok) ok = st.Step("tg_tape_set_threads", [&] { return tg_tape_set_threads(t, threads); });
  std::vector<float> xs(64 * 32), w1(32 * 160), b1(160), w2(160 * 3), b2(3), ys(64 * 3);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = 0.05f * static_cast<float>(i % 9) - 0.2f;
  for (size_t i = 0; i < w1.size(); ++i) w1[i] = 0.03f * static_cast<float>(i % 11) - 0.15f;
  for (size_t i = 0; i < w2.size(); ++i) w2[i] = 0.02f * static_cast<float>(i % 13) - 0.12f;
  for (size_t i = 0; i < ys.size(); ++i) ys[i] = 0.1f * static_cast<float>(i % 5);
  tg_tensor *W1 = nullptr, *B1 = nullptr, *W2 = nullptr, *B2 = nullptr, *loss = nullptr;
  if (ok)
    ok = st.Step("record", [&] {
      tg_tape_clear(t);
      const int64_t sx[2] = {64, 32}, sw1[2] = {32, 160}, sb1[1] = {160}, sw2[2] = {160, 3},
                    sb2[1] = {3}, sy[2] = {64, 3};
      tg_tensor* x = tg_tape_leaf(t, 2, sx, xs.data(), false);
      W1 = tg_tape_leaf(t, 2, sw1, w1.data(), true);
      B1 = tg_tape_leaf(t, 1, sb1, b1.data(), true);
      W2 = tg_tape_leaf(t, 2, sw2, w2.data(), true);
      B2 = tg_tape_leaf(t, 1, sb2, b2.data(), true);
      tg_tensor* y = tg_tape_leaf(t, 2, sy, ys.data(), false);
      tg_tensor* h = tg_relu(t, tg_add(t, tg_matmul(t, x, W1), B1));
      loss = tg_mse(t, tg_add(t, tg_matmul(t, h, W2), B2), y);
      tg_tape_backward(t, loss);
      st.message_ = tg_tape_message(t);
      return tg_tape_status(t);
    });
  for (int rep = 0; ok && rep < 2; ++rep) {
    ok = st.Step("replay", [&] {
      tg_status s = tg_tape_forward(t);
      if (s == TG_OK) s = tg_tape_backward(t, loss);
      st.message_ = tg_tape_message(t);
      return s;
    });
  }
  if (ok) {
    o.values.push_back(loss->data[0]);
    for (tg_tensor* p : {W1, B1, W2, B2})
      o.values.insert(o.values.end(), p->grad, p->grad + p->size);
  }
  tg_tape_free(t);
  swallowed->insert(swallowed->end(), st.swallowed_.begin(), st.swallowed_.end());
  return o;
}

using Program = Outcome (*)(CountingAllocator*, int, const std::string&, std::vector<std::string>*);

void FailEveryAllocation(Program program, const char* name) {
  for (int threads : {1, 2}) {
    std::vector<std::string> swallowed;
    CountingAllocator probe;
    const Outcome want = program(&probe, threads, "reference", &swallowed);
    ASSERT_EQ(0, want.failed_calls);
    ASSERT_EQ(0, probe.live()) << name << ": the run without failures leaks";
    const int total = probe.allocs();
    ASSERT_GT(total, 2);
    int nomem = 0;
    for (int later = 0; later < 2; ++later) {
      for (int k = 1; k <= total; ++k) {
        CountingAllocator a;
        if (later)
          a.FailFrom(k);
        else
          a.FailAt(k);
        const std::string label = std::string(name) + " threads=" + std::to_string(threads) +
                                  (later ? " failing from " : " failing at ") + std::to_string(k) +
                                  "/" + std::to_string(total);
        const Outcome got = program(&a, threads, label, &swallowed);
        EXPECT_EQ(0, a.live()) << label << ": leaked " << a.live() << " blocks";
        EXPECT_EQ(want.values, got.values) << label << ": results differ after the retry";
        EXPECT_EQ(want.saved, got.saved) << label << ": saved bytes differ";
        EXPECT_TRUE(!a.failed() || got.failed_calls > 0 || !swallowed.empty()) << label;
        nomem += got.failed_calls;
        if (testing::Test::HasFailure()) return;  // one broken k is enough to read
      }
    }
    // Every injected failure was reported as TG_ERR_NOMEM by the call that met it.
    EXPECT_TRUE(swallowed.empty()) << name << " threads=" << threads << ": " << swallowed.size()
                                   << " failures swallowed, first in " << swallowed.front();
    std::printf("%s threads=%d: %d allocations, %d injected runs, %d NOMEM returns\n", name,
                threads, total, 2 * total, nomem);
  }
}

TEST(FaultInjectionTest, SeedModelLifecycleFailsCleanlyAtEveryAllocation) {
  FailEveryAllocation(Lifecycle, "lifecycle");
}

TEST(FaultInjectionTest, RawTapeProgramFailsCleanlyAtEveryAllocation) {
  FailEveryAllocation(TapeProgram, "tape");
}

}  // namespace
