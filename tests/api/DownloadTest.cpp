#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <Poco/DigestEngine.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/SHA2Engine.h>

#include "ClientFixture.h"
#include "support/TempDir.h"

namespace ambita::test {
namespace {

using namespace std::chrono_literals;
using Req = Poco::Net::HTTPServerRequest;
using Resp = Poco::Net::HTTPServerResponse;

/// Deterministic content: byte i is a function of i (not all zeros, so a shift would show).
std::string content(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + i / 7) & 0xff);
  return s;
}

std::string sha256(const std::string& data) {
  Poco::SHA2Engine e(Poco::SHA2Engine::SHA_256);
  e.update(data);
  return Poco::DigestEngine::digestToHex(e.digest());
}

/// Everything `in` yields through istream::read (which turns a failing stream into badbit).
std::string readAll(std::istream& in) {
  std::string out;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    out.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  return out;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Sends `data` declaring `declared` bytes (declared > data.size(): a body cut short).
void sendBody(Resp& resp, const std::string& data, std::size_t declared) {
  resp.setContentType("application/pdf");
  resp.setContentLength64(static_cast<Poco::Int64>(declared));
  if (declared != data.size()) resp.setKeepAlive(false);  // close after the short body
  resp.send().write(data.data(), static_cast<std::streamsize>(data.size()));
}

/// Sends the headers and the first `sent` bytes of `data` (declaring all of it), then resets
/// the connection: RST, not FIN, so the client's receive fails instead of ending early.
void sendThenReset(Req& req, Resp& resp, const std::string& data, std::size_t sent) {
  resp.setContentType("application/pdf");
  resp.setContentLength64(static_cast<Poco::Int64>(data.size()));
  resp.setKeepAlive(false);
  auto& out = resp.send();
  out.write(data.data(), static_cast<std::streamsize>(sent));
  out.flush();
  auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket();
  socket.setLinger(true, 0);
  socket.close();
}

class DownloadTest : public ClientFixture {
 protected:
  dms::test::TempDir dir{"ambita-download"};
  const std::string data = content(3 * 1024 * 1024 + 123);
  std::filesystem::path dest() const { return dir.path() / "asset.bin"; }

  /// Streams the asset at `path` into a consumer that reads each attempt's body to its end:
  /// `bodies` gets what each attempt yielded and whether its stream failed.
  dms::Result<api::Download> streamRecordingBodies(
      const std::string& path, std::vector<std::pair<std::string, bool>>& bodies) {
    return client().streamAsset(server->baseUrl() + path, [&](api::DownloadBody& body) {
      std::string got = readAll(body);
      bodies.emplace_back(std::move(got), body.bad());
      return dms::Status{};
    });
  }

  /// The first attempt's body ends after `sent` of its declared bytes: the consumer's stream
  /// fails (not a quiet end), and the second attempt delivers the whole body with its SHA-256.
  void expectACutShortBodyFailsItsStreamAndComesAgain(std::size_t sent) {
    expectACutBodyFailsItsStreamAndComesAgain(
        [&, sent](Req&, Resp& resp) { sendBody(resp, data.substr(0, sent), data.size()); },
        [&](Req&, Resp& resp) { sendBody(resp, data, data.size()); });
  }

  /// The first attempt's body is sent cut by `cut`, the second whole by `whole`: the consumer's
  /// first stream fails (not a quiet end), and the second delivers the whole body with its
  /// SHA-256.
  void expectACutBodyFailsItsStreamAndComesAgain(const std::function<void(Req&, Resp&)>& cut,
                                                 const std::function<void(Req&, Resp&)>& whole) {
    std::atomic<int> calls{0};
    api = [&](Req& req, Resp& resp, const std::string&) {
      if (!tokens.authorize(req, resp)) return;
      if (++calls == 1) return cut(req, resp);
      whole(req, resp);
    };
    std::vector<std::pair<std::string, bool>> bodies;
    auto d = streamRecordingBodies("/a", bodies);
    ASSERT_TRUE(d) << d.error().describe();
    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_TRUE(bodies[0].second) << "a cut-short body ended like a complete one";
    EXPECT_TRUE(data.starts_with(bodies[0].first));
    EXPECT_LT(bodies[0].first.size(), data.size());
    EXPECT_FALSE(bodies[1].second);
    EXPECT_TRUE(bodies[1].first == data);
    EXPECT_EQ(d->size, data.size());
    EXPECT_EQ(d->sha256Hex, sha256(data));
  }

  /// The first attempt's connection is reset 1 MB into the body: the consumer's stream fails
  /// (not a quiet end), and the second attempt delivers the whole body with its SHA-256.
  void expectAResetBodyFailsItsStreamAndComesAgain() {
    std::atomic<int> calls{0};
    api = [&](Req& req, Resp& resp, const std::string&) {
      if (!tokens.authorize(req, resp)) return;
      if (++calls == 1) return sendThenReset(req, resp, data, 1'000'000);
      sendBody(resp, data, data.size());
    };
    std::vector<std::pair<std::string, bool>> bodies;
    auto d = streamRecordingBodies("/a", bodies);
    ASSERT_TRUE(d) << d.error().describe();
    EXPECT_EQ(calls.load(), 2);
    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_TRUE(bodies[0].second) << "a reset body ended like a complete one";
    EXPECT_LE(bodies[0].first.size(), 1'000'000u);
    EXPECT_TRUE(data.starts_with(bodies[0].first));
    EXPECT_FALSE(bodies[1].second);
    EXPECT_TRUE(bodies[1].first == data);
    EXPECT_EQ(d->sha256Hex, sha256(data));
  }

  /// Every attempt's connection is reset `sent` bytes into the body: the download is Unavailable
  /// (a broken connection, not a cut-short body) and leaves no file.
  void expectABodyAlwaysResetIsUnavailable(const std::string& path, std::size_t sent) {
    api = [&, sent](Req& req, Resp& resp, const std::string&) {
      if (!tokens.authorize(req, resp)) return;
      sendThenReset(req, resp, data, sent);
    };
    auto failed = client().downloadAsset(server->baseUrl() + path, dest());
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, dms::ErrorCode::Unavailable) << failed.error().describe();
    EXPECT_FALSE(std::filesystem::exists(dest()));
  }

  /// Serves `data` at .../first and `second` at .../second (`send` writes the answer), and
  /// downloads both in a row: each is filed whole with its size and SHA-256, and the second
  /// reuses the first's keep-alive connection (`why`: what a new one would mean).
  void expectBackToBackDownloadsShareOneConnection(
      const std::string& second, const std::function<void(Resp&, const std::string&)>& send,
      const std::string& why) {
    std::mutex seenMutex;
    std::set<std::string> peers;
    int requests = 0;
    api = [&](Req& req, Resp& resp, const std::string&) {
      if (!tokens.authorize(req, resp)) return;
      {
        std::lock_guard lock(seenMutex);
        peers.insert(req.clientAddress().toString());
        ++requests;
      }
      send(resp, req.getURI().ends_with("/first") ? data : second);
    };
    const std::string base = server->baseUrl() + "/shopping/v2/assets/";
    auto a = client().downloadAsset(base + "first", dest());
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(a->size, data.size());
    EXPECT_EQ(a->sha256Hex, sha256(data));
    EXPECT_TRUE(readFile(dest()) == data);
    auto b = client().downloadAsset(base + "second", dir.path() / "second.bin");
    ASSERT_TRUE(b) << b.error().describe();
    EXPECT_EQ(b->size, second.size());
    EXPECT_EQ(b->sha256Hex, sha256(second));
    EXPECT_TRUE(readFile(dir.path() / "second.bin") == second);
    std::lock_guard lock(seenMutex);
    EXPECT_EQ(requests, 2);
    EXPECT_EQ(peers.size(), 1u) << why;
  }

  /// Cancels the client 300 ms into the download of a body sent slowly: the download must end
  /// Cancelled within 2 s and leave no file.
  void expectCancelEndsADownloadInFlight() {
    api = [&](Req& req, Resp& resp, const std::string&) {
      if (!tokens.authorize(req, resp)) return;
      resp.setContentLength64(static_cast<Poco::Int64>(100 * data.size()));
      resp.setKeepAlive(false);
      auto& out = resp.send();
      try {
        for (int i = 0; i < 100 && out.good(); ++i) {
          out.write(data.data(), static_cast<std::streamsize>(data.size()));
          std::this_thread::sleep_for(20ms);
        }
      } catch (...) {
      }
    };
    std::thread stopper([&] {
      std::this_thread::sleep_for(300ms);
      client().cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
    stopper.join();
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, dms::ErrorCode::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_FALSE(std::filesystem::exists(dest()));
  }

  /// Downloads /a?token=s3cret with a 1 s read timeout and one attempt, from a server sending
  /// its body below the low-speed limit: the download fails as timed out within 4 s, naming the
  /// limit and not the URL's query, and files nothing.
  void expectAQuickDownloadTimesOutAndFilesNothing() {
    makeQuickClient();
    const auto start = std::chrono::steady_clock::now();
    auto d = client().downloadAsset(server->baseUrl() + "/a?token=s3cret", dest());
    ASSERT_FALSE(d) << "a body cut by the deadline was filed as the whole file";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
    EXPECT_EQ(d.error().code, dms::ErrorCode::Unavailable) << d.error().describe();
    const std::string& message = d.error().message;
    EXPECT_NE(message.find("download http://127.0.0.1:"), std::string::npos) << message;
    EXPECT_NE(message.find("timed out"), std::string::npos) << message;
    EXPECT_NE(message.find("slower than 1024 bytes per 1 s (ambita.readTimeoutSeconds)"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
    EXPECT_FALSE(std::filesystem::exists(dest()));
  }

  /// A consumer that reads 10 bytes and refuses the file: the download ends with its error, not
  /// retried, and no hash is reported for a body it did not read whole.
  void expectConsumerFailureEndsTheDownload() {
    api = [&](Req& req, Resp& resp, const std::string&) {
      if (!tokens.authorize(req, resp)) return;
      sendBody(resp, data, data.size());
    };
    int consumed = 0;
    auto d = client().streamAsset(server->baseUrl() + "/a", [&](api::DownloadBody& body) {
      ++consumed;
      char first[10];
      body.read(first, sizeof first);
      EXPECT_FALSE(body.result().ok()) << "a hash before the body was read whole";
      return dms::Status(dms::fail(dms::ErrorCode::AlreadyExists, "the name is taken"));
    });
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, dms::ErrorCode::AlreadyExists) << d.error().describe();
    EXPECT_EQ(consumed, 1);
    EXPECT_EQ(server->count("/a"), 1u);
  }
};

TEST_F(DownloadTest, StreamsToFileWithSizeAndSha256) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    sendBody(resp, data, data.size());
  };
  auto d = client().downloadAsset(server->baseUrl() + "/shopping/v2/assets/abc", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->size, data.size());
  EXPECT_EQ(d->sha256Hex, sha256(data));
  EXPECT_EQ(readFile(dest()), data);
}

// A body of known length is read straight from the connection (SessionPool::Lease::receiveBody,
// not Poco's 4 KiB stream): it must stop exactly at the body's end, so the next exchange on the
// same keep-alive connection reads its own response. A read past or short of the end would break
// the second answer (a new connection, a retry or wrong bytes).
TEST_F(DownloadTest, BackToBackDownloadsShareOneConnectionAndKeepTheirBytes) {
  expectBackToBackDownloadsShareOneConnection(
      content(200 * 1024 + 7).substr(5),
      [](Resp& resp, const std::string& body) { sendBody(resp, body, body.size()); },
      "the second download did not reuse the first's connection");
}

TEST_F(DownloadTest, EmptyFile) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    sendBody(resp, "", 0);
  };
  auto d = client().downloadAsset(server->baseUrl() + "/shopping/v2/assets/empty", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->size, 0u);
  EXPECT_EQ(d->sha256Hex, sha256(""));
  EXPECT_TRUE(std::filesystem::exists(dest()));
}

