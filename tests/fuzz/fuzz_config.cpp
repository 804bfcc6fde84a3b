// A dms-host configuration file: JSON text, ${ENV} expansion (with and without defaults),
// validation of the "ambita" and "target" sections against the schemas the plugin and the
// WebDAV connector declare (with the connector's old spellings, RenamedTo entries), the masked
// admin view, and the WebDAV options parser. Whatever the file says, the answer is a
// configuration or issues that name a key, never a crash.
#include <optional>

#include "AmbitaPluginFactory.h"
#include "EnvExpander.h"
#include "FuzzInput.h"
#include "JsonConfigFile.h"
#include "SchemaValidator.h"
#include "dms/webdav/WebDavConnectorFactory.h"
#include "dms/webdav/WebDavOptions.h"

namespace {

/// A fixed environment: the fuzzer cannot depend on the machine's.
std::optional<std::string> environment(const std::string& name) {
  if (name == "AMBITA_PASSWORD") return std::string("fuzz-password");
  if (name == "EMPTY") return std::string();
  if (name == "HOME") return std::string("/home/fuzz");
  return std::nullopt;
}

void requireNamed(const dms::host::ConfigIssues& issues) {
  for (const auto& issue : issues)
    dms::fuzz::require(!issue.message.empty(), "a configuration issue says what is wrong");
}

void validateSection(const Poco::JSON::Object::Ptr& root, const std::string& key,
                     const dms::ConfigSchema& schema, const std::set<std::string>& expanded) {
  Poco::JSON::Object::Ptr section = root->getObject(key);  // null when absent or not an object
  auto checked = dms::host::SchemaValidator::validate(section, schema, key, expanded);
  requireNamed(checked.issues);
  if (checked.effective)
    (void)dms::host::SchemaValidator::masked(checked.effective, checked.secretPaths, key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = dms::fuzz::text(data, size);
  (void)dms::webdav::WebDavOptions::parse(text);
  auto root = dms::host::JsonConfigFile::parse(text, "fuzz.json");
  if (!root) return 0;
  dms::host::EnvExpander expander(environment);
  requireNamed(expander.expand(*root));
  // Schemas are built once: making them is not what is being fuzzed.
  static const dms::ConfigSchema pluginSchema = ambita::AmbitaPluginFactory().configSchema();
  static const dms::ConfigSchema targetSchema =
      dms::webdav::WebDavConnectorFactory().configSchema();
  validateSection(*root, "ambita", pluginSchema, expander.expandedPaths());
  validateSection(*root, "target", targetSchema, expander.expandedPaths());
  (void)dms::host::JsonConfigFile::toJson(*root);
  return 0;
}
