#include "dms/config/OptionReader.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

namespace dms::config {
namespace {

ConfigSchema schema() {
  ConfigSchema s;
  s.options = {
      {"name", OptionType::String, "\"ambita\"", false, false, ""},
      {"token", OptionType::String, "", false, true, ""},
      {"filing.concurrency", OptionType::Integer, "4", false, false, ""},
      {"filing.categories", OptionType::StringMap, "{}", false, false, ""},
      {"timeoutSeconds", OptionType::Number, "2.5", false, false, ""},
      {"readTimeoutSeconds", OptionType::Number, "60", false, false, ""},
      {"maxAttempts", OptionType::Integer, "5", false, false, ""},
      {"enabled", OptionType::Boolean, "true", false, false, ""},
      renamedOption("readTimeout", "readTimeoutSeconds"),
      renamedOption("retries", "maxAttempts", 1),
  };
  return s;
}

OptionReader read(const std::string& json) {
  auto reader = OptionReader::parse(json, schema(), "ambita");
  EXPECT_TRUE(reader) << reader.error().describe();
  if (!reader) throw std::runtime_error(reader.error().describe());
  return *reader;
}

TEST(OptionReader, AnEmptySectionGivesTheSchemasDefaults) {
  for (const std::string json : {"{}", "", "  \n"}) {
    const auto r = read(json);
    EXPECT_EQ(r.string("name"), "ambita");
    EXPECT_EQ(r.string("token"), "") << "no default: empty";
    EXPECT_EQ(r.integer("filing.concurrency"), 4);
    EXPECT_TRUE(r.stringMap("filing.categories").empty());
    EXPECT_DOUBLE_EQ(r.number("timeoutSeconds"), 2.5);
    EXPECT_EQ(r.integer("maxAttempts"), 5);
    EXPECT_TRUE(r.boolean("enabled"));
    EXPECT_TRUE(r.warnings().empty());
  }
}

TEST(OptionReader, GivenValuesWinAndNumbersAcceptIntegers) {
  const auto r = read(R"({"filing": {"concurrency": 8, "categories": {"A": "Aa"}},
                         "timeoutSeconds": 3, "enabled": false})");
  EXPECT_EQ(r.integer("filing.concurrency"), 8);
  EXPECT_EQ(r.stringMap("filing.categories"), (std::map<std::string, std::string>{{"A", "Aa"}}));
  EXPECT_DOUBLE_EQ(r.number("timeoutSeconds"), 3.0);
  EXPECT_FALSE(r.boolean("enabled"));
}

TEST(OptionReader, AskingForAnUndeclaredKeyOrAnotherTypeIsABug) {
  const auto r = read("{}");
  EXPECT_THROW((void)r.integer("filing.concurency"), std::logic_error);
  EXPECT_THROW((void)r.string("filing.concurrency"), std::logic_error);
}

TEST(OptionReader, RangesNameTheKeyPath) {
  const auto r = read(R"({"filing": {"concurrency": 0}})");
  auto n = r.integerIn("filing.concurrency", 1, 64);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(n.error().message,
            "ambita.filing.concurrency: expected an integer between 1 and 64, got 0");
  auto t = read(R"({"timeoutSeconds": 0.01})").numberIn("timeoutSeconds", 0.05, 600);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message,
            "ambita.timeoutSeconds: expected a number between 0.05 and 600, "
            "got 0.01");
}

TEST(OptionReader, RefusesDottedUnknownAndMistypedKeysNamingThem) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"filing.concurrency": 8})",
       R"(ambita: "filing.concurrency" is not a key; write it nested: "filing": {"concurrency": ...})"},
      {R"({"filing": {"concurency": 8}})",
       "ambita.filing.concurency: unknown key (did you mean 'ambita.filing.concurrency'?)"},
      {R"({"filing": {"concurrency": "lots"}})",
       R"(ambita.filing.concurrency: expected an integer, got "lots")"},
      {R"({"token": 12345678})", "ambita.token: expected a string, got a number"},
      {R"({"maxAttempts": 18446744073709551615})",
       "ambita.maxAttempts: expected an integer, got one too large"},
      {R"([1])", "ambita: expected an object"},
      {R"({"name": )", "ambita: not a JSON object"},
  };
  for (const auto& [json, message] : cases) {
    auto r = OptionReader::parse(json, schema(), "ambita");
    ASSERT_FALSE(r) << json;
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(r.error().message.rfind(message, 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().message.find("12345678"), std::string::npos) << "never a secret";
  }
}

