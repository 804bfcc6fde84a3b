#include "RequestLog.h"

#include <iostream>

#include <Poco/JSON/Object.h>

namespace sandbox {

void RequestLog::record(const RequestRecord& record) {
  {
    std::lock_guard lock(mutex_);
    if (records_.size() >= kMaxRecords) records_.erase(records_.begin());
    records_.push_back(record);
  }
  if (quiet_) return;
  std::string line = "ambita-sandbox: " + record.method + " " + record.target + " -> " +
                     (record.status == 0 ? std::string("dropped") : std::to_string(record.status));
  if (!record.fault.empty()) line += " (fault " + record.fault + ")";
  std::cerr << line + "\n" << std::flush;
}

void RequestLog::print(const std::string& method, const std::string& target, int status) {
  if (quiet_) return;
  std::cerr << "ambita-sandbox: " + method + " " + target + " -> " + std::to_string(status) + "\n"
            << std::flush;
}

Poco::JSON::Array::Ptr RequestLog::toJson() {
  std::lock_guard lock(mutex_);
  Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
  for (const auto& record : records_) {
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
    json->set("method", record.method);
    json->set("target", record.target);
    json->set("endpoint", record.endpoint);
    json->set("authorization", record.authorization);
    json->set("status", record.status);
    json->set("fault", record.fault);
    array->add(json);
  }
  return array;
}

void RequestLog::clear() {
  std::lock_guard lock(mutex_);
  records_.clear();
}

}  // namespace sandbox
