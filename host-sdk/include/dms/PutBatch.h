#pragma once
/// Batched durability (interface 1.1): a group of puts whose durability is paid once for the
/// group instead of once per file. A caller filing many files (the Ambita plugin: one order's
/// files) stages them into a batch, then commits the batch:
///
///   auto batch = target.beginPutBatch();
///   for (...) batch->put(path, content, metadata, PutMode::CreateNew);  // from any thread
///   auto placed = batch->commit();  // every staged file is now under its path, durably
///
/// A target that has nothing to gain makes each put durable at once (DirectPutBatch, the
/// default of DocumentTarget::beginPutBatch), so a caller can always use a batch.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dms/DocumentTarget.h"

namespace dms {

class PutBatch {
 public:
  virtual ~PutBatch() = default;

  /// Stages a put: the same checks, errors and atomicity as DocumentTarget::put at the time of
  /// the call (AlreadyExists if a CreateNew path is taken now, DataLoss if `content` fails), but
  /// the file need not appear under `path`, nor be durable, before commit() reports it placed.
  /// Until then a crash leaves at most a temporary that recover() deletes. Thread-safe: several
  /// threads may stage into one batch, each its own path.
  virtual Result<EntryInfo> put(const std::string& path, std::istream& content,
                                const Metadata& metadata, PutMode mode) = 0;

  /// Places every file staged since the last commit and makes them durable together: once it
  /// returns, a power cut loses none of the files it reports placed. One entry per staged path:
  /// ok (placed), or why it was not (AlreadyExists when a CreateNew path was taken after the
  /// put was staged; its staged copy is discarded). Call after every put() has returned; the
  /// batch can be used again. Destroying a batch discards what was staged and not committed.
  virtual std::map<std::string, Status> commit() = 0;

  /// Stages a put whose metadata is made after the content was read: DocumentTarget::
  /// putStreaming's contract (content straight into the temporary, `metadata()` called once
  /// after it, DataLoss and nothing left when the content fails midway), placed by commit().
  /// Default: NotSupported, before `content` is read (as DocumentTarget::putStreaming).
  virtual Result<EntryInfo> putStreaming(const std::string& path, std::istream& content,
                                         const MetadataAfterContent& metadata, PutMode mode) {
    (void)content;
    (void)metadata;
    (void)mode;
    return fail(ErrorCode::NotSupported, "'" + path + "': this batch has no streaming put");
  }
};

/// The batch of a target without batched durability: every put is a plain DocumentTarget::put
/// (placed and durable when it returns); commit() reports those that succeeded.
class DirectPutBatch final : public PutBatch {
 public:
  /// `target` must outlive the batch.
  explicit DirectPutBatch(DocumentTarget& target) : target_(target) {}

  Result<EntryInfo> put(const std::string& path, std::istream& content, const Metadata& metadata,
                        PutMode mode) override {
    return placedIfOk(path, target_.put(path, content, metadata, mode));
  }

  /// The target's own putStreaming (NotSupported when it has none).
  Result<EntryInfo> putStreaming(const std::string& path, std::istream& content,
                                 const MetadataAfterContent& metadata, PutMode mode) override {
    return placedIfOk(path, target_.putStreaming(path, content, metadata, mode));
  }

  std::map<std::string, Status> commit() override {
    std::lock_guard lock(mutex_);
    std::map<std::string, Status> outcome;
    for (auto& path : placed_) outcome.emplace(std::move(path), Status{});
    placed_.clear();
    return outcome;
  }

 private:
  Result<EntryInfo> placedIfOk(const std::string& path, Result<EntryInfo> stored) {
    if (stored) {
      std::lock_guard lock(mutex_);
      placed_.push_back(path);
    }
    return stored;
  }

  DocumentTarget& target_;
  std::mutex mutex_;
  std::vector<std::string> placed_;
};

inline std::unique_ptr<PutBatch> DocumentTarget::beginPutBatch() {
  return std::make_unique<DirectPutBatch>(*this);
}

}  // namespace dms
