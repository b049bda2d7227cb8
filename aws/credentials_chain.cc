// The default credentials chain: the order of the links and the refresh cache.
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "aws/credentials_internal.h"

namespace ragd {

using credentials_internal::ProviderOutcome;

AwsCredentialChain::AwsCredentialChain(EnvLookup env, HttpTransport& transport, Clock& clock,
                                       AwsCredentialChainOptions options)
    : env_(std::move(env)), transport_(transport), clock_(clock), options_(std::move(options)) {}

StatusOr<ResolvedAwsCredentials> AwsCredentialChain::ResolveChain() {
  std::vector<std::string> tried;
  auto tried_list = [&tried] {
    std::string list;
    for (const std::string& t : tried) list += (list.empty() ? "" : "; ") + t;
    return list;
  };
  auto finish = [&](ProviderOutcome outcome) -> StatusOr<ResolvedAwsCredentials> {
    if (outcome.kind == ProviderOutcome::kFound) return std::move(outcome.credentials);
    if (tried.empty()) return outcome.error;
    return Status(outcome.error.code(),
                  outcome.error.message() + " (after trying: " + tried_list() + ")");
  };

  ProviderOutcome outcome = credentials_internal::CredentialsFromEnvironment(env_);
  if (outcome.kind != ProviderOutcome::kNotConfigured) return finish(std::move(outcome));
  tried.push_back(outcome.note);

  outcome = credentials_internal::CredentialsFromSharedFiles(env_);
  if (outcome.kind != ProviderOutcome::kNotConfigured) return finish(std::move(outcome));
  tried.push_back(outcome.note);

  const credentials_internal::HttpFetchOptions container_fetch{
      options_.http_timeout, options_.container_attempts, options_.container_retry_delay};
  outcome =
      credentials_internal::CredentialsFromContainer(env_, transport_, clock_, container_fetch);
  if (outcome.kind != ProviderOutcome::kNotConfigured) return finish(std::move(outcome));
  tried.push_back(outcome.note);

  const credentials_internal::HttpFetchOptions imds_fetch{
      options_.http_timeout, options_.imds_attempts, std::chrono::milliseconds(0)};
  outcome = credentials_internal::CredentialsFromImds(env_, transport_, clock_, imds_fetch);
  if (outcome.kind != ProviderOutcome::kNotConfigured) return finish(std::move(outcome));
  tried.push_back(outcome.note);

  return FailedPreconditionError("no AWS credentials found; tried: " + tried_list());
}

bool AwsCredentialChain::IsFresh(const ResolvedAwsCredentials& c,
                                 std::chrono::system_clock::time_point now) const {
  return !c.expiration || *c.expiration - now > options_.refresh_before_expiry;
}

StatusOr<ResolvedAwsCredentials> AwsCredentialChain::GetResolvedCredentials() {
  auto usable = [this](std::chrono::system_clock::time_point now) {
    return cached_ && (!cached_->expiration || now < *cached_->expiration);
  };
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const auto now = clock_.Now();
    if (cached_ && IsFresh(*cached_, now)) return *cached_;
    if (refreshing_) {
      // Someone else is fetching: still-valid credentials will do; otherwise share its result.
      if (usable(now)) return *cached_;
      const uint64_t generation = refresh_generation_;
      refreshed_.wait(lock, [&] { return refresh_generation_ != generation; });
      // The refresh's own outcome: its credentials (even if they arrived already expired, as
      // the refreshing caller got them) or its error.
      if (cached_ && (last_refresh_error_.ok() || usable(clock_.Now()))) return *cached_;
      if (last_refresh_error_.ok()) continue;  // invalidated meanwhile: start over
      return last_refresh_error_;
    }
    if (usable(now) && next_refresh_ && clock_.Monotonic() < *next_refresh_) return *cached_;
    break;
  }

  refreshing_ = true;
  lock.unlock();
  StatusOr<ResolvedAwsCredentials> result = ResolveChain();
  lock.lock();
  refreshing_ = false;
  ++refresh_generation_;
  next_refresh_ = clock_.Monotonic() + options_.min_refresh_interval;
  if (result.ok()) {
    const bool first = !cached_ || cached_->source != result->source;
    cached_ = *result;
    last_refresh_error_ = OkStatus();
    refreshed_.notify_all();
    lock.unlock();
    if (first) {
      nlohmann::json fields = {{"source", result->source}};
      if (result->expiration) fields["expires"] = FormatRfc3339(*result->expiration);
      options_.logger.Info("aws credentials resolved", std::move(fields));
    }
    return result;
  }
  last_refresh_error_ = result.status();
  refreshed_.notify_all();
  if (usable(clock_.Now())) {
    ResolvedAwsCredentials still_valid = *cached_;
    lock.unlock();
    options_.logger.Warn("aws credentials refresh failed; using cached credentials until expiry",
                         {{"error", result.status().ToString()},
                          {"expires", FormatRfc3339(*still_valid.expiration)}});
    return still_valid;
  }
  return result.status();
}

void AwsCredentialChain::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.reset();
  next_refresh_.reset();
}

}  // namespace ragd
