// LocalObjectStore: atomic puts, overwrites, hostile keys, recovery after a crash, delete, list.
#include "ingest/local_object_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "aws/checksums.h"
#include "core/crypto.h"
#include "core/schema.h"

namespace ragd {
namespace {

namespace fs = std::filesystem;

constexpr char kBucket[] = "ragd-uploads";

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ragd-objects-" + RandomAlnum(10));
    fs::create_directories(dir_);
    auto db = Database::Open((dir_ / "ragd.db").string(), RagdMigrations());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = *std::move(db);
    auto store = LocalObjectStore::Create(*db_, root(), clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  std::string root() const { return (dir_ / "objects").string(); }

  std::string WriteTemp(std::string_view content) {
    const std::string path = store_->NewTempPath();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Every regular file under the store's root, relative to it.
  std::set<std::string> FilesOnDisk() const {
    std::set<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(root())) {
      if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), root()).string());
    }
    return files;
  }

  std::string Read(std::string_view key) {
    StatusOr<std::string> content = store_->ReadAll(kBucket, key);
    EXPECT_TRUE(content.ok()) << content.status().ToString();
    return content.ok() ? *content : "";
  }

  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))};
  fs::path dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(LocalObjectStoreTest, PutFileStoresContentAndMetadataAndTakesTheFileOver) {
  const std::string content = "hello world";
  const std::string temp = WriteTemp(content);
  PutObjectOptions options;
  options.content_type = "text/plain";
  StatusOr<ObjectInfo> info = store_->PutFile(kBucket, "docs/a.txt", temp, options);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(info->size, content.size());
  EXPECT_EQ(info->sha256, Sha256Hex(content));
  EXPECT_EQ(info->etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");  // MD5, as S3 reports it
  EXPECT_EQ(info->content_type, "text/plain");
  EXPECT_EQ(info->last_modified, clock_.Now());

  StatusOr<ObjectInfo> head = store_->Head(kBucket, "docs/a.txt");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->etag, info->etag);
  EXPECT_EQ(head->sha256, info->sha256);
  EXPECT_EQ(head->content_type, "text/plain");
  EXPECT_EQ(Read("docs/a.txt"), content);
  StatusOr<std::string> path = store_->PathOf(kBucket, "docs/a.txt");
  ASSERT_TRUE(path.ok());
  std::ifstream in(*path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), content);
  EXPECT_EQ(store_->Head(kBucket, "docs/b.txt").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("other-bucket", "docs/a.txt").status().code(), StatusCode::kNotFound);
}

TEST_F(LocalObjectStoreTest, EmptyAndLargeObjects) {
  ASSERT_TRUE(store_->Put(kBucket, "empty", "", {}).ok());
  EXPECT_EQ(Read("empty"), "");
  EXPECT_EQ(store_->Head(kBucket, "empty")->content_type, "binary/octet-stream");
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + (i >> 12));
  StatusOr<ObjectInfo> info = store_->Put(kBucket, "big", big, {});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->sha256, Sha256Hex(big));
  EXPECT_EQ(Read("big"), big);
  EXPECT_EQ(store_->ReadAll(kBucket, "big", 1024).status().kind(), ErrorKind::kTooLarge);
}

TEST_F(LocalObjectStoreTest, OverwriteReplacesAtomicallyAndKeepsOpenReadersOnTheOldContent) {
  ASSERT_TRUE(store_->Put(kBucket, "k", "version one", {}).ok());
  StatusOr<std::unique_ptr<ObjectReader>> reader = store_->Open(kBucket, "k");
  ASSERT_TRUE(reader.ok());
  PutObjectOptions html;
  html.content_type = "text/html";
  ASSERT_TRUE(store_->Put(kBucket, "k", "version two!", html).ok());
  EXPECT_EQ(Read("k"), "version two!");
  EXPECT_EQ(store_->Head(kBucket, "k")->content_type, "text/html");
  EXPECT_EQ(store_->Head(kBucket, "k")->size, 12u);
  // The reader opened before the overwrite still reads all of version one.
  EXPECT_EQ((*reader)->info().size, 11u);
  EXPECT_EQ(*(*reader)->Read(100), "version one");
  EXPECT_EQ(*(*reader)->Read(100), "");
  // Only one file remains: the old one was unlinked after the commit.
  EXPECT_EQ(FilesOnDisk().size(), 1u);
}

