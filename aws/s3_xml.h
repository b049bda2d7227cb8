// The few XML shapes Amazon S3 answers with, read by a small tolerant tag extractor instead of a
// full XML parser (libxml2 / pugixml would be new dependencies for four fixed documents).
//
// What the extractor understands: elements with or without attributes (`<Key>`, `<Owner
// xmlns="...">`), empty elements (`<Prefix/>`), the XML declaration, comments and CDATA sections,
// and the five predefined entities plus numeric character references (`&#38;`, `&#x26;`), which
// are decoded to UTF-8. It does not validate and does not handle namespace prefixes (S3 uses a
// default namespace only). A document it cannot read yields kDataLoss, never a crash.
//
// All functions are pure and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ragd {

// Decodes character data: entities, numeric references and CDATA sections. Unknown or malformed
// entities are kept verbatim (tolerant: S3 never sends them).
std::string XmlDecodeText(std::string_view raw);

// Escapes & < > " ' for element text and attribute values; control characters XML 1.0 cannot
// carry become '?'.
std::string XmlEscapeText(std::string_view text);

// The raw (undecoded) content of the first element named `name` in `xml`, skipping comments and
// CDATA. `<Key>` does not match `<KeyCount>`; `<Prefix/>` gives "". nullopt when absent or
// unterminated.
std::optional<std::string_view> XmlFindElement(std::string_view xml, std::string_view name);

// The raw contents of every element named `name`, in document order (non-nested occurrences).
std::vector<std::string_view> XmlFindAllElements(std::string_view xml, std::string_view name);

// XmlFindElement + XmlDecodeText, or `fallback` when absent.
std::string XmlElementText(std::string_view xml, std::string_view name,
                           std::string_view fallback = "");

// <Error><Code>..</Code><Message>..</Message><RequestId>..</RequestId>...</Error>
struct S3ErrorBody {
  std::string code;  // "" when the body is not an S3 error document
  std::string message;
  std::string request_id;
};
S3ErrorBody ParseS3ErrorXml(std::string_view xml);
// True when `xml` is an <Error> document (CompleteMultipartUpload can answer 200 with one).
bool IsS3ErrorXml(std::string_view xml);

struct S3ObjectSummary {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // as S3 sends it, with its double quotes
  std::chrono::system_clock::time_point last_modified;
  std::string storage_class;
};

struct S3ListPage {
  std::vector<S3ObjectSummary> objects;
  std::vector<std::string> common_prefixes;  // with a delimiter: the "directories"
  bool is_truncated = false;
  std::string next_continuation_token;  // set when is_truncated
  int key_count = 0;
};

// A ListObjectsV2 response (<ListBucketResult>). When the response says
// <EncodingType>url</EncodingType>, keys and prefixes are percent-decoded. kDataLoss when the
// document is not a ListBucketResult or a number/date cannot be read, or when it claims to be
// truncated without a continuation token (following it would loop forever).
StatusOr<S3ListPage> ParseListObjectsV2Xml(std::string_view xml);

// <InitiateMultipartUploadResult>...<UploadId>..</UploadId>: the upload id (kDataLoss if none).
StatusOr<std::string> ParseInitiateMultipartUploadXml(std::string_view xml);

// <CompleteMultipartUploadResult>...<ETag>..</ETag>: the object's ETag (kDataLoss if none).
StatusOr<std::string> ParseCompleteMultipartUploadXml(std::string_view xml);

// "2009-10-12T17:50:30.000Z" (ISO 8601 UTC, fractional seconds optional), as in listings.
std::optional<std::chrono::system_clock::time_point> ParseIso8601Utc(std::string_view s);
// "Wed, 12 Oct 2009 17:50:00 GMT" (RFC 9110 IMF-fixdate), as in Last-Modified headers.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s);

}  // namespace ragd
