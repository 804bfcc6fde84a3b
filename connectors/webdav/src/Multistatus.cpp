#include "Multistatus.h"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/XMLReader.h>

namespace dms::webdav {
namespace {

constexpr const char* kDav = "DAV:";

using Poco::XML::Element;
using Poco::XML::Node;

bool isDav(const Node* node, const char* localName) {
  return node->nodeType() == Node::ELEMENT_NODE && node->namespaceURI() == kDav &&
         node->localName() == localName;
}

std::vector<Element*> childElements(const Node* parent) {
  std::vector<Element*> out;
  for (Node* child = parent->firstChild(); child != nullptr; child = child->nextSibling())
    if (child->nodeType() == Node::ELEMENT_NODE) out.push_back(static_cast<Element*>(child));
  return out;
}

Element* firstDavChild(const Node* parent, const char* localName) {
  for (Element* child : childElements(parent))
    if (isDav(child, localName)) return child;
  return nullptr;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

void readProp(const Element* prop, int status, DavResource& resource) {
  for (Element* p : childElements(prop)) {
    resource.propertyStatus.emplace_back("{" + p->namespaceURI() + "}" + p->localName(), status);
    if (status != 200) continue;
    if (isDav(p, "resourcetype")) {
      resource.collection = firstDavChild(p, "collection") != nullptr;
    } else if (isDav(p, "getcontentlength")) {
      std::uint64_t length = 0;
      if (Poco::NumberParser::tryParseUnsigned64(trim(p->innerText()), length))
        resource.contentLength = length;
    } else if (isDav(p, "getlastmodified")) {
      Poco::DateTime when;
      int tzd = 0;
      if (Poco::DateTimeParser::tryParse(trim(p->innerText()), when, tzd))
        resource.modifiedEpochSeconds = (when.timestamp().epochTime()) - tzd;
    } else if (isDav(p, "getetag")) {
      resource.etag = trim(p->innerText());
    } else if (p->namespaceURI() == kMetaNamespace) {
      if (auto key = metadataKeyFromProperty(p->localName()))
        resource.metadata[*key] = p->innerText();
    }
  }
}

}  // namespace

int parseStatusLine(std::string_view line) {
  // "HTTP/1.1 404 Not Found"
  auto space = line.find(' ');
  if (space == std::string_view::npos || space + 4 > line.size()) return 0;
  int code = 0;
  for (std::size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return 0;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

Result<std::vector<DavResource>> parseMultistatus(const std::string& xml, std::string_view what) {
  try {
    Poco::XML::DOMParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
    Poco::AutoPtr<Poco::XML::Document> doc = parser.parseString(xml);
    Element* root = doc->documentElement();
    if (root == nullptr || !isDav(root, "multistatus"))
      return fail(ErrorCode::Internal,
                  std::string(what) + ": the server's answer is not a DAV:multistatus document");
    std::vector<DavResource> out;
    for (Element* response : childElements(root)) {
      if (!isDav(response, "response")) continue;
      DavResource resource;
      if (Element* href = firstDavChild(response, "href")) resource.href = trim(href->innerText());
      if (Element* status = firstDavChild(response, "status"))
        resource.status = parseStatusLine(trim(status->innerText()));
      for (Element* propstat : childElements(response)) {
        if (!isDav(propstat, "propstat")) continue;
        Element* status = firstDavChild(propstat, "status");
        int code = status != nullptr ? parseStatusLine(trim(status->innerText())) : 0;
        if (Element* prop = firstDavChild(propstat, "prop")) readProp(prop, code, resource);
      }
      out.push_back(std::move(resource));
    }
    return out;
  } catch (const Poco::Exception& e) {
    return fail(
        ErrorCode::Internal,
        std::string(what) + ": cannot parse the server's multistatus XML: " + e.displayText());
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal,
                std::string(what) + ": cannot parse the server's multistatus XML: " + e.what());
  }
}

std::string metadataPropertyName(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "m_";
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-';
    if (plain) {
      out += ch;
    } else {
      out += '_';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::optional<std::string> metadataKeyFromProperty(std::string_view localName) {
  if (localName.substr(0, 2) != "m_") return std::nullopt;
  std::string out;
  for (std::size_t i = 2; i < localName.size(); ++i) {
    if (localName[i] != '_') {
      out += localName[i];
      continue;
    }
    if (i + 2 >= localName.size()) return std::nullopt;
    auto hex = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : (c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1);
    };
    int hi = hex(localName[i + 1]);
    int lo = hex(localName[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace dms::webdav