TEST_F(DownloadTest, ChunkedBodyWithoutLength) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    resp.setChunkedTransferEncoding(true);
    resp.send().write(data.data(), static_cast<std::streamsize>(data.size()));
  };
  auto d = client().downloadAsset(server->baseUrl() + "/chunked", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->sha256Hex, sha256(data));
  // Read to its last chunk, a chunked body is known whole.
  EXPECT_EQ(logger.text().find("cannot be checked"), std::string::npos) << logger.text();
}

// Only a body ended by the connection's close (no Content-Length, not chunked) cannot be told
// from one cut short: it is filed, with a warning saying so.
TEST_F(DownloadTest, ABodyEndedByTheConnectionsCloseIsFiledWithAWarning) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickleRaw(req, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello", "", 1ms, 0ms);
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(readFile(dest()), "hello");
  EXPECT_NE(logger.text().find("no Content-Length; completeness of the 5 bytes cannot be checked"),
            std::string::npos)
      << logger.text();
}

/// The head of a chunked answer, as a server forging its body writes it.
const std::string kChunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// `body` framed in chunks of `size` bytes, each size line with an extension.
std::string chunked(const std::string& body, std::size_t size) {
  std::string framed;
  for (std::size_t at = 0; at < body.size(); at += size) {
    const std::string part = body.substr(at, size);
    std::ostringstream line;
    line << std::hex << part.size() << ";part=" << std::dec << at << "\r\n";
    framed += line.str() + part + "\r\n";
  }
  return framed;
}

