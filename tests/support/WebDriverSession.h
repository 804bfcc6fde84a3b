#pragma once
/// A real headless Chromium for browser tests, driven over the W3C WebDriver HTTP protocol:
/// Debian's `chromedriver` (package chromium-driver) started on a free loopback port, one
/// browser session, a few commands (navigate, find, click, type, read, run a script,
/// screenshot). Poco::Net + Poco::JSON; no npm. The destructor ends the session and the driver.
/// Waits poll until a deadline; every failure throws std::runtime_error naming the command.

#include <Poco/JSON/Object.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "support/ChildProcess.h"
#include "support/TempDir.h"

namespace dms::test {

class WebDriverSession {
 public:
  /// Starts chromedriver and a headless Chromium (window `width` x `height`).
  explicit WebDriverSession(int width = 1280, int height = 900);
  ~WebDriverSession();
  WebDriverSession(const WebDriverSession&) = delete;
  WebDriverSession& operator=(const WebDriverSession&) = delete;

  void navigate(const std::string& url);
  /// The element id of the first element matching `css`; throws when there is none.
  std::string find(const std::string& css);
  /// Waits (polling) until an element matches `css` and is displayed; its id.
  std::string waitFor(const std::string& css,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void click(const std::string& element);
  void type(const std::string& element, const std::string& text);
  std::string text(const std::string& element);
  /// Runs `script` (a function body; `return` gives the result) in the page.
  Poco::Dynamic::Var execute(const std::string& script);
  /// Polls `condition` until it is true or `timeout` passes; returns its last answer.
  bool waitUntil(const std::function<bool()>& condition,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Writes a PNG of the viewport to `file`.
  void screenshot(const std::filesystem::path& file);

 private:
  /// One WebDriver command; the answer's "value". Throws on an HTTP error or a WebDriver error.
  Poco::Dynamic::Var command(const std::string& method, const std::string& path,
                             const Poco::JSON::Object::Ptr& body = nullptr);

  TempDir profile_{"dms-chromium"};
  int port_ = 0;
  std::unique_ptr<ChildProcess> driver_;
  std::string session_;
};

}  // namespace dms::test
