// The option tables of the READMEs against the schemas the modules declare (the schemas are
// what parsing, `config check` and `config show` use): every option is in its README once,
// with its type, its default and whether it is secret, and the README names no option that
// does not exist. So a README cannot drift from the code again (issue 8).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "AmbitaPlugin.h"
#include "HostSetup.h"
#include "MarkdownTables.h"
#include "dms/filesystem/FilesystemConnectorFactory.h"
#include "dms/webdav/WebDavOptions.h"

namespace dms::test {
namespace {

const std::filesystem::path kSource = DMS_SOURCE_DIR;

std::string typeWord(OptionType type) {
  switch (type) {
    case OptionType::String:
      return "string";
    case OptionType::Integer:
      return "integer";
    case OptionType::Number:
      return "number";
    case OptionType::Boolean:
      return "boolean";
    case OptionType::StringList:
      return "list";
    case OptionType::StringMap:
      return "map";
    case OptionType::Object:
      return "object";
    case OptionType::RenamedTo:
      break;  // no option: the READMEs describe old spellings in prose
  }
  return "?";
}

/// A default as a README writes it: JSON strings without their quotes.
std::string unquoted(std::string text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    text = text.substr(1, text.size() - 2);
  return text;
}

/// One option as a README table row describes it.
struct Documented {
  std::string type;
  std::string defaultText;  ///< the code span of the default cell, "" when none
  bool secret = false;
  std::string row;  ///< for messages
};

/// Every option row of the tables with "key", "type" and "default" columns in `readme`.
std::map<std::string, Documented> documentedOptions(const std::filesystem::path& readme) {
  std::map<std::string, Documented> options;
  for (const auto& table : tablesIn(readText(readme))) {
    const int key = table.column("key"), type = table.column("type"),
              defaults = table.column("default"), secret = table.column("secret");
    if (key < 0 || type < 0 || defaults < 0) continue;
    for (const auto& row : table.rows) {
      if (static_cast<int>(row.size()) <= std::max({key, type, defaults})) continue;
      const std::string& keyCell = row[key];
      const auto keys = codeSpans(keyCell);
      const auto defaultSpans = codeSpans(row[defaults]);
      std::string rowText;
      for (const auto& cell : row) rowText += cell + " | ";
      for (std::size_t i = 0; i < keys.size(); ++i) {
        Documented d;
        d.type = row[type].substr(0, row[type].find(' '));
        if (defaultSpans.size() == keys.size())
          d.defaultText = unquoted(defaultSpans[i]);
        else if (defaultSpans.size() == 1)
          d.defaultText = unquoted(defaultSpans[0]);
        // "`username`, `password` (secret)": the words after a key, up to the next key.
        const auto at = keyCell.find("`" + keys[i] + "`") + keys[i].size() + 2;
        const std::string after = keyCell.substr(at, keyCell.find('`', at) - at);
        d.secret = secret >= 0
                       ? row[secret] == "yes"
                       : after.find("secret") != std::string::npos ||
                             (keys.size() == 1 && row[type].find("secret") != std::string::npos);
        d.row = rowText;
        EXPECT_TRUE(options.emplace(keys[i], d).second)
            << readme << ": `" << keys[i] << "` is described twice";
      }
    }
  }
  return options;
}

/// The README of one module against its schema; `hostKeys` are keys the host adds.
void expectTablesMatch(const std::filesystem::path& readme, const ConfigSchema& schema,
                       const std::set<std::string>& hostKeys = {}) {
  auto documented = documentedOptions(readme);
  ASSERT_FALSE(documented.empty()) << readme << " has no option table";
  for (const auto& option : schema.options) {
    if (isRenamedOption(option)) continue;
    SCOPED_TRACE(readme.string() + ": " + option.key);
    auto it = documented.find(option.key);
    if (it == documented.end()) {
      ADD_FAILURE() << "the option `" << option.key << "` is missing from the README's table";
      continue;
    }
    const Documented& d = it->second;
    EXPECT_EQ(d.type, typeWord(option.type)) << d.row;
    EXPECT_EQ(d.defaultText, unquoted(option.defaultJson)) << d.row;
    EXPECT_EQ(d.secret, option.secret) << d.row;
    documented.erase(it);
  }
  for (const auto& key : hostKeys) documented.erase(key);
  for (const auto& [key, d] : documented)
    ADD_FAILURE() << readme << ": `" << key << "` is not an option of the schema: " << d.row;
}

TEST(ReadmeOptionTables, PluginReadmeMatchesThePluginSchema) {
  expectTablesMatch(kSource / "plugin/README.md", ambita::AmbitaPlugin::configSchema());
}

TEST(ReadmeOptionTables, FilesystemReadmeMatchesItsSchema) {
  expectTablesMatch(kSource / "connectors/filesystem/README.md",
                    filesystem::FilesystemConnectorFactory().configSchema(), {"connector"});
}

TEST(ReadmeOptionTables, WebDavReadmeMatchesItsSchema) {
  expectTablesMatch(kSource / "connectors/webdav/README.md", webdav::WebDavOptions::schema(),
                    {"connector"});
}

// README.md's configuration table ("Key | Meaning") names the host's keys with their defaults
// ("default `8`") and points into the modules' sections: every name must exist.
TEST(ReadmeOptionTables, TopLevelReadmeNamesTheHostKeysAndRealModuleKeys) {
  const auto readme = readText(kSource / "README.md");
  std::map<std::string, std::string> rows;  // key -> meaning
  for (const auto& table : tablesIn(section(readme, "Configuration"))) {
    if (table.column("key") != 0 || table.column("meaning") != 1) continue;
    for (const auto& row : table.rows)
      if (row.size() >= 2)
        for (const auto& key : codeSpans(row[0])) rows[key] = row[1];
  }
  ASSERT_FALSE(rows.empty()) << "README.md has no configuration table";

  const ConfigSchema host = host::HostSetup::hostSchema("ambita", "ambita");
  for (const auto& option : host.options) {
    // Sections are described key by key; old spellings in prose.
    if (option.type == OptionType::Object || isRenamedOption(option)) continue;
    auto it = rows.find(option.key);
    if (it == rows.end()) {
      ADD_FAILURE() << "README.md: the host key `" << option.key << "` is missing";
      continue;
    }
    if (!option.defaultJson.empty()) {
      EXPECT_NE(it->second.find("default `" + unquoted(option.defaultJson) + "`"),
                std::string::npos)
          << option.key << ": " << it->second;
    }
  }

  std::set<std::string> known;
  for (const auto& option : host.options)
    if (!isRenamedOption(option)) known.insert(option.key);
  known.insert("target.connector");
  for (const auto& o : filesystem::FilesystemConnectorFactory().configSchema().options)
    if (!isRenamedOption(o)) known.insert("target." + o.key);
  for (const auto& o : webdav::WebDavOptions::schema().options)
    if (!isRenamedOption(o)) known.insert("target." + o.key);
  for (const auto& o : ambita::AmbitaPlugin::configSchema().options) {
    if (isRenamedOption(o)) continue;
    known.insert("ambita." + o.key);
    known.insert("ambita." + o.key.substr(0, o.key.find('.')) + ".*");  // "ambita.push.*"
  }
  for (const auto& [key, meaning] : rows)
    EXPECT_EQ(known.count(key), 1u) << "README.md names `" << key << "`, which is no option";
}

}  // namespace
}  // namespace dms::test
