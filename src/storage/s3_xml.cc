#include "storage/s3_xml.h"

#include <cstdlib>

namespace timestore::storage {

std::string_view XmlText(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const size_t start = xml.find(open);
  if (start == std::string_view::npos) return {};
  const size_t begin = start + open.size();
  const size_t end = xml.find("</" + std::string(tag) + ">", begin);
  if (end == std::string_view::npos) return {};
  return xml.substr(begin, end - begin);
}

std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    const size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back('&');
      continue;
    }
    const std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out.push_back('&');
    } else if (entity == "lt") {
      out.push_back('<');
    } else if (entity == "gt") {
      out.push_back('>');
    } else if (entity == "quot") {
      out.push_back('"');
    } else if (entity == "apos") {
      out.push_back('\'');
    } else if (entity.size() >= 2 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const std::string digits(entity.substr(hex ? 2 : 1));
      char* end = nullptr;
      const unsigned long cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
      if (digits.empty() || *end != '\0' || cp > 0x10FFFF) {
        out.append(text.substr(i, semi - i + 1));
      } else if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      out.append(text.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
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
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::optional<int64_t> ParseS3Size(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

S3ErrorBody ParseS3Error(std::string_view body) {
  return {XmlUnescape(XmlText(body, "Code")), XmlUnescape(XmlText(body, "Message"))};
}

bool HasS3ErrorElement(std::string_view body) {
  return body.find("<Error>") != std::string_view::npos;
}

S3ListPage ParseListObjectsV2(std::string_view body) {
  S3ListPage page;
  std::string_view rest = body;
  while (true) {
    const size_t open = rest.find("<Contents>");
    if (open == std::string_view::npos) break;
    const size_t close = rest.find("</Contents>", open);
    if (close == std::string_view::npos) break;
    const std::string_view entry = rest.substr(open, close - open);
    rest.remove_prefix(close);
    S3ListedObject object;
    object.key = XmlUnescape(XmlText(entry, "Key"));
    object.size_bytes = ParseS3Size(XmlText(entry, "Size")).value_or(0);
    object.modified_at = common::ParseIso8601(XmlText(entry, "LastModified")).value_or(0);
    page.objects.push_back(std::move(object));
  }
  page.next_continuation_token = XmlUnescape(XmlText(body, "NextContinuationToken"));
  page.truncated = XmlText(body, "IsTruncated") == "true";
  return page;
}

std::string ParseUploadId(std::string_view body) { return XmlUnescape(XmlText(body, "UploadId")); }

std::string BuildCompleteMultipartUpload(const std::vector<std::string>& etags) {
  std::string body = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
            XmlEscape(etags[i]) + "</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  return body;
}

}  // namespace timestore::storage
