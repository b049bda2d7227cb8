#include "api/stream_writer.h"

#include <nlohmann/json.hpp>

namespace ragd {

std::shared_ptr<SseTurnWriter> SseTurnWriter::Create(std::shared_ptr<StreamSink> sink,
                                                     StreamExecutor* timers,
                                                     SseCoalescing options) {
  return std::make_shared<SseTurnWriter>(std::move(sink), timers, options);
}

void SseTurnWriter::TakeHeldLocked(std::string* out) {
  if (held_.empty()) return;
  // Model text is valid UTF-8 by construction; a stray byte must not throw on this thread.
  const nlohmann::json payload = {{"text", held_}};
  out->append(
      SseEvent("delta", payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  held_.clear();
}

bool SseTurnWriter::WriteLocked(std::string data) {
  last_write_ = std::chrono::steady_clock::now();
  ++writes_;
  return sink_->Write(std::move(data));
}

bool SseTurnWriter::Event(std::string_view event, std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  std::string out;
  TakeHeldLocked(&out);
  out += SseEvent(event, data);
  return WriteLocked(std::move(out));
}

bool SseTurnWriter::Delta(std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || sink_->Cancelled()) return false;
  if (text.empty()) return true;
  held_.append(text);
  const auto now = std::chrono::steady_clock::now();
  if (!wrote_delta_ || held_.size() >= options_.max_bytes || timers_ == nullptr ||
      now - last_write_ >= options_.interval) {
    wrote_delta_ = true;
    std::string out;
    TakeHeldLocked(&out);
    return WriteLocked(std::move(out));
  }
  if (!timer_armed_) {
    timer_armed_ = true;
    std::weak_ptr<SseTurnWriter> weak = weak_from_this();
    timers_->RunAt(last_write_ + options_.interval, [weak] {
      if (std::shared_ptr<SseTurnWriter> self = weak.lock()) self->OnTimer();
    });
  }
  return true;
}

void SseTurnWriter::OnTimer() {
  std::lock_guard<std::mutex> lock(mu_);
  timer_armed_ = false;
  if (closed_ || held_.empty()) return;
  std::string out;
  TakeHeldLocked(&out);
  WriteLocked(std::move(out));
}

void SseTurnWriter::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  std::string out;
  TakeHeldLocked(&out);
  if (!out.empty()) WriteLocked(std::move(out));
  sink_->Close();
}

int SseTurnWriter::sink_writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

}  // namespace ragd
