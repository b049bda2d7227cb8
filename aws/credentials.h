// The standard AWS credentials and region chain, resolved the way the AWS SDKs do it (the order
// and rules follow the AWS SDK for JavaScript v3 default provider; docs/aws.md "Credential chain"
// lists them with the places ragd deliberately differs).
//
//   AwsCredentialChain chain(ProcessEnvLookup(), *transport, Clock::Real());
//   StatusOr<AwsCredentials> creds = chain.GetCredentials();   // sign with aws/sigv4.h
//   StatusOr<std::string> region = ResolveAwsRegion(ProcessEnvLookup());
//
// Order: (1) environment, (2) shared files ~/.aws/credentials + ~/.aws/config, (3) container
// endpoint (ECS, EKS Pod Identity, Lambda SnapStart), (4) EC2 instance metadata (IMDSv2). When
// (3) is configured, (4) is never tried, as in the SDKs.
//
// Every side effect is injected: the environment (EnvLookup), HTTP (HttpTransport) and time
// (Clock). The shared files are read from the paths the environment names.
//
// Secrets: nothing here logs a credential or a container authorization token, and no Status
// message contains one (messages name variables, files, profiles and hosts, never values).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4_key.h"  // AwsCredentials
#include "core/clock.h"
#include "core/http_client.h"
#include "core/log.h"
#include "core/status.h"

namespace ragd {

// Looks up one environment variable; nullopt when unset. Implementations must allow concurrent
// calls. The chain treats a variable set to "" as unset, as the SDKs do.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// A fixed environment (tests, or a snapshot taken at start-up).
EnvLookup EnvFromMap(std::map<std::string, std::string> vars);
// The live process environment (getenv on every lookup).
EnvLookup ProcessEnvLookup();

// Credentials with where they came from and until when they are good.
struct ResolvedAwsCredentials {
  AwsCredentials credentials;
  // Set for temporary credentials (container, IMDS, AWS_CREDENTIAL_EXPIRATION); nullopt for
  // long-term keys, which never expire.
  std::optional<std::chrono::system_clock::time_point> expiration;
  // "environment", "shared-files (profile dev)", "container", "imds". Never a secret.
  std::string source;
};

// What AWS clients (S3, Bedrock) take, so tests can hand them fixed credentials.
//
// Thread safety: implementations must allow concurrent calls.
class AwsCredentialsProvider {
 public:
  virtual ~AwsCredentialsProvider() = default;
  virtual StatusOr<ResolvedAwsCredentials> GetResolvedCredentials() = 0;
  StatusOr<AwsCredentials> GetCredentials() {
    RAGD_ASSIGN_OR_RETURN(ResolvedAwsCredentials resolved, GetResolvedCredentials());
    return std::move(resolved.credentials);
  }
};

// Always returns the credentials it was built with.
class StaticAwsCredentialsProvider final : public AwsCredentialsProvider {
 public:
  explicit StaticAwsCredentialsProvider(AwsCredentials credentials)
      : resolved_{std::move(credentials), std::nullopt, "static"} {}
  StatusOr<ResolvedAwsCredentials> GetResolvedCredentials() override { return resolved_; }

 private:
  const ResolvedAwsCredentials resolved_;
};

struct AwsCredentialChainOptions {
  // Temporary credentials are refreshed when less than this is left before they expire.
  std::chrono::seconds refresh_before_expiry{300};
  // While the cached credentials are still valid, a refresh is attempted at most this often
  // (so a failing endpoint, or one that hands out credentials already inside the refresh
  // window, is not asked on every call).
  std::chrono::seconds min_refresh_interval{10};
  // Per request to the container endpoint or IMDS: connect timeout and whole-exchange timeout
  // (the SDKs use 1 s).
  std::chrono::milliseconds http_timeout{1000};
  // Attempts per request. Retried on transport errors and 5xx only. The JavaScript SDK's
  // container provider makes 4 attempts 1 s apart; IMDS 2 attempts (1 retry) back to back.
  int container_attempts = 4;
  std::chrono::milliseconds container_retry_delay{1000};  // slept on the injected Clock
  int imds_attempts = 2;
  Logger logger = Logger();
};

// The default credentials chain with a cache.
//
// Long-term credentials (environment, shared files) are resolved once and kept for the life of
// the object (call Invalidate() to pick up changes). Temporary ones are kept until less than
// refresh_before_expiry is left; then the next caller re-runs the chain. If that refresh fails
// while the cached credentials have not yet expired, they are still returned (and a warning is
// logged); once expired, the refresh error is returned.
//
// Errors: nothing configured and IMDS unreachable or disabled -> kFailedPrecondition whose
// message lists every source tried and why it gave nothing. A configured container endpoint that
// fails -> kUnavailable (transport error, 5xx), kPermissionDenied (401/403), kInvalidArgument
// (URI not allowed, bad token) or kDataLoss (unparsable response); the message lists the earlier
// sources too.
//
// Thread safety: all methods may be called concurrently. At most one refresh runs at a time;
// during it, other callers get the cached credentials if they have not expired, else wait for
// the refresh and share its result (so N concurrent callers cause one fetch, not N).
class AwsCredentialChain final : public AwsCredentialsProvider {
 public:
  // `transport` and `clock` are not owned and must outlive the chain.
  AwsCredentialChain(EnvLookup env, HttpTransport& transport, Clock& clock,
                     AwsCredentialChainOptions options = {});
  AwsCredentialChain(const AwsCredentialChain&) = delete;
  AwsCredentialChain& operator=(const AwsCredentialChain&) = delete;

  StatusOr<ResolvedAwsCredentials> GetResolvedCredentials() override;

  // Forgets the cached credentials: the next call re-runs the chain (for example after AWS
  // answered ExpiredToken).
  void Invalidate();

 private:
  // Runs the providers in order. Called without mu_ held.
  StatusOr<ResolvedAwsCredentials> ResolveChain();
  bool IsFresh(const ResolvedAwsCredentials& c, std::chrono::system_clock::time_point now) const;

  const EnvLookup env_;
  HttpTransport& transport_;
  Clock& clock_;
  const AwsCredentialChainOptions options_;

  std::mutex mu_;
  std::condition_variable refreshed_;
  std::optional<ResolvedAwsCredentials> cached_;                       // guarded by mu_
  bool refreshing_ = false;                                            // guarded by mu_
  uint64_t refresh_generation_ = 0;                                    // guarded by mu_
  Status last_refresh_error_;                                          // guarded by mu_
  std::optional<std::chrono::steady_clock::time_point> next_refresh_;  // guarded by mu_
};

// The region: AWS_REGION, then AWS_DEFAULT_REGION, then `region` of the selected profile
// (AWS_PROFILE, default "default") in the config file (AWS_CONFIG_FILE, default ~/.aws/config),
// then in the credentials file. kFailedPrecondition (listing what was tried) when none is set.
// Reads files; thread-safe.
StatusOr<std::string> ResolveAwsRegion(const EnvLookup& env);

}  // namespace ragd
