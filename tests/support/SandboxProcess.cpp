#include "support/SandboxProcess.h"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/PipeStream.h>
#include <Poco/StreamCopier.h>

namespace dms::test {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string toJson(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(value, out);
  return out.str();
}

std::string orderPath(std::int64_t orderId, const std::string& action) {
  return "/_sandbox/orders/" + std::to_string(orderId) + action;
}

}  // namespace

std::string SandboxProcess::executablePath() {
  // build/samples/ambita-sandbox, or inside the folder of that name while the samples
  // CMakeLists gives the folder that name (see samples/ambita-sandbox/CMakeLists.txt).
  const std::filesystem::path direct = DMS_BUILD_DIR "/samples/ambita-sandbox";
  if (std::filesystem::is_regular_file(direct)) return direct.string();
  return (direct / "ambita-sandbox").string();
}

SandboxProcess::SandboxProcess(std::vector<std::string> extraArgs) {
  const std::string path = executablePath();
  if (!std::filesystem::is_regular_file(path))
    throw std::runtime_error("ambita-sandbox not built: " + path + " is missing");
  std::vector<std::string> args = {"--port", "0", "--exit-on-stdin-eof"};
  auto verbose = std::find(extraArgs.begin(), extraArgs.end(), "--verbose");
  if (verbose != extraArgs.end()) {
    extraArgs.erase(verbose);
  } else {
    args.push_back("--quiet");
  }
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  // stderr is inherited so the sandbox's messages show in the test log.
  handle_ = std::make_unique<Poco::ProcessHandle>(
      Poco::Process::launch(path, args, &stdin_, &stdout_, nullptr));
  Poco::PipeInputStream out(stdout_);
  std::string line;
  std::getline(out, line);
  const std::string prefix = "ambita-sandbox listening on http://127.0.0.1:";
  if (line.rfind(prefix, 0) != 0) {
    Poco::Process::kill(*handle_);
    const int code = handle_->wait();
    handle_.reset();
    throw std::runtime_error("ambita-sandbox did not start (exit code " + std::to_string(code) +
                             ", first line '" + line + "')");
  }
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(prefix.size())));
  baseUrl_ = "http://127.0.0.1:" + std::to_string(port_);
}

SandboxProcess::~SandboxProcess() {
  if (!handle_) return;
  try {
    Poco::Process::kill(*handle_);
  } catch (const Poco::Exception&) {
    // Already gone; wait() still reaps it.
  }
  try {
    handle_->wait();
  } catch (const Poco::Exception&) {
  }
  stdin_.close();
  stdout_.close();
}

SandboxProcess::Reply SandboxProcess::request(const std::string& method,
                                              const std::string& pathAndQuery,
                                              const std::string& body,
                                              const std::vector<std::string>& headers) const {
  Poco::Net::HTTPClientSession session("127.0.0.1", port_);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& header : headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos) throw std::invalid_argument("header without ':': " + header);
    std::size_t valueStart = header.find_first_not_of(' ', colon + 1);
    req.set(header.substr(0, colon),
            valueStart == std::string::npos ? "" : header.substr(valueStart));
  }
  if (!body.empty() && !req.has("Content-Type")) req.setContentType("application/json");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply reply;
  reply.status = static_cast<int>(response.getStatus());
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

Poco::Dynamic::Var SandboxProcess::control(const std::string& method, const std::string& path,
                                           const std::string& jsonBody) const {
  Reply reply = request(method, path, jsonBody);
  if (reply.status < 200 || reply.status > 299)
    throw std::runtime_error("sandbox " + method + " " + path + " -> " +
                             std::to_string(reply.status) + ": " + reply.body);
  Poco::JSON::Parser parser;
  return parser.parse(reply.body);
}

std::int64_t SandboxProcess::createOrder(const std::string& kind,
                                         const std::string& jsonBody) const {
  Object::Ptr order = control("POST", "/_sandbox/orders/" + kind, jsonBody).extract<Object::Ptr>();
  return order->getValue<std::int64_t>("id");
}

std::int64_t SandboxProcess::createDemoOrder(const std::string& reference,
                                             const std::string& technicalReference) const {
  Object::Ptr body = new Object;
  Object::Ptr orderData = new Object;
  orderData->set("address", "Infoveien 1, 9999 Infoland");
  orderData->set("cadastre", "9999-1-1-0-0");
  body->set("orderData", orderData);
  Array::Ptr products = new Array;
  Object::Ptr product = new Object;
  product->set("code", "WI99990033");
  products->add(product);
  body->set("products", products);
  body->set("reference", reference);
  body->set("technicalReference", technicalReference);
  return createOrder("cadastre", toJson(body));
}

Object::Ptr SandboxProcess::step(std::int64_t orderId, int count) const {
  return control("POST", orderPath(orderId, "/step"), "{\"count\":" + std::to_string(count) + "}")
      .extract<Object::Ptr>();
}

void SandboxProcess::setExtraSteps(std::int64_t orderId,
                                   const std::vector<std::string>& steps) const {
  Object::Ptr body = new Object;
  Array::Ptr list = new Array;
  for (const auto& name : steps) list->add(name);
  body->set("extraSteps", list);
  control("POST", orderPath(orderId, "/script"), toJson(body));
}

