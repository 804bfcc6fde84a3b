#include "OlderMinorTarget.h"

namespace dms::detail {

OlderMinorTarget::OlderMinorTarget(std::shared_ptr<DocumentTarget> inner,
                                   InterfaceVersion innerVersion)
    : inner_(std::move(inner)), innerVersion_(innerVersion) {}

Capabilities OlderMinorTarget::capabilities() const {
  return inner_->capabilities();
}

std::string OlderMinorTarget::describe() const {
  return inner_->describe();
}

Status OlderMinorTarget::ensureFolder(const std::string& path) {
  return inner_->ensureFolder(path);
}

Result<EntryInfo> OlderMinorTarget::put(const std::string& path, std::istream& content,
                                        const Metadata& metadata, PutMode mode) {
  return inner_->put(path, content, metadata, mode);
}

Result<std::unique_ptr<std::istream>> OlderMinorTarget::get(const std::string& path) {
  return inner_->get(path);
}

Result<Metadata> OlderMinorTarget::readMetadata(const std::string& path) {
  return inner_->readMetadata(path);
}

Status OlderMinorTarget::writeMetadata(const std::string& path, const Metadata& metadata) {
  return inner_->writeMetadata(path, metadata);
}

Result<EntryInfo> OlderMinorTarget::stat(const std::string& path) {
  return inner_->stat(path);
}

Result<std::vector<EntryInfo>> OlderMinorTarget::list(const std::string& folder) {
  return inner_->list(folder);
}

Status OlderMinorTarget::remove(const std::string& path, bool pruneEmptyParents) {
  return inner_->remove(path, pruneEmptyParents);
}

Status OlderMinorTarget::move(const std::string& from, const std::string& to) {
  return inner_->move(from, to);
}

Status OlderMinorTarget::recover() {
  return inner_->recover();
}

void OlderMinorTarget::cancel() noexcept {
  if (innerHas(1)) inner_->cancel();
}

void OlderMinorTarget::resume() noexcept {
  if (innerHas(1)) inner_->resume();
}

std::unique_ptr<PutBatch> OlderMinorTarget::beginPutBatch() {
  // A 1.0 connector has no batches: its puts, through this shield, are durable one by one.
  if (innerHas(1)) return inner_->beginPutBatch();
  return DocumentTarget::beginPutBatch();
}

Result<EntryInfo> OlderMinorTarget::putStreaming(const std::string& path, std::istream& content,
                                                 const MetadataAfterContent& metadata,
                                                 PutMode mode) {
  // A 1.0 connector has no streaming put: NotSupported, and the caller spools the content.
  if (innerHas(1)) return inner_->putStreaming(path, content, metadata, mode);
  return DocumentTarget::putStreaming(path, content, metadata, mode);
}

}  // namespace dms::detail