// Poco's chunked stream ended quietly when the connection closed before the last chunk (the
// `0` line) or inside a chunk: the first bytes were filed as the whole file. A cut chunked body
// fails its attempt and is asked for again, as one cut short of its Content-Length is; never
// filed.
TEST_F(DownloadTest, AChunkedBodyCutBeforeItsLastChunkFailsAndFilesNothing) {
  std::atomic<int> requests{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    ++requests;
    trickleRaw(req, kChunkedHead + chunked(data.substr(0, 100'000), 30'000), "", 1ms, 0ms);
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_FALSE(d) << "a chunked body cut before its last chunk was filed as the whole file";
  EXPECT_EQ(d.error().code, dms::ErrorCode::Unavailable) << d.error().describe();
  EXPECT_NE(d.error().message.find("not whole (100000 bytes read): the connection closed in a "
                                   "chunk-size line"),
            std::string::npos)
      << d.error().message;
  EXPECT_EQ(requests, 4) << "a cut body is asked for again, as one cut short of its length";
  EXPECT_FALSE(std::filesystem::exists(dest()));
}

TEST_F(DownloadTest, AChunkedBodyCutInsideAChunkFailsTheConsumersStreamAndComesAgain) {
  expectACutBodyFailsItsStreamAndComesAgain(
      [&](Req& req, Resp&) {
        trickleRaw(req, kChunkedHead + chunked(data, 40'000).substr(0, 100'000), "", 1ms, 0ms);
      },
      [&](Req& req, Resp&) {
        trickleRaw(req, kChunkedHead + chunked(data, 40'000) + "0\r\n\r\n", "", 1ms, 0ms);
      });
}

// Extensions on the size lines (the last chunk's too) and trailer fields are framing: the file
// is the chunks' data, byte for byte.
TEST_F(DownloadTest, AChunkedBodyWithExtensionsAndTrailersIsFiledWhole) {
  const std::string body = data.substr(0, 300'000);
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickleRaw(req,
               kChunkedHead + chunked(body, 7'001) +
                   "0 ; last=\"yes\"\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n",
               "", 1ms, 0ms);
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->size, body.size());
  EXPECT_EQ(d->sha256Hex, sha256(body));
  EXPECT_TRUE(readFile(dest()) == body);
}

// Framing lines ended by a bare LF are taken as CRLF (RFC 9112 2.2; Poco's reader took them):
// liberal in the framing, strict only about where the body ends.
TEST_F(DownloadTest, AChunkedBodyFramedWithBareLineFeedsIsFiledWhole) {
  const std::string body = data.substr(0, 50'000);
  std::string framed;
  for (std::size_t at = 0; at < body.size(); at += 9'000) {
    const std::string part = body.substr(at, 9'000);
    std::ostringstream line;
    line << std::hex << part.size() << "\n";
    framed += line.str() + part + "\n";
  }
  framed += "0\n\n";
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickleRaw(req, kChunkedHead + framed, "", 1ms, 0ms);
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->sha256Hex, sha256(body));
  EXPECT_TRUE(readFile(dest()) == body);
}

// A chunked body read to its last chunk leaves the connection at the next answer: the second
// download reuses it (before, every chunked download closed its connection).
TEST_F(DownloadTest, BackToBackChunkedDownloadsShareOneConnection) {
  expectBackToBackDownloadsShareOneConnection(
      content(70'000).substr(3),
      [](Resp& resp, const std::string& body) {
        resp.setChunkedTransferEncoding(true);
        resp.send().write(body.data(), static_cast<std::streamsize>(body.size()));
      },
      "the second download did not reuse the first's connection");
}

// A file chunked and with a Content-Length too was checked against the length (here 1000 bytes
// more: it failed as cut short) and its connection served the next download. Transfer-Encoding
// overrides the length (RFC 9112 6.3); a server or proxy framing one answer two ways may be the
// tool of a smuggling attempt, so the connection is closed after it.
TEST_F(DownloadTest, AFileChunkedAndWithAContentLengthIsReadByItsChunksOnItsOwnConnection) {
  std::mutex seenMutex;
  std::vector<std::string> peers;
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    {
      std::lock_guard lock(seenMutex);
      peers.push_back(req.clientAddress().toString());
    }
    resp.setChunkedTransferEncoding(true);
    resp.set("Content-Length", std::to_string(data.size() + 1000));
    resp.send().write(data.data(), static_cast<std::streamsize>(data.size()));
  };
  for (const char* name : {"first", "second"}) {
    SCOPED_TRACE(name);
    auto d = client().downloadAsset(server->baseUrl() + "/a/" + name, dir.path() / name);
    ASSERT_TRUE(d) << d.error().describe();
    EXPECT_EQ(d->size, data.size());
    EXPECT_EQ(d->sha256Hex, sha256(data));
  }
  std::lock_guard lock(seenMutex);
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_NE(peers[0], peers[1]) << "the connection served another download after such an answer";
}

// Poco decodes only a Transfer-Encoding of exactly "chunked": "gzip, chunked" was read as plain
// bytes, framed by the Content-Length or the connection's close, and the chunk framing filed
// as the file. The client asks for no other coding; such an answer is refused, never filed.
TEST_F(DownloadTest, AFileInATransferCodingTheClientDoesNotReadIsNeverFiled) {
  const std::string framed = chunked("hello", 5) + "0\r\n\r\n";
  for (const bool withLength : {true, false}) {
    SCOPED_TRACE(withLength ? "with a Content-Length" : "ended by the connection's close");
    api = [&](Req& req, Resp& resp, const std::string&) {
      if (!tokens.authorize(req, resp)) return;
      trickleRaw(req,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n" +
                     (withLength ? "Content-Length: " + std::to_string(framed.size()) + "\r\n"
                                 : std::string("Connection: close\r\n")) +
                     "\r\n" + framed,
                 "", 1ms, 0ms);
    };
    auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
    ASSERT_FALSE(d) << "a body in a coding the client does not read was filed";
    EXPECT_NE(d.error().message.find("Transfer-Encoding: gzip, chunked; only chunked"),
              std::string::npos)
        << d.error().message;
    EXPECT_FALSE(std::filesystem::exists(dest()));
  }
}

// A size line must end within 4 KiB: a peer cannot make the reader buffer a line for ever.
TEST_F(DownloadTest, AChunkSizeLineLongerThan4KiBIsRefused) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickleRaw(req, kChunkedHead + "5;x=" + std::string(5000, 'a') + "\r\nhello\r\n0\r\n\r\n", "",
               1ms, 0ms);
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_FALSE(d) << "a body behind a 5000-byte size line was filed";
  EXPECT_NE(d.error().message.find("a chunk-size line is longer than 4096 bytes"),
            std::string::npos)
      << d.error().message;
  EXPECT_FALSE(std::filesystem::exists(dest()));
}

// Issue 13 item 8: a body without Content-Length had no size limit at all; now it stops at
// ambita.maxDownloadMiB, leaves no partial file and is not asked for again.
TEST_F(DownloadTest, ChunkedBodyLargerThanTheLimitIsAbandoned) {
  auto o = options();
  o.maxDownloadBytes = 1024 * 1024;  // data is 3 MiB
  makeClient(o);
  std::atomic<int> requests{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    ++requests;
    resp.setChunkedTransferEncoding(true);
    try {
      resp.send().write(data.data(), static_cast<std::streamsize>(data.size()));
    } catch (...) {
      // The client hangs up once the limit is passed.
    }
  };
  auto d = client().downloadAsset(server->baseUrl() + "/chunked", dest());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, dms::ErrorCode::InvalidArgument) << d.error().describe();
  EXPECT_NE(d.error().message.find("maxDownloadMiB"), std::string::npos) << d.error().message;
  EXPECT_FALSE(std::filesystem::exists(dest()));
  EXPECT_EQ(requests, 1);
}

// With a Content-Length above the limit the download is refused before any byte is stored.
TEST_F(DownloadTest, DeclaredLengthAboveTheLimitIsRefusedUpFront) {
  auto o = options();
  o.maxDownloadBytes = 1024 * 1024;
  makeClient(o);
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    try {
      sendBody(resp, data, data.size());
    } catch (...) {
    }
  };
  auto d = client().downloadAsset(server->baseUrl() + "/big", dest());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, dms::ErrorCode::InvalidArgument) << d.error().describe();
  EXPECT_FALSE(std::filesystem::exists(dest()));
}

TEST_F(DownloadTest, TokenOnlySentToConfiguredApiOrigin) {
  // A second server (another port = another origin) plays a storage host.
  TestServer foreign(
      [&](Req&, Resp& resp, const std::string&) { sendBody(resp, data, data.size()); });
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (req.getURI() == "/redirect") {
      resp.set("Location", foreign.baseUrl() + "/signed/abc?sig=xyz");
      return reply(resp, 302, "");
    }
    sendBody(resp, data, data.size());
  };
  auto direct = client().downloadAsset(foreign.baseUrl() + "/files/abc", dest());
  ASSERT_TRUE(direct) << direct.error().describe();
  auto redirected = client().downloadAsset(server->baseUrl() + "/redirect", dest());
  ASSERT_TRUE(redirected) << redirected.error().describe();
  EXPECT_EQ(redirected->sha256Hex, sha256(data));

  auto foreignRequests = foreign.requests();
  ASSERT_EQ(foreignRequests.size(), 2u);
  for (const auto& r : foreignRequests) EXPECT_FALSE(r.hasAuthorization) << r.uri;
  bool apiSawToken = false;
  for (const auto& r : server->requests())
    if (r.path == "/redirect") apiSawToken = r.authorization.rfind("Bearer ", 0) == 0;
  EXPECT_TRUE(apiSawToken);
}

TEST_F(DownloadTest, CutShortBodyRetriedFromScratch) {
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (++calls == 1) return sendBody(resp, data.substr(0, 100'000), data.size());
    sendBody(resp, data, data.size());
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(d->sha256Hex, sha256(data));
  EXPECT_EQ(std::filesystem::file_size(dest()), data.size());
}

TEST_F(DownloadTest, AlwaysCutShortIsDataLossAndLeavesNoPartialFile) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    sendBody(resp, data.substr(0, 1000), data.size());
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, dms::ErrorCode::DataLoss);
  EXPECT_NE(d.error().message.find("cut short: got 1000 of"), std::string::npos)
      << d.error().message;
  EXPECT_NE(d.error().message.find("gave up after 4 attempts"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dest()));
}

TEST_F(DownloadTest, WithdrawnAssetIsNotFound) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 404, "{\"message\":\"asset withdrawn\"}");
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, dms::ErrorCode::NotFound);
  EXPECT_EQ(server->count("/a"), 1u);
}

