// Connector internals without a server: percent-coding, href resolution, multistatus parsing,
// property names, option parsing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "DavClient.h"
#include "DavPath.h"
#include "Multistatus.h"
#include "TempJournal.h"
#include "dms/webdav/WebDavConnectorFactory.h"
#include "dms/webdav/WebDavOptions.h"
#include "support/CapturingLogger.h"
#include "support/TempDir.h"

namespace dms::webdav {
namespace {

TEST(DavPath, EncodesEveryReservedCharacterAndUtf8) {
  EXPECT_EQ(encodeSegment("a b#c%d?e+f"), "a%20b%23c%25d%3Fe%2Bf");
  EXPECT_EQ(encodeSegment("bl\xC3\xA5"
                          "b\xC3\xA6r"),
            "bl%C3%A5b%C3%A6r");  // blåbær
  EXPECT_EQ(encodeSegment("x/y&z;=:@!$'()*,"), "x%2Fy%26z%3B%3D%3A%40%21%24%27%28%29%2A%2C");
  EXPECT_EQ(encodeSegment("A-Z_a.z~09"), "A-Z_a.z~09");
  EXPECT_EQ(encodeRelativePath("Oppdrag 117/kart #1.pdf"), "Oppdrag%20117/kart%20%231.pdf");
  EXPECT_EQ(encodeRelativePath(""), "");
}

TEST(DavPath, DecodesEitherHexCaseAndKeepsStrayPercent) {
  EXPECT_EQ(percentDecode("bl%c3%a5b%C3%A6r"),
            "bl\xC3\xA5"
            "b\xC3\xA6r");
  EXPECT_EQ(percentDecode("100%"), "100%");
  EXPECT_EQ(percentDecode("%zz%4"), "%zz%4");
  EXPECT_EQ(percentDecode("a%2Bb+c"), "a+b+c");  // '+' is not a space in a path
}

TEST(DavPath, ResolvesAbsoluteUrlAbsolutePathAndRelativeHrefs) {
  const std::string base = "/dav/c%20x/";
  EXPECT_EQ(hrefToRelativePath("http://127.0.0.1:8080/dav/c%20x/a/b%c3%a5", base, base),
            std::optional<std::string>("a/b\xC3\xA5"));
  EXPECT_EQ(hrefToRelativePath("/dav/c x/a/", base, base), std::optional<std::string>("a"));
  EXPECT_EQ(hrefToRelativePath("/dav/c%20x/", base, base), std::optional<std::string>(""));
  EXPECT_EQ(hrefToRelativePath("/dav/c%20x", base, base), std::optional<std::string>(""));
  EXPECT_EQ(hrefToRelativePath("file%231.pdf", base, "/dav/c%20x/folder/"),
            std::optional<std::string>("folder/file#1.pdf"));
  EXPECT_EQ(hrefToRelativePath("/elsewhere/x", base, base), std::nullopt);
  EXPECT_EQ(hrefToRelativePath("/dav/c%20xy/a", base, base), std::nullopt);
}

class SilentLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view) noexcept override {}
};

TEST(DavClient, BasePathIsEncodedOnceWithATrailingSlash) {
  SilentLogger logger;
  for (auto [url, path] : {std::pair{"http://h:81/dav/Eiendom \xC3\xA6/", "/dav/Eiendom%20%C3%A6/"},
                           {"https://h/dav/Eiendom%20%C3%A6", "/dav/Eiendom%20%C3%A6/"},
                           {"http://h", "/"}}) {
    auto options = WebDavOptions::parse(std::string("{\"url\": \"") + url + "\"}");
    ASSERT_TRUE(options) << options.error().describe();
    DavClient client(*options, nullptr, logger);
    EXPECT_EQ(client.basePath(), path) << url;
  }
}

