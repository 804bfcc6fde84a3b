// SqliteStateStore: the document-event outbox (issue 10). commit() writes the rows.
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include "filing/SqliteStateStore.h"
#include "filing/StateStoreRows.h"

namespace ambita::filing {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Statement;

dms::Result<std::vector<OutboxEvent>> SqliteStateStore::dueEvents(std::int64_t nowEpoch,
                                                                  std::int64_t longestWaitSeconds,
                                                                  std::size_t limit) {
  std::lock_guard lock(mutex_);
  try {
    Statement select(*session_);
    select << "SELECT " << rows::kEventColumns
           << " FROM events e WHERE e.seq = (SELECT MIN(seq) FROM events p WHERE p.order_id = "
              "e.order_id) AND (e.not_before <= ? OR e.not_before - ? > ?) ORDER BY e.seq LIMIT ?",
        bind(nowEpoch), bind(nowEpoch), bind(longestWaitSeconds),
        bind(static_cast<Poco::Int64>(limit));
    select.execute();
    RecordSet rs(select);
    std::vector<OutboxEvent> out;
    for (std::size_t r = 0; r < rs.rowCount(); ++r) out.push_back(rows::eventFromRow(rs, r));
    return out;
  } catch (const Poco::Exception& e) {
    return failure("reading the event outbox", e.displayText());
  }
}

dms::Status SqliteStateStore::completeEvent(std::int64_t seq) {
  return durably([&]() -> dms::Status {
    try {
      *session_ << "DELETE FROM events WHERE seq = ?", bind(seq), now;
      return {};
    } catch (const Poco::Exception& e) {
      return failure("completing an event", e.displayText());
    }
  });
}

dms::Status SqliteStateStore::postponeEvent(std::int64_t seq, std::int64_t notBeforeEpoch,
                                            const std::string& error) {
  return durably([&]() -> dms::Status {
    try {
      *session_ << "UPDATE events SET attempts = attempts + 1, not_before = ?, last_error = ? "
                   "WHERE seq = ?",
          bind(notBeforeEpoch), bind(error), bind(seq), now;
      return {};
    } catch (const Poco::Exception& e) {
      return failure("postponing an event", e.displayText());
    }
  });
}

dms::Result<std::size_t> SqliteStateStore::outboxSize() {
  std::lock_guard lock(mutex_);
  try {
    Poco::Int64 n = 0;
    *session_ << "SELECT COUNT(*) FROM events", into(n), now;
    return static_cast<std::size_t>(n);
  } catch (const Poco::Exception& e) {
    return failure("counting the event outbox", e.displayText());
  }
}

dms::Result<std::size_t> SqliteStateStore::dropOldestEvents(std::size_t keep) {
  return durably([&]() -> dms::Result<std::size_t> {
    try {
      rows::TransactionGuard tx(*session_);
      Poco::Int64 before = 0, after = 0;
      *session_ << "SELECT COUNT(*) FROM events", into(before), now;
      if (static_cast<std::size_t>(before) <= keep) return std::size_t{0};
      *session_ << "DELETE FROM events WHERE seq NOT IN (SELECT seq FROM events ORDER BY seq DESC "
                   "LIMIT ?)",
          bind(static_cast<Poco::Int64>(keep)), now;
      *session_ << "SELECT COUNT(*) FROM events", into(after), now;
      tx.commit();
      return static_cast<std::size_t>(before - after);
    } catch (const Poco::Exception& e) {
      return failure("trimming the event outbox", e.displayText());
    }
  });
}

}  // namespace ambita::filing