TEST_F(DownloadTest, DiskFullIsInsufficientStorage) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    sendBody(resp, data, data.size());
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", "/dev/full");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, dms::ErrorCode::InsufficientStorage);
  EXPECT_NE(d.error().message.find("/dev/full"), std::string::npos) << d.error().message;
}

TEST_F(DownloadTest, ExpiredTokenRenewedOnce) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    sendBody(resp, data, data.size());
  };
  ASSERT_TRUE(client().tokensForTest().accessToken());
  tokens.expireAccessTokens();
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(tokens.refreshGrants(), 1);
  EXPECT_EQ(server->count("/a"), 2u);  // 401, then the file
}

TEST_F(DownloadTest, ServerErrorsRetried) {
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (++calls < 3) return reply(resp, 502, "bad gateway");
    sendBody(resp, data, data.size());
  };
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(DownloadTest, SlowBodyTimesOutThenSucceeds) {
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (++calls == 1) {
      resp.setContentLength64(static_cast<Poco::Int64>(data.size()));
      resp.setKeepAlive(false);
      auto& out = resp.send();
      out.write(data.data(), 1000);
      out.flush();
      std::this_thread::sleep_for(800ms);  // stalls longer than the read timeout
      return;
    }
    sendBody(resp, data, data.size());
  };
  auto o = options();
  o.readTimeout = 300ms;
  makeClient(o);
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->sha256Hex, sha256(data));
  EXPECT_NE(logger.text().find("timed out"), std::string::npos) << logger.text();
}

