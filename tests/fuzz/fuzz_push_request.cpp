// A push request as Ambita (or anyone who can reach the listener) sends it: the first line of
// the input is the raw query string (carrying ?token=<secret>), the rest is the body. The
// endpoint must answer with one of its documented statuses, never 500 (an exception), and
// never write the secret from the query to the log or the answer.
#include <memory>
#include <set>

#include "FuzzInput.h"
#include "filing/SqliteStateStore.h"
#include "push/PushEndpoint.h"
#include "push/PushInbox.h"

namespace {

constexpr const char* kSecret = "fuzz-push-secret";

/// The body of the request being handled: the endpoint may quote the body (a bad field's
/// value) but never the query, so the secret may show only when the sender put it in the body.
std::string currentBody;

/// Fails the run when a log line carries the secret that did not come from the body.
class SecretWatchingLogger final : public dms::Logger {
 public:
  void log(dms::LogLevel, std::string_view, std::string_view message) noexcept override {
    dms::fuzz::require(message.find(kSecret) == std::string_view::npos ||
                           currentBody.find(kSecret) != std::string::npos,
                       "the push secret from the query never appears in the log");
  }
};

/// One in-memory state database for the whole run: opening one per input would measure SQLite.
ambita::push::PushEndpoint& endpoint() {
  static SecretWatchingLogger logger;
  static std::unique_ptr<ambita::filing::SqliteStateStore> store = [] {
    auto opened = ambita::filing::SqliteStateStore::open(":memory:");
    dms::fuzz::require(opened.ok(), "an in-memory state database opens");
    return std::move(*opened);
  }();
  static ambita::push::PushInbox inbox(*store);
  static ambita::push::PushEndpoint endpoint(inbox, logger, kSecret, 64 * 1024);
  return endpoint;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [query, body] = dms::fuzz::splitFirstLine(dms::fuzz::text(data, size));
  dms::HttpRequest request;
  request.method = "POST";
  request.path = "/ambita/push";
  request.query = std::move(query);
  request.body = std::move(body);
  request.remoteAddress = "127.0.0.1:40000";
  currentBody = request.body;
  const dms::HttpResponse response = endpoint().handle(request);
  static const std::set<int> kDocumented{200, 400, 401, 403, 413, 503};
  dms::fuzz::require(kDocumented.count(response.status) == 1,
                     "the push endpoint answers with a documented status");
  dms::fuzz::require(response.body.find(kSecret) == std::string::npos ||
                         currentBody.find(kSecret) != std::string::npos,
                     "the push secret from the query never appears in an answer");
  return 0;
}