TEST(OptionReader, HostKeysAreAcceptedAsStrings) {
  ConfigSchema s = schema();
  EXPECT_TRUE(OptionReader::parse(R"({"connector": "x"})", s, "target", {"connector"}));
  EXPECT_FALSE(OptionReader::parse(R"({"connector": "x"})", s, "target"));
}

// One spelling per concept; the old one is still read, with a warning naming the new one,
// and never both at once.
TEST(OptionReader, OldSpellingsAreReadWithAWarningNamingTheNewOne) {
  const auto renamed = read(R"({"readTimeout": 30, "retries": 2})");
  EXPECT_DOUBLE_EQ(renamed.number("readTimeoutSeconds"), 30.0);
  EXPECT_EQ(renamed.integer("maxAttempts"), 3) << "retries counted the attempts after the first";
  ASSERT_EQ(renamed.warnings().size(), 2u);
  EXPECT_EQ(renamed.warnings()[0],
            "ambita.readTimeout: renamed to ambita.readTimeoutSeconds; the old spelling is "
            "still read, but write \"readTimeoutSeconds\" instead");
  EXPECT_EQ(renamed.warnings()[1],
            "ambita.retries: renamed to ambita.maxAttempts (retries 2 is maxAttempts 3); the old "
            "spelling is still read, but write \"maxAttempts\" instead");

  const auto current = read(R"({"readTimeoutSeconds": 30, "maxAttempts": 3})");
  EXPECT_DOUBLE_EQ(current.number("readTimeoutSeconds"), 30.0);
  EXPECT_EQ(current.integer("maxAttempts"), 3);
  EXPECT_TRUE(current.warnings().empty());

  auto both = OptionReader::parse(R"({"retries": 2, "maxAttempts": 3})", schema(), "ambita");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().message,
            "ambita.retries: old spelling of ambita.maxAttempts, which is given too: remove "
            "\"retries\"");
  auto mistyped = OptionReader::parse(R"({"readTimeout": "soon"})", schema(), "ambita");
  ASSERT_FALSE(mistyped) << "the old spelling is checked like the new one";
  auto atLimit = OptionReader::parse(R"({"retries": 9223372036854775807})", schema(), "ambita");
  ASSERT_TRUE(atLimit) << atLimit.error().describe();
  EXPECT_EQ(atLimit->integer("maxAttempts"), std::numeric_limits<long long>::max())
      << "moved unchanged rather than overflowing (the module's range refuses it)";
  EXPECT_FALSE(OptionReader::parse(R"({"retries": 18446744073709551615})", schema(), "ambita"))
      << "beyond 64 bits: refused, not thrown";
}

// An old spelling is no option of its own: reading it is the module's bug, like any key the
// schema does not declare.
TEST(OptionReader, AnOldSpellingIsNotReadable) {
  const auto r = read(R"({"retries": 2})");
  try {
    (void)r.integer("retries");
    ADD_FAILURE() << "an old spelling was read as an option";
  } catch (const std::logic_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "ambita.retries is read but not declared in the module's schema");
  }
}

// A module's old-spelling entry not in renamedOption()'s form is refused naming its key,
// rather than the rename being dropped silently.
TEST(OptionReader, AMalformedOldSpellingEntryIsAnErrorNamingItsKey) {
  ConfigSchema s = schema();
  s.options.push_back(
      {"retryDelay", OptionType::RenamedTo, R"({"to":"delayMs"})", false, false, ""});
  auto reader = OptionReader::parse(R"({"retryDelay": 5})", s, "ambita");
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().message,
            R"(ambita.retryDelay: the module declares this old spelling as {"to":"delayMs"}, )"
            R"(not as {"to":"<new key>","add":<integer>})");
}

}  // namespace
}  // namespace dms::config
