#pragma once
/// dms-host's document-event sink (HostServices::eventSink): each event the plugin hands over
/// becomes one JSON object (the "Document events" section of README.md) that is
///   - POSTed to events.webhook.url, signed with events.webhook.secret: the header
///     `X-Dms-Signature: sha256=<hex of HMAC-SHA256(secret, body)>`; any 2xx answer within
///     events.webhook.timeoutSeconds means taken; anything else (no answer, 4xx, 5xx) is
///     returned as an error, and the plugin offers the event again with backoff (its outbox:
///     events.retryMaxSeconds), before any later event of the same order;
///   - appended as one line to the file events.file (flushed before it counts as taken).
/// With both, the event counts as taken when both took it; a retry may repeat it in the one
/// that took it already: receivers dedupe by "id", as for every at-least-once delivery.
///
/// The webhook's POST (connecting, sending, the answer's head and body) ends within
/// events.webhook.timeoutSeconds, however the receiver trickles it (http-common's
/// ConnectionAborter cuts it): the error says it timed out, and the plugin offers the event again.
///
/// Threading: deliver() is called by the plugin one event at a time (never concurrently);
/// stop() from any thread.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "dms/Events.h"
#include "dms/Logger.h"
#include "dms/http/ConnectionAborter.h"
#include "dms/http/SessionPool.h"
#include "dms/http/StopSignal.h"

namespace dms::host {

struct EventForwarding {
  std::string webhookUrl;     ///< empty: no webhook
  std::string webhookSecret;  ///< HMAC key (never logged)
  std::chrono::milliseconds webhookTimeout{10'000};
  std::string webhookCaFile;   ///< extra CA for an https webhook; empty: the system's CAs
  std::filesystem::path file;  ///< empty: no file
  bool any() const { return !webhookUrl.empty() || !file.empty(); }
};

class EventForwarder final : public EventSink {
 public:
  EventForwarder(EventForwarding settings, Logger& logger);
  Status deliver(const DocumentEvent& event) noexcept override;
  /// Cuts a POST in flight at once and fails every later deliver() (the plugin keeps those
  /// events for the next run). Call before stopping the plugin.
  void stop() noexcept;

  /// The event as the webhook and the file get it: one JSON object, no newline.
  static std::string toJson(const DocumentEvent& event);
  /// "sha256=<lower-case hex HMAC-SHA256 of body under secret>".
  static std::string signature(const std::string& secret, const std::string& body);

 private:
  Status post(const std::string& body);
  Status append(const std::string& body);

  EventForwarding settings_;
  Logger& logger_;
  dms::http::StopSignal stop_;
  std::shared_ptr<dms::http::SessionPool> pool_;  ///< the webhook's connection (one at a time)
  dms::http::ConnectionAborter aborter_{"events.webhook.timeoutSeconds"};
};

}  // namespace dms::host
