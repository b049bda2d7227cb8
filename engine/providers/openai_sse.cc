#include "engine/providers/openai_sse.h"

#include <utility>

namespace ragd {

Status SseParser::Feed(std::string_view bytes, const EventCallback& on_event, bool* stopped) {
  *stopped = false;
  size_t i = 0;
  if (skip_next_lf_ && !bytes.empty()) {
    if (bytes.front() == '\n') i = 1;
    skip_next_lf_ = false;
  }
  while (i < bytes.size()) {
    const size_t end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      if (line_.size() + (bytes.size() - i) > max_line_bytes_) {
        return DataLossError("event stream: line longer than " + std::to_string(max_line_bytes_) +
                             " bytes");
      }
      line_.append(bytes.substr(i));
      break;
    }
    bool keep_going = true;
    if (line_.empty()) {
      keep_going = Line(bytes.substr(i, end - i), on_event);
    } else {
      line_.append(bytes.substr(i, end - i));
      std::string line = std::move(line_);
      line_.clear();
      keep_going = Line(line, on_event);
    }
    i = end + 1;
    if (bytes[end] == '\r') {
      if (i < bytes.size()) {
        if (bytes[i] == '\n') ++i;
      } else {
        skip_next_lf_ = true;
      }
    }
    if (!keep_going) {
      *stopped = true;
      return OkStatus();
    }
  }
  return OkStatus();
}

bool SseParser::Line(std::string_view line, const EventCallback& on_event) {
  if (line.empty()) {
    if (!has_data_) {
      pending_ = SseEvent();
      return true;
    }
    SseEvent event = std::move(pending_);
    pending_ = SseEvent();
    has_data_ = false;
    return on_event(event);
  }
  if (line.front() == ':') return true;  // comment (keep-alive)
  std::string_view field = line;
  std::string_view value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event = std::string(value);
  }
  // "id" and "retry" matter to browsers reconnecting, not to a one-shot completion.
  return true;
}

}  // namespace ragd
