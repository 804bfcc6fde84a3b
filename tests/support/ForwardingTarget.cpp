#include "support/ForwardingTarget.h"

namespace dms::test {

const char* methodName(TargetMethod method) {
  switch (method) {
    case TargetMethod::EnsureFolder:
      return "ensureFolder";
    case TargetMethod::Put:
      return "put";
    case TargetMethod::Get:
      return "get";
    case TargetMethod::ReadMetadata:
      return "readMetadata";
    case TargetMethod::WriteMetadata:
      return "writeMetadata";
    case TargetMethod::Stat:
      return "stat";
    case TargetMethod::List:
      return "list";
    case TargetMethod::Remove:
      return "remove";
    case TargetMethod::Move:
      return "move";
    case TargetMethod::Recover:
      return "recover";
  }
  return "?";
}

std::vector<std::string> TargetCall::modifiedPaths() const {
  switch (method) {
    case TargetMethod::Put:
    case TargetMethod::WriteMetadata:
      return {path};
    case TargetMethod::Move:
      return {path, to};
    case TargetMethod::EnsureFolder:
    case TargetMethod::Remove: {
      std::vector<std::string> paths{path};
      if (method == TargetMethod::Remove && !pruneEmptyParents) return paths;
      for (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0;
           slash = path.rfind('/', slash - 1))
        paths.push_back(path.substr(0, slash));
      return paths;
    }
    case TargetMethod::Get:
    case TargetMethod::ReadMetadata:
    case TargetMethod::Stat:
    case TargetMethod::List:
    case TargetMethod::Recover:
      break;
  }
  return {};
}

std::string TargetCall::describe() const {
  return method == TargetMethod::Move ? "'" + path + "' -> '" + to + "'" : "'" + path + "'";
}

ForwardingTarget::ForwardingTarget(DocumentTarget& inner) : inner_(inner) {}

ForwardingTarget::ForwardingTarget(std::unique_ptr<DocumentTarget> inner)
    : owned_(std::move(inner)), inner_(*owned_) {}

std::optional<Error> ForwardingTarget::around(const TargetCall&, const Forward& forward) {
  forward();
  return std::nullopt;
}

template <class R, class Call>
R ForwardingTarget::intercept(TargetCall call, Call&& forwardToInner) {
  std::optional<R> answer;
  if (auto error = around(call, [&] { answer.emplace(forwardToInner()); })) return *error;
  if (!answer)
    return fail(ErrorCode::Internal, std::string("test wrapper neither forwarded nor failed ") +
                                         methodName(call.method) + " " + call.describe());
  return std::move(*answer);
}

Capabilities ForwardingTarget::capabilities() const {
  return inner_.capabilities();
}

std::string ForwardingTarget::describe() const {
  return inner_.describe();
}

Status ForwardingTarget::ensureFolder(const std::string& path) {
  return intercept<Status>({TargetMethod::EnsureFolder, path},
                           [&] { return inner_.ensureFolder(path); });
}

Result<EntryInfo> ForwardingTarget::put(const std::string& path, std::istream& content,
                                        const Metadata& metadata, PutMode mode) {
  return intercept<Result<EntryInfo>>({TargetMethod::Put, path},
                                      [&] { return inner_.put(path, content, metadata, mode); });
}

Result<std::unique_ptr<std::istream>> ForwardingTarget::get(const std::string& path) {
  return intercept<Result<std::unique_ptr<std::istream>>>({TargetMethod::Get, path},
                                                          [&] { return inner_.get(path); });
}

Result<Metadata> ForwardingTarget::readMetadata(const std::string& path) {
  return intercept<Result<Metadata>>({TargetMethod::ReadMetadata, path},
                                     [&] { return inner_.readMetadata(path); });
}

Status ForwardingTarget::writeMetadata(const std::string& path, const Metadata& metadata) {
  return intercept<Status>({TargetMethod::WriteMetadata, path},
                           [&] { return inner_.writeMetadata(path, metadata); });
}

Result<EntryInfo> ForwardingTarget::stat(const std::string& path) {
  return intercept<Result<EntryInfo>>({TargetMethod::Stat, path},
                                      [&] { return inner_.stat(path); });
}

Result<std::vector<EntryInfo>> ForwardingTarget::list(const std::string& folder) {
  return intercept<Result<std::vector<EntryInfo>>>({TargetMethod::List, folder},
                                                   [&] { return inner_.list(folder); });
}

Status ForwardingTarget::remove(const std::string& path, bool pruneEmptyParents) {
  return intercept<Status>({TargetMethod::Remove, path, "", pruneEmptyParents},
                           [&] { return inner_.remove(path, pruneEmptyParents); });
}

Status ForwardingTarget::move(const std::string& from, const std::string& to) {
  return intercept<Status>({TargetMethod::Move, from, to}, [&] { return inner_.move(from, to); });
}

Status ForwardingTarget::recover() {
  return intercept<Status>({TargetMethod::Recover, ""}, [&] { return inner_.recover(); });
}

}  // namespace dms::test