// A body must keep the low-speed limit (1 KiB per readTimeout): one sent a byte every 50 ms
// (each receive inside readTimeout) held the download for as long as the server kept on. It
// fails as a timeout, and nothing is filed.
TEST_F(DownloadTest, ABodyBelowTheSpeedLimitTimesOutAndFilesNothing) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickleRaw(req, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n", "x", 50ms, 10s);
  };
  expectAQuickDownloadTimesOutAndFilesNothing();
}

// A chunked body (no Content-Length) whose next chunk-size line never ends: Poco's stream
// would end quietly at the cut, so a cut body must never be taken for the whole file.
TEST_F(DownloadTest, AChunkedBodyWhoseSizeLinesTrickleTimesOutAndFilesNothing) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickleRaw(req,
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=", "a",
               50ms, 10s);
  };
  expectAQuickDownloadTimesOutAndFilesNothing();
}

// A body slower than a read timeout in all, yet above the speed limit, is not cut (a big file
// over a slow line takes as long as it takes).
TEST_F(DownloadTest, ASlowBodyAboveTheSpeedLimitIsDownloadedWhole) {
  const std::string body = data.substr(0, 24 * 1024);
  api = [this, body](Req& req, Resp& resp, const std::string&) {  // may outlive a failed test
    if (!tokens.authorize(req, resp)) return;
    resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
    auto& out = resp.send();
    for (std::size_t at = 0; at < body.size() && out; at += 2048) {
      out.write(body.data() + at, 2048);
      out.flush();
      std::this_thread::sleep_for(200ms);  // 10 KiB/s
    }
  };
  makeQuickClient();
  const auto start = std::chrono::steady_clock::now();
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_GT(std::chrono::steady_clock::now() - start, 1500ms) << "the body came too fast";
  EXPECT_EQ(d->sha256Hex, sha256(body));
  EXPECT_TRUE(readFile(dest()) == body);
}

