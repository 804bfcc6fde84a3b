#pragma once
/// `state.url` (top-level key): where the plugin keeps its state, a database URL such as
/// postgresql://user:password@host:5432/database handed to the plugin as
/// HostServices::stateUrl. Its password sits inside the value, so the option as a whole is not
/// a secret: the host masks just the password (config show, the log) and keeps the rest
/// readable, since host, port and database are what an administrator checks.

#include <string>
#include <vector>

namespace dms::host {

class StateUrl {
 public:
  /// The password as written in `url` (between "user:" and the '@' before the host), and its
  /// percent-decoded form when it differs (what the database client sends); empty when the
  /// URL has none. For the logger's masking.
  static std::vector<std::string> passwordSpellings(const std::string& url);

  /// `url` with its password replaced by ******** (unchanged when it has none).
  static std::string masked(const std::string& url);
};

}  // namespace dms::host
