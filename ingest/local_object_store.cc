#include "ingest/local_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "aws/checksums.h"
#include "core/crypto.h"

namespace ragd {
namespace {

namespace fs = std::filesystem;

constexpr size_t kChunk = 1 << 20;

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Status Errno(std::string_view what) {
  return InternalError(std::string(what) + ": " + std::strerror(errno));
}

Status SyncDirectory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return Errno("cannot sync directory " + dir);
  return OkStatus();
}

Status MakeDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno("cannot create directory " + dir);
  }
  return OkStatus();
}

bool IsFileId(std::string_view name) {
  return name.size() == 32 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

constexpr const char* kColumns =
    "bucket, key, size, content_type, sha256, etag, created_at_ms, file_id";

ObjectInfo RowToInfo(const Statement& st) {
  ObjectInfo info;
  info.bucket = st.Text(0);
  info.key = st.Text(1);
  info.size = static_cast<uint64_t>(st.Int(2));
  info.content_type = st.Text(3);
  info.sha256 = st.Text(4);
  info.etag = st.Text(5);
  info.last_modified = std::chrono::system_clock::time_point(std::chrono::milliseconds(st.Int(6)));
  return info;
}

Status ValidateName(std::string_view bucket, std::string_view key) {
  RAGD_RETURN_IF_ERROR(ValidateBucketName(bucket));
  return ValidateObjectKey(key);
}

class LocalObjectReader final : public ObjectReader {
 public:
  LocalObjectReader(ObjectInfo info, UniqueFd fd) : info_(std::move(info)), fd_(std::move(fd)) {}
  const ObjectInfo& info() const override { return info_; }
  StatusOr<std::string> Read(size_t max_bytes) override {
    std::string out(std::min(max_bytes, kChunk), '\0');
    ssize_t n;
    do {
      n = ::read(fd_.get(), out.data(), out.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Errno("cannot read object");
    out.resize(static_cast<size_t>(n));
    return out;
  }

 private:
  ObjectInfo info_;
  UniqueFd fd_;
};

}  // namespace

StatusOr<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Create(Database& db, std::string root,
                                                                     Clock& clock) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return FailedPreconditionError("cannot create " + root + ": " + ec.message());
  fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace, ec);
  RAGD_RETURN_IF_ERROR(MakeDirectory((fs::path(root) / "tmp").string()));
  return std::unique_ptr<LocalObjectStore>(new LocalObjectStore(db, std::move(root), clock));
}

std::string LocalObjectStore::FilePath(const std::string& file_id) const {
  return (fs::path(root_) / file_id.substr(0, 2) / file_id).string();
}

std::string LocalObjectStore::NewTempPath() const {
  return (fs::path(root_) / "tmp" / (HexEncode(RandomBytes(16)) + ".part")).string();
}

StatusOr<RecoveryStats> LocalObjectStore::Recover() {
  RecoveryStats stats;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(root_) / "tmp", ec)) {
    std::error_code rm;
    if (fs::remove_all(entry.path(), rm) > 0) ++stats.temp_files_removed;
  }
  if (ec) return InternalError("cannot list " + root_ + "/tmp: " + ec.message());

  std::unordered_set<std::string> referenced;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT file_id FROM objects"));
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return OkStatus();
      referenced.insert(st.Text(0));
    }
  }));
  for (const auto& dir : fs::directory_iterator(root_, ec)) {
    const std::string fanout = dir.path().filename().string();
    if (fanout.size() != 2 || !dir.is_directory()) continue;
    std::error_code inner;
    for (const auto& file : fs::directory_iterator(dir.path(), inner)) {
      const std::string name = file.path().filename().string();
      if (!IsFileId(name) || name.substr(0, 2) != fanout || referenced.count(name) > 0) continue;
      std::error_code rm;
      if (fs::remove(file.path(), rm)) ++stats.orphan_files_removed;
    }
  }
  if (ec) return InternalError("cannot list " + root_ + ": " + ec.message());
  return stats;
}

