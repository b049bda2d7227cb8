#include "ingest/parsers/zip_reader.h"

#include <algorithm>
#include <fstream>
#include <system_error>

namespace ragd {
namespace {

constexpr int64_t kRatioCheckFrom = 1 << 20;
constexpr int64_t kMaxCompressionRatio = 100;
constexpr size_t kReadChunk = 64 * 1024;

bool IsOle2CompoundFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[8] = {};
  in.read(magic, sizeof(magic));
  return in.gcount() == sizeof(magic) &&
         std::string_view(magic, sizeof(magic)) == "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
}

struct CloseFile {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

}  // namespace

StatusOr<ZipReader> ZipReader::Open(const std::filesystem::path& file, std::string what,
                                    int64_t max_inflated_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return NotFoundError("cannot read " + file.filename().string());
  }
  if (IsOle2CompoundFile(file)) {
    return FailedPreconditionError(
        what +
        ": the file is password-protected (encrypted) or in the legacy binary format; "
        "save it as an unprotected " +
        what + " and upload it again");
  }
  int error = 0;
  zip_t* archive = zip_open(file.c_str(), ZIP_RDONLY, &error);
  if (archive == nullptr) {
    zip_error_t err;
    zip_error_init_with_code(&err, error);
    std::string reason = zip_error_strerror(&err);
    zip_error_fini(&err);
    if (error == ZIP_ER_NOZIP) reason = "not a ZIP archive";
    return DataLossError(what + ": " + reason);
  }
  return ZipReader(std::unique_ptr<zip_t, Discard>(archive), std::move(what), max_inflated_bytes);
}

StatusOr<std::optional<std::string>> ZipReader::Read(const std::string& name) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(archive_.get(), name.c_str(), 0, &st) != 0) return std::optional<std::string>();
  if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
    return FailedPreconditionError(what_ + ": " + name + " is encrypted; remove the password");
  }
  const int64_t remaining = budget_ - inflated_;
  const int64_t declared = (st.valid & ZIP_STAT_SIZE) ? static_cast<int64_t>(st.size) : remaining;
  if (declared > remaining) {
    return ResourceExhaustedError(what_ + ": " + name + " inflates to " + std::to_string(declared) +
                                  " bytes; the limit is " + std::to_string(budget_) +
                                  " bytes for the whole document");
  }
  if ((st.valid & ZIP_STAT_COMP_SIZE) && declared > kRatioCheckFrom &&
      declared > static_cast<int64_t>(st.comp_size) * kMaxCompressionRatio) {
    return ResourceExhaustedError(what_ + ": " + name + " has a compression ratio above " +
                                  std::to_string(kMaxCompressionRatio) +
                                  ":1 (a zip bomb?); refused");
  }
  std::unique_ptr<zip_file_t, CloseFile> part(zip_fopen(archive_.get(), name.c_str(), 0));
  if (!part) {
    return DataLossError(what_ + ": cannot read " + name + ": " + zip_strerror(archive_.get()));
  }
  std::string data;
  data.reserve(static_cast<size_t>(std::min<int64_t>(declared, 16 << 20)));
  char buffer[kReadChunk];
  while (true) {
    const zip_int64_t n = zip_fread(part.get(), buffer, sizeof(buffer));
    if (n < 0) {
      return DataLossError(what_ + ": corrupt part " + name + ": " + zip_file_strerror(part.get()));
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (static_cast<int64_t>(data.size()) > declared) {
      return DataLossError(what_ + ": " + name + " inflates past its declared size; refused");
    }
  }
  inflated_ += static_cast<int64_t>(data.size());
  return std::optional<std::string>(std::move(data));
}

}  // namespace ragd
