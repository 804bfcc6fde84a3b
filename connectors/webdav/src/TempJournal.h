#pragma once
/// A record, in the connector's data folder, of every bookkeeping file a put may leave on the
/// server if the process dies (temporaries, a sidecar written before its file's MOVE), so that
/// recover() removes them without finding them in a listing: nginx's dav-ext module never
/// lists names starting with '.', and every bookkeeping name does.
///
/// One small file per put in flight, "<dataDir>/webdav-in-flight/<random>", holding the
/// server paths (one per line, relative to the base collection). begin() writes it before the
/// first request of the put, the Entry's destructor deletes it when the put is over (success or
/// cleaned-up failure). A SIGKILL leaves it behind for recover(). Without a data folder (tests
/// that make a target directly) the journal does nothing.
///
/// Thread-safe: entries are separate files with random names.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace dms::webdav {

class TempJournal {
 public:
  /// `dataDir` empty: disabled.
  explicit TempJournal(const std::string& dataDir);

  /// The record of one put; removes its file when destroyed.
  class Entry {
   public:
    Entry() = default;
    explicit Entry(std::filesystem::path file) : file_(std::move(file)) {}
    Entry(Entry&& other) noexcept : file_(std::move(other.file_)) { other.file_.clear(); }
    Entry& operator=(Entry&&) = delete;
    ~Entry();

   private:
    std::filesystem::path file_;
  };

  /// Records `paths` (temporaries a put is about to create). Best effort: a data folder that
  /// cannot be written only costs the leftovers a listing would not show.
  Entry begin(const std::vector<std::string>& paths) const;

  /// Calls `clean` with the lines of every put that did not finish (a crashed process); a
  /// record is forgotten when `clean` returns true. Call only when no put runs (recover()).
  void forEachAbandoned(const std::function<bool(const std::vector<std::string>&)>& clean) const;

 private:
  std::filesystem::path folder_;
};

}  // namespace dms::webdav
