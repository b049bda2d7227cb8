#include "tests/aws/sigv4_crosscheck_util.h"

#include <random>

#include "tests/aws/sigv4_test_util.h"

namespace ragd::testing {
namespace {

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(1, 100) <= percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  // Text built from pieces that stress encoding: reserved characters, '%', '+', '~', '/', spaces,
  // 2-, 3- and 4-byte UTF-8.
  std::string Text(int min_pieces, int max_pieces, bool allow_slash = true) {
    static const std::vector<std::string> kPieces = {"a",     "Z",
                                                     "0",     "key",
                                                     "Value", "-",
                                                     "_",     ".",
                                                     "~",     " ",
                                                     "  ",    "+",
                                                     "%",     "%20",
                                                     "%2F",   "=",
                                                     "&",     "?",
                                                     "#",     "!",
                                                     "'",     "(",
                                                     ")",     "*",
                                                     ":",     "@",
                                                     "$",     ",",
                                                     ";",     "[",
                                                     "]",     "\"",
                                                     "é",     "ü",
                                                     "日本",  "😀",
                                                     "ẞ",     "\xef\xbc\x81",
                                                     "/"};
    std::string out;
    const int n = Int(min_pieces, max_pieces);
    for (int i = 0; i < n; ++i) {
      const std::string& piece = Pick(kPieces);
      if (!allow_slash && piece == "/") continue;
      out += piece;
    }
    return out;
  }

  std::string Alnum(int n, const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789") {
    const std::string a = alphabet;
    std::string out;
    for (int i = 0; i < n; ++i) out.push_back(a[static_cast<size_t>(Int(0, int(a.size()) - 1))]);
    return out;
  }

  std::string HeaderValue() {
    switch (Int(0, 5)) {
      case 0:
        return Alnum(Int(0, 12), "abcXYZ019-_.;=/");
      case 1:
        return "  " + Alnum(Int(1, 6)) + "   " + Alnum(Int(1, 6)) + " \t ";
      case 2:
        return Alnum(3) + "\n   " + Alnum(4) + "\n\t" + Alnum(2);  // obsolete line folding
      case 3:
        return "\"a   b\tc\"";
      case 4:
        return "caf\xc3\xa9 \xf0\x9f\x98\x80";
      default:
        return std::to_string(Int(0, 1000000));
    }
  }

 private:
  std::mt19937_64 rng_;
};

const std::vector<std::string> kRegions = {"us-east-1", "eu-west-1", "ap-southeast-2",
                                           "sa-east-1", "us-west-2", "eu-central-1"};

std::string ToLower(std::string s) { return AsciiLower(s); }

bool HasHeader(const HttpHeaders& headers, const std::string& name) {
  for (const auto& h : headers) {
    if (ToLower(h.first) == ToLower(name)) return true;
  }
  return false;
}

// Random extra headers: signable ones, ones the SDK never signs, and x-amz-* ones.
void AddRandomHeaders(Gen& g, HttpHeaders* headers) {
  static const std::vector<std::string> kNames = {"My-Header",
                                                  "X-Custom",
                                                  "Content-Type",
                                                  "Accept",
                                                  "X-Amz-Target",
                                                  "X-Amz-Meta-Color",
                                                  "x-amz-request-payer",
                                                  "User-Agent",
                                                  "X-Amzn-Trace-Id",
                                                  "Cache-Control",
                                                  "Proxy-Authorization",
                                                  "Sec-Fetch-Mode",
                                                  "Expect",
                                                  "Pragma",
                                                  "Referer",
                                                  "TE",
                                                  "Content-MD5",
                                                  "If-Match",
                                                  "Range"};
  const int n = g.Int(0, 5);
  for (int i = 0; i < n; ++i) {
    std::string name = g.Chance(70) ? g.Pick(kNames) : "X-R" + g.Alnum(g.Int(1, 6));
    if (HasHeader(*headers, name)) continue;
    headers->emplace_back(name, g.HeaderValue());
  }
}

QueryParams RandomQuery(Gen& g) {
  QueryParams query;
  const int n = g.Int(0, 5);
  for (int i = 0; i < n; ++i) {
    std::string key = g.Chance(20) && !query.empty() ? query.back().first : g.Text(0, 4);
    if (ToLower(key).starts_with("x-amz-")) continue;
    query.emplace_back(std::move(key), g.Chance(15) ? "" : g.Text(0, 5));
  }
  return query;
}

nlohmann::json PairsJson(const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, v] : pairs) out.push_back({k, v});
  return out;
}