TEST(Multistatus, ParsesResourcesWithAnyPrefixAndOurProperties) {
  const std::string xml = R"(<?xml version="1.0" encoding="utf-8"?>
<multistatus xmlns="DAV:" xmlns:q="urn:ambita-dms:meta:1">
 <response><href>/dav/c/</href>
  <propstat><prop><resourcetype><collection/></resourcetype>
   <getlastmodified>Sat, 28 Nov 2026 13:00:00 GMT</getlastmodified></prop>
   <status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/dav/c/a%c3%a5.pdf</href>
  <propstat><prop><resourcetype/><getcontentlength>42</getcontentlength>
   <getetag>"abc"</getetag>
   <q:m_ambita.assetId>17</q:m_ambita.assetId><q:m_x_5Fy>bl&#229;b&#230;r &lt;&amp;&gt; </q:m_x_5Fy>
  </prop><status>HTTP/1.1 200 OK</status></propstat>
  <propstat><prop><getcontentlanguage/></prop><status>HTTP/1.1 404 Not Found</status></propstat>
 </response>
</multistatus>)";
  auto parsed = parseMultistatus(xml, "test");
  ASSERT_TRUE(parsed) << parsed.error().describe();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_TRUE((*parsed)[0].collection);
  EXPECT_EQ((*parsed)[0].modifiedEpochSeconds, 1795870800);
  const DavResource& file = (*parsed)[1];
  EXPECT_FALSE(file.collection);
  EXPECT_EQ(file.href, "/dav/c/a%c3%a5.pdf");
  EXPECT_EQ(file.contentLength, std::optional<std::uint64_t>(42));
  EXPECT_EQ(file.etag, "\"abc\"");
  EXPECT_EQ(file.metadata.at("ambita.assetId"), "17");
  EXPECT_EQ(file.metadata.at("x_y"),
            "bl\xC3\xA5"
            "b\xC3\xA6r <&> ");
  EXPECT_EQ(file.metadata.size(), 2u);
}

TEST(Multistatus, RejectsMalformedAndForeignDocuments) {
  auto bad = parseMultistatus("<multistatus xmlns='DAV:'><response>", "PROPFIND 'x'");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("PROPFIND 'x'"), std::string::npos);
  EXPECT_FALSE(parseMultistatus("<html/>", "x"));
}

// A hostile or broken server's answer nested 200,000 elements deep (1.2 MB, far below the
// 64 MiB an answer may have) crashed the host process: the parser built a DOM tree, which Poco
// frees recursively, and the stack overflowed. Depth now costs nothing; the resources around
// such a property are still read.
TEST(Multistatus, ADeeplyNestedAnswerIsReadWithoutExhaustingTheStack) {
  constexpr int kDepth = 200'000;
  std::string nested;
  nested.reserve(kDepth * 12);
  for (int i = 0; i < kDepth; ++i) nested += "<x:n>";
  nested += "deep";
  for (int i = 0; i < kDepth; ++i) nested += "</x:n>";
  const std::string xml =
      "<D:multistatus xmlns:D=\"DAV:\" xmlns:x=\"urn:x\">" + nested +
      "<D:response><D:href>/dav/f</D:href><D:propstat><D:prop><x:p>" + nested +
      "</x:p><D:getcontentlength>7</D:getcontentlength></D:prop>"
      "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>";
  auto parsed = parseMultistatus(xml, "PROPFIND 'f'");
  ASSERT_TRUE(parsed) << parsed.error().describe();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].href, "/dav/f");
  EXPECT_EQ((*parsed)[0].contentLength, std::optional<std::uint64_t>(7));
}

// What the answer's XML may not do: expand entities without bound (billion laughs) or make
// the parser read a local file (external entity); either is refused or ignored, naming the
// request, and nothing of the file appears.
TEST(Multistatus, EntityExpansionAndExternalEntitiesAreNotFollowed) {
  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a0 \"lollollollol\">";
  for (int i = 1; i < 10; ++i) {
    laughs += "<!ENTITY a" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j) laughs += "&a" + std::to_string(i - 1) + ";";
    laughs += "\">";
  }
  laughs +=
      "]><D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>&a9;</D:href></D:response>"
      "</D:multistatus>";
  auto expanded = parseMultistatus(laughs, "PROPFIND 'x'");
  ASSERT_FALSE(expanded) << "a billion laughs were expanded";
  EXPECT_NE(expanded.error().message.find("PROPFIND 'x'"), std::string::npos);

  test::TempDir dir;
  const auto secret = dir.path() / "secret.txt";
  std::ofstream(secret) << "SECRET-CONTENT";
  const std::string external = "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file://" +
                               secret.string() +
                               "\">]><D:multistatus xmlns:D=\"DAV:\"><D:response>"
                               "<D:href>/dav/&x;</D:href></D:response></D:multistatus>";
  auto read = parseMultistatus(external, "PROPFIND 'x'");
  if (read) {
    for (const auto& resource : *read)
      EXPECT_EQ(resource.href.find("SECRET"), std::string::npos) << resource.href;
  } else {
    EXPECT_EQ(read.error().message.find("SECRET"), std::string::npos);
  }
}