StatusOr<ObjectInfo> LocalObjectStore::PutFile(std::string_view bucket, std::string_view key,
                                               const std::string& source_path,
                                               const PutObjectOptions& options) {
  // The source is ours from here on: whatever happens, it does not stay behind.
  struct SourceGuard {
    std::string path;
    ~SourceGuard() {
      if (!path.empty()) ::unlink(path.c_str());
    }
  } guard{source_path};
  RAGD_RETURN_IF_ERROR(ValidateName(bucket, key));

  ObjectInfo info;
  info.bucket = std::string(bucket);
  info.key = std::string(key);
  info.content_type = options.content_type;
  {
    UniqueFd fd(::open(source_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Errno("cannot open upload");
    Sha256Stream sha256;
    Checksummer md5(ChecksumAlgorithm::kMd5);
    std::string buffer(kChunk, '\0');
    while (true) {
      const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("cannot read upload");
      if (n == 0) break;
      const std::string_view chunk(buffer.data(), static_cast<size_t>(n));
      sha256.Update(chunk);
      md5.Update(chunk);
      info.size += static_cast<uint64_t>(n);
    }
    // Durable before it becomes visible: the rename and the row must never point at lost data.
    if (::fsync(fd.get()) != 0) return Errno("cannot sync upload");
    info.sha256 = sha256.FinishHex();
    info.etag = "\"" + HexEncode(md5.Finish()) + "\"";
  }

  const std::string file_id = HexEncode(RandomBytes(16));
  const std::string dir = (fs::path(root_) / file_id.substr(0, 2)).string();
  const std::string final_path = FilePath(file_id);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    RAGD_RETURN_IF_ERROR(MakeDirectory(dir));
    RAGD_RETURN_IF_ERROR(SyncDirectory(root_));
  }
  if (::rename(source_path.c_str(), final_path.c_str()) != 0) return Errno("cannot store upload");
  guard.path = final_path;  // until the commit, the stored file is still ours to remove
  RAGD_RETURN_IF_ERROR(SyncDirectory(dir));

  info.last_modified = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now());
  std::string previous;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement find,
                          c.Prepare("SELECT file_id FROM objects WHERE bucket = ? AND key = ?"));
    find.Bind(1, bucket).Bind(2, key);
    RAGD_ASSIGN_OR_RETURN(bool exists, find.Step());
    if (exists) {
      if (options.if_absent) return AlreadyExistsError("the object already exists");
      previous = find.Text(0);
    }
    RAGD_ASSIGN_OR_RETURN(
        Statement put,
        c.Prepare("INSERT OR REPLACE INTO objects (bucket, key, file_id, size, content_type, "
                  "sha256, etag, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    put.Bind(1, bucket)
        .Bind(2, key)
        .Bind(3, file_id)
        .Bind(4, static_cast<int64_t>(info.size))
        .Bind(5, info.content_type)
        .Bind(6, info.sha256)
        .Bind(7, info.etag)
        .Bind(8, UnixMillis(info.last_modified));
    return put.Run();
  }));
  guard.path.clear();  // committed: the file belongs to the row now
  if (!previous.empty()) ::unlink(FilePath(previous).c_str());
  return info;
}

StatusOr<ObjectInfo> LocalObjectStore::Put(std::string_view bucket, std::string_view key,
                                           std::string_view content,
                                           const PutObjectOptions& options) {
  RAGD_RETURN_IF_ERROR(ValidateName(bucket, key));
  const std::string temp = NewTempPath();
  {
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) return Errno("cannot create temporary file");
    size_t written = 0;
    while (written < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Status s = Errno("cannot write temporary file");
        ::unlink(temp.c_str());
        return s;
      }
      written += static_cast<size_t>(n);
    }
  }
  return PutFile(bucket, key, temp, options);
}

