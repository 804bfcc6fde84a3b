#include "PasswordHash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <optional>
#include <stdexcept>
#include <vector>

namespace dms::host::admin {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 32;
/// Far above kIterations, far below a hash that would stall every login.
constexpr unsigned long kMaxIterations = 10000000;

std::string base64(const unsigned char* data, std::size_t size) {
  std::vector<unsigned char> out(4 * ((size + 2) / 3) + 1);
  const int length = EVP_EncodeBlock(out.data(), data, static_cast<int>(size));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(length));
}

/// Decodes standard base64 with padding; nullopt when it is not.
std::optional<std::string> unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out(text.size() / 4 * 3 + 1);
  const int length =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (length < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(length);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string derive(const std::string& password, const std::string& salt, unsigned iterations) {
  unsigned char key[kKeyBytes];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        sizeof key, key) != 1)
    throw std::runtime_error("PBKDF2 failed");
  return std::string(reinterpret_cast<const char*>(key), sizeof key);
}

struct Parsed {
  unsigned iterations = 0;
  std::string salt;
  std::string key;
};

Result<Parsed> parse(const std::string& hash) {
  const std::string prefix = std::string(PasswordHash::kScheme) + "$";
  if (!hash.starts_with(prefix))
    return fail(ErrorCode::InvalidArgument, std::string("expected a hash starting with \"") +
                                                prefix +
                                                "\" (make one with dms-host admin-password)");
  const auto second = hash.find('$', prefix.size());
  const auto third = second == std::string::npos ? second : hash.find('$', second + 1);
  if (third == std::string::npos)
    return fail(ErrorCode::InvalidArgument,
                "expected pbkdf2-sha256$ITERATIONS$SALT$KEY (make one with dms-host "
                "admin-password)");
  const std::string count = hash.substr(prefix.size(), second - prefix.size());
  if (count.empty() || count.size() > 8 ||
      count.find_first_not_of("0123456789") != std::string::npos || std::stoul(count) < 1000 ||
      std::stoul(count) > kMaxIterations)
    return fail(ErrorCode::InvalidArgument,
                "the iteration count must be 1000 to " + std::to_string(kMaxIterations));
  auto salt = unbase64(hash.substr(second + 1, third - second - 1));
  auto key = unbase64(hash.substr(third + 1));
  if (!salt || salt->size() < 8)
    return fail(ErrorCode::InvalidArgument, "the salt is not base64 of 8 bytes or more");
  if (!key || key->size() != kKeyBytes)
    return fail(ErrorCode::InvalidArgument, "the key is not base64 of 32 bytes");
  return Parsed{static_cast<unsigned>(std::stoul(count)), *salt, *key};
}

}  // namespace

std::string PasswordHash::make(const std::string& password, unsigned iterations) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("no random bytes");
  const std::string saltText(reinterpret_cast<const char*>(salt), sizeof salt);
  const std::string key = derive(password, saltText, iterations);
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64(salt, sizeof salt) +
         "$" + base64(reinterpret_cast<const unsigned char*>(key.data()), key.size());
}

Status PasswordHash::check(const std::string& hash) {
  auto parsed = parse(hash);
  if (!parsed) return parsed.error();
  return {};
}

unsigned PasswordHash::iterationsOf(const std::string& hash) {
  auto parsed = parse(hash);
  return parsed ? parsed->iterations : kIterations;
}

bool PasswordHash::verify(const std::string& password, const std::string& hash) {
  auto parsed = parse(hash);
  if (!parsed) return false;
  return equalConstantTime(derive(password, parsed->salt, parsed->iterations), parsed->key);
}

std::string randomToken(std::size_t bytes) {
  std::vector<unsigned char> random(bytes);
  if (RAND_bytes(random.data(), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("no random bytes");
  std::string text = base64(random.data(), bytes);
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

bool equalConstantTime(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace dms::host::admin
