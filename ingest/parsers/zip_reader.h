// Reading parts of a ZIP container (DOCX, later XLSX/PPTX) with zip-bomb protection.
//
// Every part read is charged to a budget of inflated bytes shared by the whole archive. A part is
// refused before inflating when its declared size exceeds what is left of the budget, or when it
// is larger than 1 MiB and claims a compression ratio above 100:1 (real XML stays far below; a
// bomb far above). While inflating, the actual byte count is checked against both the declared
// size and the budget, so a lying directory does not help. Encrypted entries are refused.
//
// Not thread-safe: one ZipReader per thread (it owns a libzip handle).
#pragma once

#include <zip.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"

namespace ragd {

class ZipReader {
 public:
  // Opens `file`. DataLoss for a corrupt or non-ZIP file ("<what>: not a ZIP archive"),
  // FailedPrecondition for an OLE2 compound file (what encrypted Office documents and legacy .doc
  // files are). `what` names the format in messages ("DOCX").
  static StatusOr<ZipReader> Open(const std::filesystem::path& file, std::string what,
                                  int64_t max_inflated_bytes);

  // The part's inflated bytes, or nullopt if the archive has no such part.
  StatusOr<std::optional<std::string>> Read(const std::string& name);

  int64_t inflated_bytes() const { return inflated_; }

 private:
  struct Discard {
    void operator()(zip_t* archive) const { zip_discard(archive); }
  };
  ZipReader(std::unique_ptr<zip_t, Discard> archive, std::string what, int64_t budget)
      : archive_(std::move(archive)), what_(std::move(what)), budget_(budget) {}

  std::unique_ptr<zip_t, Discard> archive_;
  std::string what_;
  int64_t budget_;
  int64_t inflated_ = 0;
};

}  // namespace ragd
