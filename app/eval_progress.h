// Progress of a long `ragd eval` stage on stderr: a redrawn bar on a terminal, otherwise a line
// at every further tenth of the work (logs and CI stay short).
//
// Not thread-safe: one thread draws.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace ragd {

class EvalProgress {
 public:
  // `quiet`: draws nothing.
  EvalProgress(std::string label, size_t total, std::string unit, bool quiet);

  // True when a redraw is worth its cost (at most five a second).
  bool Due() const;
  // `note` follows the count (e.g. "added 300").
  void Update(size_t done, const std::string& note);
  // Ends the bar's line (terminal); prints the last state if it was not printed yet.
  void Finish();

 private:
  std::string label_;
  size_t total_;
  std::string unit_;
  bool quiet_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  size_t done_ = 0;
  size_t next_tenth_ = 1;  // non-terminal: the next tenth that prints a line
  bool printed_final_ = false;
};

}  // namespace ragd
