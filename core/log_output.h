// Where ragd::Log lines go (core/log.h), and how to wait for them.
//
// By default lines go to stderr through a buffered background writer (core/log_writer.h): info
// and debug lines are written in batches off the calling thread (one write(2) per batch, not per
// line); warn and error lines are written before Log returns. Lines stay whole and in order.
// Everything logged is written at process exit and by FlushLog() (Server::Run calls it when the
// server stops). When the output cannot keep up (8 MiB buffered), a line waits up to 100 ms and
// is then dropped and counted (LogLinesDropped(), ragd_log_lines_dropped_total in /metrics)
// rather than blocking request threads indefinitely; one warn line reports the count once the
// output recovers. A sink set with SetLogSink (tests) bypasses all of this and is called
// synchronously.
//
// Thread safety: all functions may be called concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ragd {

// Sends the output to descriptor `fd` instead of stderr (2), after writing what is pending to
// the old one. The caller keeps `fd` open while it is in use.
void SetLogFd(int fd);
// Waits until every line logged before the call is written to the output descriptor; false if
// that took longer than `timeout`.
bool FlushLog(std::chrono::milliseconds timeout = std::chrono::seconds(2));
// Lines dropped because the output could not keep up.
uint64_t LogLinesDropped();
// Bytes the output may hold before lines wait or are dropped (default 8 MiB; tests shrink it).
void SetLogBufferLimit(size_t bytes);

}  // namespace ragd
