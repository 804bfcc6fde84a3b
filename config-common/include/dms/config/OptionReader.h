#pragma once
/// A module's options, read through the schema it declares: the one place where defaults and
/// types come from (the ConfigSchema), so that a parser never repeats them.
///
///   auto reader = OptionReader::parse(services.configJson, schema, "ambita");
///   if (!reader) return reader.error();      // "ambita: \"push.secret\" is not a key; ..."
///   long long n = reader->integer("filing.concurrency");   // the schema's default if absent
///
/// parse() validates the whole section with SchemaValidator, the code `dms-host config check`
/// runs: unknown keys, keys written with dots, wrong types and missing required options are
/// refused with the key path named, whichever host embeds the module. Asking for a key the
/// schema does not declare, or with another type than declared, is a bug in the module and
/// throws std::logic_error (modules catch it at their boundary).

#include <Poco/JSON/Object.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "dms/ConfigSchema.h"
#include "dms/Error.h"

namespace dms::config {

class OptionReader {
 public:
  /// `json` is the section as text (blank = {}); `prefix` its key path ("ambita", "target") for
  /// messages. `hostKeys` are keys the host itself puts into the section (the target's
  /// "connector"): accepted as strings, not the module's options.
  static Result<OptionReader> parse(const std::string& json, const ConfigSchema& schema,
                                    const std::string& prefix,
                                    const std::set<std::string>& hostKeys = {});
  static Result<OptionReader> read(const Poco::JSON::Object::Ptr& section,
                                   const ConfigSchema& schema, const std::string& prefix,
                                   const std::set<std::string>& hostKeys = {});

  /// The value given, else the schema's default; "" / 0 / false when neither (an optional
  /// option without default).
  std::string string(const std::string& key) const;
  long long integer(const std::string& key) const;
  double number(const std::string& key) const;  ///< Number options (integers are numbers too)
  bool boolean(const std::string& key) const;
  std::map<std::string, std::string> stringMap(const std::string& key) const;

  /// integer(key) when within [min, max], else an error naming the key path and the range.
  Result<long long> integerIn(const std::string& key, long long min, long long max) const;
  /// number(key) when finite and within [min, max], else an error naming the key path.
  Result<double> numberIn(const std::string& key, double min, double max) const;

  /// The full key path, "ambita.filing.concurrency", for messages.
  std::string path(const std::string& key) const;
  /// InvalidArgument "<path>: <what>".
  Error invalid(const std::string& key, const std::string& what) const;

  /// Things the administrator should change but that do not stop the module (an old spelling
  /// of a key), each naming the key path; the module logs them once when it starts.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  OptionReader() = default;
  const ConfigOption& declared(const std::string& key, OptionType type) const;
  /// The effective value (given or default); empty when neither.
  Poco::Dynamic::Var value(const std::string& key) const;

  ConfigSchema schema_;
  std::string prefix_;
  Poco::JSON::Object::Ptr effective_;
  std::vector<std::string> warnings_;
};

}  // namespace dms::config
