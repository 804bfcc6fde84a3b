#include "api/PushParser.h"

#include <Poco/Exception.h>

#include "api/JsonReader.h"
#include "api/ModelParser.h"

namespace ambita::api {

dms::Result<PushMessage> PushParser::parse(const std::string& body) {
  auto json = ModelParser::parseJson(body);
  if (!json)
    return dms::fail(dms::ErrorCode::InvalidArgument, "push message: " + json.error().message);
  try {
    auto o = JsonReader::object(*json, "");
    PushMessage m;
    const char* key = o->has("orderCollectionId") && !o->isNull("orderCollectionId")
                          ? "orderCollectionId"
                          : "orderId";
    auto id = JsonReader::optInteger(*o, key, "");
    if (!id)
      return dms::fail(dms::ErrorCode::InvalidArgument,
                       "push message: neither orderCollectionId nor orderId given");
    if (*id <= 0) JsonReader::fail(key, "must be a positive integer, got " + std::to_string(*id));
    m.orderCollectionId = *id;
    m.status = JsonReader::codeName(*o, "status", "").code;
    m.reference = JsonReader::optString(*o, "reference", "").value_or("");
    m.technicalReference = JsonReader::optString(*o, "technicalReference", "").value_or("");
    return m;
  } catch (const JsonReader::Failure& f) {
    return dms::fail(dms::ErrorCode::InvalidArgument, std::string("push message: ") + f.what());
  } catch (const Poco::Exception& e) {
    return dms::fail(dms::ErrorCode::InvalidArgument, "push message: " + e.displayText());
  }
}

}  // namespace ambita::api