TEST_F(LocalObjectStoreTest, IfAbsentRefusesAnExistingKeyAndKeepsIt) {
  PutObjectOptions once;
  once.if_absent = true;
  ASSERT_TRUE(store_->Put(kBucket, "k", "first", once).ok());
  const std::string temp = WriteTemp("second");
  EXPECT_EQ(store_->PutFile(kBucket, "k", temp, once).status().code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(Read("k"), "first");
  EXPECT_EQ(FilesOnDisk().size(), 1u);
}

TEST_F(LocalObjectStoreTest, HostileKeysAreNamesNeverPaths) {
  const std::vector<std::string> keys = {"../../../../etc/passwd",
                                         "..",
                                         ".",
                                         "/",
                                         "//",
                                         "/abs/path",
                                         "a/../../b",
                                         "a b/c d.pdf",
                                         "über/日本語/файл.txt",
                                         "%2e%2e%2f",
                                         "a\\b\\..\\c",
                                         "tmp/x",
                                         "ab/cdef",
                                         "con",
                                         "nul:",
                                         "emoji 😀",
                                         "new\nline",
                                         "tab\tkey",
                                         std::string(1024, 'k')};
  for (const std::string& key : keys) {
    ASSERT_TRUE(store_->Put(kBucket, key, "content of " + key, {}).ok()) << key;
  }
  for (const std::string& key : keys) EXPECT_EQ(Read(key), "content of " + key) << key;
  // Nothing escaped the root, and every file has a random name in a fan-out directory.
  EXPECT_FALSE(fs::exists(dir_ / "etc"));
  for (const std::string& file : FilesOnDisk()) {
    ASSERT_EQ(file.size(), 2 + 1 + 32) << file;
    EXPECT_EQ(file.substr(0, 2), file.substr(3, 2)) << file;
  }
  EXPECT_EQ(FilesOnDisk().size(), keys.size());

  for (const std::string& bad :
       {std::string(), std::string(1025, 'k'), std::string("\xff\xfe"), std::string("a\0b", 3),
        std::string("\xc0\xaf"), std::string("\xed\xa0\x80")}) {
    const std::string temp = WriteTemp("x");
    EXPECT_EQ(store_->PutFile(kBucket, bad, temp, {}).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_FALSE(fs::exists(temp)) << "a refused put must not leave its file behind";
  }
  for (const char* bucket : {"", "ab", "UPPER", "-x-", "a/b", "../x"}) {
    EXPECT_EQ(store_->Put(bucket, "k", "x", {}).status().code(), StatusCode::kInvalidArgument)
        << bucket;
  }
}

TEST_F(LocalObjectStoreTest, DeleteRemovesRowAndFile) {
  ASSERT_TRUE(store_->Put(kBucket, "k", "x", {}).ok());
  StatusOr<std::unique_ptr<ObjectReader>> reader = store_->Open(kBucket, "k");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(store_->Delete(kBucket, "k").value(), true);
  EXPECT_EQ(store_->Delete(kBucket, "k").value(), false);
  EXPECT_EQ(store_->Head(kBucket, "k").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Open(kBucket, "k").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(FilesOnDisk().empty());
  EXPECT_EQ(*(*reader)->Read(10), "x");  // an open reader keeps its content
}

TEST_F(LocalObjectStoreTest, ListByPrefixInByteOrderWithPaging) {
  for (const char* key : {"b/2", "a/1", "a/3", "a/2", "a", "a/ü", "a/z", "ab", "c"}) {
    ASSERT_TRUE(store_->Put(kBucket, key, key, {}).ok());
  }
  ASSERT_TRUE(store_->Put("other-bucket", "a/1", "x", {}).ok());
  auto keys = [](const StatusOr<std::vector<ObjectInfo>>& list) {
    std::vector<std::string> out;
    for (const ObjectInfo& info : *list) out.push_back(info.key);
    return out;
  };
  EXPECT_EQ(keys(store_->List(kBucket, "a/")),
            (std::vector<std::string>{"a/1", "a/2", "a/3", "a/z", "a/ü"}));
  EXPECT_EQ(keys(store_->List(kBucket, "a/", "a/2", 2)), (std::vector<std::string>{"a/3", "a/z"}));
  EXPECT_EQ(keys(store_->List(kBucket, "")).size(), 9u);
  EXPECT_EQ(keys(store_->List(kBucket, "a")).size(), 7u);
  EXPECT_TRUE(keys(store_->List(kBucket, "zzz")).empty());
  EXPECT_EQ(keys(store_->List("other-bucket", "")), (std::vector<std::string>{"a/1"}));
  EXPECT_EQ((*store_->List(kBucket, "b/"))[0].size, 3u);
  EXPECT_EQ(store_->List(kBucket, "", "", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalObjectStoreTest, RecoverRemovesTempFilesAndOrphansOnly) {
  ASSERT_TRUE(store_->Put(kBucket, "kept", "kept", {}).ok());
  const std::string kept_path = *store_->PathOf(kBucket, "kept");
  // A crash mid-upload (a partial body in tmp/) and after a rename but before the commit (an
  // object file no row refers to).
  WriteTemp("partial upload");
  WriteTemp("another");
  const std::string orphan_id = HexEncode(RandomBytes(16));
  fs::create_directories(fs::path(root()) / orphan_id.substr(0, 2));
  std::ofstream(fs::path(root()) / orphan_id.substr(0, 2) / orphan_id) << "orphan";
  std::ofstream(fs::path(root()) / "README") << "not ours to touch";

  // A restart: a new store over the same directory.
  auto reopened = LocalObjectStore::Create(*db_, root(), clock_);
  ASSERT_TRUE(reopened.ok());
  StatusOr<RecoveryStats> stats = (*reopened)->Recover();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->temp_files_removed, 2);
  EXPECT_EQ(stats->orphan_files_removed, 1);
  EXPECT_TRUE(fs::is_empty(fs::path(root()) / "tmp"));
  EXPECT_TRUE(fs::exists(kept_path));
  EXPECT_TRUE(fs::exists(fs::path(root()) / "README"));
  EXPECT_EQ(*(*reopened)->ReadAll(kBucket, "kept"), "kept");
}

TEST_F(LocalObjectStoreTest, ConcurrentOverwritesLeaveOneConsistentVersion) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string content = "writer " + std::to_string(t) + " version " + std::to_string(i);
        EXPECT_TRUE(store_->Put(kBucket, "hot", content, {}).ok());
        StatusOr<std::string> now = store_->ReadAll(kBucket, "hot");
        ASSERT_TRUE(now.ok()) << now.status().ToString();
        EXPECT_EQ(now->rfind("writer ", 0), 0u) << *now;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const ObjectInfo info = *store_->Head(kBucket, "hot");
  const std::string content = Read("hot");
  EXPECT_EQ(info.sha256, Sha256Hex(content));
  EXPECT_EQ(info.size, content.size());
  EXPECT_EQ(FilesOnDisk().size(), 1u);
}

}  // namespace
}  // namespace ragd
