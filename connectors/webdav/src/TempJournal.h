#pragma once
/// A record, in the connector's data folder, of every bookkeeping file a put may leave on the
/// server if the process dies (temporaries, a sidecar written before its file's MOVE), so that
/// recover() removes them without finding them in a listing: nginx's dav-ext module never
/// lists names starting with '.', and every bookkeeping name does.
///
/// One small file per put in flight, "<dataDir>/webdav-in-flight/<random>", holding the
/// server paths (one per line, relative to the base collection). begin() writes it before the
/// first request of the put, the Entry's destructor empties it when the put is over (success or
/// cleaned-up failure). A SIGKILL leaves it filled for recover(). Without a data folder (tests
/// that make a target directly) the journal does nothing. A remove() in sidecar mode records
/// its file the same way: its sidecar is deleted after the file, and a crash between the two
/// DELETEs must not leave a sidecar nobody lists.
///
/// An emptied record file is kept, open, and rewritten by a later put (issue 15): creating and
/// deleting a file per put made ext4 search its inode bitmaps (a large share of dms-host's CPU
/// when filing many small files), and closing a file that had been truncated to nothing and
/// written again made ext4 write it out at once (its "replace by truncate" rule: one disk
/// write, a block allocated and freed, per put). A record is written with one pwrite() and
/// emptied with one ftruncate(); it is never closed between puts. At most one file per put
/// running at once is kept; the journal closes and removes its idle files when destroyed,
/// recover() any empty one.
///
/// Thread-safe: each put has its own file; the list of idle files is guarded by a mutex (held
/// for no I/O).

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace dms::webdav {

class TempJournal {
 public:
  /// `dataDir` empty: disabled.
  explicit TempJournal(const std::string& dataDir);
  /// Removes the idle record files. Every Entry must be gone.
  ~TempJournal();
  TempJournal(const TempJournal&) = delete;
  TempJournal& operator=(const TempJournal&) = delete;

  /// A record file and its open descriptor.
  struct Record {
    std::filesystem::path file;
    int fd = -1;
  };

  /// The record of one put; empties its file (ready for the next put) when destroyed.
  class Entry {
   public:
    Entry() = default;
    Entry(TempJournal& journal, Record record) : journal_(&journal), record_(std::move(record)) {}
    Entry(Entry&& other) noexcept : journal_(other.journal_), record_(std::move(other.record_)) {
      other.journal_ = nullptr;
      other.record_.fd = -1;
    }
    Entry& operator=(Entry&&) = delete;
    ~Entry();

    /// The operation failed after a step this record undoes (a file removed, its sidecar's
    /// DELETE refused): the record stays as a crash would leave it, for recover().
    void keepForRecover() noexcept { journal_ = nullptr; }

   private:
    TempJournal* journal_ = nullptr;
    Record record_;
  };

  /// Records `paths` (temporaries a put is about to create). Best effort: a data folder that
  /// cannot be written only costs the leftovers a listing would not show.
  Entry begin(const std::vector<std::string>& paths);

  /// Calls `clean` with the lines of every put that did not finish (a crashed process); a
  /// record is forgotten when `clean` returns true. Empty (finished) record files are removed,
  /// this journal's idle ones included. Call only when no put runs (recover()).
  void forEachAbandoned(const std::function<bool(const std::vector<std::string>&)>& clean);

  /// Where the records are ("<dataDir>/webdav-in-flight"; empty: disabled), for messages.
  const std::filesystem::path& folder() const { return folder_; }

 private:
  /// The put of `record` is over: empty the file and keep it open for the next put.
  void finish(Record record) noexcept;
  /// Closes the idle records' descriptors and returns their files.
  std::vector<std::filesystem::path> closeIdle() noexcept;

  std::filesystem::path folder_;
  std::mutex idleMutex_;
  std::vector<Record> idle_;  ///< emptied record files, open, ready for begin()
};

}  // namespace dms::webdav
