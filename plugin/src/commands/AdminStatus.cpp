// The `status` and `failures` commands of AdminCommands: the table of tracked orders (paged,
// searched, filtered), the push inbox, one order with its assets, and what failed. Both print
// from status::StatusQuery's structures: as text, or as JSON with --json.
#include <iomanip>
#include <vector>

#include "commands/AdminCommands.h"
#include "commands/AdminOutput.h"
#include "commands/Money.h"
#include "filing/AuditLog.h"
#include "status/StatusJson.h"

namespace ambita::commands {
namespace {

using filing::AssetState;

/// The page size of a JSON listing when --per-page is not given.
constexpr std::size_t kDefaultPerPage = 50;

/// A page is never further than this many orders in (no overflow of page * perPage).
constexpr std::size_t kMaxOffset = std::size_t{1} << 50;

/// Orders a page when the text listing walks through every order (issue 15, branch pagerest:
/// memory flat whatever the number of orders).
constexpr std::size_t kWalkPage = 500;

/// The listing asked for, or the usage problem (naming the flag) in `problem`.
struct ListingRequest {
  filing::OrderQuery query;
  std::size_t page = 1;
  std::size_t perPage = kDefaultPerPage;
  std::string problem;
  /// Text without paging: every order, walked a page (query.limit) at a time.
  bool everyOrder = false;
};

ListingRequest listingRequest(const CommandLine& cl, bool json) {
  ListingRequest r;
  const bool paged = cl.single("--page") || cl.single("--per-page");
  if (auto text = cl.single("--page")) {
    auto page = CommandLine::positiveId(*text);
    if (!page) {
      r.problem = "--page: expected a positive number, got \"" + *text + "\"";
      return r;
    }
    r.page = static_cast<std::size_t>(*page);
  }
  if (auto text = cl.single("--per-page")) {
    auto perPage = CommandLine::positiveId(*text);
    if (!perPage || *perPage > static_cast<std::int64_t>(status::StatusQuery::kMaxPerPage)) {
      r.problem = "--per-page: expected a number from 1 to " +
                  std::to_string(status::StatusQuery::kMaxPerPage) + ", got \"" + *text + "\"";
      return r;
    }
    r.perPage = static_cast<std::size_t>(*perPage);
  }
  if (auto state = cl.single("--state")) {
    if (*state == "active")
      r.query.state = filing::OrderStateFilter::Active;
    else if (*state == "finished")
      r.query.state = filing::OrderStateFilter::Finished;
    else if (*state == "failing")
      r.query.state = filing::OrderStateFilter::Failing;
    else {
      r.problem = "--state: expected active, finished or failing, got \"" + *state + "\"";
      return r;
    }
  }
  r.query.search = cl.single("--search").value_or("");
  // Text without paging lists every order, as it always did; JSON is always paged.
  if (!json && !paged) {
    r.query.offset = 0;
    r.query.limit = kWalkPage;
    r.everyOrder = true;
    return r;
  }
  r.query.offset = std::min(kMaxOffset, (r.page - 1) * r.perPage);
  if (r.page - 1 > kMaxOffset / r.perPage) r.query.offset = kMaxOffset;
  r.query.limit = r.perPage;
  return r;
}

void printOrderHeader(std::ostream& out) {
  out << std::left << std::setw(12) << "ORDER" << std::setw(10) << "ORIGIN" << std::setw(11)
      << "STATUS" << std::setw(7) << "FILED" << std::setw(8) << "REMOVED" << std::setw(7)
      << "FAILED" << std::setw(22) << "CHECKED"
      << "REFERENCE\n";
}

void printOrderRows(const std::vector<filing::OrderSummary>& orders, std::ostream& out) {
  for (const auto& s : orders) {
    const auto& o = s.order;
    // Unresolved intents count as failed here: an interrupted action is not done.
    out << std::left << std::setw(12) << o.id << std::setw(10) << toString(o.origin)
        << std::setw(11) << (o.status.empty() ? "-" : o.status) << std::setw(7) << s.filed
        << std::setw(8) << s.removed << std::setw(7) << s.failed + s.pending << std::setw(22)
        << (o.checkedAt.empty() ? "never" : o.checkedAt) << o.reference << "\n";
  }
}

}  // namespace

int AdminCommands::status(const CommandLine& cl, const dms::CommandIO& io) {
  Output output(io, "status", cl.flag("--json"));
  status::StatusQuery query(store_);
  if (!cl.positionals().empty()) {
    auto id = CommandLine::positiveId(cl.positionals().front());
    if (!id)
      throw UsageError{"ID: expected a positive number, got \"" + cl.positionals().front() + "\""};
    auto detail = query.order(*id);
    if (!detail) return output.fail(detail.error().describe());
    if (!*detail) {
      const auto unknown = "order " + std::to_string(*id) + " is not tracked";
      return output.fail(output.json()
                             ? unknown
                             : unknown + " (track it with: track " + std::to_string(*id) + ")");
    }
    if (output.json())
      output.document(status::json::orderDetail(**detail));
    else
      printOrder(**detail, *io.out);
    return 0;
  }
  const auto request = listingRequest(cl, output.json());
  if (!request.problem.empty()) throw UsageError{request.problem};
  if (request.everyOrder) return printEveryOrder(request.query, output, *io.out);
  auto page = query.orders(request.query);
  if (!page) return output.fail(page.error().describe());
  if (output.json()) {
    auto document = status::json::orderPage(*page, request.page, request.perPage);
    // The text listing's last line, as data (an added field: the schema only grows).
    document->set("targetLeftovers", status::json::targetLeftovers(service_.targetLeftovers()));
    output.document(document);
    return 0;
  }
  printOrders(*page, *io.out);
  return 0;
}

int AdminCommands::failures(const CommandLine& cl, const dms::CommandIO& io) {
  Output output(io, "failures", cl.flag("--json"));
  auto found = status::StatusQuery(store_).failures();
  if (!found) return output.fail(found.error().describe());
  if (output.json()) {
    output.document(status::json::failures(*found));
    return 0;
  }
  auto& out = *io.out;
  if (found->assets.empty() && found->waitingOrders.empty()) out << "no failures\n";
  for (const auto& f : found->assets)
    out << "order " << f.orderId << ", asset " << f.assetId << " (" << f.name << "): " << f.error
        << "\n";
  printWaitingOrders(found->waitingOrders, out);
  return 0;
}

void AdminCommands::printOrders(const filing::OrderPage& page, std::ostream& out) {
  if (page.orders.empty()) {
    out << (page.total == 0 ? "no tracked orders\n" : "no orders on this page\n");
  } else {
    printOrderHeader(out);
    printOrderRows(page.orders, out);
    if (page.orders.size() < page.total)
      out << page.orders.size() << " of " << page.total << " order(s) shown\n";
  }
  printQueues(out);
}

void AdminCommands::printQueues(std::ostream& out) {
  if (auto n = store_.inboxSize(); n) out << "push inbox: " << *n << " message(s) waiting\n";
  if (auto waiting = status::StatusQuery(store_).waitingOrders(); waiting)
    printWaitingOrders(*waiting, out);
  // Filing goes on beside them: without this line only the log would say so.
  if (const auto left = service_.targetLeftovers())
    out << "target: leftovers of interrupted runs that recover() could not remove (" << left->at
        << ", " << left->target << "); every sync or start tries again: " << left->message << "\n";
}

int AdminCommands::printEveryOrder(filing::OrderQuery query, Output& output, std::ostream& out) {
  status::StatusQuery status(store_);
  auto page = status.orders(query);
  if (!page) return output.fail(page.error().describe());
  if (page->orders.empty()) {
    printOrders(*page, out);
    return 0;
  }
  printOrderHeader(out);
  for (;;) {
    printOrderRows(page->orders, out);
    if (page->orders.size() < query.limit) break;
    const auto& last = page->orders.back().order;
    query.after = filing::OrderCursor{last.trackedAt, last.id};
    page = status.orders(query);
    if (!page) return output.fail(page.error().describe());
  }
  printQueues(out);
  return 0;
}

void AdminCommands::printWaitingOrders(const std::vector<status::WaitingOrder>& waiting,
                                       std::ostream& out) {
  for (const auto& w : waiting) {
    out << "waiting: order " << w.orderId << " (" << w.source << "), " << w.attempts
        << " failed attempt(s)";
    // A message left by an older plugin does not know when it first failed.
    if (!w.since.empty()) out << " since " << w.since;
    out << ", next try " << w.nextTry << ": " << w.error << "\n";
  }
}

void AdminCommands::printOrder(const status::OrderDetail& detail, std::ostream& out) {
  const auto& o = detail.summary.order;
  const auto& assets = detail.assets;
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
  if (const auto& cost = detail.cost)
    out << "  cost:      " << formatNok(cost->totals.netOre) << " NOK net + "
        << formatNok(cost->totals.vatOre()) << " VAT = " << formatNok(cost->totals.grossOre)
        << " NOK" << (cost->credited ? " (credited)" : "") << "\n";
  out << "  assets:    " << assets.size() << "\n";
  for (const auto& a : assets) {
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
            << " attempts (filing.maxAttempts): retry with retry " << a.orderId << "\n";
      else
        out << "      waiting: attempt " << a.attempts << " of " << config_.assetMaxAttempts
            << " failed, next try " << filing::AuditLog::at(a.notBeforeEpoch) << "\n";
    }
  }
}

}  // namespace ambita::commands
