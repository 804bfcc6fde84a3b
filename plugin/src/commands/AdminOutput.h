#pragma once
/// Where an administrator's command writes, as text or (with --json) as one JSON document:
/// the one place that decides what goes to io.out and io.err for either form.

#include <Poco/JSON/Object.h>

#include <ostream>
#include <string>

#include "commands/CommandLine.h"
#include "dms/Plugin.h"
#include "status/StatusJson.h"

namespace ambita::commands {

/// Bad usage, thrown by a command and caught by AdminCommands::run: exit code 2, the problem
/// (naming the flag) and the command's usage line on io.err, nothing on io.out.
struct UsageError {
  std::string message;
};

class Output {
 public:
  Output(const dms::CommandIO& io, std::string command, bool json)
      : io_(io), command_(std::move(command)), json_(json) {}

  bool json() const { return json_; }
  /// Text for a person: io.out without --json, io.err with it (stdout holds only the JSON).
  std::ostream& text() { return json_ ? *io_.err : *io_.out; }
  /// Warnings and progress: always io.err.
  std::ostream& err() { return *io_.err; }
  const dms::CommandIO& io() const { return io_; }

  /// The work failed: "<command>: <message>" on io.err, or {"error": "<message>"} (on one
  /// line) on io.out with --json. Returns 1.
  int fail(const std::string& message) {
    if (json_)
      status::json::print(*io_.out, status::json::error(CommandLine::oneLine(message)));
    else
      *io_.err << command_ << ": " << message << "\n";
    return 1;
  }
  /// The command's JSON document (only with --json).
  void document(const Poco::JSON::Object::Ptr& doc) {
    if (json_) status::json::print(*io_.out, doc);
  }

 private:
  const dms::CommandIO& io_;
  std::string command_;
  bool json_;
};

}  // namespace ambita::commands
