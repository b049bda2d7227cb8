// SseTurnWriter: writes one chat turn's Server-Sent Events to a StreamSink, coalescing deltas.
//
// A model emits a delta every few milliseconds, and under load several arrive in one upstream read;
// writing each as its own chunk costs the server one wake-up and one send() per token, times the
// number of streams. Deltas are therefore merged: the first delta of a turn, and any delta arriving
// `interval` or more after the previous write, is written at once (no added latency while tokens
// trickle); deltas arriving sooner are held and written together as one `delta` event (their text
// concatenated, so the client sees exactly the same text) when `interval` has passed since the last
// write (a timer, so a pause of the model never holds text back), or at once when `max_bytes` are
// held, or before any other event.
//
// Thread safety: all members may be called concurrently (the timer flushes from its own thread).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "api/http.h"
#include "engine/stream_executor.h"

namespace ragd {

struct SseCoalescing {
  std::chrono::milliseconds interval{20};
  size_t max_bytes = 8 * 1024;
};

class SseTurnWriter : public std::enable_shared_from_this<SseTurnWriter> {
 public:
  // `timers` (may be null: held deltas then wait for the next write) must outlive the writer's
  // last flush; the writer keeps `sink` alive.
  static std::shared_ptr<SseTurnWriter> Create(std::shared_ptr<StreamSink> sink,
                                               StreamExecutor* timers, SseCoalescing options = {});

  // Writes held deltas, then `event` with `data` (one sink write). False once the client is gone.
  bool Event(std::string_view event, std::string_view data);
  // Writes or holds `text` (see above). False once the client is gone.
  bool Delta(std::string_view text);
  // Writes held deltas and ends the response. Later calls do nothing.
  void Close();

  // True once the client is gone (it disconnected, or a write failed): cheap, for polling.
  bool Cancelled() const { return sink_->Cancelled(); }

  int sink_writes() const;  // how many chunks went to the sink (for tests and metrics)

  SseTurnWriter(std::shared_ptr<StreamSink> sink, StreamExecutor* timers, SseCoalescing options)
      : sink_(std::move(sink)), timers_(timers), options_(options) {}

 private:
  // Appends the held deltas as one event to `out`; mu_ held.
  void TakeHeldLocked(std::string* out);
  bool WriteLocked(std::string data);
  void OnTimer();

  const std::shared_ptr<StreamSink> sink_;
  StreamExecutor* const timers_;
  const SseCoalescing options_;
  mutable std::mutex mu_;
  std::string held_;  // delta text not yet written
  bool wrote_delta_ = false;
  bool timer_armed_ = false;
  bool closed_ = false;
  int writes_ = 0;
  std::chrono::steady_clock::time_point last_write_{};
};

}  // namespace ragd
