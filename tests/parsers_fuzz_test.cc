// tests/parsers_fuzz_test.cc — seeded mutations of valid model specs, initializer
// names and CSV files: the parsers never crash, leak or read out of bounds (run under
// --config=asan/ubsan), every failure names its function, and every success is sane.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/test_files.h"

extern "C" {
#include "core/rng.h"
#include "frontends/initializers.h"
#include "tools/csv.h"
#include "tools/model_spec.h"
}

namespace {

const char kAlphabet[] = "0123456789-rstlqx.,:# \n\t+eE";

std::string Mutate(std::string s, tg_rng* rng) {
  const int edits = 1 + static_cast<int>(tg_rng_below(rng, 4));
  for (int e = 0; e < edits; ++e) {
    const size_t at = s.empty() ? 0 : static_cast<size_t>(tg_rng_below(rng, s.size() + 1));
    const char c = kAlphabet[tg_rng_below(rng, sizeof kAlphabet - 1)];
    switch (tg_rng_below(rng, 5)) {
      case 0: s.insert(at, 1, c); break;
      case 1: if (at < s.size()) s.erase(at, 1); break;
      case 2: if (at < s.size()) s[at] = c; break;
      case 3: s = s.substr(0, at); break;
      default: s.insert(at, std::string(1 + tg_rng_below(rng, 30), c)); break;
    }
  }
  return s;
}

TEST(ParsersFuzzTest, ModelSpecNeverCrashesAndRoundTrips) {
  const char* seeds[] = {"1-16r-16r-2", "784-512r-512r-10", "2-8t-8s-1l", "3-1"};
  tg_rng rng;
  tg_rng_seed(&rng, 11);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = Mutate(seeds[i % 4], &rng);
    tg_model_spec spec;
    tg_error err = {};
    if (tg_model_spec_parse(text.c_str(), &spec, &err) != TG_OK) {
      ASSERT_EQ(std::string(err.message).rfind("tg_model_spec_parse: ", 0), 0u) << err.message;
      continue;
    }
    ++accepted;
    ASSERT_GE(spec.input_dim, 1) << text;
    ASSERT_GE(spec.n_layers, 1) << text;
    ASSERT_LE(spec.n_layers, TG_SPEC_MAX_LAYERS) << text;
    for (int l = 0; l < spec.n_layers; ++l) {
      ASSERT_GE(spec.units[l], 1) << text;
      ASSERT_LE(spec.units[l], TG_SPEC_MAX_UNITS) << text;
    }
    // The canonical form parses back to the same spec.
    char canon[1024];
    tg_model_spec_format(&spec, canon, sizeof canon);
    tg_model_spec again;
    ASSERT_EQ(tg_model_spec_parse(canon, &again, &err), TG_OK) << canon;
    ASSERT_EQ(again.input_dim, spec.input_dim);
    ASSERT_EQ(again.n_layers, spec.n_layers);
    for (int l = 0; l < spec.n_layers; ++l) {
      ASSERT_EQ(again.units[l], spec.units[l]);
      ASSERT_EQ(again.activation[l], spec.activation[l]);
    }
  }
  EXPECT_GT(accepted, 100);  // the mutations also explore valid specs
}

TEST(ParsersFuzzTest, InitializerNamesNeverCrash) {
  const char* seeds[] = {"zeros", "constant:0.5", "glorot_uniform", "constant:-1e-3", "he_normal"};
  tg_rng rng;
  tg_rng_seed(&rng, 12);
  for (int i = 0; i < 20000; ++i) {
    std::string text = Mutate(seeds[i % 5], &rng);
    tg_initializer init;
    tg_error err = {};
    if (tg_initializer_parse(text.c_str(), &init, &err) != TG_OK) {
      ASSERT_EQ(std::string(err.message).rfind("tg_initializer_parse: ", 0), 0u) << err.message;
    }
  }
}

TEST(ParsersFuzzTest, CsvNeverCrashesAndAcceptsOnlyFullRows) {
  const std::string valid = "# x, y1, y2\n0.0, 0.1, 0.00\n0.1, 0.1, 0.01\n\n0.2,0.1,0.02\n";
  const std::string path = tgtest::TempPath("fuzz.csv");
  tg_rng rng;
  tg_rng_seed(&rng, 13);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = Mutate(valid, &rng);
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    tg_csv_data d;
    tg_error err = {};
    if (tg_csv_read(path.c_str(), 1, 2, &d, &err) != TG_OK) {
      ASSERT_EQ(std::string(err.message).rfind("tg_csv_read: ", 0), 0u) << err.message;
      continue;
    }
    ++accepted;
    ASSERT_GE(d.rows, 1);
    ASSERT_NE(d.x, nullptr);
    ASSERT_NE(d.y, nullptr);
    tg_csv_data_free(&d);
  }
  EXPECT_GT(accepted, 10);
  std::remove(path.c_str());
}

}  // namespace
