// Every option of every schema dms-host validates (its own keys, the Ambita plugin's, both
// connectors'), written both ways: with dots as a JSON key ("push.secret" inside "ambita", or
// "ambita.push.secret" at the top level), which must be refused with the nested spelling named,
// and nested with a value of the wrong type, which must be refused naming the option's path.
// A dotted key must never pass as valid and then be ignored by the module reading the option.
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <fstream>
#include <sstream>

#include "HostSetup.h"
#include "JsonConfigFile.h"
#include "StderrLogger.h"
#include "dms/ModuleLoader.h"
#include "support/TempDir.h"

namespace {

using dms::ConfigOption;
using dms::ConfigSchema;
using dms::OptionType;
using dms::host::HostSetup;

const std::filesystem::path kModules = DMS_MODULE_DIR;

/// One section's options and the connector the configuration uses while testing them.
struct SectionUnderTest {
  std::string section;  ///< "" (top level), "target" or "ambita"
  std::string connector;
  ConfigSchema schema;
};

Poco::Dynamic::Var validValue(OptionType type) {
  switch (type) {
    case OptionType::String:
      return std::string("x");
    case OptionType::Integer:
    case OptionType::Number:
      return 3;
    case OptionType::Boolean:
      return true;
    case OptionType::StringList: {
      Poco::JSON::Array::Ptr list(new Poco::JSON::Array);
      list->add(std::string("x"));
      return list;
    }
    case OptionType::StringMap:
    case OptionType::Object: {
      Poco::JSON::Object::Ptr map(new Poco::JSON::Object(true));
      map->set("k", std::string("x"));
      return map;
    }
    case OptionType::RenamedTo:
      break;  // old spellings are checked by EveryOldSpellingIsRead...
  }
  return {};
}

Poco::Dynamic::Var wrongValue(OptionType type) {
  if (type == OptionType::String) return 42;
  return std::string("lots");
}

/// Sets `value` at the dotted `path` below `root`, creating the objects on the way.
void setNested(const Poco::JSON::Object::Ptr& root, const std::string& path,
               const Poco::Dynamic::Var& value) {
  Poco::JSON::Object::Ptr node = root;
  std::size_t start = 0;
  for (auto dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
    const std::string part = path.substr(start, dot - start);
    if (!node->has(part) || node->get(part).type() != typeid(Poco::JSON::Object::Ptr))
      node->set(part, Poco::JSON::Object::Ptr(new Poco::JSON::Object(true)));
    node = node->getObject(part);
    start = dot + 1;
  }
  node->set(path.substr(start), value);
}

class OptionSpelling : public ::testing::Test {
 protected:
  /// A configuration the host accepts for `connector`; the options under test are added to it.
  Poco::JSON::Object::Ptr baseConfig(const std::string& connector) const {
    Poco::JSON::Object::Ptr root(new Poco::JSON::Object(true));
    root->set("dataDir", (dir_.path() / "data").string());
    root->set("modules", kModules.string());
    Poco::JSON::Object::Ptr target(new Poco::JSON::Object(true));
    target->set("connector", connector);
    if (connector == "filesystem") target->set("root", (dir_.path() / "archive").string());
    if (connector == "webdav") target->set("url", std::string("http://127.0.0.1:1/dav/"));
    root->set("target", target);
    Poco::JSON::Object::Ptr ambita(new Poco::JSON::Object(true));
    for (const std::string key : {"clientId", "clientSecret", "username", "password"})
      ambita->set(key, "value-of-" + key);  // written in the file: a warning, not an error
    root->set("ambita", ambita);
    return root;
  }

  /// The issues HostSetup reports for `root`, as "path: message" lines.
  std::vector<std::string> issuesOf(const Poco::JSON::Object::Ptr& root) {
    const auto file = dir_.path() / "config.json";
    std::ofstream(file) << dms::host::JsonConfigFile::toJson(root);
    std::ostringstream log;
    dms::host::StderrLogger logger(log);
    HostSetup setup(logger, kModules, "dms-host test");
    auto loaded = setup.load(file);
    EXPECT_TRUE(loaded.ok()) << loaded.error().describe();
    std::vector<std::string> lines;
    for (const auto& issue : setup.issues())
      if (!issue.warning) lines.push_back(issue.describe());
    return lines;
  }

  std::vector<SectionUnderTest> everySection() const {
    std::vector<SectionUnderTest> sections;
    dms::ModuleLoader loader;
    auto plugin = loader.loadPlugin(dms::ModuleLoader::pluginFile(kModules, "ambita"));
    EXPECT_TRUE(plugin.ok()) << plugin.report().message;
    if (plugin.ok()) {
      const auto section = plugin.factory()->info().configSection;
      sections.push_back({"", "filesystem", HostSetup::hostSchema(section, "ambita")});
      sections.push_back({section, "filesystem", plugin.factory()->configSchema()});
    }
    for (const std::string connector : {"filesystem", "webdav"}) {
      auto module = loader.loadConnector(dms::ModuleLoader::connectorFile(kModules, connector));
      EXPECT_TRUE(module.ok()) << module.report().message;
      if (module.ok()) sections.push_back({"target", connector, module.factory()->configSchema()});
    }
    return sections;
  }

