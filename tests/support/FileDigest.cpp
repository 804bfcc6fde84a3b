#include "support/FileDigest.h"

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/DigestEngine.h>

#include <fstream>
#include <stdexcept>
#include <vector>

namespace dms::test {

std::string FileDigest::sha256(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  // OpenSSL's SHA-256 (SHA-NI where the CPU has it) is several times faster than
  // Poco::SHA2Engine; the sync benchmark hashes every file of every run.
  Poco::Crypto::DigestEngine engine("SHA256");
  std::vector<char> buffer(64 * 1024);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = in.gcount();
    if (got > 0) engine.update(buffer.data(), static_cast<std::size_t>(got));
  }
  if (in.bad()) throw std::runtime_error("read error in " + file.string());
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::map<std::string, int> FileDigest::tree(const std::filesystem::path& root,
                                            const std::string& skipPrefix) {
  std::map<std::string, int> counts;
  for (auto it = std::filesystem::recursive_directory_iterator(root);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    const auto& entry = *it;
    const auto name = entry.path().filename().string();
    // Apache mod_dav_fs keeps dead properties (the WebDAV connector's metadata) in .DAV/
    // databases beside the files: server bookkeeping, not documents.
    if (entry.is_directory() && name == ".DAV") {
      it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file() || entry.is_symlink()) continue;
    if (!skipPrefix.empty() && name.rfind(skipPrefix, 0) == 0) continue;
    ++counts[sha256(entry.path())];
  }
  return counts;
}

std::string FileDigest::compare(const std::map<std::string, int>& expected,
                                const std::map<std::string, int>& actual) {
  int missing = 0, extra = 0;
  std::string missingList, extraList;
  auto note = [](std::string& list, const std::string& sha) {
    if (list.size() < 200) list += " " + sha.substr(0, 12);
  };
  for (const auto& [sha, count] : expected) {
    const auto it = actual.find(sha);
    const int have = it == actual.end() ? 0 : it->second;
    if (have < count) {
      missing += count - have;
      note(missingList, sha);
    }
  }
  for (const auto& [sha, count] : actual) {
    const auto it = expected.find(sha);
    const int want = it == expected.end() ? 0 : it->second;
    if (count > want) {
      extra += count - want;
      note(extraList, sha);
    }
  }
  if (missing == 0 && extra == 0) return "";
  return std::to_string(missing) + " file(s) missing or wrong [" + missingList + " ], " +
         std::to_string(extra) + " unexpected [" + extraList + " ]";
}

}  // namespace dms::test
