// tests/gradcheck.cc — the C++ face of the public checker (testing/gradcheck.h):
// leaves drawn as before, the comparison done by tg_gradcheck.
#include "tests/gradcheck.h"

extern "C" {
#include "testing/gradcheck.h"
}

namespace tgtest {

Leaves::~Leaves() {
  for (tg_tensor* t : leaves_) tg_tensor_free(t);
}

tg_tensor* Leaves::Add(const LeafSpec& spec, tg_rng* rng) {
  tg_error err = {};
  tg_tensor* t = tg_tensor_new(static_cast<int>(spec.shape.size()), spec.shape.data(),
                               spec.requires_grad, &err);
  if (t == nullptr) return nullptr;
  for (int64_t i = 0; i < t->size; ++i) {
    float mag = spec.min_abs + (spec.max_abs - spec.min_abs) * tg_rng_uniform(rng);
    bool negative = !spec.positive && tg_rng_uniform(rng) < 0.5f;
    t->data[i] = negative ? -mag : mag;
  }
  leaves_.push_back(t);
  return t;
}

GradCheckResult CheckGradients(const std::vector<LeafSpec>& specs, const GraphFn& graph,
                               const GradCheckOptions& options) {
  tg_rng rng;
  tg_rng_seed(&rng, options.seed);
  Leaves leaves;
  for (const LeafSpec& s : specs) {
    if (leaves.Add(s, &rng) == nullptr) {
      GradCheckResult r;
      r.report = "could not allocate a leaf";
      return r;
    }
  }
  return CheckGradientsOn(leaves.all(), graph, options);
}

namespace {

struct GraphCall {
  const GraphFn* graph;
  size_t n_leaves;
};

tg_tensor* CallGraph(tg_tape* t, tg_tensor* const* leaves, void* ctx) {
  const GraphCall* call = static_cast<const GraphCall*>(ctx);
  return (*call->graph)(t, std::vector<tg_tensor*>(leaves, leaves + call->n_leaves));
}

}  // namespace

GradCheckResult CheckGradientsOn(const std::vector<tg_tensor*>& leaves, const GraphFn& graph,
                                 const GradCheckOptions& options) {
  std::vector<tg_gradcheck_leaf> specs(leaves.size());
  for (size_t i = 0; i < leaves.size(); ++i) specs[i].tensor = leaves[i];
  tg_gradcheck_options o = tg_gradcheck_defaults();
  o.eps = options.eps;
  o.atol = options.atol;
  o.rtol = options.rtol;
  o.seed = options.seed;
  GraphCall call = {&graph, leaves.size()};
  tg_gradcheck_result r;
  const tg_status s =
      tg_gradcheck(specs.data(), static_cast<int>(specs.size()), &CallGraph, &call, &o, &r);
  GradCheckResult result;
  result.ok = s == TG_OK && r.ok;
  result.checked = r.checked;
  result.max_abs_err = r.max_abs_err;
  result.report = r.report;
  return result;
}

}  // namespace tgtest