TEST(Multistatus, PropertyNamesRoundTripAnyKey) {
  for (std::string key : {"ambita.assetId", "a_b", "1abc", "-x", "k\xC3\xA6y", "a b"}) {
    std::string name = metadataPropertyName(key);
    EXPECT_EQ(name.rfind("m_", 0), 0u);
    EXPECT_EQ(
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"),
        std::string::npos)
        << name;
    EXPECT_EQ(metadataKeyFromProperty(name), std::optional<std::string>(key));
  }
  EXPECT_EQ(metadataKeyFromProperty("other"), std::nullopt);
  EXPECT_EQ(metadataKeyFromProperty("m_bad_4"), std::nullopt);
  EXPECT_EQ(xmlEscape("<a&'\">\r"), "&lt;a&amp;&apos;&quot;&gt;&#13;");
}

/// Files in the journal's folder of `dataDir`.
std::vector<std::filesystem::path> recordFiles(const test::TempDir& dataDir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dataDir.path() / "webdav-in-flight", ec))
    files.push_back(e.path());
  return files;
}

// Issue 15: a put's record file is emptied and reused by the next put (no file created and
// deleted per put); what a crashed put left is still found, finished ones are not.
TEST(TempJournal, ReusesEmptiedRecordsAndFindsOnlyUnfinishedOnes) {
  test::TempDir dataDir("dms-webdav-journal");
  std::optional<webdav::TempJournal> journal(std::in_place, dataDir.str());
  { auto put = journal->begin({"t/.dms-tmp-1-a"}); }
  const auto afterOne = recordFiles(dataDir);
  ASSERT_EQ(afterOne.size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(afterOne.front()), 0u) << "emptied when the put is over";
  for (int i = 0; i < 20; ++i) {
    auto put = journal->begin({"t/.dms-tmp-" + std::to_string(i) + "-b"});
  }
  EXPECT_EQ(recordFiles(dataDir), afterOne) << "the same file, written again";

  std::vector<std::vector<std::string>> found;
  {
    auto running = journal->begin({"t/.dms-tmp-2-c", "sidecar:t/c"});
    auto other = journal->begin({"t/.dms-tmp-3-d"});
    EXPECT_EQ(recordFiles(dataDir).size(), 2u) << "one file per put running at once";
    journal->forEachAbandoned([&](const std::vector<std::string>& lines) {
      found.push_back(lines);
      return false;  // not cleaned: kept
    });
  }
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, (std::vector<std::vector<std::string>>{{"t/.dms-tmp-2-c", "sidecar:t/c"},
                                                          {"t/.dms-tmp-3-d"}}));
  found.clear();
  journal->forEachAbandoned([&](const std::vector<std::string>& lines) {
    found.push_back(lines);
    return true;
  });
  EXPECT_TRUE(found.empty()) << "finished puts are not abandoned";
  EXPECT_TRUE(recordFiles(dataDir).empty()) << "empty records are tidied by recover()";
  { auto put = journal->begin({"t/.dms-tmp-4-e"}); }
  EXPECT_EQ(recordFiles(dataDir).size(), 1u);
  journal.reset();
  EXPECT_TRUE(recordFiles(dataDir).empty()) << "idle records go with the journal";
}

TEST(WebDavOptions, ParsesAllKeysAndDefaults) {
  auto options = WebDavOptions::parse(
      R"({"connector":"webdav","url":"https://h.example/dav/","username":"u","password":"p",
          "caFile":"/etc/ca.pem","connectTimeoutSeconds":3,"timeoutSeconds":9,"concurrency":2,
          "metadata":"sidecar","retries":1,"retryDelayMs":10})");
  ASSERT_TRUE(options) << options.error().describe();
  EXPECT_EQ(options->url, "https://h.example/dav/");
  EXPECT_EQ(options->concurrency, 2);
  EXPECT_EQ(options->metadata, MetadataMode::Sidecar);
  auto defaults = WebDavOptions::parse(R"({"url":"http://127.0.0.1/"})");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->concurrency, 4);
  EXPECT_EQ(defaults->metadata, MetadataMode::Auto);
}

