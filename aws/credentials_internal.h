// Internals of the credentials chain, shared by aws/credentials*.cc and their tests. Not part of
// the aws module's public surface: include aws/credentials.h instead.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"

namespace ragd::credentials_internal {

// `name`'s value, or nullopt when unset or empty.
std::optional<std::string> GetNonEmpty(const EnvLookup& env, std::string_view name);
// True when `name` is set to "true" in any case.
bool EnvIsTrue(const EnvLookup& env, std::string_view name);

// An AWS INI file: section name -> key -> value. Section names are as written between the
// brackets, trimmed, with "profile  x" folded to "profile x". Keys of an indented sub-section
// ("s3 =\n  max_concurrent_requests = 10") are stored as "s3.max_concurrent_requests".
using IniSection = std::map<std::string, std::string>;
using IniFile = std::map<std::string, IniSection>;
IniFile ParseAwsIni(std::string_view text);

// The selected profile from both shared files, merged key by key with the credentials file
// winning (config: [profile name], or [default] / [profile default]; credentials: [name]).
struct SharedProfile {
  std::string name;              // AWS_PROFILE or "default"
  std::string credentials_path;  // "" when it cannot be located (no HOME)
  std::string config_path;
  bool credentials_file_read = false;
  bool config_file_read = false;
  bool in_credentials_file = false;
  bool in_config_file = false;
  IniSection config_keys;       // the profile's keys in the config file
  IniSection credentials_keys;  // the profile's keys in the credentials file
  IniSection merged;            // config_keys overlaid with credentials_keys
};
SharedProfile LoadSharedProfile(const EnvLookup& env);

// The outcome of one link of the chain.
struct ProviderOutcome {
  enum Kind {
    kFound,          // `credentials` is set
    kNotConfigured,  // nothing for this source; `note` says why, try the next one
    kFailed,         // configured but failed: `error`; the chain stops here
  };
  Kind kind = kNotConfigured;
  ResolvedAwsCredentials credentials;
  std::string note;  // for the "tried: ..." list; never a secret
  Status error;
};

ProviderOutcome CredentialsFromEnvironment(const EnvLookup& env);
ProviderOutcome CredentialsFromSharedFiles(const EnvLookup& env);

struct HttpFetchOptions {
  std::chrono::milliseconds timeout{1000};
  int attempts = 1;
  std::chrono::milliseconds retry_delay{0};
};

// kNotConfigured when neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set.
ProviderOutcome CredentialsFromContainer(const EnvLookup& env, HttpTransport& transport,
                                         Clock& clock, const HttpFetchOptions& fetch);
// kNotConfigured when disabled or when IMDS cannot be reached / has no role (it is the last
// resort, so "not on EC2" is the common case, not a failure).
ProviderOutcome CredentialsFromImds(const EnvLookup& env, HttpTransport& transport, Clock& clock,
                                    const HttpFetchOptions& fetch);

// The container endpoint URL from the environment: relative URI (preferred) appended to
// http://169.254.170.2, or the full URI if its host is allowed (https: any host; http: loopback,
// 169.254.170.2, 169.254.170.23, [fd00:ec2::23]). nullopt when neither is set.
StatusOr<std::optional<std::string>> ContainerCredentialsUrl(const EnvLookup& env);
// The IMDS base URL without a trailing '/'.
std::string ImdsEndpoint(const EnvLookup& env);

// Parses the credential JSON both the container endpoint and IMDS return:
// {"AccessKeyId","SecretAccessKey","Token","Expiration"} (plus "Code": "Success" from IMDS).
StatusOr<ResolvedAwsCredentials> ParseCredentialJson(std::string_view body, std::string source);

// RFC 3339 / ISO 8601 UTC time as AWS writes it: "2026-11-23T10:00:00Z", with optional
// fractional seconds and a "Z" or "+hh:mm" offset.
StatusOr<std::chrono::system_clock::time_point> ParseAwsTimestamp(std::string_view text);

}  // namespace ragd::credentials_internal
