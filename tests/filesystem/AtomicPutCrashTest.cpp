// Crash safety of put(): a child process is SIGKILLed in the middle of writing a big file.
// Afterwards there must be no file under the final name (CreateNew) or the old file unchanged
// (Replace), nothing visible through list(), and recover() must delete the temporary.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "dms/filesystem/FilesystemTarget.h"
#include "support/TempDir.h"
#include "support/TestStream.h"

namespace dms::filesystem {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kSignalAfter = 2 * 1024 * 1024;

std::vector<std::string> names(const fs::path& dir) {
  std::vector<std::string> result;
  for (const auto& entry : fs::directory_iterator(dir))
    result.push_back(entry.path().filename().string());
  std::sort(result.begin(), result.end());
  return result;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class AtomicPutCrashTest : public testing::TestWithParam<std::tuple<PutMode, MetadataMode>> {};

TEST_P(AtomicPutCrashTest, KilledMidWriteLeavesNoPartialFileAndRecoverCleansUp) {
  const auto [putMode, metadataMode] = GetParam();
  test::TempDir dir("dms-fs-crash");
  FilesystemOptions options;
  options.root = (dir.path() / "root").string();
  options.metadata = metadataMode;
  options.fsync = true;
  {
    auto target = FilesystemTarget::open(options, nullptr);
    ASSERT_TRUE(target.ok()) << target.error().describe();
    ASSERT_TRUE((*target)->ensureFolder("orders/1").ok());
    if (putMode == PutMode::Replace) {
      std::istringstream old("the old document");
      ASSERT_TRUE((*target)->put("orders/1/big.bin", old, {{"v", "old"}}, PutMode::CreateNew).ok());
    }
  }
  const fs::path folder = fs::path(options.root) / "orders" / "1";

  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: only async-signal-safe-ish, no gtest; leave with _exit.
    ::close(ready[0]);
    auto target = FilesystemTarget::open(options, nullptr);
    if (!target) ::_exit(2);
    // Endless content: fast for the first kSignalAfter bytes, then it tells the parent (one
    // byte on the pipe) and trickles, so the put is surely in progress when killed.
    auto buf = dms::test::TestStream::endless('x');
    buf.chunkSize(kChunk)
        .at(kSignalAfter,
            [fd = ready[1]] {
              if (::write(fd, "r", 1) != 1) throw std::runtime_error("cannot signal parent");
            })
        .beforeEachChunkFrom(kSignalAfter, [] { ::usleep(20000); })
        // Safety net: never run longer than ~60 s if the parent failed to kill us.
        .failAt(kSignalAfter + 3000 * kChunk, "not killed");
    std::istream in(&buf);
    auto result = (*target)->put("orders/1/big.bin", in, {{"v", "new"}}, putMode);
    ::_exit(result.ok() ? 3 : 4);
  }
  ::close(ready[1]);
  pollfd waitFor{ready[0], POLLIN, 0};
  const int polled = ::poll(&waitFor, 1, 30000);
  char byte = 0;
  const bool signalled = polled == 1 && ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(signalled) << "the child never got into the middle of the put (status " << status
                         << ")";
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child was not killed mid-put";

  // The partial write exists only under a temporary name.
  std::size_t temporaries = 0;
  for (const auto& name : names(folder)) {
    if (name.rfind(".dms-tmp-", 0) == 0) {
      ++temporaries;
      EXPECT_GE(fs::file_size(folder / name), kSignalAfter - kChunk)
          << "temporary holds the partial data";
    }
  }
  EXPECT_EQ(temporaries, 1u);

  auto target = FilesystemTarget::open(options, nullptr);
  ASSERT_TRUE(target.ok());
  if (putMode == PutMode::CreateNew) {
    EXPECT_FALSE(fs::exists(folder / "big.bin")) << "a partial file appeared under the final name";
    auto info = (*target)->stat("orders/1/big.bin");
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().code, ErrorCode::NotFound);
  } else {
    EXPECT_EQ(slurp(folder / "big.bin"), "the old document");
    auto meta = (*target)->readMetadata("orders/1/big.bin");
    ASSERT_TRUE(meta.ok()) << meta.error().describe();
    EXPECT_EQ(meta->at("v"), "old");
  }
  auto listed = (*target)->list("orders/1");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), putMode == PutMode::CreateNew ? 0u : 1u);

  ASSERT_TRUE((*target)->recover().ok());
  std::vector<std::string> expected;
  if (putMode == PutMode::Replace) {
    expected.push_back("big.bin");
    if (metadataMode == MetadataMode::Sidecar)
      expected.insert(expected.begin(), ".dms-meta-big.bin.json");
  }
  EXPECT_EQ(names(folder), expected) << "recover() left something behind";
}

INSTANTIATE_TEST_SUITE_P(
    Modes, AtomicPutCrashTest,
    testing::Combine(testing::Values(PutMode::CreateNew, PutMode::Replace),
                     testing::Values(MetadataMode::Auto, MetadataMode::Sidecar)),
    [](const testing::TestParamInfo<std::tuple<PutMode, MetadataMode>>& info) {
      return std::string(std::get<0>(info.param) == PutMode::CreateNew ? "CreateNew" : "Replace") +
             (std::get<1>(info.param) == MetadataMode::Sidecar ? "_sidecar" : "_auto");
    });

}  // namespace
}  // namespace dms::filesystem
