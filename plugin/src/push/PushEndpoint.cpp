#include "push/PushEndpoint.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/URI.h>

#include <chrono>
#include <sstream>

#include "api/PushParser.h"

namespace ambita::push {
namespace {

constexpr const char* kSource = "ambita.push";

dms::HttpResponse json(int status, const Poco::JSON::Object& body) {
  std::ostringstream out;
  body.stringify(out);
  return dms::HttpResponse{status, "application/json", out.str()};
}

dms::HttpResponse error(int status, const std::string& message) {
  Poco::JSON::Object body;
  body.set("error", message);
  return json(status, body);
}

}  // namespace

bool PushEndpoint::constantTimeEquals(const std::string& a, const std::string& b) {
  // Walk the longer length whatever the content, folding every difference into one value.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

dms::HttpResponse PushEndpoint::refuse(metrics::PushRejection reason, int status,
                                       const std::string& message) {
  if (metrics_ != nullptr) metrics_->rejected(reason);
  return error(status, message);
}

dms::HttpResponse PushEndpoint::handle(const dms::HttpRequest& request) noexcept {
  try {
    if (metrics_ != nullptr) metrics_->received();
    refusals_.flushIfDue();
    openRoutePushes_.flushIfDue();
    if (request.body.size() > maxBytes_)
      return refuse(metrics::PushRejection::TooLarge, 413,
                    "push message larger than " + std::to_string(maxBytes_) + " bytes");
    if (!secret_.empty()) {
      std::string token;
      bool present = false;
      Poco::URI::QueryParameters parameters;
      try {
        parameters = Poco::URI("/?" + request.query).getQueryParameters();
      } catch (const Poco::SyntaxException&) {
        // The client's mistake (e.g. "%zz"), not ours: 400, and the query is still not logged.
        refusals_.refused(
            "answered 400", dms::LogLevel::Warning,
            "push from " + request.remoteAddress + " refused: malformed query string");
        return refuse(metrics::PushRejection::BadQuery, 400,
                      "malformed query string: bad percent-encoding");
      }
      for (const auto& [name, value] : parameters) {
        if (name == "token") {
          token = value;
          present = true;
        }
      }
      if (!present) {
        refusals_.refused("answered 401", dms::LogLevel::Warning,
                          "push from " + request.remoteAddress + " refused: no token");
        return refuse(metrics::PushRejection::NoToken, 401,
                      "token required: the callback URL must carry ?token=<push.secret>");
      }
      if (!constantTimeEquals(token, secret_)) {
        refusals_.refused("answered 403", dms::LogLevel::Warning,
                          "push from " + request.remoteAddress + " refused: wrong token");
        return refuse(metrics::PushRejection::WrongToken, 403, "wrong token");
      }
    }
    auto message = api::PushParser::parse(request.body);
    if (!message) {
      refusals_.refused(
          "answered 400", dms::LogLevel::Warning,
          "push from " + request.remoteAddress + " refused: " + message.error().message);
      return refuse(metrics::PushRejection::BadMessage, 400, message.error().message);
    }
    if (auto s = inbox_.add(*message, "push"); !s) {
      refusals_.refused("answered 503", dms::LogLevel::Error,
                        "push for order " + std::to_string(message->orderCollectionId) +
                            " could not be stored: " + s.error().describe());
      if (metrics_ != nullptr) metrics_->rejected(metrics::PushRejection::NotStored);
      Poco::JSON::Object body;
      body.set("error", "push message could not be stored; try again");
      // The host's HttpResponse carries no headers (interface 1.1): the wait goes in the body.
      if (s.error().retryAfter)
        body.set("retryAfterSeconds",
                 std::chrono::duration_cast<std::chrono::seconds>(*s.error().retryAfter).count());
      return json(503, body);
    }
    const std::string queued =
        "push " + (message->status.empty() ? std::string("(no status)") : message->status) +
        " for order " + std::to_string(message->orderCollectionId) + " queued";
    // With a secret, only its holder (Ambita) gets here: one line a push. Without one, anyone
    // does, as often as they like.
    if (secret_.empty())
      openRoutePushes_.refused("queued", dms::LogLevel::Info,
                               queued + " (from " + request.remoteAddress + ", no token asked)");
    else
      logger_.info(kSource, queued);
    Poco::JSON::Object body;
    body.set("status", "queued");
    body.set("orderCollectionId", message->orderCollectionId);
    return json(200, body);
  } catch (const std::exception& e) {
    return error(500, std::string("internal error: ") + e.what());
  } catch (...) {
    return error(500, "internal error");
  }
}

}  // namespace ambita::push
