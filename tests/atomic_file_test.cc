// core/atomic_file: regular files replaced atomically (mode kept, nothing left
// behind), symbolic links followed and kept, FIFOs and character devices written as
// streams, directories refused, long names, and every allocation failure reported.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "tests/counting_allocator.h"
#include "tests/test_files.h"

extern "C" {
#include "core/atomic_file.h"
}

namespace {

tg_status WriteHello(void* ctx, FILE* f, tg_error* err) {
  (void)err;
  std::fputs(ctx ? static_cast<const char*>(ctx) : "hello\n", f);
  return TG_OK;
}

tg_status Fails(void* ctx, FILE* f, tg_error* err) {
  (void)ctx;
  std::fputs("partial", f);
  return tg_error_set(err, TG_ERR_ARG, "writer: refused");
}

void WriteRaw(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(nullptr, f);
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

// Names in `dir` other than . and ..
int EntriesIn(const std::string& dir) {
  std::string cmd = "ls -A '" + dir + "' | wc -l";
  FILE* p = popen(cmd.c_str(), "r");
  int n = -1;
  if (p != nullptr) {
    if (std::fscanf(p, "%d", &n) != 1) n = -1;
    pclose(p);
  }
  return n;
}

std::string FreshDir(const std::string& name) {
  const std::string dir = tgtest::TempPath(name);
  std::system(("rm -rf '" + dir + "'").c_str());
  mkdir(dir.c_str(), 0755);
  return dir;
}

TEST(AtomicFileTest, ReplacesARegularFileAndKeepsItsMode) {
  const std::string dir = FreshDir("af_regular");
  const std::string path = dir + "/out.txt";
  WriteRaw(path, "old contents\n");
  ASSERT_EQ(0, chmod(path.c_str(), 0640));
  tg_error err = {};
  ASSERT_EQ(TG_OK, tg_atomic_write("t", path.c_str(), nullptr, WriteHello, nullptr, &err))
      << err.message;
  EXPECT_EQ("hello\n", tgtest::ReadFile(path));
  struct stat st;
  ASSERT_EQ(0, stat(path.c_str(), &st));
  EXPECT_EQ(0640u, st.st_mode & 07777u);
  EXPECT_EQ(1, EntriesIn(dir));  // no temporary left
}

TEST(AtomicFileTest, AFailedWriterLeavesTheOldFileAndNoTemporary) {
  const std::string dir = FreshDir("af_fail");
  const std::string path = dir + "/out.txt";
  WriteRaw(path, "old\n");
  tg_error err = {};
  EXPECT_EQ(TG_ERR_ARG, tg_atomic_write("t", path.c_str(), nullptr, Fails, nullptr, &err));
  EXPECT_STREQ("writer: refused", err.message);
  EXPECT_EQ("old\n", tgtest::ReadFile(path));
  EXPECT_EQ(1, EntriesIn(dir));
}

TEST(AtomicFileTest, FollowsASymlinkAndKeepsIt) {
  const std::string dir = FreshDir("af_link");
  const std::string target = dir + "/real.txt", link = dir + "/link.txt";
  WriteRaw(target, "old\n");
  ASSERT_EQ(0, symlink("real.txt", link.c_str()));  // relative to the link's directory
  tg_error err = {};
  ASSERT_EQ(TG_OK, tg_atomic_write("t", link.c_str(), nullptr, WriteHello, nullptr, &err))
      << err.message;
  struct stat st;
  ASSERT_EQ(0, lstat(link.c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link was replaced by a file";
  EXPECT_EQ("hello\n", tgtest::ReadFile(target));
  EXPECT_EQ(2, EntriesIn(dir));
}

TEST(AtomicFileTest, ADanglingSymlinkCreatesItsTarget) {
  const std::string dir = FreshDir("af_dangling");
  const std::string link = dir + "/link.txt";
  ASSERT_EQ(0, symlink((dir + "/new.txt").c_str(), link.c_str()));
  tg_error err = {};
  ASSERT_EQ(TG_OK, tg_atomic_write("t", link.c_str(), nullptr, WriteHello, nullptr, &err))
      << err.message;
  struct stat st;
  ASSERT_EQ(0, lstat(link.c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ("hello\n", tgtest::ReadFile(dir + "/new.txt"));
}

TEST(AtomicFileTest, ALinkLoopIsAnError) {
  const std::string dir = FreshDir("af_loop");
  const std::string a = dir + "/a", b = dir + "/b";
  ASSERT_EQ(0, symlink(b.c_str(), a.c_str()));
  ASSERT_EQ(0, symlink(a.c_str(), b.c_str()));
  tg_error err = {};
  EXPECT_EQ(TG_ERR_IO, tg_atomic_write("t", a.c_str(), nullptr, WriteHello, nullptr, &err));
  EXPECT_EQ("t: cannot write '" + a + "': Too many levels of symbolic links",
            std::string(err.message));
}

TEST(AtomicFileTest, WritesIntoAFifoAsAStream) {
  const std::string dir = FreshDir("af_fifo");
  const std::string fifo = dir + "/pipe";
  ASSERT_EQ(0, mkfifo(fifo.c_str(), 0600));
  std::string got;
  std::thread reader([&] {
    FILE* f = std::fopen(fifo.c_str(), "r");
    if (f == nullptr) return;
    char buf[64];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) got.append(buf, n);
    std::fclose(f);
  });
  tg_error err = {};
  const tg_status s = tg_atomic_write("t", fifo.c_str(), nullptr, WriteHello, nullptr, &err);
  reader.join();
  ASSERT_EQ(TG_OK, s) << err.message;
  EXPECT_EQ("hello\n", got);
  struct stat st;
  ASSERT_EQ(0, lstat(fifo.c_str(), &st));
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced by a file";
  EXPECT_EQ(1, EntriesIn(dir));
}

TEST(AtomicFileTest, WritesIntoACharacterDevice) {
  tg_error err = {};
  ASSERT_EQ(TG_OK, tg_atomic_write("t", "/dev/null", nullptr, WriteHello, nullptr, &err))
      << err.message;
  struct stat st;
  ASSERT_EQ(0, lstat("/dev/null", &st));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  // A write error on a device is reported with the path and the reason.
  if (access("/dev/full", W_OK) == 0) {
    err = {};
    EXPECT_EQ(TG_ERR_IO, tg_atomic_write("t", "/dev/full", nullptr, WriteHello, nullptr, &err));
    EXPECT_STREQ("t: writing '/dev/full' failed: No space left on device", err.message);
  }
}

TEST(AtomicFileTest, ASymlinkToADeviceWritesTheDevice) {
  const std::string dir = FreshDir("af_devlink");
  const std::string link = dir + "/null";
  ASSERT_EQ(0, symlink("/dev/null", link.c_str()));
  tg_error err = {};
  ASSERT_EQ(TG_OK, tg_atomic_write("t", link.c_str(), nullptr, WriteHello, nullptr, &err))
      << err.message;
  struct stat st;
  ASSERT_EQ(0, lstat(link.c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(1, EntriesIn(dir));
}

TEST(AtomicFileTest, DashIsStandardOutput) {
  const std::string path = tgtest::TempPath("af_stdout.txt");
  std::fflush(stdout);
  const int saved = dup(1);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  dup2(fd, 1);
  close(fd);
  tg_error err = {};
  const tg_status s =
      tg_atomic_write("t", "-", nullptr, WriteHello, const_cast<char*>("to stdout\n"), &err);
  std::fflush(stdout);
  dup2(saved, 1);
  close(saved);
  ASSERT_EQ(TG_OK, s) << err.message;
  EXPECT_EQ("to stdout\n", tgtest::ReadFile(path));
}

TEST(AtomicFileTest, RefusesADirectory) {
  const std::string dir = FreshDir("af_dir");
  tg_error err = {};
  EXPECT_EQ(TG_ERR_IO, tg_atomic_write("t", dir.c_str(), nullptr, WriteHello, nullptr, &err));
  EXPECT_EQ("t: '" + dir + "' is a directory: nothing written", std::string(err.message));
}

TEST(AtomicFileTest, ANameNearNameMaxStillGetsATemporary) {
  const std::string dir = FreshDir("af_long");
  const std::string path = dir + "/" + std::string(254, 'n');
  tg_error err = {};
  ASSERT_EQ(TG_OK, tg_atomic_write("t", path.c_str(), nullptr, WriteHello, nullptr, &err))
      << err.message;
  EXPECT_EQ("hello\n", tgtest::ReadFile(path));
  EXPECT_EQ(1, EntriesIn(dir));
  // And replacing it again (the old file exists now).
  ASSERT_EQ(TG_OK, tg_atomic_write("t", path.c_str(), nullptr, WriteHello,
                                   const_cast<char*>("again\n"), &err))
      << err.message;
  EXPECT_EQ("again\n", tgtest::ReadFile(path));
  EXPECT_EQ(1, EntriesIn(dir));
}

TEST(AtomicFileTest, NullAndEmptyArguments) {
  tg_error err = {};
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_atomic_write("t", nullptr, nullptr, WriteHello, nullptr, &err));
  EXPECT_STREQ("t: path is NULL or empty", err.message);
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_atomic_write("t", "", nullptr, WriteHello, nullptr, &err));
  err = {};  // errors are sticky: the first one stays
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_atomic_write("t", "x", nullptr, nullptr, nullptr, &err));
  EXPECT_STREQ("t: writer is NULL", err.message);
  EXPECT_EQ(TG_ERR_NULL_ARG,
            tg_atomic_write(nullptr, nullptr, nullptr, WriteHello, nullptr, nullptr));
}

// Every allocation goes through the caller's allocator; failing any one of them is
// a clean TG_ERR_NOMEM that leaves the old file and frees the rest.
TEST(AtomicFileTest, EveryAllocationFailureIsCleanNoMem) {
  const std::string dir = FreshDir("af_nomem");
  const std::string target = dir + "/real.txt", link = dir + "/link.txt";
  WriteRaw(target, "old\n");
  ASSERT_EQ(0, symlink("real.txt", link.c_str()));
  tgtest::CountingAllocator probe;
  tg_error err = {};
  ASSERT_EQ(TG_OK, tg_atomic_write("t", link.c_str(), probe.get(), WriteHello, nullptr, &err));
  const int total = probe.allocs();
  ASSERT_GT(total, 2);
  EXPECT_EQ(0, probe.live());
  for (int k = 1; k <= total; ++k) {
    WriteRaw(target, "old\n");
    err = {};
    tgtest::CountingAllocator a;
    a.FailAt(k);
    const tg_status s = tg_atomic_write("t", link.c_str(), a.get(), WriteHello, nullptr, &err);
    EXPECT_EQ(TG_ERR_NOMEM, s) << "k=" << k;
    EXPECT_STREQ("t: out of memory", err.message) << "k=" << k;
    EXPECT_EQ(0, a.live()) << "k=" << k;
    EXPECT_EQ(2, EntriesIn(dir)) << "k=" << k;
  }
}

}  // namespace
