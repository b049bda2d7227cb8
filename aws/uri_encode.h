// Percent-encoding exactly as AWS Signature Version 4 (and the AWS SDKs' `escapeUri`) defines it.
//
// SigV4 encodes every byte except the RFC 3986 unreserved set A-Z a-z 0-9 '-' '_' '.' '~' as
// "%XX" with upper-case hex. Unlike application/x-www-form-urlencoded, a space is "%20" (never '+')
// and '+' is encoded as "%2B"; decoding never turns '+' into a space.
//
// All functions are pure and thread-safe. Strings are byte strings (UTF-8 is encoded byte-wise).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ragd {

// Decoded (key, value) pairs of a query string, in wire order. A key without '=' has value "".
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// True for A-Z a-z 0-9 - _ . ~
bool IsUriUnreserved(unsigned char c);

// Encodes every byte outside the unreserved set, including '/'.
std::string UriEncode(std::string_view s);

// Like UriEncode but leaves '/' alone: turns an unencoded path (an S3 object key, say) into its
// wire form, and is SigV4's "encode the path once more" step. "a b/c+d" -> "a%20b/c%2Bd".
std::string UriEncodePath(std::string_view path);

// Replaces each "%XX" (hex, either case) by its byte. '+' stays '+'. A '%' not followed by two hex
// digits is an error (kInvalidArgument); the message does not echo the input.
StatusOr<std::string> UriDecode(std::string_view s);

// Splits a raw query string ("a=1&b&c=%20", without the leading '?') into decoded pairs. Empty
// fields ("a=1&&b=2") are skipped. Errors as UriDecode.
StatusOr<QueryParams> ParseQueryString(std::string_view raw);

// Joins pairs as "k=v&k2=v2" in the given order, each key and value UriEncode'd. Every pair gets
// an '=' (SigV4 and the AWS SDKs treat "k" and "k=" alike).
std::string EncodeQueryString(const QueryParams& params);

}  // namespace ragd
