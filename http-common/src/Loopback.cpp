#include "dms/http/Loopback.h"

#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>

#include <string>

namespace dms::http {

bool isLoopbackHost(std::string_view host) {
  std::string h = Poco::toLower(std::string(host));
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost") return true;
  Poco::Net::IPAddress address;
  if (!Poco::Net::IPAddress::tryParse(h, address)) return false;
  return address.isLoopback();
}

}  // namespace dms::http
