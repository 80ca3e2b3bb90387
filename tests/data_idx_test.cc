// tests/data_idx_test.cc — the IDX reader on small files the test writes, plain and
// gzip: values, every error with its exact message, and that errors free everything.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/counting_allocator.h"
#include "tests/test_files.h"

extern "C" {
#include "data/idx.h"
}

namespace {

using Bytes = std::vector<unsigned char>;

void Be32(Bytes* b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b->push_back(static_cast<unsigned char>(v >> s));
}

// An IDX file: magic 00 00 type rank, the dims, then `data`.
Bytes Idx(int type, const std::vector<uint32_t>& dims, const Bytes& data) {
  Bytes b = {0, 0, static_cast<unsigned char>(type), static_cast<unsigned char>(dims.size())};
  for (uint32_t d : dims) Be32(&b, d);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// 3 images of 2x2 bytes: 0..11 scaled by 20 (so 0, 20, ..., 220).
Bytes ImageData() {
  Bytes d;
  for (int i = 0; i < 12; ++i) d.push_back(static_cast<unsigned char>(20 * i));
  return d;
}

std::string WritePlain(const std::string& name, const Bytes& b) {
  const std::string path = tgtest::TempPath(name);
  FILE* f = std::fopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return path;
  if (!b.empty()) std::fwrite(b.data(), 1, b.size(), f);
  std::fclose(f);
  return path;
}

std::string WriteGzip(const std::string& name, const Bytes& b) {
  const std::string path = tgtest::TempPath(name);
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return path;
  if (!b.empty()) gzwrite(f, b.data(), static_cast<unsigned>(b.size()));
  gzclose(f);
  return path;
}

// The file's bytes as compressed by gzip (written, then read back).
Bytes GzipBytes(const std::string& name, const Bytes& b) {
  const std::string s = tgtest::ReadFile(WriteGzip(name, b));
  return Bytes(s.begin(), s.end());
}

struct Format {
  const char* suffix;
  bool gz;
};
const Format kFormats[] = {{".idx", false}, {".idx.gz", true}};

std::string Write(const Format& f, const std::string& stem, const Bytes& b) {
  return f.gz ? WriteGzip(stem + f.suffix, b) : WritePlain(stem + f.suffix, b);
}

std::string ReadImagesError(const std::string& path, tg_status want) {
  tg_dataset ds;
  tg_error err = {};
  EXPECT_EQ(tg_idx_read_images(path.c_str(), nullptr, &ds, &err), want) << err.message;
  EXPECT_EQ(ds.x, nullptr);
  return err.message;
}

TEST(IdxTest, ReadsImagesAndLabelsPlainAndGzip) {
  for (const Format& f : kFormats) {
    SCOPED_TRACE(f.suffix);
    const std::string im = Write(f, "img", Idx(0x08, {3, 2, 2}, ImageData()));
    const std::string lb = Write(f, "lab", Idx(0x08, {3}, {7, 0, 2}));
    tg_dataset ds;
    tg_error err = {};
    ASSERT_EQ(tg_idx_load(im.c_str(), lb.c_str(), nullptr, &ds, &err), TG_OK) << err.message;
    EXPECT_EQ(ds.n, 3);
    EXPECT_EQ(ds.row_rank, 2);
    EXPECT_EQ(ds.row_shape[0], 2);
    EXPECT_EQ(ds.row_shape[1], 2);
    EXPECT_EQ(ds.row_size, 4);
    for (int i = 0; i < 12; ++i) EXPECT_EQ(ds.x[i], 20.0f * i) << i;
    ASSERT_EQ(ds.label_kind, TG_LABELS_INT);
    EXPECT_EQ(ds.labels[0], 7);
    EXPECT_EQ(ds.labels[1], 0);
    EXPECT_EQ(ds.labels[2], 2);
    EXPECT_EQ(ds.num_classes, 8);  // largest label + 1
    tg_dataset_free(&ds);
  }
}

TEST(IdxTest, ReadsEveryElementType) {
  // One record of two elements per type, big-endian: -2 and 3 (or 0.5 and -1.25).
  Bytes i16 = {0xFF, 0xFE, 0x00, 0x03};
  Bytes i32 = {0xFF, 0xFF, 0xFF, 0xFE, 0x00, 0x00, 0x00, 0x03};
  Bytes f32 = {0x3F, 0x00, 0x00, 0x00, 0xBF, 0xA0, 0x00, 0x00};  // 0.5f, -1.25f
  Bytes f64 = {0x3F, 0xE0, 0, 0, 0, 0, 0, 0, 0xBF, 0xF4, 0, 0, 0, 0, 0, 0};
  struct Case {
    int type;
    Bytes data;
    float a, b;
  } cases[] = {{0x09, {0xFE, 0x03}, -2, 3},
               {0x0B, i16, -2, 3},
               {0x0C, i32, -2, 3},
               {0x0D, f32, 0.5f, -1.25f},
               {0x0E, f64, 0.5f, -1.25f}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    const std::string p = WritePlain("types.idx", Idx(c.type, {1, 2}, c.data));
    tg_dataset ds;
    tg_error err = {};
    ASSERT_EQ(tg_idx_read_images(p.c_str(), nullptr, &ds, &err), TG_OK) << err.message;
    EXPECT_EQ(ds.x[0], c.a);
    EXPECT_EQ(ds.x[1], c.b);
    tg_dataset_free(&ds);
  }
}

TEST(IdxTest, TruncatedData) {
  for (const Format& f : kFormats) {
    SCOPED_TRACE(f.suffix);
    Bytes data = ImageData();
    data.resize(9);  // records 0 and 1 whole, one byte of record 2
    const std::string p = Write(f, "cut", Idx(0x08, {3, 2, 2}, data));
    EXPECT_EQ(ReadImagesError(p, TG_ERR_PARSE),
              "tg_idx_read_images: " + p +
                  ": truncated: the header announces 3 records of 4 bytes but the data ends in "
                  "record 2 (0-based), after 9 of 12 bytes");
  }
}

TEST(IdxTest, TruncatedHeader) {
  for (const Format& f : kFormats) {
    SCOPED_TRACE(f.suffix);
    std::string p = Write(f, "short", {0, 0, 8});
    EXPECT_EQ(ReadImagesError(p, TG_ERR_PARSE),
              "tg_idx_read_images: " + p +
                  ": truncated: the file ends after 3 bytes, inside the 4-byte IDX magic number");
    p = Write(f, "dims", {0, 0, 8, 3, 0, 0, 0, 3, 0, 0});
    EXPECT_EQ(ReadImagesError(p, TG_ERR_PARSE),
              "tg_idx_read_images: " + p +
                  ": truncated: the header of 3 dimensions needs 16 bytes, the file has 10");
    p = Write(f, "empty", {});
    EXPECT_EQ(ReadImagesError(p, TG_ERR_PARSE),
              "tg_idx_read_images: " + p +
                  ": truncated: the file ends after 0 bytes, inside the 4-byte IDX magic number");
  }
}

TEST(IdxTest, WrongMagic) {
  for (const Format& f : kFormats) {
    SCOPED_TRACE(f.suffix);
    // A little-endian writer's magic (03 08 00 00).
    std::string p = Write(f, "magic", {3, 8, 0, 0, 3, 0, 0, 0});
    EXPECT_EQ(ReadImagesError(p, TG_ERR_PARSE),
              "tg_idx_read_images: " + p +
                  ": not an IDX file: magic number 0x03080000 (an IDX file starts with 00 00, a "
                  "type byte and the number of dimensions)");
    p = Write(f, "type", Idx(0x07, {1, 1}, {0}));
    EXPECT_EQ(ReadImagesError(p, TG_ERR_PARSE),
              "tg_idx_read_images: " + p +
                  ": unknown IDX element type 0x07 in magic number 0x00000702 (expected 0x08, "
                  "0x09, 0x0B, 0x0C, 0x0D or 0x0E)");
    p = Write(f, "rank", {0, 0, 8, 5});
    EXPECT_EQ(ReadImagesError(p, TG_ERR_PARSE),
              "tg_idx_read_images: " + p +
                  ": 5 dimensions in magic number 0x00000805 (tapegrad reads 1..4)");
  }
}

TEST(IdxTest, WrongRecordCount) {
  for (const Format& f : kFormats) {
    SCOPED_TRACE(f.suffix);
    const std::string im = Write(f, "img3", Idx(0x08, {3, 2, 2}, ImageData()));
    const std::string lb = Write(f, "lab2", Idx(0x08, {2}, {1, 2}));
    tg_dataset ds;
    tg_error err = {};
    EXPECT_EQ(tg_idx_load(im.c_str(), lb.c_str(), nullptr, &ds, &err), TG_ERR_PARSE);
    EXPECT_EQ(std::string(err.message),
              "tg_idx_load: " + lb + ": record count 2 but the image file has 3");
    EXPECT_EQ(ds.x, nullptr);
  }
}

TEST(IdxTest, DataAfterTheLastRecord) {
  for (const Format& f : kFormats) {
    SCOPED_TRACE(f.suffix);
    Bytes data = ImageData();
    data.push_back(0);
    const std::string p = Write(f, "long", Idx(0x08, {3, 2, 2}, data));
    EXPECT_EQ(
        ReadImagesError(p, TG_ERR_PARSE),
        "tg_idx_read_images: " + p + ": more data follows the 3 records the header announces");
  }
}

TEST(IdxTest, DimensionOverflow) {
  const std::string p =
      WritePlain("huge.idx", Idx(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}));
  EXPECT_EQ(ReadImagesError(p, TG_ERR_OVERFLOW),
            "tg_idx_read_images: " + p +
                ": dimensions [4294967295x4294967295x4294967295x4294967295] overflow");
  // 2^31 x 2^31 floats fit int64 elements but not bytes.
  const std::string q = WritePlain("big.idx", Idx(0x0E, {0x80000000u, 0x80000000u}, {}));
  EXPECT_EQ(ReadImagesError(q, TG_ERR_OVERFLOW),
            "tg_idx_read_images: " + q + ": dimensions [2147483648x2147483648] overflow");
}

TEST(IdxTest, WrongKindOfFile) {
  const std::string lb = WritePlain("labels.idx", Idx(0x08, {3}, {1, 2, 3}));
  EXPECT_EQ(ReadImagesError(lb, TG_ERR_PARSE),
            "tg_idx_read_images: " + lb +
                ": expected images (an IDX file of 2 to 4 dimensions), got [3]");
  const std::string im = WritePlain("img.idx", Idx(0x08, {3, 2, 2}, ImageData()));
  tg_dataset ds;
  tg_error err = {};
  EXPECT_EQ(tg_idx_load(im.c_str(), im.c_str(), nullptr, &ds, &err), TG_ERR_PARSE);
  EXPECT_EQ(std::string(err.message),
            "tg_idx_load: " + im + ": expected labels (an IDX file of 1 dimension), got [3x2x2]");
  const std::string fl = WritePlain("float_labels.idx", Idx(0x0D, {3}, Bytes(12, 0)));
  err = {};
  EXPECT_EQ(tg_idx_load(im.c_str(), fl.c_str(), nullptr, &ds, &err), TG_ERR_PARSE);
  EXPECT_EQ(std::string(err.message),
            "tg_idx_load: " + fl + ": expected integer labels, got float elements (type 0x0D)");
  const std::string neg = WritePlain("neg_labels.idx", Idx(0x09, {3}, {1, 0xFF, 2}));
  err = {};
  EXPECT_EQ(tg_idx_load(im.c_str(), neg.c_str(), nullptr, &ds, &err), TG_ERR_PARSE);
  EXPECT_EQ(std::string(err.message), "tg_idx_load: " + neg + ": label -1 at record 1 is negative");
}

TEST(IdxTest, MissingFile) {
  EXPECT_EQ(ReadImagesError("/nonexistent-dir/x.idx.gz", TG_ERR_IO),
            "tg_idx_read_images: cannot open '/nonexistent-dir/x.idx.gz': No such file or "
            "directory");
}

TEST(IdxTest, CutGzipStream) {
  const Bytes whole = Idx(0x08, {3, 2, 2}, ImageData());
  Bytes gz = GzipBytes("whole.gz", whole);
  ASSERT_GT(gz.size(), 8u);
  // Without the 8-byte trailer (CRC and length) every element is there, but the
  // stream is cut: reported, not silently accepted.
  Bytes no_trailer(gz.begin(), gz.end() - 8);
  std::string p = WritePlain("no_trailer.gz", no_trailer);
  EXPECT_EQ(ReadImagesError(p, TG_ERR_PARSE),
            "tg_idx_read_images: " + p + ": truncated: the gzip stream ends without its trailer");
  // Cut inside the compressed data: a truncation (how much came out before the cut
  // depends on the compressor, so only the start of the message is fixed).
  Bytes half(gz.begin(), gz.begin() + 14);
  p = WritePlain("half.gz", half);
  const std::string msg = ReadImagesError(p, TG_ERR_PARSE);
  EXPECT_EQ(msg.rfind("tg_idx_read_images: " + p + ": truncated: ", 0), 0u) << msg;
}

TEST(IdxTest, CorruptGzip) {
  Bytes gz = GzipBytes("ok.gz", Idx(0x08, {3, 2, 2}, ImageData()));
  gz[gz.size() - 6] ^= 0xFF;  // the CRC no longer matches
  const std::string p = WritePlain("bad_crc.gz", gz);
  EXPECT_EQ(ReadImagesError(p, TG_ERR_PARSE),
            "tg_idx_read_images: " + p + ": gzip data is corrupt: incorrect data check");
}

TEST(IdxTest, EverythingFreedOnSuccessAndOnError) {
  const std::string im = WriteGzip("img_c.gz", Idx(0x08, {3, 2, 2}, ImageData()));
  const std::string lb = WriteGzip("lab_c.gz", Idx(0x08, {3}, {1, 2, 3}));
  const std::string bad = WriteGzip("lab_bad.gz", Idx(0x08, {2}, {1, 2}));
  tgtest::CountingAllocator counting;
  tg_dataset ds;
  tg_error err = {};
  ASSERT_EQ(tg_idx_load(im.c_str(), lb.c_str(), counting.get(), &ds, &err), TG_OK);
  EXPECT_GT(counting.allocs(), 0);
  tg_dataset_free(&ds);
  EXPECT_EQ(tg_idx_load(im.c_str(), bad.c_str(), counting.get(), &ds, &err), TG_ERR_PARSE);
  EXPECT_EQ(counting.allocs(), counting.frees());
}

}  // namespace
