#pragma once
/// SHA-256 through OpenSSL's EVP interface, with the digest's implementation looked up once.
/// With OpenSSL 3 every EVP_DigestInit_ex of a digest named or got by name looks its provider
/// implementation up again (name map, method store, their locks): Poco::Crypto::DigestEngine
/// does that at construction and again in digest()'s reset, and with one engine a download this
/// was ~2.5 % of dms-host's CPU on a first sync of small files. Sha256Method holds one fetched
/// implementation for every hash its owner makes (OrderApi keeps one for its downloads).

#include <cstddef>
#include <string>

struct evp_md_st;
struct evp_md_ctx_st;

namespace ambita::api {

/// OpenSSL's SHA-256 implementation, fetched once; immutable, shared by threads.
class Sha256Method {
 public:
  Sha256Method();  ///< throws std::runtime_error when OpenSSL has no SHA-256
  ~Sha256Method();
  Sha256Method(const Sha256Method&) = delete;
  Sha256Method& operator=(const Sha256Method&) = delete;

 private:
  friend class Sha256;
  evp_md_st* md_;
};

/// One running hash: update() with the bytes in order, then hex() once.
class Sha256 {
 public:
  explicit Sha256(const Sha256Method& method);  ///< throws std::runtime_error if OpenSSL fails
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  /// The digest of everything updated so far, as 64 lowercase hex digits; ends the hash.
  std::string hex();

 private:
  evp_md_ctx_st* context_;
};

}  // namespace ambita::api
