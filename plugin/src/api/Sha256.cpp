#include "api/Sha256.h"

#include <openssl/evp.h>

#include <Poco/DigestEngine.h>

#include <stdexcept>

namespace ambita::api {

Sha256Method::Sha256Method() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
  if (md_ == nullptr) throw std::runtime_error("OpenSSL offers no SHA-256 implementation");
}

Sha256Method::~Sha256Method() {
  EVP_MD_free(md_);
}

Sha256::Sha256(const Sha256Method& method) : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(context_, method.md_, nullptr) != 1) {
    EVP_MD_CTX_free(context_);
    throw std::runtime_error("OpenSSL could not start a SHA-256 hash");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(context_);
}

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0 && EVP_DigestUpdate(context_, data, size) != 1)
    throw std::runtime_error("OpenSSL failed to hash " + std::to_string(size) + " bytes");
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_, digest, &length) != 1)
    throw std::runtime_error("OpenSSL failed to finish a SHA-256 hash");
  return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(digest, digest + length));
}

}  // namespace ambita::api
