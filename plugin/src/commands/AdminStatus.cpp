// The `status` command of AdminCommands: the table of tracked orders, the push inbox, and one
// order with its assets.
#include <iomanip>
#include <limits>

#include "commands/AdminCommands.h"
#include "filing/AuditLog.h"

namespace ambita::commands {

using filing::AssetState;

int AdminCommands::status(const CommandLine& cl, const dms::CommandIO& io) {
  if (!cl.positionals().empty()) {
    auto id = CommandLine::positiveId(cl.positionals().front());
    if (!id)
      return CommandLine::usageError(
          *io.err,
          "status: ID: expected a positive number, got \"" + cl.positionals().front() + "\"",
          "status [ID]");
    return printOrder(*id, io);
  }
  auto orders = store_.orders();
  if (!orders) {
    *io.err << "status: " << orders.error().describe() << "\n";
    return 1;
  }
  printOrders(*orders, *io.out);
  return 0;
}

void AdminCommands::printOrders(const std::vector<filing::TrackedOrder>& orders,
                                std::ostream& out) {
  if (orders.empty()) {
    out << "no tracked orders\n";
  } else {
    out << std::left << std::setw(12) << "ORDER" << std::setw(10) << "ORIGIN" << std::setw(11)
        << "STATUS" << std::setw(7) << "FILED" << std::setw(8) << "REMOVED" << std::setw(7)
        << "FAILED" << std::setw(22) << "CHECKED"
        << "REFERENCE\n";
    for (const auto& o : orders) {
      auto assets = store_.assetsOfOrder(o.id);
      std::size_t filed = 0, removed = 0, failed = 0;
      if (assets) {
        for (const auto& a : *assets) {
          filed += a.state == AssetState::Filed;
          removed += a.state == AssetState::Removed;
          failed += a.state == AssetState::Failed || a.state == AssetState::Filing ||
                    a.state == AssetState::Removing;
        }
      }
      out << std::left << std::setw(12) << o.id << std::setw(10) << toString(o.origin)
          << std::setw(11) << (o.status.empty() ? "-" : o.status) << std::setw(7) << filed
          << std::setw(8) << removed << std::setw(7) << failed << std::setw(22)
          << (o.checkedAt.empty() ? "never" : o.checkedAt) << o.reference << "\n";
    }
  }
  if (auto n = store_.inboxSize(); n) out << "push inbox: " << *n << " message(s) waiting\n";
  printWaitingOrders(out);
}

void AdminCommands::printWaitingOrders(std::ostream& out) {
  auto inbox = store_.dueMessages(std::numeric_limits<std::int64_t>::max(), 0, 100000);
  if (!inbox) return;
  for (const auto& m : *inbox) {
    if (m.attempts == 0) continue;
    out << "waiting: order " << m.orderId << " (" << m.source << "), " << m.attempts
        << " failed attempt(s)";
    // A message left by an older plugin does not know when it first failed.
    if (m.firstFailureEpoch > 0) out << " since " << filing::AuditLog::at(m.firstFailureEpoch);
    out << ", next try " << filing::AuditLog::at(m.notBeforeEpoch) << ": " << m.lastError << "\n";
  }
}

int AdminCommands::printOrder(std::int64_t id, const dms::CommandIO& io) {
  auto order = store_.order(id);
  if (!order) {
    *io.err << "status: " << order.error().describe() << "\n";
    return 1;
  }
  if (!*order) {
    *io.err << "status: order " << id << " is not tracked (track it with: track " << id << ")\n";
    return 1;
  }
  auto assets = store_.assetsOfOrder(id);
  if (!assets) {
    *io.err << "status: " << assets.error().describe() << "\n";
    return 1;
  }
  const auto& o = **order;
  auto& out = *io.out;
  out << "order " << o.id << "\n"
      << "  status:    " << (o.status.empty() ? "not checked yet" : o.status) << "\n"
      << "  origin:    " << toString(o.origin) << " (tracked " << o.trackedAt << ")\n"
      << "  checked:   " << (o.checkedAt.empty() ? "never" : o.checkedAt) << "\n";
  if (!o.finishedAt.empty()) out << "  finished:  " << o.finishedAt << "\n";
  if (!o.reference.empty()) out << "  reference: " << o.reference << "\n";
  if (!o.technicalReference.empty())
    out << "  technical reference: " << o.technicalReference << "\n";
  if (!o.cadastre.empty()) out << "  cadastre:  " << o.cadastre << "\n";
  if (!o.address.empty()) out << "  address:   " << o.address << "\n";
  out << "  assets:    " << assets->size() << "\n";
  for (const auto& a : *assets) {
    out << "  - " << a.assetId << "  " << toString(a.state) << " (Ambita: " << a.remoteStatus
        << ")\n";
    if (!a.path.empty()) out << "      path:   " << a.path << "\n";
    if (!a.targetPath.empty()) out << "      moved:  " << a.targetPath << "\n";
    if (a.state == AssetState::Filed)
      out << "      size:   " << a.size << " bytes, sha256 " << a.sha256 << ", filed " << a.filedAt
          << "\n";
    if (!a.removedAt.empty()) out << "      removed: " << a.removedAt << "\n";
    if (!a.lastError.empty()) out << "      error:  " << a.lastError << "\n";
    if (a.state == AssetState::Failed && a.attempts > 0) {
      if (filing::Reconciler::givenUp(a, config_))
        out << "      given up after " << a.attempts
            << " attempts (filing.maxAttempts): retry with sync --order " << a.orderId << "\n";
      else
        out << "      waiting: attempt " << a.attempts << " of " << config_.assetMaxAttempts
            << " failed, next try " << filing::AuditLog::at(a.notBeforeEpoch) << "\n";
    }
  }
  return 0;
}

}  // namespace ambita::commands
