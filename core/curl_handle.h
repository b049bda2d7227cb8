// Private to core/: RAII owners for libcurl handles, one-time global init, a share object whose
// lock callbacks make the shared DNS and TLS session caches safe to use from many threads, and a
// pool of idle easy handles that gives connection reuse.
//
// Only core/http_client.cc should include this (it exposes <curl/curl.h>).
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ragd {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlShareDeleter {
  void operator()(CURLSH* handle) const { curl_share_cleanup(handle); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
  void operator()(char* str) const { curl_free(str); }
};

using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSharePtr = std::unique_ptr<CURLSH, CurlShareDeleter>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;
using CurlUrlPtr = std::unique_ptr<CURLU, CurlUrlDeleter>;
using CurlStringPtr = std::unique_ptr<char, CurlStringDeleter>;

// curl_global_init exactly once per process (it is not reference counted here: libcurl stays
// initialized until exit, which is what a long-running server wants).
inline void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
}

// A CURLSH sharing the DNS cache and TLS session ids between easy handles, with one mutex per
// kind of shared data as libcurl requires. The connection cache is deliberately NOT shared:
// libcurl documents CURL_LOCK_DATA_CONNECT as unsafe across concurrent threads, so connection
// reuse comes from pooling easy handles instead (each keeps its own live connection).
//
// Thread safety: handle() may be attached to easy handles used concurrently from many threads.
// Must outlive every easy handle attached to it. Not movable (libcurl holds `this`).
class CurlShare {
 public:
  CurlShare() : share_(curl_share_init()) {
    if (!share_) return;
    curl_share_setopt(share_.get(), CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, &CurlShare::Lock);
    curl_share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC, &CurlShare::Unlock);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  CurlShare(const CurlShare&) = delete;
  CurlShare& operator=(const CurlShare&) = delete;

  // May be null if libcurl could not allocate the share; transfers then simply do not share.
  CURLSH* handle() const { return share_.get(); }

 private:
  static std::mutex* MutexFor(void* self, curl_lock_data data) {
    auto index = static_cast<size_t>(data);
    auto& mutexes = static_cast<CurlShare*>(self)->mutexes_;
    return index < mutexes.size() ? &mutexes[index] : nullptr;
  }
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    if (std::mutex* mu = MutexFor(self, data)) mu->lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* self) {
    if (std::mutex* mu = MutexFor(self, data)) mu->unlock();
  }

  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;
  CurlSharePtr share_;  // declared after mutexes_: curl_share_cleanup may still lock
};

// Idle easy handles keyed by origin ("scheme://host:port"). Each pooled handle has been
// curl_easy_reset (no pointers into finished transfers) but keeps its one live connection, so
// the next transfer to that origin skips the TCP and TLS handshakes. At most
// `max_idle_per_origin` handles are kept per origin and four times that in total, least recently
// released evicted first; zero disables pooling.
//
// Thread safety: Acquire and Release may be called concurrently.
class CurlHandlePool {
 public:
  explicit CurlHandlePool(int max_idle_per_origin)
      : max_per_origin_(static_cast<size_t>(std::max(max_idle_per_origin, 0))) {}
  CurlHandlePool(const CurlHandlePool&) = delete;
  CurlHandlePool& operator=(const CurlHandlePool&) = delete;

  // The most recently released handle for `origin`, else a new one (null if out of memory).
  CurlEasyPtr Acquire(const std::string& origin) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
        if (it->origin != origin) continue;
        CurlEasyPtr handle = std::move(it->handle);
        idle_.erase(std::next(it).base());
        return handle;
      }
    }
    CurlEasyPtr handle(curl_easy_init());
    if (handle && share_.handle() != nullptr) {
      curl_easy_setopt(handle.get(), CURLOPT_SHARE, share_.handle());  // survives easy_reset
    }
    return handle;
  }

  // Precondition: `handle` finished its transfer cleanly and has been curl_easy_reset.
  void Release(std::string origin, CurlEasyPtr handle) {
    if (max_per_origin_ == 0) return;
    std::vector<CurlEasyPtr> evicted;  // closed after the lock is dropped
    std::lock_guard<std::mutex> lock(mu_);
    size_t same_origin = 0;
    auto oldest_same = idle_.end();
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (it->origin != origin) continue;
      if (same_origin++ == 0) oldest_same = it;
    }
    if (same_origin >= max_per_origin_) {
      evicted.push_back(std::move(oldest_same->handle));
      idle_.erase(oldest_same);
    }
    idle_.push_back({std::move(origin), std::move(handle)});
    while (idle_.size() > 4 * max_per_origin_) {
      evicted.push_back(std::move(idle_.front().handle));
      idle_.pop_front();
    }
  }

 private:
  struct IdleHandle {
    std::string origin;
    CurlEasyPtr handle;
  };

  const size_t max_per_origin_;
  CurlShare share_;  // declared before idle_: must outlive every easy handle attached to it
  std::mutex mu_;
  std::deque<IdleHandle> idle_;  // guarded by mu_; least recently released first
};

}  // namespace ragd
