// The token endpoint's answer (POST /authentication/v2/token) and the one-line summary of an
// error body: whatever the server sends, a token, an error naming the field, or a summary.
// A token that parses is then adopted by the TokenManager (lifetime, renewal time), as the
// client does with the answer.
#include "FuzzInput.h"
#include "api/ModelParser.h"
#include "api/TokenManager.h"

using ambita::api::ModelParser;
using ambita::api::TokenManager;
using ambita::api::TokenResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body = dms::fuzz::text(data, size);
  // The summary ends up in one log line and an error message: short, and one line.
  const std::string summary = ModelParser::errorSummary(body);
  dms::fuzz::require(summary.size() <= 300, "an error summary stays short");
  for (const char c : summary)
    dms::fuzz::require(static_cast<unsigned char>(c) >= 0x20, "an error summary is one line");
  const auto json = ModelParser::parseJson(body);
  if (!json) return 0;
  if (auto token = ModelParser::token(*json); token) {
    dms::fuzz::require(!token->accessToken.empty(), "a token answer has an access token");
    TokenManager manager(
        ambita::api::ClientOptions{},
        [&](const TokenManager::Form&) -> dms::Result<TokenResponse> { return *token; }, nullptr);
    auto access = manager.accessToken();
    dms::fuzz::require(access.ok() && *access == token->accessToken,
                       "an adopted token is handed out");
  } else {
    dms::fuzz::require(!token.error().message.empty(), "a token error says what was wrong");
  }
  return 0;
}
