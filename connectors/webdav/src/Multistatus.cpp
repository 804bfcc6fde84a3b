#include "Multistatus.h"

#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/DefaultHandler.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>
#include <Poco/SAX/XMLReader.h>

namespace dms::webdav {
namespace {

constexpr const char* kDav = "DAV:";

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

/// One property of a <D:prop>, kept until its propstat's status is known (the status usually
/// follows the properties).
struct Property {
  std::string namespaceUri;
  std::string localName;
  std::string text;            ///< every text inside it, as the DOM's innerText
  bool hasCollection = false;  ///< a <D:collection/> child (resourcetype)
};

void readProperty(const Property& p, int status, DavResource& resource) {
  resource.propertyStatus.emplace_back("{" + p.namespaceUri + "}" + p.localName, status);
  if (status != 200) return;
  const bool dav = p.namespaceUri == kDav;
  if (dav && p.localName == "resourcetype") {
    resource.collection = p.hasCollection;
  } else if (dav && p.localName == "getcontentlength") {
    std::uint64_t length = 0;
    if (Poco::NumberParser::tryParseUnsigned64(trim(p.text), length))
      resource.contentLength = length;
  } else if (dav && p.localName == "getlastmodified") {
    Poco::DateTime when;
    int tzd = 0;
    if (Poco::DateTimeParser::tryParse(trim(p.text), when, tzd))
      resource.modifiedEpochSeconds = (when.timestamp().epochTime()) - tzd;
  } else if (dav && p.localName == "getetag") {
    resource.etag = trim(p.text);
  } else if (p.namespaceUri == kMetaNamespace) {
    if (auto key = metadataKeyFromProperty(p.localName)) resource.metadata[*key] = p.text;
  }
}

/// Collects the resources of a multistatus document while the SAX parser reads it: no
/// document tree is built. A tree costs several times the answer's size in memory, and Poco
/// frees its nodes recursively, so a deeply nested answer from a hostile server overflowed the
/// stack (a crash of the host process). Here depth costs nothing but a counter.
///   depth 1 <D:multistatus>, 2 <D:response>, 3 its <D:href>, <D:status>, <D:propstat>,
///   4 the propstat's <D:status>, <D:prop>, 5 a property, 6+ inside a property.
/// Only the first <D:href>, <D:status> and <D:prop> of an element count, as the tree's reader
/// took the first child of each name.
class MultistatusHandler final : public Poco::XML::DefaultHandler {
 public:
  bool isMultistatus() const { return isMultistatus_; }
  std::vector<DavResource>& resources() { return resources_; }

  void startElement(const Poco::XML::XMLString& uri, const Poco::XML::XMLString& localName,
                    const Poco::XML::XMLString&, const Poco::XML::Attributes&) override {
    ++depth_;
    const bool dav = uri == kDav;
    switch (depth_) {
      case 1:
        isMultistatus_ = dav && localName == "multistatus";
        break;
      case 2:
        inResponse_ = isMultistatus_ && dav && localName == "response";
        if (inResponse_) {
          resource_ = DavResource{};
          hrefSeen_ = statusSeen_ = false;
        }
        break;
      case 3:
        if (!inResponse_ || !dav) break;
        if (localName == "href" && !hrefSeen_) {
          hrefSeen_ = true;
          collectText(&href_);
        } else if (localName == "status" && !statusSeen_) {
          statusSeen_ = true;
          collectText(&status_);
        } else if (localName == "propstat") {
          inPropstat_ = true;
          propstatStatusSeen_ = propSeen_ = false;
          propstatStatus_.clear();
          properties_.clear();
        }
        break;
      case 4:
        if (!inPropstat_ || !dav) break;
        if (localName == "status" && !propstatStatusSeen_) {
          propstatStatusSeen_ = true;
          collectText(&propstatStatus_);
        } else if (localName == "prop" && !propSeen_) {
          propSeen_ = inProp_ = true;
        }
        break;
      case 5:
        if (!inProp_) break;
        properties_.push_back(Property{uri, localName, {}, false});
        collectText(&properties_.back().text);
        break;
      case 6:
        if (inProp_ && dav && localName == "collection") properties_.back().hasCollection = true;
        break;
      default:
        break;
    }
  }

  void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&,
                  const Poco::XML::XMLString&) override {
    if (text_ != nullptr && depth_ == textDepth_) text_ = nullptr;
    switch (depth_) {
      case 2:
        if (inResponse_) {
          resource_.href = trim(href_);
          resource_.status = parseStatusLine(trim(status_));
          resources_.push_back(std::move(resource_));
          href_.clear();
          status_.clear();
        }
        inResponse_ = false;
        break;
      case 3:
        if (inPropstat_) {
          const int code = parseStatusLine(trim(propstatStatus_));
          for (const Property& property : properties_) readProperty(property, code, resource_);
          properties_.clear();
        }
        inPropstat_ = false;
        break;
      case 4:
        inProp_ = false;
        break;
      default:
        break;
    }
    --depth_;
  }

  void characters(const Poco::XML::XMLChar ch[], int start, int length) override {
    if (text_ != nullptr) text_->append(ch + start, static_cast<std::size_t>(length));
  }

 private:
  /// Text from here to the end of the current element goes to `sink`.
  void collectText(std::string* sink) {
    text_ = sink;
    textDepth_ = depth_;
  }

  int depth_ = 0;
  bool isMultistatus_ = false;
  bool inResponse_ = false;
  bool inPropstat_ = false;
  bool inProp_ = false;
  bool hrefSeen_ = false;
  bool statusSeen_ = false;
  bool propstatStatusSeen_ = false;
  bool propSeen_ = false;
  std::string* text_ = nullptr;
  int textDepth_ = 0;
  DavResource resource_;
  std::string href_;
  std::string status_;
  std::string propstatStatus_;
  std::vector<Property> properties_;
  std::vector<DavResource> resources_;
};

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
    MultistatusHandler handler;
    Poco::XML::SAXParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
    parser.setContentHandler(&handler);
    parser.parseString(xml);
    if (!handler.isMultistatus())
      return fail(ErrorCode::Internal,
                  std::string(what) + ": the server's answer is not a DAV:multistatus document");
    return std::move(handler.resources());
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