void SandboxProcess::setGeneration(std::int64_t orderId, const std::string& generation) const {
  Object::Ptr body = new Object;
  body->set("generation", generation);
  control("POST", orderPath(orderId, "/generation"), toJson(body));
}

Object::Ptr SandboxProcess::addAsset(std::int64_t orderId, const AssetSpec& spec) const {
  Object::Ptr body = new Object;
  body->set("name", spec.name);
  body->set("filename", spec.filename);
  body->set("productCategory", spec.productCategory);
  body->set("size", static_cast<Poco::UInt64>(spec.size));
  body->set("level", spec.level);
  body->set("lineId", static_cast<Poco::Int64>(spec.lineId));
  if (!spec.downloadUrl.empty()) body->set("downloadUrl", spec.downloadUrl);
  if (!spec.id.empty()) body->set("id", spec.id);
  return control("POST", orderPath(orderId, "/assets"), toJson(body)).extract<Object::Ptr>();
}

void SandboxProcess::withdraw(std::int64_t orderId, const std::string& assetId) const {
  control("POST", orderPath(orderId, "/assets/" + assetId + "/withdraw"));
}

void SandboxProcess::cancel(std::int64_t orderId) const {
  control("POST", orderPath(orderId, "/cancel"));
}

void SandboxProcess::refund(std::int64_t orderId) const {
  control("POST", orderPath(orderId, "/refund"));
}

void SandboxProcess::addFault(const std::string& endpoint, const std::string& kind, int count,
                              std::optional<int> arg) const {
  Object::Ptr body = new Object;
  body->set("endpoint", endpoint);
  body->set("kind", kind);
  body->set("count", count);
  if (arg) body->set("arg", *arg);
  control("POST", "/_sandbox/faults", toJson(body));
}

void SandboxProcess::clearFaults() const {
  control("DELETE", "/_sandbox/faults");
}

void SandboxProcess::expireTokens() const {
  control("POST", "/_sandbox/expire-tokens");
}

std::uint64_t SandboxProcess::tokensIssued() const {
  return control("GET", "/_sandbox/tokens")
      .extract<Object::Ptr>()
      ->getValue<std::uint64_t>("issued");
}

void SandboxProcess::setPushUrl(const std::string& url) const {
  Object::Ptr body = new Object;
  body->set("url", url);
  control("POST", "/_sandbox/push-url", toJson(body));
}

SandboxProcess::AssetInfo SandboxProcess::assetInfo(const std::string& assetId) const {
  Object::Ptr json = control("GET", "/_sandbox/assets/" + assetId).extract<Object::Ptr>();
  AssetInfo info;
  info.size = json->getValue<std::uint64_t>("size");
  info.sha256 = json->getValue<std::string>("sha256");
  info.assetStatus = json->getValue<std::string>("assetStatus");
  return info;
}

Array::Ptr SandboxProcess::requests() const {
  return control("GET", "/_sandbox/requests").extract<Array::Ptr>();
}

std::size_t SandboxProcess::requestCount(const std::string& endpoint) const {
  auto log = requests();
  std::size_t n = 0;
  for (std::size_t i = 0; i < log->size(); ++i)
    if (log->getObject(static_cast<unsigned>(i))->optValue<std::string>("endpoint", "") == endpoint)
      ++n;
  return n;
}

std::size_t SandboxProcess::faultsHit(const std::string& endpoint) const {
  auto log = requests();
  std::size_t n = 0;
  for (std::size_t i = 0; i < log->size(); ++i) {
    auto entry = log->getObject(static_cast<unsigned>(i));
    if (entry->optValue<std::string>("endpoint", "") == endpoint && !entry->isNull("fault") &&
        !entry->optValue<std::string>("fault", "").empty())
      ++n;
  }
  return n;
}

void SandboxProcess::clearRequests() const {
  control("DELETE", "/_sandbox/requests");
}

Array::Ptr SandboxProcess::pushes() const {
  return control("GET", "/_sandbox/pushes").extract<Array::Ptr>();
}

std::size_t SandboxProcess::pushesPending() const {
  auto sent = pushes();
  std::size_t n = 0;
  for (std::size_t i = 0; i < sent->size(); ++i)
    if (sent->getObject(static_cast<unsigned>(i))->optValue<std::string>("result", "") == "pending")
      ++n;
  return n;
}

std::string SandboxProcess::passwordToken() const {
  Reply reply = request("POST", "/authentication/v2/token",
                        std::string("{\"grant_type\":\"password\",\"client_id\":\"") + kClientId +
                            "\",\"client_secret\":\"" + kClientSecret + "\",\"username\":\"" +
                            kUsername + "\",\"password\":\"" + kPassword + "\"}");
  if (reply.status != 200)
    throw std::runtime_error("sandbox token grant -> " + std::to_string(reply.status) + ": " +
                             reply.body);
  Poco::JSON::Parser parser;
  return parser.parse(reply.body).extract<Object::Ptr>()->getValue<std::string>("access_token");
}

}  // namespace dms::test