StatusOr<std::pair<ObjectInfo, std::string>> LocalObjectStore::Lookup(std::string_view bucket,
                                                                      std::string_view key) {
  RAGD_RETURN_IF_ERROR(ValidateName(bucket, key));
  std::optional<std::pair<ObjectInfo, std::string>> found;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement st, c.Prepare(std::string("SELECT ") + kColumns +
                                                  " FROM objects WHERE bucket = ? AND key = ?"));
    st.Bind(1, bucket).Bind(2, key);
    RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) found.emplace(RowToInfo(st), st.Text(7));
    return OkStatus();
  }));
  if (!found) return NotFoundError("no such object");
  return *std::move(found);
}

StatusOr<ObjectInfo> LocalObjectStore::Head(std::string_view bucket, std::string_view key) {
  RAGD_ASSIGN_OR_RETURN(auto found, Lookup(bucket, key));
  return std::move(found.first);
}

StatusOr<std::string> LocalObjectStore::PathOf(std::string_view bucket, std::string_view key) {
  RAGD_ASSIGN_OR_RETURN(auto found, Lookup(bucket, key));
  return FilePath(found.second);
}

StatusOr<std::unique_ptr<ObjectReader>> LocalObjectStore::Open(std::string_view bucket,
                                                               std::string_view key) {
  // An overwrite may unlink the file between reading the row and opening it: look again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    RAGD_ASSIGN_OR_RETURN(auto found, Lookup(bucket, key));
    UniqueFd fd(::open(FilePath(found.second).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() >= 0) {
      return std::unique_ptr<ObjectReader>(
          new LocalObjectReader(std::move(found.first), std::move(fd)));
    }
    if (errno != ENOENT) return Errno("cannot open object");
  }
  return UnavailableError("object is being replaced too often to open; try again");
}

StatusOr<bool> LocalObjectStore::Delete(std::string_view bucket, std::string_view key) {
  RAGD_RETURN_IF_ERROR(ValidateName(bucket, key));
  std::string file_id;
  RAGD_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    RAGD_ASSIGN_OR_RETURN(Statement find,
                          c.Prepare("SELECT file_id FROM objects WHERE bucket = ? AND key = ?"));
    find.Bind(1, bucket).Bind(2, key);
    RAGD_ASSIGN_OR_RETURN(bool exists, find.Step());
    if (!exists) return OkStatus();
    file_id = find.Text(0);
    RAGD_ASSIGN_OR_RETURN(Statement del,
                          c.Prepare("DELETE FROM objects WHERE bucket = ? AND key = ?"));
    del.Bind(1, bucket).Bind(2, key);
    return del.Run();
  }));
  if (file_id.empty()) return false;
  ::unlink(FilePath(file_id).c_str());
  return true;
}

StatusOr<std::vector<ObjectInfo>> LocalObjectStore::List(std::string_view bucket,
                                                         std::string_view prefix,
                                                         std::string_view start_after,
                                                         size_t limit) {
  RAGD_RETURN_IF_ERROR(ValidateBucketName(bucket));
  if (limit == 0) return InvalidArgumentError("list limit must be positive");
  std::vector<ObjectInfo> out;
  RAGD_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    // Byte order (BINARY collation); the range on key lets the primary key index do the work.
    RAGD_ASSIGN_OR_RETURN(
        Statement st, c.Prepare(std::string("SELECT ") + kColumns +
                                " FROM objects WHERE bucket = ?1 AND key >= ?2 AND key > ?3 AND "
                                "substr(key, 1, length(?2)) = ?2 ORDER BY key LIMIT ?4"));
    st.Bind(1, bucket).Bind(2, prefix).Bind(3, start_after).Bind(4, static_cast<int64_t>(limit));
    while (true) {
      RAGD_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return OkStatus();
      out.push_back(RowToInfo(st));
    }
  }));
  return out;
}

}  // namespace ragd
