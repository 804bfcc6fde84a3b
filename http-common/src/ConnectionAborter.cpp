#include "dms/http/ConnectionAborter.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <utility>

namespace dms::http {

struct ConnectionAborter::Watch::Entry {
  explicit Entry(int descriptor) : fd(descriptor) {}
  ~Entry() { ::close(fd); }
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;
  void cut() noexcept {
    aborted = true;
    ::shutdown(fd, SHUT_RDWR);
  }
  const int fd;  ///< the duplicate, ours alone
  std::atomic<bool> aborted{false};
};

struct ConnectionAborter::Watch::Watched {
  std::mutex mutex;
  std::set<std::shared_ptr<Entry>> entries;
};

ConnectionAborter::ConnectionAborter() : watched_(std::make_shared<Watch::Watched>()) {}

ConnectionAborter::~ConnectionAborter() = default;

ConnectionAborter::Watch::Watch(std::shared_ptr<Watched> watched, std::shared_ptr<Entry> entry)
    : watched_(std::move(watched)), entry_(std::move(entry)) {}

ConnectionAborter::Watch::Watch(Watch&& other) noexcept
    : watched_(std::move(other.watched_)), entry_(std::move(other.entry_)) {}

ConnectionAborter::Watch& ConnectionAborter::Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    release();
    watched_ = std::move(other.watched_);
    entry_ = std::move(other.entry_);
  }
  return *this;
}

ConnectionAborter::Watch::~Watch() {
  release();
}

bool ConnectionAborter::Watch::aborted() const {
  return entry_ && entry_->aborted.load();
}

void ConnectionAborter::Watch::release() noexcept {
  if (!watched_ || !entry_) return;
  {
    std::lock_guard lock(watched_->mutex);
    watched_->entries.erase(entry_);
  }
  watched_.reset();
  entry_.reset();  // closes the duplicate
}

ConnectionAborter::Watch ConnectionAborter::watch(Poco::Net::HTTPClientSession& session,
                                                  const StopSignal& stop) {
  if (!session.connected()) return {};
  const int fd = ::dup(session.socket().impl()->sockfd());
  if (fd < 0) return {};  // out of descriptors: the request runs to its timeouts as before
  auto entry = std::make_shared<Watch::Entry>(fd);
  {
    std::lock_guard lock(watched_->mutex);
    watched_->entries.insert(entry);
  }
  // abortAll() stops the signal before it looks at the set: either it saw this entry, or the
  // signal is seen here.
  if (stop.stopped()) entry->cut();
  return Watch(watched_, std::move(entry));
}

void ConnectionAborter::abortAll() noexcept {
  std::lock_guard lock(watched_->mutex);
  for (const auto& entry : watched_->entries) entry->cut();
}

}  // namespace dms::http
