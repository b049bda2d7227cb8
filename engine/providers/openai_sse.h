// An incremental parser for server-sent events (text/event-stream, WHATWG HTML "Server-sent
// events" parsing rules): lines end in CRLF, LF or CR (split anywhere across chunks), "data:"
// lines accumulate, a blank line dispatches, ':' lines are comments, one space after the colon is
// dropped. An event cut off by the end of the stream is discarded, as the spec says.
//
// Thread safety: none; one parser per stream.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ragd {

struct SseEvent {
  std::string event;  // the "event:" field; empty means "message"
  std::string data;   // the "data:" lines joined by '\n'
};

class SseParser {
 public:
  // Return false to stop parsing (Feed then returns OK without looking further).
  using EventCallback = std::function<bool(const SseEvent& event)>;

  // Lines longer than `max_line_bytes` are a DataLoss error (a peer that never ends a line must not
  // grow memory without bound).
  explicit SseParser(size_t max_line_bytes = 4 * 1024 * 1024) : max_line_bytes_(max_line_bytes) {}

  // Consumes bytes, calling `on_event` for each complete event. Sets *stopped when the callback
  // returned false. DataLoss for an over-long line.
  Status Feed(std::string_view bytes, const EventCallback& on_event, bool* stopped);

 private:
  // Processes one complete line; false when the callback asked to stop.
  bool Line(std::string_view line, const EventCallback& on_event);

  const size_t max_line_bytes_;
  std::string line_;           // the incomplete line so far
  bool skip_next_lf_ = false;  // the previous chunk ended in CR: a leading LF belongs to it
  SseEvent pending_;
  bool has_data_ = false;
};

}  // namespace ragd
