#include "EventForwarder.h"

#include "dms/http/Origin.h"

#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/HMACEngine.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace dms::host {
namespace {

constexpr const char* kSource = "host.events";

/// Poco::HMACEngine wants the block and digest sizes as members, which SHA2Engine lacks.
class Sha256 : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

dms::http::SessionPool::Settings poolSettings(const EventForwarding& forwarding) {
  dms::http::SessionPool::Settings settings;
  settings.connectTimeout = forwarding.webhookTimeout;
  settings.ioTimeout = forwarding.webhookTimeout;  // the whole POST's deadline (awaitWhole)
  settings.maxPerOrigin = 1;                       // deliver() is never concurrent
  settings.maxWait = forwarding.webhookTimeout;
  settings.tlsContext = [caFile = forwarding.webhookCaFile](
                            const dms::http::Origin&) -> Result<Poco::Net::Context::Ptr> {
    // The peer's certificate and name are verified (system CAs, or events.webhook.caFile).
    try {
      return Poco::Net::Context::Ptr(
          new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", caFile,
                                 Poco::Net::Context::VERIFY_STRICT, 9, caFile.empty()));
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::InvalidArgument,
                  "events.webhook.caFile '" + caFile + "': " + e.displayText());
    }
  };
  return settings;
}

}  // namespace

EventForwarder::EventForwarder(EventForwarding settings, Logger& logger)
    : settings_(std::move(settings)),
      logger_(logger),
      pool_(dms::http::SessionPool::create(poolSettings(settings_))) {}

void EventForwarder::stop() noexcept {
  stop_.stop();
  aborter_.abortAll();  // after the stop: a POST being sent now sees one or the other
}

std::string EventForwarder::toJson(const DocumentEvent& event) {
  Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
  object.set("id", event.id);
  object.set("kind", std::string(toString(event.kind)));
  object.set("orderId", event.orderId);
  object.set("assetId", event.assetId);
  object.set("path", event.path);
  if (!event.previousPath.empty()) object.set("previousPath", event.previousPath);
  Poco::JSON::Object::Ptr metadata(new Poco::JSON::Object);
  for (const auto& [key, value] : event.metadata) metadata->set(key, value);
  object.set("metadata", metadata);
  object.set("time", event.time);
  if (!event.detail.empty()) object.set("detail", event.detail);
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

std::string EventForwarder::signature(const std::string& secret, const std::string& body) {
  Poco::HMACEngine<Sha256> hmac(secret);
  hmac.update(body);
  return "sha256=" + Poco::DigestEngine::digestToHex(hmac.digest());
}

Status EventForwarder::deliver(const DocumentEvent& event) noexcept {
  try {
    const std::string body = toJson(event);
    if (!settings_.webhookUrl.empty())
      if (auto s = post(body); !s) return s;
    if (!settings_.file.empty())
      if (auto s = append(body); !s) return s;
    logger_.debug(kSource, std::string("event ") + event.id + " (" + toString(event.kind) +
                               ", order " + std::to_string(event.orderId) + ") forwarded");
    return {};
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal, std::string("event ") + event.id + ": " + e.what());
  }
}

Status EventForwarder::post(const std::string& body) {
  const auto started = std::chrono::steady_clock::now();
  if (stop_.stopped()) return fail(ErrorCode::Cancelled, "events.webhook: stopping");
  // The URL may carry credentials in its query: messages name the host and port only.
  Poco::URI uri(settings_.webhookUrl);
  const std::string where =
      "events.webhook.url (" + uri.getHost() + ":" + std::to_string(uri.getPort()) + ")";
  auto origin = dms::http::Origin::of(uri);
  if (!origin) return fail(ErrorCode::InvalidArgument, where + ": " + origin.error().message);
  // A fresh connection each time: an event is not sent twice on a receiver's stale one.
  auto leased = pool_->acquire(*origin, true, stop_);
  if (!leased) return fail(leased.error().code, where + ": " + leased.error().message);
  dms::http::SessionPool::Lease& lease = *leased;
  lease.discard();                            // the answer is read no further than needed
  dms::http::ConnectionAborter::Watch watch;  // after the lease: released before it closes
  Status outcome;
  try {
    Poco::Net::HTTPClientSession& session = lease.session();
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    request.set("X-Dms-Signature", signature(settings_.webhookSecret, body));
    std::ostream& out = session.sendRequest(request);
    watch = aborter_.watch(lease, stop_);
    watch.awaitWhole(started);  // connecting took part of the time already
    out << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    in.ignore(64 * 1024);
    const int status = response.getStatus();
    if (status < 200 || status >= 300)
      outcome = fail(ErrorCode::Unavailable,
                     where + ": answered " + std::to_string(status) + " " + response.getReason());
  } catch (const Poco::Exception& e) {
    outcome = fail(ErrorCode::Unavailable, where + ": " + e.displayText());
  }
  // After a cut, whatever was read or Poco made of it is the stop or the timeout.
  if (watch.aborted()) return fail(ErrorCode::Cancelled, where + ": stopped");
  if (watch.expired())
    return fail(ErrorCode::Unavailable, where + ": timed out: " + watch.expiredBecause());
  return outcome;
}

Status EventForwarder::append(const std::string& body) {
  std::ofstream out(settings_.file, std::ios::app | std::ios::binary);
  if (out) out << body << '\n' << std::flush;
  if (!out)
    return fail(ErrorCode::Unavailable,
                "events.file: cannot append to '" + settings_.file.string() + "'");
  return {};
}

}  // namespace dms::host
