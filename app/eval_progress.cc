#include "app/eval_progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace ragd {

EvalProgress::EvalProgress(std::string label, size_t total, std::string unit, bool quiet)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      quiet_(quiet),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::hours(1)) {}

bool EvalProgress::Due() const {
  return std::chrono::steady_clock::now() - last_draw_ >= std::chrono::milliseconds(200);
}

void EvalProgress::Update(size_t done, const std::string& note) {
  done_ = done;
  last_draw_ = std::chrono::steady_clock::now();
  if (quiet_) return;
  const double seconds = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  char counts[160];
  std::snprintf(counts, sizeof(counts), "%zu/%zu %s  %.1f/s  %.0f s", done, total_, unit_.c_str(),
                rate, seconds);
  std::string line = label_ + " " + counts + (note.empty() ? "" : "  " + note);
  if (tty_) {
    constexpr size_t kWidth = 24;
    const size_t filled = total_ == 0 ? kWidth : kWidth * std::min(done, total_) / total_;
    const std::string bar =
        "[" + std::string(filled, '#') + std::string(kWidth - filled, ' ') + "] ";
    line = bar + line;
    if (line.size() > 110) line.resize(110);
    std::fprintf(stderr, "\r%-110s", line.c_str());
    std::fflush(stderr);
    return;
  }
  // Non-terminal: one line per tenth passed, and the last one.
  const size_t tenth = total_ == 0 ? 10 : 10 * std::min(done, total_) / total_;
  if (tenth < next_tenth_) return;
  next_tenth_ = tenth + 1;
  printed_final_ = done >= total_;
  std::fprintf(stderr, "%s\n", line.c_str());
}

void EvalProgress::Finish() {
  if (quiet_) return;
  if (tty_) {
    std::fprintf(stderr, "\n");
    return;
  }
  if (!printed_final_) {
    next_tenth_ = 0;
    Update(done_, "");
  }
}

}  // namespace ragd
