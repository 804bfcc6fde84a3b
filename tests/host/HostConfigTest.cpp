// The pieces of dms-host's configuration handling, without processes: JSON errors with
// positions, ${ENV} expansion, schema validation with defaults, secret masking.
#include <gtest/gtest.h>

#include <sstream>

#include "EnvExpander.h"
#include "JsonConfigFile.h"
#include "SchemaValidator.h"
#include "StateUrl.h"
#include "StderrLogger.h"

namespace {

using dms::host::EnvExpander;
using dms::host::JsonConfigFile;
using dms::host::SchemaValidator;

Poco::JSON::Object::Ptr parse(const std::string& text) {
  auto parsed = JsonConfigFile::parse(text, "test");
  EXPECT_TRUE(parsed.ok()) << parsed.error().describe();
  return parsed.value();
}

std::vector<std::string> describe(const dms::host::ConfigIssues& issues) {
  std::vector<std::string> out;
  for (const auto& issue : issues) out.push_back(issue.describe());
  return out;
}

TEST(JsonConfigFile, SyntaxErrorsNameLineAndColumn) {
  auto result = JsonConfigFile::parse("{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}", "cfg");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("cfg is not valid JSON near line 3, column 14"),
            std::string::npos)
      << result.error().message;
  result = JsonConfigFile::parse("[1, 2]", "cfg");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("top level must be a JSON object"), std::string::npos);
}

TEST(EnvExpander, ExpandsWholeAndEmbeddedReferencesEverywhere) {
  auto root =
      parse(R"({"a": "${X}", "b": {"c": "pre-${X}-${Y}-post"}, "d": ["${Y}", 3], "e": "$X"})");
  EnvExpander expander([](const std::string& name) -> std::optional<std::string> {
    if (name == "X") return std::string("ex");
    if (name == "Y") return std::string("why");
    return std::nullopt;
  });
  EXPECT_TRUE(expander.expand(root).empty());
  EXPECT_EQ(JsonConfigFile::toJson(root),
            R"({"a":"ex","b":{"c":"pre-ex-why-post"},"d":["why",3],"e":"$X"})");
  EXPECT_EQ(expander.expandedPaths(), (std::set<std::string>{"a", "b.c", "d[0]"}));
}