TEST_F(DownloadTest, CancelStopsDownloadInFlight) {
  expectCancelEndsADownloadInFlight();
}

// A server that stalls after the first bytes of a file: cancel() cuts the connection, so the
// download ends at once instead of after readTimeout (before: the server's 8 s stall).
TEST_F(DownloadTest, CancelCutsADownloadTheServerStalls) {
  std::atomic<bool> released{false};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    resp.setContentLength64(static_cast<Poco::Int64>(data.size()));
    auto& out = resp.send();
    out.write(data.data(), 10);
    out.flush();
    for (int i = 0; i < 400 && !released; ++i) std::this_thread::sleep_for(20ms);
  };
  auto o = options();
  o.readTimeout = 30s;
  makeClient(o);
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    client().cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  auto d = client().downloadAsset(server->baseUrl() + "/a", dest());
  const auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  released = true;
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, dms::ErrorCode::Cancelled) << d.error().describe();
  EXPECT_LT(took, 3s);
  EXPECT_FALSE(std::filesystem::exists(dest()));
}

TEST_F(DownloadTest, BadUrlsRefused) {
  auto d = client().downloadAsset("ftp://example.com/x", dest());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, dms::ErrorCode::InvalidArgument);
  auto rel = client().downloadAsset("/just/a/path", dest());
  ASSERT_FALSE(rel);
  EXPECT_EQ(rel.error().code, dms::ErrorCode::InvalidArgument);
}

