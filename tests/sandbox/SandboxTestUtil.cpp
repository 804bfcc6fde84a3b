#include "SandboxTestUtil.h"

#include <gtest/gtest.h>

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>

namespace dms::test {

RawReply rawRequest(const SandboxProcess& sandbox, const std::string& method,
                    const std::string& target, const std::string& body, const std::string& bearer,
                    const std::string& contentType) {
  RawReply reply;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", sandbox.port());
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!bearer.empty()) request.set("Authorization", "Bearer " + bearer);
    if (!body.empty()) request.setContentType(contentType);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    reply.answered = true;
    reply.status = static_cast<int>(response.getStatus());
    reply.contentLength = response.getContentLength64();
    reply.retryAfter = response.get("Retry-After", "");
    reply.contentType = response.getContentType();
    Poco::StreamCopier::copyToString(in, reply.body);
  } catch (const Poco::Exception& e) {
    reply.error = e.displayText();
  }
  return reply;
}

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    ADD_FAILURE() << "not a JSON object: " << text << " (" << e.displayText() << ")";
    return new Poco::JSON::Object;
  }
}

Poco::JSON::Array::Ptr parseArray(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Array::Ptr>();
  } catch (const Poco::Exception& e) {
    ADD_FAILURE() << "not a JSON array: " << text << " (" << e.displayText() << ")";
    return new Poco::JSON::Array;
  }
}

std::string sha256Hex(const std::string& data) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(data);
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string cadastreBody(const std::vector<std::string>& codes, const std::string& cadastre) {
  Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
  Poco::JSON::Object::Ptr orderData = new Poco::JSON::Object;
  orderData->set("address", "Infoveien 1, 9999 Infoland");
  orderData->set("cadastre", cadastre);
  body->set("orderData", orderData);
  Poco::JSON::Array::Ptr products = new Poco::JSON::Array;
  for (const auto& code : codes) {
    Poco::JSON::Object::Ptr product = new Poco::JSON::Object;
    product->set("code", code);
    products->add(product);
  }
  body->set("products", products);
  body->set("reference", "assignment-2024-117");
  body->set("technicalReference", "dms-case-8812");
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(body, out);
  return out.str();
}

}  // namespace dms::test
