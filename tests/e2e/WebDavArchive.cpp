#include "WebDavArchive.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <Poco/DOM/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/XMLReader.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "support/FileDigest.h"

namespace dms::e2e {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMetaNamespace = "urn:ambita-dms:meta:1";

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

/// "m_ambita.assetId" -> "ambita.assetId"; "_XX" is one byte in hex.
std::string keyOfProperty(const std::string& localName) {
  std::string key;
  for (std::size_t i = 2; i < localName.size(); ++i) {
    if (localName[i] == '_' && i + 2 < localName.size()) {
      key += static_cast<char>(std::stoi(localName.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      key += localName[i];
    }
  }
  return key;
}

void collectProperties(Poco::XML::Node* node, std::map<std::string, std::string>& out) {
  for (auto* child = node->firstChild(); child != nullptr; child = child->nextSibling()) {
    if (child->nodeType() != Poco::XML::Node::ELEMENT_NODE) continue;
    if (child->namespaceURI() == kMetaNamespace && startsWith(child->localName(), "m_"))
      out[keyOfProperty(child->localName())] = child->innerText();
    else
      collectProperties(child, out);
  }
}

/// Skips Apache mod_dav_fs's own state folders.
bool isDavState(const fs::path& path) {
  return path.filename() == ".DAV";
}

std::map<std::string, std::string> readSidecar(const fs::path& sidecar) {
  std::ifstream in(sidecar, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  Poco::JSON::Parser parser;
  auto values = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>()->getObject("metadata");
  std::map<std::string, std::string> metadata;
  if (values)
    for (const auto& [key, value] : *values) metadata[key] = value.toString();
  return metadata;
}

}  // namespace

WebDavArchive::WebDavArchive(fs::path folder, std::string url, std::string user,
                             std::string password)
    : folder_(std::move(folder)),
      url_(std::move(url)),
      user_(std::move(user)),
      password_(std::move(password)) {}

std::map<std::string, std::string> WebDavArchive::propfind(const std::string& relativePath) const {
  Poco::URI base(url_);
  std::string path = base.getPath();
  std::string segment;
  std::istringstream segments(relativePath);
  bool first = true;
  while (std::getline(segments, segment, '/')) {
    if (!first) path += '/';
    first = false;
    std::string encoded;
    Poco::URI::encode(segment, "!#$&'()*+,/:;=?@[] ", encoded);
    path += encoded;
  }
  Poco::Net::HTTPClientSession session(base.getHost(), base.getPort());
  session.setTimeout(Poco::Timespan(20, 0));
  Poco::Net::HTTPRequest request("PROPFIND", path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Depth", "0");
  if (!user_.empty()) Poco::Net::HTTPBasicCredentials(user_, password_).authenticate(request);
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propfind "
      "xmlns:D=\"DAV:\"><D:allprop/></D:propfind>";
  request.setContentType("application/xml; charset=utf-8");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::string answer;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
  if (response.getStatus() != 207)
    throw std::runtime_error("PROPFIND " + path + " -> " + std::to_string(response.getStatus()) +
                             ": " + answer);
  Poco::XML::DOMParser parser;
  parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
  Poco::AutoPtr<Poco::XML::Document> document = parser.parseString(answer);
  std::map<std::string, std::string> metadata;
  collectProperties(document, metadata);
  return metadata;
}

std::vector<FiledFile> WebDavArchive::files() const {
  std::vector<FiledFile> result;
  if (!fs::exists(folder_)) return result;
  for (auto it = fs::recursive_directory_iterator(folder_);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && isDavState(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink() || !it->is_regular_file()) continue;
    const std::string name = it->path().filename().string();
    if (startsWith(name, ".dms-")) continue;
    FiledFile file;
    file.path = fs::relative(it->path(), folder_).generic_string();
    file.size = it->file_size();
    file.sha256 = test::FileDigest::sha256(it->path());
    const auto sidecar = it->path().parent_path() / (".dms-meta-" + name + ".json");
    file.metadata = fs::exists(sidecar) ? readSidecar(sidecar) : propfind(file.path);
    result.push_back(std::move(file));
  }
  std::sort(result.begin(), result.end(),
            [](const FiledFile& a, const FiledFile& b) { return a.path < b.path; });
  return result;
}

std::vector<std::string> WebDavArchive::leftovers() const {
  std::vector<std::string> result;
  if (!fs::exists(folder_)) return result;
  for (auto it = fs::recursive_directory_iterator(folder_);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory()) {
      if (isDavState(it->path())) it.disable_recursion_pending();
      continue;
    }
    const std::string name = it->path().filename().string();
    // The target's record of its metadata mode, at the root, is not a leftover.
    if (!startsWith(name, ".dms-") || (it.depth() == 0 && name == ".dms-metadata-mode")) continue;
    const std::string prefix = ".dms-meta-", suffix = ".json";
    if (startsWith(name, prefix) && name.size() > prefix.size() + suffix.size() &&
        fs::is_regular_file(
            it->path().parent_path() /
            name.substr(prefix.size(), name.size() - prefix.size() - suffix.size())))
      continue;
    result.push_back(fs::relative(it->path(), folder_).generic_string());
  }
  return result;
}

std::vector<std::string> WebDavArchive::folders() const {
  std::vector<std::string> result;
  if (!fs::exists(folder_)) return result;
  for (auto it = fs::recursive_directory_iterator(folder_);
       it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_directory()) continue;
    if (isDavState(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    result.push_back(fs::relative(it->path(), folder_).generic_string());
  }
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace dms::e2e
