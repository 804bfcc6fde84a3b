#pragma once
/// Password hashes for the admin console's users: PBKDF2-HMAC-SHA256 (OpenSSL), written as
///
///   pbkdf2-sha256$<iterations>$<salt, base64>$<derived key, base64>
///
/// `dms-host admin-password` prints one; the configuration keeps only the hash. Also the
/// random tokens of sessions and CSRF (OpenSSL's RAND_bytes, never a seeded PRNG).

#include <string>

#include "dms/Error.h"

namespace dms::host::admin {

class PasswordHash {
 public:
  /// Iterations for new hashes (OWASP 2023 for PBKDF2-HMAC-SHA256).
  static constexpr unsigned kIterations = 600000;
  static constexpr const char* kScheme = "pbkdf2-sha256";
  /// Shorter passwords are refused by admin-password.
  static constexpr std::size_t kMinPasswordLength = 10;

  /// A new hash of `password` with a fresh random salt. `iterations` only for tests' speed.
  static std::string make(const std::string& password, unsigned iterations = kIterations);

  /// Whether `hash` has the format above; the error names what is wrong (never the hash).
  static Status check(const std::string& hash);

  /// The iteration count of a valid `hash` (check() passed); kIterations for a malformed one.
  static unsigned iterationsOf(const std::string& hash);

  /// Whether `password` matches `hash` (constant-time comparison); false for a malformed hash.
  static bool verify(const std::string& password, const std::string& hash);
};

/// `bytes` random bytes as URL-safe base64 without padding (for cookies and headers).
std::string randomToken(std::size_t bytes = 32);

/// Compares in time independent of where the first difference is.
bool equalConstantTime(const std::string& a, const std::string& b);

}  // namespace dms::host::admin
