#include "support/WebDriverSession.h"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/Loopback.h"

namespace dms::test {

namespace {

/// The W3C key for an element reference in answers and arguments.
constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";

Poco::JSON::Object::Ptr object() {
  return new Poco::JSON::Object;
}

}  // namespace

WebDriverSession::WebDriverSession(int width, int height) {
  port_ = freeLoopbackPort();
  driver_ = std::make_unique<ChildProcess>(std::vector<std::string>{
      "chromedriver", "--port=" + std::to_string(port_), "--allowed-ips=127.0.0.1"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!acceptsOnLoopback(port_)) {
    if (!driver_->running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("chromedriver did not start: " + driver_->err());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Poco::JSON::Array::Ptr args = new Poco::JSON::Array;
  // --no-sandbox: tests may run as root (CI containers), where Chromium's sandbox refuses.
  for (const std::string& arg : std::vector<std::string>{
           "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile_.path().string(),
           "--window-size=" + std::to_string(width) + "," + std::to_string(height)})
    args->add(arg);
  auto chrome = object();
  chrome->set("args", args);
  chrome->set("binary", "/usr/bin/chromium");
  auto always = object();
  always->set("browserName", "chrome");
  always->set("goog:chromeOptions", chrome);
  auto capabilities = object();
  capabilities->set("alwaysMatch", always);
  auto body = object();
  body->set("capabilities", capabilities);
  auto value = command("POST", "/session", body).extract<Poco::JSON::Object::Ptr>();
  session_ = value->getValue<std::string>("sessionId");
}

WebDriverSession::~WebDriverSession() {
  try {
    if (!session_.empty()) command("DELETE", "/session/" + session_);
  } catch (...) {  // NOLINT: the driver is stopped below either way
  }
  driver_->stop(SIGTERM, std::chrono::seconds(10));
}

Poco::Dynamic::Var WebDriverSession::command(const std::string& method, const std::string& path,
                                             const Poco::JSON::Object::Ptr& body) {
  Poco::Net::HTTPClientSession http("127.0.0.1", static_cast<Poco::UInt16>(port_));
  http.setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  std::string text;
  if (body || method == "POST") {
    std::ostringstream json;
    Poco::JSON::Stringifier::stringify(body ? body : object(), json);
    text = json.str();
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(text.size()));
  }
  http.sendRequest(request) << text;
  Poco::Net::HTTPResponse response;
  std::string answer;
  Poco::StreamCopier::copyToString(http.receiveResponse(response), answer);
  Poco::JSON::Parser parser;
  auto parsed = parser.parse(answer).extract<Poco::JSON::Object::Ptr>();
  auto value = parsed->get("value");
  if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
    std::string error = answer.substr(0, 500);
    if (value.type() == typeid(Poco::JSON::Object::Ptr))
      error = value.extract<Poco::JSON::Object::Ptr>()->optValue<std::string>("message", error);
    throw std::runtime_error("WebDriver " + method + " " + path + ": " + error);
  }
  return value;
}

void WebDriverSession::navigate(const std::string& url) {
  auto body = object();
  body->set("url", url);
  command("POST", "/session/" + session_ + "/url", body);
}

std::string WebDriverSession::find(const std::string& css) {
  auto body = object();
  body->set("using", "css selector");
  body->set("value", css);
  auto value = command("POST", "/session/" + session_ + "/element", body);
  return value.extract<Poco::JSON::Object::Ptr>()->getValue<std::string>(kElementKey);
}

std::string WebDriverSession::waitFor(const std::string& css, std::chrono::milliseconds timeout) {
  std::string found;
  const bool shown = waitUntil(
      [&] {
        try {
          found = find(css);
          return command("GET", "/session/" + session_ + "/element/" + found + "/displayed")
              .convert<bool>();
        } catch (const std::runtime_error&) {
          return false;
        }
      },
      timeout);
  if (!shown) throw std::runtime_error("no displayed element matches '" + css + "'");
  return found;
}

void WebDriverSession::click(const std::string& element) {
  command("POST", "/session/" + session_ + "/element/" + element + "/click", object());
}

void WebDriverSession::type(const std::string& element, const std::string& text) {
  auto body = object();
  body->set("text", text);
  command("POST", "/session/" + session_ + "/element/" + element + "/value", body);
}

std::string WebDriverSession::text(const std::string& element) {
  return command("GET", "/session/" + session_ + "/element/" + element + "/text").toString();
}

Poco::Dynamic::Var WebDriverSession::execute(const std::string& script) {
  auto body = object();
  body->set("script", script);
  body->set("args", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
  return command("POST", "/session/" + session_ + "/execute/sync", body);
}

bool WebDriverSession::waitUntil(const std::function<bool()>& condition,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void WebDriverSession::screenshot(const std::filesystem::path& file) {
  const std::string base64 = command("GET", "/session/" + session_ + "/screenshot").toString();
  std::istringstream in(base64);
  Poco::Base64Decoder decoder(in);
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  Poco::StreamCopier::copyStream(decoder, out);
}

}  // namespace dms::test