CrossCase MakeCase(Gen& g, int index) {
  CrossCase c;
  std::string body;
  const bool s3 = index % 2 == 0;
  c.credentials.access_key_id = "AKIA" + g.Alnum(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
  c.credentials.secret_access_key =
      g.Alnum(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  if (g.Chance(50)) {
    c.credentials.session_token = g.Alnum(
        g.Int(16, 300), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
  }
  const std::string region = g.Pick(kRegions);
  // 2000-01-01 .. 2037-12-31, with milliseconds that the signers must truncate.
  const int64_t ms = int64_t{g.Int(946684800, 2145916799)} * 1000 + g.Int(0, 999);
  const auto time = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
  const int expires_choice = g.Int(0, 9);
  const int expires = expires_choice == 0 ? 1 : expires_choice == 1 ? 604800 : g.Int(1, 604800);

  SignableRequest& req = c.sign_request;
  std::string host;
  nlohmann::json s3_json = nullptr;
  if (s3) {
    const bool put = g.Chance(50);
    const std::string bucket =
        g.Alnum(1) + g.Alnum(g.Int(2, 20), "abcdefghijklmnopqrstuvwxyz0123456789-") + g.Alnum(1);
    std::string key = g.Text(1, 8);
    if (g.Chance(15)) key = "/" + key;
    if (g.Chance(15)) key += "//" + g.Text(1, 3);
    if (g.Chance(10)) key += "/./x/../" + g.Text(1, 2);  // S3 must not normalise these
    const bool path_style = g.Chance(30);
    const std::string port = std::to_string(g.Int(1024, 65535));
    host = path_style ? "127.0.0.1:" + port : bucket + ".s3." + region + ".amazonaws.com";
    req.scheme = path_style ? "http" : "https";
    req.path = (path_style ? "/" + bucket + "/" : "/") + UriEncodePath(key);
    req.method = put ? "PUT" : "GET";
    req.query = {{"x-id", put ? "PutObject" : "GetObject"}};
    req.headers = {{"host", host}};
    s3_json = {{"op", put ? "put" : "get"},
               {"bucket", bucket},
               {"key", key},
               {"endpoint", path_style ? nlohmann::json("http://" + host) : nullptr},
               {"force_path_style", path_style},
               {"metadata", nlohmann::json::object()},
               {"sse", nullptr},
               {"content_length", nullptr},
               {"response_content_disposition", nullptr},
               {"version_id", nullptr}};
    if (put) {
      for (int i = g.Int(0, 2); i > 0; --i) {
        const std::string meta_key = g.Alnum(g.Int(1, 8));
        const std::string meta_value = g.Alnum(g.Int(1, 6)) + " " + g.Alnum(g.Int(0, 6));
        if (s3_json["metadata"].contains(meta_key)) continue;
        s3_json["metadata"][meta_key] = meta_value;
        req.headers.emplace_back("x-amz-meta-" + meta_key, meta_value);
      }
      if (g.Chance(30)) {
        s3_json["sse"] = "AES256";
        req.headers.emplace_back("x-amz-server-side-encryption", "AES256");
      }
      if (g.Chance(30)) {
        const int length = g.Int(0, 5000000);
        s3_json["content_length"] = length;
        req.headers.emplace_back("content-length", std::to_string(length));
      }
    } else {
      if (g.Chance(30)) {
        const std::string disposition = "attachment; filename=\"" + g.Text(1, 4) + "\"";
        s3_json["response_content_disposition"] = disposition;
        req.query.emplace_back("response-content-disposition", disposition);
      }
      if (g.Chance(20)) {
        const std::string version = g.Alnum(12);
        s3_json["version_id"] = version;
        req.query.emplace_back("versionId", version);
      }
    }
    c.presign_request = req;
    c.presign_request.headers.emplace_back("X-Amz-Content-Sha256", std::string(kUnsignedPayload));
    c.options = S3SigningOptions(region, time);
    // The Authorization-header request additionally carries arbitrary headers and a body.
    AddRandomHeaders(g, &req.headers);
    if (g.Chance(20)) req.headers.emplace_back("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
    if (put) body = g.Text(0, 30);
  } else {
    static const std::vector<std::string> kServices = {"execute-api", "dynamodb", "bedrock", "es",
                                                       "service",     "sqs",      "lambda"};
    static const std::vector<std::string> kMethods = {"GET", "PUT", "POST", "DELETE", "PATCH"};
    const std::string service = g.Pick(kServices);
    host = g.Chance(50) ? "example.amazonaws.com" : service + "." + region + ".amazonaws.com";
    req.method = g.Pick(kMethods);
    req.path.clear();
    for (int i = g.Int(0, 6); i > 0; --i) {
      static const std::vector<std::string> kSegments = {"", ".", "..", "a", "b%20c", "%2F", "~x"};
      // Mostly proper wire form; sometimes raw UTF-8 and sub-delims ('?' and '#' never: they
      // would end the path on the wire).
      std::string segment = g.Text(1, 3, /*allow_slash=*/false);
      segment = g.Chance(50) ? UriEncode(segment)
                             : ReplaceAll(ReplaceAll(segment, "?", "%3F"), "#", "%23");
      req.path += "/" + (g.Chance(40) ? g.Pick(kSegments) : segment);
    }
    if (req.path.empty() || g.Chance(20)) req.path += "/";
    req.query = RandomQuery(g);
    req.headers = {{"Host", host}};
    AddRandomHeaders(g, &req.headers);
    if (g.Chance(10)) req.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    if (g.Chance(50)) body = g.Text(0, 30);
    c.options.region = region;
    c.options.service = service;
    c.options.time = time;
    c.options.signed_body_header = g.Chance(50);  // the SDK's applyChecksum
    c.presign_request = req;
  }
  const bool has_body = !body.empty() || g.Chance(30);
  c.options.expires = std::chrono::seconds(expires);
  c.options.query_order = PresignQueryOrder::kSdk;

  c.js = {{"region", region},
          {"service", c.options.service},
          {"access_key_id", c.credentials.access_key_id},
          {"secret_access_key", c.credentials.secret_access_key},
          {"session_token", c.credentials.session_token},
          {"signing_date_ms", ms},
          {"expires", expires},
          {"method", req.method},
          {"protocol", req.scheme + ":"},
          {"hostname", host},
          {"path", req.path},
          {"query", PairsJson(req.query)},
          {"headers", PairsJson(req.headers)},
          {"body", has_body ? nlohmann::json(body) : nullptr},
          {"uri_escape_path", !s3},
          {"apply_checksum", c.options.signed_body_header},
          {"s3", s3_json}};
  c.s3 = s3;
  c.body = std::make_unique<const std::string>(std::move(body));
  c.sign_request.body = *c.body;
  if (!s3) c.presign_request.body = *c.body;  // S3 presigned URLs carry an unsigned payload
  return c;
}

}  // namespace

std::vector<CrossCase> MakeCrossCases(uint64_t seed, int count) {
  Gen gen(seed);
  std::vector<CrossCase> cases;
  cases.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) cases.push_back(MakeCase(gen, i));
  return cases;
}

}  // namespace ragd::testing