// Issue 8: the defaults are declared once, in the schema; only the required url given gives
// exactly those.
TEST(WebDavOptions, AnEmptySectionGivesTheSchemasDefaults) {
  auto o = WebDavOptions::parse(R"({"url":"http://127.0.0.1/"})");
  ASSERT_TRUE(o) << o.error().describe();
  std::map<std::string, std::string> declared;
  for (const auto& option : WebDavOptions::schema().options)
    declared[option.key] = option.defaultJson;
  EXPECT_EQ(std::to_string(o->connectTimeoutSeconds), declared["connectTimeoutSeconds"]);
  EXPECT_EQ(std::to_string(o->timeoutSeconds), declared["readTimeoutSeconds"]);
  EXPECT_EQ(std::to_string(o->concurrency), declared["concurrency"]);
  EXPECT_EQ(std::to_string(o->retries + 1), declared["maxAttempts"]);
  EXPECT_EQ(std::to_string(o->retryDelayMs), declared["initialBackoffMs"]);
  EXPECT_EQ(o->allowInsecureHttp ? "true" : "false", declared["allowInsecureHttp"]);
  EXPECT_EQ(declared["metadata"], "\"auto\"");
  EXPECT_EQ(o->metadata, MetadataMode::Auto);
  EXPECT_EQ(o->username + o->password + o->bearerToken + o->caFile, "");
}

// Issue 8: one name per concept across sections (the Ambita client's readTimeoutSeconds,
// maxAttempts, initialBackoffMs). The old spellings are still read, each with a warning naming
// the new one; both spellings at once are refused.
TEST(WebDavOptions, NewAndOldSpellingsOfRenamedOptions) {
  std::vector<std::string> warnings;
  auto current = WebDavOptions::parse(
      R"({"url":"http://127.0.0.1/","readTimeoutSeconds":9,"maxAttempts":2,"initialBackoffMs":10})",
      &warnings);
  ASSERT_TRUE(current) << current.error().describe();
  EXPECT_EQ(current->timeoutSeconds, 9);
  EXPECT_EQ(current->retries, 1) << "two attempts: one retry";
  EXPECT_EQ(current->retryDelayMs, 10);
  EXPECT_TRUE(warnings.empty());

  auto old = WebDavOptions::parse(
      R"({"url":"http://127.0.0.1/","timeoutSeconds":9,"retries":1,"retryDelayMs":10})", &warnings);
  ASSERT_TRUE(old) << old.error().describe();
  EXPECT_EQ(old->timeoutSeconds, 9);
  EXPECT_EQ(old->retries, 1) << "\"retries\": 1 keeps its meaning";
  EXPECT_EQ(old->retryDelayMs, 10);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find("target.timeoutSeconds: renamed to target.readTimeoutSeconds"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("target.retries: renamed to target.maxAttempts (retries 1 is "
                             "maxAttempts 2)"),
            std::string::npos)
      << warnings[1];
  EXPECT_NE(warnings[2].find("target.retryDelayMs: renamed to target.initialBackoffMs"),
            std::string::npos)
      << warnings[2];

  auto defaults = WebDavOptions::parse(R"({"url":"http://127.0.0.1/"})");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->retries, 4) << "maxAttempts 5 by default, as before";

  auto both = WebDavOptions::parse(R"({"url":"http://127.0.0.1/","retries":1,"maxAttempts":2})");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().message.rfind("target.retries: old spelling of target.maxAttempts", 0), 0u)
      << both.error().message;
}

// The connector logs an old spelling once, when the target is made (a host other than
// dms-host may never run `config check`).
TEST(WebDavConnectorFactory, LogsOldSpellingsWhenTheTargetIsMade) {
  test::CapturingLogger logger;
  test::TempDir dir("dms-webdav-factory");
  ConnectorContext context;
  context.configJson = R"({"connector":"webdav","url":"http://127.0.0.1:1/dav/","retries":2})";
  context.dataDir = dir.str();
  context.logger = &logger;
  auto target = WebDavConnectorFactory().create(context);
  ASSERT_TRUE(target.ok()) << target.error().describe();
  EXPECT_NE(logger.text().find("target.retries: renamed to target.maxAttempts (retries 2 is "
                               "maxAttempts 3)"),
            std::string::npos)
      << logger.text();
}

// Issue 13: a key written with a dot is refused by the connector itself, naming the nested
// spelling (a host other than dms-host may not validate the section).
TEST(WebDavOptions, RefusesDottedKeysNamingTheNestedSpelling) {
  auto dotted = WebDavOptions::parse(R"({"url":"http://127.0.0.1/","tls.caFile":"/x"})");
  ASSERT_FALSE(dotted);
  EXPECT_EQ(dotted.error().message,
            R"(target: "tls.caFile" is not a key; write it nested: "tls": {"caFile": ...})");
}

TEST(WebDavOptions, ErrorsNameTheKeyAndNeverTheSecret) {
  struct Case {
    std::string json;
    std::string key;
  };
  for (const auto& c : std::vector<Case>{
           {R"({})", "target.url"},
           {R"({"url":"ftp://h/"})", "target.url"},
           {R"({"url":"http://u:hunter2@h/"})", "target.url"},
           {R"({"url":"http://h/","concurrency":0})", "target.concurrency"},
           {R"({"url":"http://h/","concurrency":"4"})", "target.concurrency"},
           {R"({"url":"http://h/","metadata":"xattr"})", "target.metadata"},
           {R"({"url":"http://h/","colour":"blue"})", "target.colour"},
           {R"({"url":"http://h/","password":"hunter2"})", "target.username"},
           {R"({"url":"http://h/","bearerToken":"hunter2","username":"u"})", "target.bearerToken"},
       }) {
    auto parsed = WebDavOptions::parse(c.json);
    ASSERT_FALSE(parsed) << c.json;
    EXPECT_EQ(parsed.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(parsed.error().message.rfind(c.key + ":", 0), 0u) << parsed.error().message;
    EXPECT_EQ(parsed.error().message.find("hunter2"), std::string::npos) << parsed.error().message;
  }
}

// Issue 13 item 8: Basic credentials (or a bearer token) over plain http:// to another host
// travel readable by anyone on the way: refused unless explicitly allowed. Loopback stays
// allowed (tests, local servers), and so does http without credentials.
TEST(WebDavOptions, PlainHttpWithCredentialsToAnotherHostNeedsExplicitOptIn) {
  for (const char* json :
       {R"({"url":"http://dms.example/dav/","username":"u","password":"hunter2"})",
        R"({"url":"http://dms.example/dav/","bearerToken":"hunter2"})"}) {
    auto refused = WebDavOptions::parse(json);
    ASSERT_FALSE(refused) << json;
    EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(refused.error().message.rfind("target.url:", 0), 0u) << refused.error().message;
    EXPECT_NE(refused.error().message.find("target.allowInsecureHttp"), std::string::npos)
        << refused.error().message;
    EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos);
  }
  for (
      const char* json :
      {R"({"url":"http://dms.example/dav/","username":"u","password":"p","allowInsecureHttp":true})",
       R"({"url":"http://127.0.0.1:8080/dav/","username":"u","password":"p"})",
       R"({"url":"http://localhost/dav/","username":"u","password":"p"})",
       R"({"url":"http://dms.example/dav/"})",
       R"({"url":"https://dms.example/dav/","username":"u","password":"p"})"}) {
    auto accepted = WebDavOptions::parse(json);
    EXPECT_TRUE(accepted) << json << ": " << accepted.error().describe();
  }
  auto notABool = WebDavOptions::parse(R"({"url":"http://h/","allowInsecureHttp":"yes"})");
  ASSERT_FALSE(notABool);
  EXPECT_EQ(notABool.error().message.rfind("target.allowInsecureHttp:", 0), 0u)
      << notABool.error().message;
}

TEST(WebDavConnectorFactory, SchemaMarksSecrets) {
  WebDavConnectorFactory factory;
  int secrets = 0;
  for (const auto& option : factory.configSchema().options) {
    if (option.key == "password" || option.key == "bearerToken") {
      EXPECT_TRUE(option.secret) << option.key;
      ++secrets;
    } else {
      EXPECT_FALSE(option.secret) << option.key;
    }
  }
  EXPECT_EQ(secrets, 2);
}

}  // namespace
}  // namespace dms::webdav
