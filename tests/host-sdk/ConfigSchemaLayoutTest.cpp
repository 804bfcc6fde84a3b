// dms::ConfigSchema is returned by value from a module's configSchema() across the module
// boundary, so a 1.1 host reads the ConfigSchema a 1.0 module built. Its layout and
// ConfigOption's are therefore those of interface 1.0 for every 1.x (host-sdk/README.md,
// Versioning); what 1.1 added (earlier spellings of options) travels as entries of
// OptionType::RenamedTo. These checks stop a later change from adding a member again.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dms/ConfigSchema.h"

namespace {

/// ConfigOption exactly as interface 1.0 declared it (git show b995c39:host-sdk/include/dms/
/// ConfigSchema.h), with the enum spelled as its underlying type. With libstdc++ on x86-64 that
/// is three 32-byte strings, the 4-byte enum padded to 8 before the second string and the two
/// bools padded to 8 before the third: 112 bytes, aligned to 8.
struct ConfigOptionOfInterface10 {
  std::string key;
  int type;
  std::string defaultJson;
  bool required;
  bool secret;
  std::string help;
};

static_assert(sizeof(dms::OptionType) == sizeof(int),
              "OptionType keeps int as its underlying type: ConfigOption::type is read by both");
static_assert(sizeof(dms::ConfigOption) == sizeof(ConfigOptionOfInterface10),
              "ConfigOption crosses the module boundary inside ConfigSchema: no member may be "
              "added within interface major 1");
static_assert(alignof(dms::ConfigOption) == alignof(ConfigOptionOfInterface10));
static_assert(sizeof(dms::ConfigSchema) == sizeof(std::vector<dms::ConfigOption>),
              "ConfigSchema is returned by value from 1.0 modules too: it holds the option "
              "vector and nothing else within interface major 1");
static_assert(alignof(dms::ConfigSchema) == alignof(std::vector<dms::ConfigOption>));
// A 1.0 module writes these numbers into ConfigOption::type.
static_assert(static_cast<int>(dms::OptionType::String) == 0);
static_assert(static_cast<int>(dms::OptionType::Integer) == 1);
static_assert(static_cast<int>(dms::OptionType::Number) == 2);
static_assert(static_cast<int>(dms::OptionType::Boolean) == 3);
static_assert(static_cast<int>(dms::OptionType::StringList) == 4);
static_assert(static_cast<int>(dms::OptionType::StringMap) == 5);
static_assert(static_cast<int>(dms::OptionType::Object) == 6);

TEST(ConfigSchemaRenames, AnOldSpellingIsAnEntryInTheDocumentedForm) {
  const dms::ConfigOption entry = dms::renamedOption("retries", "maxAttempts", 1);
  EXPECT_EQ(entry.key, "retries");
  EXPECT_EQ(entry.type, dms::OptionType::RenamedTo);
  EXPECT_EQ(entry.defaultJson, R"({"to":"maxAttempts","add":1})");
  EXPECT_FALSE(entry.required);
  EXPECT_FALSE(entry.secret);
  EXPECT_TRUE(dms::isRenamedOption(entry));

  const auto rename = dms::renameOf(entry);
  ASSERT_TRUE(rename);
  EXPECT_EQ(rename->oldKey, "retries");
  EXPECT_EQ(rename->newKey, "maxAttempts");
  EXPECT_EQ(rename->addToValue, 1);

  const auto lower = dms::renameOf(dms::renamedOption("filing.more", "filing.less", -12));
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->newKey, "filing.less");
  EXPECT_EQ(lower->addToValue, -12);
  const auto plain = dms::renameOf(dms::renamedOption("timeoutSeconds", "readTimeoutSeconds"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->addToValue, 0);
}

TEST(ConfigSchemaRenames, ASchemaAsA10ModuleReturnsItHasNoRenames) {
  const dms::ConfigSchema schema{{
      {"url", dms::OptionType::String, "", true, false, "where"},
      {"retries", dms::OptionType::Integer, "4", false, false, "attempts after the first"},
      {"extra", dms::OptionType::Object, "{\"to\":\"x\",\"add\":1}", false, false, ""},
  }};
  EXPECT_TRUE(dms::renamesOf(schema).empty());
  for (const auto& option : schema.options) EXPECT_FALSE(dms::isRenamedOption(option));
}

TEST(ConfigSchemaRenames, RenamesOfListsTheWellFormedEntriesInOrder) {
  dms::ConfigSchema schema{{{"maxAttempts", dms::OptionType::Integer, "5", false, false, ""},
                            dms::renamedOption("retries", "maxAttempts", 1),
                            dms::renamedOption("timeoutSeconds", "readTimeoutSeconds")}};
  schema.options.push_back({"broken", dms::OptionType::RenamedTo, "{}", false, false, ""});
  const auto renames = dms::renamesOf(schema);
  ASSERT_EQ(renames.size(), 2u);
  EXPECT_EQ(renames[0].oldKey, "retries");
  EXPECT_EQ(renames[1].oldKey, "timeoutSeconds");
  EXPECT_EQ(renames[1].newKey, "readTimeoutSeconds");
}

TEST(ConfigSchemaRenames, AnEntryNotInTheDocumentedFormDeclaresNoRename) {
  for (const std::string text :
       {"", "{}", R"({"to":"x"})", R"({"to":"","add":1})", R"({"to":"x","add":})",
        R"({"to":"x","add":1x})", R"({"to":"x","add":+1})", R"({"to":"x","add":1} )",
        R"( {"to":"x","add":1})", R"({"to":"x", "add":1})", R"({"to":"a\"b","add":1})",
        R"({"to":"x","add":99999999999999999999})", R"({"add":1,"to":"x"})"}) {
    const dms::ConfigOption entry{"old", dms::OptionType::RenamedTo, text, false, false, ""};
    EXPECT_FALSE(dms::renameOf(entry)) << text;
  }
  const dms::ConfigOption notARename{
      "old", dms::OptionType::String, R"({"to":"x","add":1})", false, false, ""};
  EXPECT_FALSE(dms::renameOf(notARename));
}

}  // namespace
