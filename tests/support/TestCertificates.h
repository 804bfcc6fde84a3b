#pragma once
/// A throwaway certificate authority and two server certificates it signed, made with the
/// openssl CLI in a fresh temp folder (removed with the object): "good" for 127.0.0.1 /
/// localhost and "other" for other.example (a valid certificate for the wrong name). For TLS
/// tests of both HTTP clients; the servers use keyFile()/certificateFile(), the clients trust
/// caFile().

#include <string>

#include <Poco/Net/Context.h>

#include "support/TempDir.h"

namespace dms::test {

class TestCertificates {
 public:
  /// Makes the files; ready() tells whether openssl succeeded (tests skip or fail otherwise).
  TestCertificates();

  bool ready() const { return ready_; }
  std::string caFile() const { return dir_.str() + "/ca.pem"; }
  /// `name`: "good" or "other".
  std::string certificateFile(const std::string& name) const;
  std::string keyFile(const std::string& name) const;
  /// A TLS server context presenting the certificate `name`.
  Poco::Net::Context::Ptr serverContext(const std::string& name) const;

 private:
  TempDir dir_{"dms-certs"};
  bool ready_ = false;
};

}  // namespace dms::test
