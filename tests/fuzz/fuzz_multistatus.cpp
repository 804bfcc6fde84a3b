// A WebDAV server's 207 Multi-Status answer (PROPFIND, PROPPATCH): any XML, or anything that
// is not XML, gives resources or an error, without a crash, a hang or a memory blow-up.
// The input also exercises the reversible mapping between metadata keys and property names.
#include "FuzzInput.h"
#include "Multistatus.h"

using namespace dms::webdav;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = dms::fuzz::text(data, size);
  if (auto resources = parseMultistatus(input, "PROPFIND /fuzz/"); !resources) {
    dms::fuzz::require(resources.error().message.find("PROPFIND /fuzz/") != std::string::npos,
                       "a multistatus error names the request");
  }
  const std::string property = metadataPropertyName(input);
  dms::fuzz::require(metadataKeyFromProperty(property) == input,
                     "metadata key -> property name -> key gives the key back");
  (void)metadataKeyFromProperty(input);
  (void)parseStatusLine(input);
  return 0;
}
