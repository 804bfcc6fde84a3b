#pragma once
/// A fresh folder under the system temp directory, removed with everything in it when the
/// object goes out of scope. Every test that needs disk uses one (hermetic, parallel-safe).

#include <filesystem>
#include <string>

namespace dms::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "dms-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace dms::test
