#include "FaultInjector.h"

#include <charconv>
#include <set>
#include <vector>

namespace sandbox {
namespace {

const std::set<std::string> kEndpoints = {"token",       "products", "prices",
                                          "createOrder", "getOrder", "download"};

const std::map<std::string, FaultKind> kKinds = {
    {"status", FaultKind::kStatus},   {"429", FaultKind::kTooMany},
    {"503", FaultKind::kUnavailable}, {"cut", FaultKind::kCut},
    {"slow", FaultKind::kSlow},       {"malformed", FaultKind::kMalformed},
    {"drop", FaultKind::kDrop},       {"expire", FaultKind::kExpire}};

bool toInt(const std::string& text, int& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

std::string FaultInjector::kindName(FaultKind kind) {
  for (const auto& [name, value] : kKinds)
    if (value == kind) return name;
  return "?";
}

std::string FaultInjector::validate(Fault& fault, const std::string& kind, bool argGiven) {
  if (kEndpoints.count(fault.endpoint) == 0)
    return "fault endpoint: expected token, products, prices, createOrder, getOrder or download, "
           "got '" +
           fault.endpoint + "'";
  auto it = kKinds.find(kind);
  if (it == kKinds.end())
    return "fault kind: expected status, 429, 503, cut, slow, malformed, drop or expire, got '" +
           kind + "'";
  fault.kind = it->second;
  if (fault.count < 0) return "fault count: expected >= 0, got " + std::to_string(fault.count);
  if (!argGiven) {
    switch (fault.kind) {
      case FaultKind::kStatus:
        fault.arg = 500;
        break;
      case FaultKind::kTooMany:
      case FaultKind::kUnavailable:
        fault.arg = 1;
        break;
      case FaultKind::kSlow:
        fault.arg = 200;
        break;
      default:
        fault.arg = 0;
    }
  }
  if (fault.kind == FaultKind::kStatus && (fault.arg < 400 || fault.arg > 599))
    return "fault arg: status code must be 400..599, got " + std::to_string(fault.arg);
  if (fault.arg < 0) return "fault arg: expected >= 0, got " + std::to_string(fault.arg);
  return {};
}

std::string FaultInjector::parse(const std::string& spec, Fault& fault) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t pos; (pos = spec.find(':', start)) != std::string::npos; start = pos + 1)
    parts.push_back(spec.substr(start, pos - start));
  parts.push_back(spec.substr(start));
  if (parts.size() < 2 || parts.size() > 4)
    return "--fault: expected endpoint:kind[:count[:arg]], got '" + spec + "'";
  fault = Fault{};
  fault.endpoint = parts[0];
  if (parts.size() > 2 && !toInt(parts[2], fault.count))
    return "--fault '" + spec + "': count is not a number";
  if (parts.size() > 3 && !toInt(parts[3], fault.arg))
    return "--fault '" + spec + "': arg is not a number";
  auto error = validate(fault, parts[1], parts.size() > 3);
  return error.empty() ? error : "--fault '" + spec + "': " + error;
}

std::string FaultInjector::fromJson(const Poco::JSON::Object& json, Fault& fault) {
  fault = Fault{};
  fault.endpoint = json.optValue<std::string>("endpoint", "");
  std::string kind = json.has("kind") ? json.get("kind").toString() : "";
  try {
    if (json.has("count")) fault.count = json.getValue<int>("count");
    if (json.has("arg")) fault.arg = json.getValue<int>("arg");
  } catch (const Poco::Exception&) {
    return "fault: count and arg must be integers";
  }
  return validate(fault, kind, json.has("arg"));
}

void FaultInjector::add(const Fault& fault) {
  std::lock_guard lock(mutex_);
  faults_[fault.endpoint].push_back(fault);
}

void FaultInjector::clear() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

std::optional<Fault> FaultInjector::take(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  auto it = faults_.find(endpoint);
  if (it == faults_.end() || it->second.empty()) return std::nullopt;
  Fault& head = it->second.front();
  Fault result = head;
  if (head.count > 0 && --head.count == 0) it->second.pop_front();
  return result;
}

Poco::JSON::Array::Ptr FaultInjector::toJson() {
  std::lock_guard lock(mutex_);
  Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
  for (const auto& [endpoint, queue] : faults_) {
    for (const Fault& fault : queue) {
      Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
      json->set("endpoint", endpoint);
      json->set("kind", kindName(fault.kind));
      json->set("count", fault.count);
      json->set("arg", fault.arg);
      array->add(json);
    }
  }
  return array;
}

}  // namespace sandbox
