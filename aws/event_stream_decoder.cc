// EventStreamDecoder: reassembles frames from arbitrarily split chunks.
#include <algorithm>
#include <string>
#include <utility>

#include "aws/event_stream.h"

namespace ragd {
namespace {

// A buffer grown for a large frame is given back once the frame is done, so a long-lived stream
// does not pin its largest frame's memory.
constexpr size_t kKeepBufferCapacity = 64 * 1024;

}  // namespace

EventStreamDecoder::EventStreamDecoder(EventStreamLimits limits) : limits_(limits) {}

Status EventStreamDecoder::Fail(Status status) {
  status_ = std::move(status);
  std::string().swap(partial_);
  frame_length_ = 0;
  return status_;
}

Status EventStreamDecoder::Emit(std::string_view frame) {
  StatusOr<EventStreamMessage> message = DecodeEventStreamFrame(frame, limits_);
  if (!message.ok()) return Fail(std::move(message).status());
  ready_.push_back(std::move(message).value());
  return OkStatus();
}

Status EventStreamDecoder::Feed(std::string_view bytes) {
  if (!status_.ok()) return status_;
  while (!bytes.empty()) {
    if (partial_.empty()) {
      // Frame boundary: decode whole frames straight from the chunk when they are all there.
      if (bytes.size() >= kEventStreamPreludeBytes) {
        StatusOr<uint32_t> total = CheckEventStreamPrelude(bytes, limits_);
        if (!total.ok()) return Fail(std::move(total).status());
        if (bytes.size() >= *total) {
          RAGD_RETURN_IF_ERROR(Emit(bytes.substr(0, *total)));
          bytes.remove_prefix(*total);
          continue;
        }
        frame_length_ = *total;
      }
    }
    if (frame_length_ == 0) {
      // Still collecting the prelude.
      const size_t take = std::min(kEventStreamPreludeBytes - partial_.size(), bytes.size());
      partial_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (partial_.size() < kEventStreamPreludeBytes) break;
      StatusOr<uint32_t> total = CheckEventStreamPrelude(partial_, limits_);
      if (!total.ok()) return Fail(std::move(total).status());
      frame_length_ = *total;
    }
    const size_t take = std::min(size_t{frame_length_} - partial_.size(), bytes.size());
    const size_t needed = partial_.size() + take;
    if (needed > partial_.capacity()) {
      // Grow geometrically with the data actually received, capped at the declared length, so a
      // prelude that promises 16 MiB and then stalls costs only what was sent.
      partial_.reserve(std::min(std::max(needed, 2 * partial_.capacity()), size_t{frame_length_}));
    }
    partial_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (partial_.size() < frame_length_) break;
    RAGD_RETURN_IF_ERROR(Emit(partial_));
    frame_length_ = 0;
    if (partial_.capacity() > kKeepBufferCapacity) {
      std::string().swap(partial_);
    } else {
      partial_.clear();
    }
  }
  return OkStatus();
}

std::optional<EventStreamMessage> EventStreamDecoder::Next() {
  if (ready_.empty()) return std::nullopt;
  EventStreamMessage message = std::move(ready_.front());
  ready_.pop_front();
  return message;
}

Status EventStreamDecoder::Finish() const {
  if (!status_.ok()) return status_;
  if (!partial_.empty()) {
    std::string message = "event stream: stream ended inside a frame (" +
                          std::to_string(partial_.size()) + " bytes of ";
    message += frame_length_ == 0 ? "a prelude)" : std::to_string(frame_length_) + ")";
    return DataLossError(message);
  }
  return OkStatus();
}

}  // namespace ragd