  dms::test::TempDir dir_;
};

bool contains(const std::vector<std::string>& lines, const std::string& wanted) {
  return std::find(lines.begin(), lines.end(), wanted) != lines.end();
}

bool anyStartsWith(const std::vector<std::string>& lines, const std::string& prefix) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return line.starts_with(prefix); });
}

/// `"a": {"b": {"c": ...}}` for "a.b.c".
std::string nested(const std::string& dotted) {
  std::string text;
  std::size_t start = 0;
  std::size_t depth = 0;
  for (auto dot = dotted.find('.'); dot != std::string::npos; dot = dotted.find('.', start)) {
    text += "\"" + dotted.substr(start, dot - start) + "\": {";
    start = dot + 1;
    ++depth;
  }
  return text + "\"" + dotted.substr(start) + "\": ..." + std::string(depth, '}');
}

TEST_F(OptionSpelling, TheBaseConfigurationsAreValid) {
  for (const std::string connector : {"filesystem", "webdav"})
    EXPECT_TRUE(issuesOf(baseConfig(connector)).empty())
        << testing::PrintToString(issuesOf(baseConfig(connector)));
}

TEST_F(OptionSpelling, EveryOptionWrittenWithDotsIsRefusedNamingTheNestedSpelling) {
  std::size_t checked = 0;
  for (const auto& [section, connector, schema] : everySection()) {
    for (const ConfigOption& option : schema.options) {
      if (dms::isRenamedOption(option)) continue;  // an old spelling, checked below
      const std::string path = section.empty() ? option.key : section + "." + option.key;
      if (path.find('.') != std::string::npos) {
        // The whole path as one key at the top level.
        auto root = baseConfig(connector);
        root->set(path, validValue(option.type));
        EXPECT_TRUE(contains(issuesOf(root),
                             "\"" + path + "\" is not a key; write it nested: " + nested(path)))
            << path << ": " << testing::PrintToString(issuesOf(root));
        ++checked;
      }
      if (!section.empty() && option.key.find('.') != std::string::npos) {
        // The option's key as one key inside its section, as the README's tables spell it.
        auto root = baseConfig(connector);
        Poco::JSON::Object::Ptr sectionObject =
            root->has(section) ? root->getObject(section)
                               : Poco::JSON::Object::Ptr(new Poco::JSON::Object(true));
        sectionObject->set(option.key, validValue(option.type));
        root->set(section, sectionObject);
        EXPECT_TRUE(
            contains(issuesOf(root), section + ": \"" + option.key +
                                         "\" is not a key; write it nested: " + nested(option.key)))
            << path << ": " << testing::PrintToString(issuesOf(root));
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 30u);  // the plugin alone has more dotted options than that
}

TEST_F(OptionSpelling, EveryOptionNestedWithAWrongTypeIsRefusedNamingItsPath) {
  std::size_t checked = 0;
  for (const auto& [section, connector, schema] : everySection()) {
    for (const ConfigOption& option : schema.options) {
      if (dms::isRenamedOption(option)) continue;  // an old spelling, checked below
      const std::string path = section.empty() ? option.key : section + "." + option.key;
      auto root = baseConfig(connector);
      setNested(root, path, wrongValue(option.type));
      EXPECT_TRUE(anyStartsWith(issuesOf(root), path + ": expected "))
          << path << ": " << testing::PrintToString(issuesOf(root));
      ++checked;
    }
  }
  EXPECT_GT(checked, 40u);
}

// Issue 8: an option renamed for one spelling per concept is still read under its old name:
// `config check` warns naming the new spelling, `config show` shows the new key, and giving
// both spellings is an error. The modules declare their renames; every one is checked.
TEST_F(OptionSpelling, EveryOldSpellingIsReadWithAWarningAndNeverBesideTheNewOne) {
  std::size_t checked = 0;
  for (const auto& [section, connector, schema] : everySection()) {
    for (const auto& rename : dms::renamesOf(schema)) {
      const auto prefix = section.empty() ? std::string() : section + ".";
      const std::string oldPath = prefix + rename.oldKey, newPath = prefix + rename.newKey;
      auto root = baseConfig(connector);
      setNested(root, oldPath, 3);
      const auto file = dir_.path() / "config.json";
      std::ofstream(file) << dms::host::JsonConfigFile::toJson(root);
      std::ostringstream log;
      dms::host::StderrLogger logger(log);
      HostSetup setup(logger, kModules, "dms-host test");
      ASSERT_TRUE(setup.load(file).ok());
      EXPECT_TRUE(setup.valid()) << oldPath;
      std::size_t warnings = 0;
      for (const auto& issue : setup.issues())
        warnings +=
            issue.warning && issue.describe().starts_with(oldPath + ": renamed to " + newPath) ? 1
                                                                                               : 0;
      EXPECT_EQ(warnings, 1u) << oldPath;
      const std::string shown = dms::host::JsonConfigFile::toJson(setup.adminView());
      const auto leaf = newPath.substr(newPath.rfind('.') + 1);
      EXPECT_NE(shown.find("\"" + leaf + "\":" + std::to_string(3 + rename.addToValue)),
                std::string::npos)
          << shown;

      setNested(root, newPath, 3);
      EXPECT_TRUE(anyStartsWith(issuesOf(root), oldPath + ": old spelling of " + newPath))
          << testing::PrintToString(issuesOf(root));
      ++checked;
    }
  }
  EXPECT_GE(checked, 3u);  // the WebDAV connector's timeoutSeconds, retries, retryDelayMs
}

}  // namespace
