// Random requests for the SigV4 SDK cross-check (sigv4_sdk_crosscheck_test.cc): each case is the
// JSON that tests/js/sigv4_reference.js reads plus the same request and options for ragd.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/sigv4.h"

namespace ragd::testing {

struct CrossCase {
  nlohmann::json js;  // the request description for sigv4_reference.js
  // The payload, at an address that survives moves: the requests' `body` views point into it.
  std::unique_ptr<const std::string> body;
  SignableRequest sign_request;     // for SignHeaders (the JS side: SignatureV4.sign)
  SignableRequest presign_request;  // for Presign (JS: getSignedUrl for S3, else .presign)
  SigningOptions options;
  AwsCredentials credentials;
  bool s3 = false;
};

// `count` cases from a generator seeded with `seed` (the same sequence every run on a given
// standard library): even indices are S3 object requests, odd ones other services.
std::vector<CrossCase> MakeCrossCases(uint64_t seed, int count);

}  // namespace ragd::testing