TEST(EnvExpander, UnsetAndMalformedReferencesNameThePath) {
  auto root = parse(R"({"s": {"pw": "${NOPE}"}, "t": "${1BAD}", "u": "${OPEN"})");
  EnvExpander expander([](const std::string&) { return std::optional<std::string>(); });
  const auto issues = describe(expander.expand(root));
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_EQ(issues[0], "s.pw: environment variable NOPE is not set");
  EXPECT_NE(issues[1].find("t: malformed environment reference"), std::string::npos);
  EXPECT_NE(issues[2].find("u: malformed environment reference"), std::string::npos);
}

TEST(EnvExpander, FallbackAppliesOnlyWhenTheVariableIsUnset) {
  auto root = parse(
      R"({"a": "${X:-fallback}", "b": "${UNSET:-http://127.0.0.1:8099}/x", "c": "${UNSET:-}"})");
  EnvExpander expander([](const std::string& name) -> std::optional<std::string> {
    if (name == "X") return std::string("set");
    return std::nullopt;
  });
  EXPECT_TRUE(expander.expand(root).empty());
  EXPECT_EQ(JsonConfigFile::toJson(root), R"({"a":"set","b":"http://127.0.0.1:8099/x","c":""})");
}

dms::ConfigSchema schema() {
  using dms::OptionType;
  return {{
      {"baseUrl", OptionType::String, "\"https://api.example\"", false, false, ""},
      {"secret", OptionType::String, "", true, true, "the secret"},
      {"filing.folder", OptionType::String, "\"{orderId}\"", false, false, ""},
      {"filing.concurrency", OptionType::Integer, "4", false, false, ""},
      {"filing.categories", OptionType::StringMap, "", false, false, ""},
      {"extra", OptionType::Object, "", false, false, ""},
      {"ratio", OptionType::Number, "", false, false, ""},
  }};
}

TEST(SchemaValidator, AppliesDefaultsIncludingNestedOnes) {
  auto section = parse(R"({"secret": "s3", "filing": {"concurrency": 2}})");
  const auto result = SchemaValidator::validate(section, schema(), "ambita", {"ambita.secret"});
  EXPECT_TRUE(result.ok()) << testing::PrintToString(describe(result.issues));
  EXPECT_EQ(JsonConfigFile::toJson(result.effective),
            R"({"secret":"s3","filing":{"concurrency":2,"folder":"{orderId}"},)"
            R"("baseUrl":"https://api.example"})");
  EXPECT_EQ(result.secretPaths, std::vector<std::string>{"ambita.secret"});
  EXPECT_EQ(result.secretValues, std::vector<std::string>{"s3"});  // same index as the path
  // The input is not changed.
  EXPECT_EQ(JsonConfigFile::toJson(section), R"({"secret":"s3","filing":{"concurrency":2}})");
}

TEST(SchemaValidator, ReportsTypesUnknownKeysAndMissingRequired) {
  auto section = parse(R"({"baseUrl": 42, "filing": {"concurency": 2, "categories": {"A": 1}},
                           "extra": {"anything": {"goes": [1]}}, "ratio": 1, "other": 1})");
  const auto issues = describe(SchemaValidator::validate(section, schema(), "ambita").issues);
  const std::vector<std::string> expected{
      "ambita.baseUrl: expected a string, got 42",
      "ambita.secret: required option is missing: expected a string (the secret)",
      "ambita.filing.categories.A: expected a string, got 1",
      "ambita.filing.concurency: unknown key (did you mean 'ambita.filing.concurrency'?)",
      "ambita.other: unknown key",
  };
  EXPECT_EQ(issues, expected);
}

TEST(SchemaValidator, RefusesDottedKeysNamingTheNestedSpelling) {
  auto section =
      parse(R"({"secret": "s3", "filing.concurrency": "lots", "filing": {"deep.er.key": 1}})");
  const auto result = SchemaValidator::validate(section, schema(), "ambita", {"ambita.secret"});
  EXPECT_FALSE(result.ok());
  const std::vector<std::string> expected{
      R"(ambita: "filing.concurrency" is not a key; write it nested: "filing": {"concurrency": ...})",
      R"(ambita.filing: "deep.er.key" is not a key; write it nested: "deep": {"er": {"key": ...}})",
  };
  EXPECT_EQ(describe(result.issues), expected);
}

// `config check` and `config show` see a renamed option under its new name, with a warning
// naming it; both spellings at once are an error (the modules read through the same code).
TEST(SchemaValidator, OldSpellingsMoveToTheNewKeyWithAWarning) {
  dms::ConfigSchema renamed = schema();
  renamed.options.push_back(dms::renamedOption("filing.threads", "filing.concurrency"));
  auto section = parse(R"({"secret": "s3", "filing": {"threads": 2}})");
  auto result = SchemaValidator::validate(section, renamed, "ambita", {"ambita.secret"});
  EXPECT_TRUE(result.ok()) << testing::PrintToString(describe(result.issues));
  EXPECT_EQ(describe(result.issues),
            std::vector<std::string>{
                "ambita.filing.threads: renamed to ambita.filing.concurrency; the old spelling is "
                "still read, but write \"concurrency\" instead"});
  EXPECT_EQ(JsonConfigFile::toJson(result.effective),
            R"({"secret":"s3","filing":{"concurrency":2,"folder":"{orderId}"},)"
            R"("baseUrl":"https://api.example"})");

  section = parse(R"({"secret": "s3", "filing": {"threads": 2, "concurrency": 3}})");
  result = SchemaValidator::validate(section, renamed, "ambita", {"ambita.secret"});
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(describe(result.issues),
            std::vector<std::string>{"ambita.filing.threads: old spelling of "
                                     "ambita.filing.concurrency, which is given too: remove "
                                     "\"threads\""});
}

TEST(SchemaValidator, SecretValuesNeverAppearInMessages) {
  auto section = parse(R"({"secret": 12345})");
  const auto issues = describe(SchemaValidator::validate(section, schema(), "ambita").issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0], "ambita.secret: expected a string, got a number");
}

TEST(SchemaValidator, MaskedReplacesSecretsOnly) {
  auto section = parse(R"({"secret": "s3", "baseUrl": "u"})");
  auto result = SchemaValidator::validate(section, schema(), "ambita", {"ambita.secret"});
  auto view = SchemaValidator::masked(result.effective, result.secretPaths, "ambita");
  EXPECT_EQ(view->getValue<std::string>("secret"), "********");
  EXPECT_EQ(view->getValue<std::string>("baseUrl"), "u");
  EXPECT_EQ(result.effective->getValue<std::string>("secret"), "s3");
}

// state.url carries its password inside the value: only that part is masked, wherever the URL
// puts it; the decoded spelling (what the database client sends) is masked too.
TEST(StateUrl, MasksOnlyThePasswordAndKnowsBothItsSpellings) {
  using dms::host::StateUrl;
  struct Case {
    std::string url, masked;
    std::vector<std::string> spellings;
  };
  for (const Case& c : std::vector<Case>{
           {"postgresql://dms:pw-9xQ@db:5432/ambita",
            "postgresql://dms:********@db:5432/ambita",
            {"pw-9xQ"}},
           {"postgresql://dms:p@ss:w@db/ambita", "postgresql://dms:********@db/ambita", {"p@ss:w"}},
           {"postgresql://dms:a%2Fb%40c@db:5432",
            "postgresql://dms:********@db:5432",
            {"a%2Fb%40c", "a/b@c"}},
           {"postgresql://dms@db:5432/ambita", "postgresql://dms@db:5432/ambita", {}},
           {"postgresql://dms:@db/ambita", "postgresql://dms:@db/ambita", {}},
           {"postgresql://db/x?user=a:b@c", "postgresql://db/x?user=a:b@c", {}},
           {"not a url", "not a url", {}},
       }) {
    EXPECT_EQ(StateUrl::masked(c.url), c.masked) << c.url;
    EXPECT_EQ(StateUrl::passwordSpellings(c.url), c.spellings) << c.url;
  }
}

TEST(StderrLogger, OneLinePerMessageWithSecretsMasked) {
  std::ostringstream out;
  dms::host::StderrLogger logger(out);
  logger.addSecret("hunter2");
  logger.info("plugin", "password is hunter2\nand again hunter2");
  logger.debug("plugin", "dropped below Info");
  const std::string text = out.str();
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_NE(text.find("INFO  [plugin] password is ********\\nand again ********\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_EQ(text.find("dropped"), std::string::npos);
}

TEST(StderrLogger, EscapesEveryControlCharacterFromRemoteText) {
  std::ostringstream out;
  dms::host::StderrLogger logger(out);
  // An order id and a push body as a remote client could send them: ESC sequences, a forged
  // second line, a C1 CSI both as UTF-8 (U+009B) and as a raw byte, DEL, NUL; Unicode stays.
  const std::string remote = std::string("order 12\x1b[31m34\r\n2026-01-01 ERROR [host] forged") +
                             "\xc2\x9b" + "2J \x9b" + "1m\x7f" + std::string(1, '\0') +
                             "\tTr\xc3\xb8ndelag";
  logger.warning("ambita.push\x1b]0;x\x07", "push refused: " + remote);
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  for (unsigned char c : text.substr(0, text.size() - 1))
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "raw control byte " << int(c) << " in " << text;
  EXPECT_NE(
      text.find("WARN  [ambita.push\\x1b]0;x\\x07] push refused: order 12\\x1b[31m34\\r\\n"
                "2026-01-01 ERROR [host] forged\\u009b2J \\x9b1m\\x7f\\x00\\tTr\xc3\xb8ndelag\n"),
      std::string::npos)
      << text;
}

TEST(StderrLogger, EscapesMalformedUtf8ButKeepsWellFormedText) {
  using dms::host::StderrLogger;
  EXPECT_EQ(StderrLogger::escapeControls("\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa6"),
            "\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa6");
  // Overlong NUL, a lone continuation byte, a cut-short sequence, a surrogate.
  EXPECT_EQ(StderrLogger::escapeControls("\xc0\x80|\x85|\xe2\x82|\xed\xa0\x80"),
            "\\xc0\\x80|\\x85|\\xe2\\x82|\\xed\\xa0\\x80");
}

}  // namespace