// Issue 15, streaming: the consumer (a target's put) reads the body itself; a body cut short
// fails the consumer's stream (badbit, no quiet end) and the download starts again with a new
// body, so whatever the consumer made of the short one can be thrown away.
TEST_F(DownloadTest, StreamedBodyCutShortFailsTheConsumersStreamAndComesAgain) {
  expectACutShortBodyFailsItsStreamAndComesAgain(100'000);
}

// A connection reset mid-body (a receive failing, not a short body's early end) fails the
// consumer's stream too, and the download comes again from scratch with the right bytes and
// SHA-256; reset every time, it is Unavailable (a broken connection, not a cut-short body).
TEST_F(DownloadTest, ConnectionResetMidBodyFailsTheConsumersStreamAndComesAgain) {
  expectAResetBodyFailsItsStreamAndComesAgain();
  expectABodyAlwaysResetIsUnavailable("/b", 1'000'000);
}

// The consumer's own failure (a target refusing the file) ends the download with it, not
// retried by the client, and the hash of a body it did not read is never reported.
TEST_F(DownloadTest, ConsumerFailureEndsTheStreamedDownloadWithIt) {
  expectConsumerFailureEndsTheDownload();
}

// Issue 15 row 3: a big body is hashed on a second thread (HashAside in DownloadBody), received
// a slot at a time. These take that path with the fixture's 3 MiB body (every body hashed aside,
// 3 slots of 256 KiB: the ring wraps four times) over a real connection: the bytes filed and
// their SHA-256 must be the served ones, and a failing body must fail the consumer's stream.
class HashedAsideDownloadTest : public DownloadTest {
 protected:
  void SetUp() override { client().setHashAsideForTest({1, {3, 256 * 1024}}); }
};

TEST_F(HashedAsideDownloadTest, BodiesAreFiledWithTheirSha256AndStopAtTheirEnd) {
  expectBackToBackDownloadsShareOneConnection(
      content(1024 * 1024 + 3).substr(1),  // not a multiple of a slot
      [](Resp& resp, const std::string& body) { sendBody(resp, body, body.size()); },
      "a slot's receive read past the first body's end");
}

TEST_F(HashedAsideDownloadTest, ABodyCutShortFailsTheConsumersStreamAndComesAgain) {
  expectACutShortBodyFailsItsStreamAndComesAgain(600'000);
}

TEST_F(HashedAsideDownloadTest, AConnectionResetMidBodyFailsTheConsumersStreamAndComesAgain) {
  expectAResetBodyFailsItsStreamAndComesAgain();
}

TEST_F(HashedAsideDownloadTest, ABodyAlwaysResetIsUnavailableAndLeavesNoFile) {
  expectABodyAlwaysResetIsUnavailable("/a", 700'000);
}

TEST_F(HashedAsideDownloadTest, ConsumerFailureEndsTheDownloadWithoutAHash) {
  expectConsumerFailureEndsTheDownload();
}

TEST_F(HashedAsideDownloadTest, CancelStopsTheDownloadInFlight) {
  expectCancelEndsADownloadInFlight();
}

}  // namespace
}  // namespace ambita::test
