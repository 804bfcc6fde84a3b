#pragma once
/// The shield around a target made by a connector built for an older interface minor (private
/// to the loader). Such a target's vtable ends where its minor ended: calling a method added
/// later (e.g. cancel(), 1.1) would jump past it. The shield forwards only the methods the
/// connector's minor has; every later one keeps its default from DocumentTarget.

#include <memory>

#include "dms/DocumentTarget.h"
#include "dms/ModuleInfo.h"

namespace dms::detail {

class OlderMinorTarget final : public DocumentTarget {
 public:
  /// `inner` was made by a connector built for `innerVersion` (same major, older minor).
  OlderMinorTarget(std::shared_ptr<DocumentTarget> inner, InterfaceVersion innerVersion);

  // The methods of interface 1.0: every connector of major 1 has them.
  Capabilities capabilities() const override;
  std::string describe() const override;
  Status ensureFolder(const std::string& path) override;
  Result<EntryInfo> put(const std::string& path, std::istream& content, const Metadata& metadata,
                        PutMode mode) override;
  Result<std::unique_ptr<std::istream>> get(const std::string& path) override;
  Result<Metadata> readMetadata(const std::string& path) override;
  Status writeMetadata(const std::string& path, const Metadata& metadata) override;
  Result<EntryInfo> stat(const std::string& path) override;
  Result<std::vector<EntryInfo>> list(const std::string& folder) override;
  Status remove(const std::string& path, bool pruneEmptyParents) override;
  Status move(const std::string& from, const std::string& to) override;
  Status recover() override;

  // Added in 1.1: forwarded to connectors of 1.1 or later (none is shielded while the host is
  // 1.1; a host of 1.2 shields 1.1 connectors and forwards these to them).
  void cancel() noexcept override;
  void resume() noexcept override;
  std::unique_ptr<PutBatch> beginPutBatch() override;
  Result<EntryInfo> putStreaming(const std::string& path, std::istream& content,
                                 const MetadataAfterContent& metadata, PutMode mode) override;

 private:
  bool innerHas(std::uint16_t minor) const { return innerVersion_.minor >= minor; }

  std::shared_ptr<DocumentTarget> inner_;
  InterfaceVersion innerVersion_;
};

}  // namespace dms::detail
