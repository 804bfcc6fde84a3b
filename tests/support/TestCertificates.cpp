#include "support/TestCertificates.h"

#include <cstdlib>

namespace dms::test {

TestCertificates::TestCertificates() {
  const std::string script =
      "set -e; cd '" + dir_.str() +
      "'; "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "  -keyout ca.key -out ca.pem -days 2 -subj '/CN=Throwaway Test CA' 2>/dev/null; "
      "for name in good other; do "
      "  if [ $name = good ]; then cn=127.0.0.1; san='IP:127.0.0.1,DNS:localhost'; "
      "  else cn=other.example; san='DNS:other.example'; fi; "
      "  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "    -keyout $name.key -out $name.csr -subj \"/CN=$cn\" 2>/dev/null; "
      "  printf 'subjectAltName=%s\\nbasicConstraints=CA:FALSE\\n' \"$san\" > $name.ext; "
      "  openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "    -out $name.pem -days 2 -extfile $name.ext 2>/dev/null; "
      "done";
  ready_ = std::system(script.c_str()) == 0;
}

std::string TestCertificates::certificateFile(const std::string& name) const {
  return dir_.str() + "/" + name + ".pem";
}

std::string TestCertificates::keyFile(const std::string& name) const {
  return dir_.str() + "/" + name + ".key";
}

Poco::Net::Context::Ptr TestCertificates::serverContext(const std::string& name) const {
  return Poco::makeAuto<Poco::Net::Context>(Poco::Net::Context::TLS_SERVER_USE, keyFile(name),
                                            certificateFile(name), "",
                                            Poco::Net::Context::VERIFY_NONE);
}

}  // namespace dms::test
