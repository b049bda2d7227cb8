// The key pair of ragd's own S3-compatible upload endpoint: it signs the presigned upload URLs
// ragd issues and verifies the uploads that come back (and any S3 client configured with it).
#pragma once

#include "aws/sigv4_key.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/sqlite.h"

namespace ragd {

// From objects.access_key_id / objects.secret_access_key when both are set; when both are empty,
// the pair generated at the first start and kept in the `settings` table (created now if absent,
// in one transaction, so concurrent first starts agree), so URLs stay valid across restarts.
// kInvalidArgument if only one of the two options is set. The secret is stored in clear in
// ragd.db (it must be, to compute HMACs); the data directory is private to ragd's user.
StatusOr<AwsCredentials> ResolveObjectCredentials(const Config& config, Database& db, Clock& clock);

}  // namespace ragd
