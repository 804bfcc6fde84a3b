#include "filing/FolderGate.h"

#include <utility>

namespace ambita::filing {

FolderGate::FolderGate(std::chrono::steady_clock::duration maxWait) : maxWait_(maxWait) {}

FolderGate::Pass::Pass(Pass&& other) noexcept
    : gate_(std::exchange(other.gate_, nullptr)), area_(std::move(other.area_)) {}

FolderGate::Pass::~Pass() {
  if (gate_) gate_->leave(area_);
}

std::string_view FolderGate::areaOf(std::string_view path) {
  return path.substr(0, path.find('/'));
}

bool FolderGate::collide(std::string_view a, std::string_view b) {
  return areaOf(a) == areaOf(b);
}

dms::Result<FolderGate::Pass> FolderGate::enter(const std::string& path) {
  const std::string area(areaOf(path));
  const auto deadline = std::chrono::steady_clock::now() + maxWait_;
  std::unique_lock lock(mutex_);
  ++waiting_;
  const bool free =
      left_.wait_until(lock, deadline, [&] { return stopping_ || !running_.contains(area); });
  --waiting_;
  if (stopping_ || !free) {
    const auto other = running_.find(area);
    const std::string waitedFor =
        other == running_.end() ? "" : " (waiting for the one on '" + other->second + "')";
    if (stopping_)
      return dms::fail(dms::ErrorCode::Cancelled,
                       "folder change on '" + path + "': stopping" + waitedFor);
    return dms::fail(dms::ErrorCode::Unavailable,
                     "folder change on '" + path + "' waited over " +
                         std::to_string(std::chrono::ceil<std::chrono::seconds>(maxWait_).count()) +
                         " s" + waitedFor + "; try again later");
  }
  running_.emplace(area, path);
  return Pass(*this, area);
}

void FolderGate::leave(const std::string& area) {
  {
    std::lock_guard lock(mutex_);
    running_.erase(area);
  }
  left_.notify_all();
}

void FolderGate::requestStop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  left_.notify_all();
}

void FolderGate::resetStop() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
}

std::size_t FolderGate::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

}  // namespace ambita::filing
