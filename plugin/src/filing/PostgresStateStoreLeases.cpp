// Leases of several hosts sharing one PostgreSQL state (issue 11): session advisory locks, each
// held on a connection of its own (see PostgresStateStore.h for why), and the cancellable wait
// for a pooled connection.
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Exception.h>

#include <utility>

#include "filing/PostgresStateStore.h"

namespace ambita::filing {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;

// Fixed keys beside the transaction locks of PostgresStateStore.cpp ("ambita" + 1, + 2), far
// above any order id (an order's lease uses its id as the key).
constexpr Poco::Int64 kPollingLeaseKey = 0x616d6269'7461'03;
constexpr Poco::Int64 kFilingLeaseKey = 0x616d6269'7461'04;

Poco::Int64 advisoryKey(const LeaseKey& key) {
  switch (key.kind) {
    case LeaseKey::Kind::Order:
      return key.orderId;
    case LeaseKey::Kind::Polling:
      return kPollingLeaseKey;
    case LeaseKey::Kind::Filing:
      return kFilingLeaseKey;
  }
  return kFilingLeaseKey;
}

}  // namespace

class PostgresStateStore::AdvisoryLease final : public StateStore::Lease {
 public:
  AdvisoryLease(PostgresStateStore& store, std::unique_ptr<Session> session, Poco::Int64 key,
                bool shared)
      : store_(store), session_(std::move(session)), key_(key), shared_(shared) {}
  ~AdvisoryLease() override { store_.endLease(std::move(session_), key_, shared_); }
  AdvisoryLease(const AdvisoryLease&) = delete;
  AdvisoryLease& operator=(const AdvisoryLease&) = delete;

 private:
  PostgresStateStore& store_;
  std::unique_ptr<Session> session_;
  Poco::Int64 key_;
  bool shared_;
};

dms::Result<std::unique_ptr<StateStore::Lease>> PostgresStateStore::tryLease(const LeaseKey& key,
                                                                             LeaseMode mode) {
  const std::string what = "taking the lease on " + key.describe();
  if (key.kind == LeaseKey::Kind::Order && key.orderId < 0)
    return dms::fail(dms::ErrorCode::InvalidArgument, what + ": an order id is never negative");
  const bool shared = mode == LeaseMode::Shared;
  const Poco::Int64 advisory = advisoryKey(key);
  // A kept session whose connection broke (the database restarted) is dropped and the lease
  // asked for on a new connection, once.
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Session> session;
    {
      std::lock_guard lock(poolMutex_);
      if (waitsCancelled_)
        return dms::fail(dms::ErrorCode::Cancelled,
                         "state database " + location_.display() + ": " + what + ": stopping");
      if (attempt == 0 && !idleLeaseSessions_.empty()) {
        session = std::move(idleLeaseSessions_.back());
        idleLeaseSessions_.pop_back();
      }
    }
    const bool kept = session != nullptr;
    try {
      if (!session) session = connect();
      int granted = 0;
      *session << (shared ? "SELECT pg_try_advisory_lock_shared($1)::int"
                          : "SELECT pg_try_advisory_lock($1)::int"),
          bind(advisory), into(granted), now;
      if (!granted) {
        std::lock_guard lock(poolMutex_);  // nothing to unlock: the session is kept as it is
        idleLeaseSessions_.push_back(std::move(session));
        return std::unique_ptr<Lease>();
      }
      return std::unique_ptr<Lease>(
          std::make_unique<AdvisoryLease>(*this, std::move(session), advisory, shared));
    } catch (const Poco::Exception& e) {
      // The broken connection is dropped with `session` (closing it releases what it held).
      if (!kept) return failure(what, e.displayText());
    } catch (const std::exception& e) {
      if (!kept) return failure(what, e.what());
    }
  }
}

void PostgresStateStore::endLease(std::unique_ptr<Session> session, std::int64_t key, bool shared) {
  if (!session) return;
  int released = 0;
  try {
    *session << (shared ? "SELECT pg_advisory_unlock_shared($1)::int"
                        : "SELECT pg_advisory_unlock($1)::int"),
        bind(static_cast<Poco::Int64>(key)), into(released), now;
  } catch (...) {  // NOLINT: a destructor's work; the connection is broken, its locks ended
    released = 0;
  }
  if (released == 1) {
    std::lock_guard lock(poolMutex_);
    idleLeaseSessions_.push_back(std::move(session));
    return;
  }
  try {
    session->close();  // ends the session, and with it any lock it might still hold
  } catch (...) {      // NOLINT: the connection is gone either way
  }
}

void PostgresStateStore::cancelWaits() noexcept {
  {
    std::lock_guard lock(poolMutex_);
    waitsCancelled_ = true;
  }
  sessionReturned_.notify_all();
}

void PostgresStateStore::resumeWaits() noexcept {
  std::lock_guard lock(poolMutex_);
  waitsCancelled_ = false;
}

}  // namespace ambita::filing
