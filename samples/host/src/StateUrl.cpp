#include "StateUrl.h"

#include <Poco/URI.h>

#include <optional>
#include <string_view>
#include <utility>

namespace dms::host {
namespace {

constexpr const char* kMask = "********";

/// Where the password is in `url`: offset and length, or nullopt. The authority runs from
/// "://" to the first '/', '?' or '#'; its user information ends at the last '@' (a password
/// may contain a raw '@'), and the password starts after the first ':' in it.
std::optional<std::pair<std::size_t, std::size_t>> passwordSpan(const std::string& url) {
  const auto schemeEnd = url.find("://");
  if (schemeEnd == std::string::npos) return std::nullopt;
  const std::size_t authority = schemeEnd + 3;
  const auto authorityEnd = url.find_first_of("/?#", authority);
  const std::string_view authorityText = std::string_view(url).substr(
      authority, authorityEnd == std::string::npos ? std::string::npos : authorityEnd - authority);
  const auto at = authorityText.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const auto colon = authorityText.substr(0, at).find(':');
  if (colon == std::string_view::npos || colon + 1 == at) return std::nullopt;
  return std::make_pair(authority + colon + 1, at - colon - 1);
}

}  // namespace

std::vector<std::string> StateUrl::passwordSpellings(const std::string& url) {
  const auto span = passwordSpan(url);
  if (!span) return {};
  std::vector<std::string> spellings{url.substr(span->first, span->second)};
  std::string decoded;
  try {
    Poco::URI::decode(spellings.front(), decoded);
  } catch (...) {  // NOLINT: a malformed escape is sent as written, so the raw form suffices
    decoded.clear();
  }
  if (!decoded.empty() && decoded != spellings.front()) spellings.push_back(decoded);
  return spellings;
}

std::string StateUrl::masked(const std::string& url) {
  const auto span = passwordSpan(url);
  if (!span) return url;
  return url.substr(0, span->first) + kMask + url.substr(span->first + span->second);
}

}  // namespace dms::host
