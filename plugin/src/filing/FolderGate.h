#pragma once
/// Keeps the Reconciler's folder changes on the target apart where they could collide, without
/// holding a lock while the target works (a WebDAV folder change is a network request).
///
/// A folder change is an ensureFolder(path), which may create `path` and every missing folder
/// above it, or a remove(path, pruneEmptyParents), which removes `path` and then every folder
/// above it left empty, or a withdrawn file's move (Reconciler::placeAt: the destination's folder
/// made and the file moved or copied into it, one change, so no prune deletes the folder in
/// between). Each may so touch every folder on its path up to the root, and the
/// DocumentTarget contract forbids two calls modifying one path at once. Two changes collide
/// when their paths share a folder, that is when they begin with the same top-level segment:
///   "A/1/x" and "A/1" collide (one within the other);
///   "A/1/x" and "A/2/y" collide too: pruning "A/2/y" may delete "A" just as the creation of
///   "A/1/x" found it and goes on to make "A/1" in it (a prefix rule alone would miss that);
///   "A/1/x" and "B/1/x" do not: they run in parallel.
/// Colliding changes run one after the other. The window between making a folder and putting a
/// file into it is not covered: a put that finds its folder gone (Conflict) makes it again
/// (Reconciler::storeAsset).
///
/// A change waits for a colliding one at most `maxWait`, then fails with Unavailable; after
/// requestStop() every waiting and later enter() fails at once with Cancelled. Both errors name
/// the path and the change it waited for. Thread-safe; no method throws.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "dms/Error.h"

namespace ambita::filing {

class FolderGate {
 public:
  explicit FolderGate(std::chrono::steady_clock::duration maxWait);
  FolderGate(const FolderGate&) = delete;
  FolderGate& operator=(const FolderGate&) = delete;

  /// Leave to run one folder change; the change is over when the Pass is destroyed (also when
  /// the target call threw).
  class [[nodiscard]] Pass {
   public:
    Pass(Pass&& other) noexcept;
    Pass& operator=(Pass&&) = delete;
    Pass(const Pass&) = delete;
    ~Pass();

   private:
    friend class FolderGate;
    Pass(FolderGate& gate, std::string area) : gate_(&gate), area_(std::move(area)) {}
    FolderGate* gate_;
    std::string area_;
  };

  /// Waits until no change colliding with one on `path` runs (see the class comment), then
  /// returns the pass for it. Errors: Unavailable (waited `maxWait`), Cancelled (requestStop()).
  dms::Result<Pass> enter(const std::string& path);

  /// Ends every wait now and makes later enter() fail, until resetStop().
  void requestStop();
  void resetStop();

  /// Changes waiting for a colliding one now (for tests and diagnostics).
  std::size_t waiting() const;

  /// The rule itself: whether changes on `a` and `b` may collide.
  static bool collide(std::string_view a, std::string_view b);

 private:
  /// What a change on `path` may touch, as one key: its top-level segment.
  static std::string_view areaOf(std::string_view path);
  void leave(const std::string& area);

  const std::chrono::steady_clock::duration maxWait_;
  mutable std::mutex mutex_;
  std::condition_variable left_;
  std::map<std::string, std::string, std::less<>> running_;  ///< area → the path changed there
  std::size_t waiting_ = 0;
  bool stopping_ = false;
};

}  // namespace ambita::filing
