#!/usr/bin/env node
// An OpenAI-compatible chat server for ragd's provider tests: POST /v1/chat/completions with
// "stream": true answered as server-sent events the way OpenAI's API sends them
// ("data: {chat.completion.chunk}\n\n" ..., a final chunk with finish_reason, the usage chunk
// with "choices": [] when stream_options.include_usage is set, then "data: [DONE]\n\n").
//
//   node openai_mock.js
//
// Listens on 127.0.0.1 (a free port) and prints one JSON line on stdout: {"port": <port>}.
// Exits when stdin closes.
//
// Test-only control endpoints:
//   POST   /__mock/config  {"api_key": "sk-..."}: requests must then carry "Authorization: Bearer
//                          <api_key>" (401 invalid_api_key otherwise); null turns the check off.
//   POST   /__mock/script  JSON array of scenarios; each chat request takes the next one (the
//                          default scenario when none is queued). Scenario fields, all optional:
//     tokens: ["Hel", "lo"]        the content deltas (default: five words)
//     delay_ms, first_token_delay_ms     pauses between deltas / before the first one
//     finish_reason                "stop" by default
//     usage: {prompt_tokens, completion_tokens}   default 13 / number of deltas
//     ignore_usage                 never send the usage chunk (servers that ignore stream_options)
//     omit_done                    end the response without "data: [DONE]"
//     crlf                         end lines with \r\n instead of \n
//     keepalive_comments           interleave ": keep-alive" comment lines
//     http_error: {status, type, code, message, retry_after, retry_after_ms}
//     error_after_deltas: {after, message, type, code}   an in-stream {"error": ...} chunk
//     tear_after_deltas: N         drop the connection after N deltas
//   GET    /__mock/log     JSON array, one entry per chat request: {path, headers (authorization
//                          replaced by "Bearer <redacted>"), body, deltas_sent, outcome
//                          ("completed", "http_error", "stream_error", "torn", "client_closed"),
//                          client_closed}
//   DELETE /__mock/log     clears the log and the queued scenarios
"use strict";

const crypto = require("crypto");
const http = require("http");

const config = { api_key: null };
const scripts = [];
const requestLog = [];
const DEFAULT_SCENARIO = { tokens: ["Hello", " from", " the", " mock", "."] };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function sendJson(res, status, body, headers = {}) {
  const out = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json", "content-length": out.length, ...headers });
  res.end(out);
}

function sendError(res, status, error, headers = {}) {
  sendJson(res, status, { error: { message: error.message, type: error.type, param: null, code: error.code ?? null } }, headers);
}

async function stream(res, body, scenario, entry) {
  const tokens = scenario.tokens ?? DEFAULT_SCENARIO.tokens;
  const eol = scenario.crlf ? "\r\n" : "\n";
  const id = "chatcmpl-" + crypto.randomBytes(6).toString("hex");
  const created = Math.floor(Date.now() / 1000);
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  let flushed = Promise.resolve();
  const send = (payload) => {
    if (closed || res.destroyed) return;
    if (scenario.keepalive_comments) res.write(": keep-alive" + eol + eol);
    const data = typeof payload === "string" ? payload : JSON.stringify(payload);
    flushed = new Promise((resolve) => res.write("data: " + data + eol + eol, resolve));
  };
  const wantsUsage = body.stream_options?.include_usage === true;
  // With include_usage, OpenAI puts "usage": null on every chunk before the usage chunk.
  const chunk = (delta, finish) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: body.model,
    system_fingerprint: "fp_mock",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(wantsUsage ? { usage: null } : {}),
  });
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  res.flushHeaders();
  send(chunk({ role: "assistant", content: "", refusal: null }, null));
  if (scenario.first_token_delay_ms) await sleep(scenario.first_token_delay_ms);
  for (let i = 0; i <= tokens.length; ++i) {
    if (closed) return;
    if (scenario.error_after_deltas && scenario.error_after_deltas.after === i) {
      const e = scenario.error_after_deltas;
      send({ error: { message: e.message ?? "injected by the test", type: e.type ?? "server_error", param: null, code: e.code ?? null } });
      entry.outcome = "stream_error";
      res.end();
      return;
    }
    if (scenario.tear_after_deltas === i) {
      entry.outcome = "torn";
      // destroy() alone would discard writes still queued in node: let them reach the socket.
      await flushed;
      await sleep(20);
      res.socket.destroy();
      return;
    }
    if (i === tokens.length) break;
    if (i > 0 && scenario.delay_ms) await sleep(scenario.delay_ms);
    if (closed) return;
    send(chunk({ content: tokens[i] }, null));
    entry.deltas_sent = i + 1;
  }
  send(chunk({}, scenario.finish_reason ?? "stop"));
  if (wantsUsage && !scenario.ignore_usage) {
    const prompt = scenario.usage?.prompt_tokens ?? 13;
    const completion = scenario.usage?.completion_tokens ?? tokens.length;
    send({
      id, object: "chat.completion.chunk", created, model: body.model, system_fingerprint: "fp_mock",
      choices: [],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    });
  }
  if (!scenario.omit_done) send("[DONE]");
  entry.outcome = "completed";
  res.end();
}

async function handle(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const raw = Buffer.concat(chunks).toString("utf8");
  const path = req.url.split("?")[0];

  if (path === "/__mock/config" && req.method === "POST") {
    Object.assign(config, JSON.parse(raw));
    return sendJson(res, 200, config);
  }
  if (path === "/__mock/script" && req.method === "POST") {
    scripts.push(...JSON.parse(raw));
    return sendJson(res, 200, { queued: scripts.length });
  }
  if (path === "/__mock/log") {
    if (req.method === "DELETE") {
      requestLog.length = 0;
      scripts.length = 0;
    }
    return sendJson(res, 200, requestLog);
  }
  if (path !== "/v1/chat/completions" || req.method !== "POST") {
    return sendError(res, 404, { message: `Unknown request URL: ${req.method} ${path}`, type: "invalid_request_error", code: "unknown_url" });
  }
  const headers = { ...req.headers };
  if (headers.authorization) headers.authorization = headers.authorization.replace(/^(Bearer) .*$/, "$1 <redacted>");
  const entry = { path, headers, body: null, deltas_sent: 0, outcome: "pending", client_closed: false };
  requestLog.push(entry);
  res.on("close", () => {
    if (!res.writableFinished) {
      entry.client_closed = true;
      if (entry.outcome === "pending") entry.outcome = "client_closed";
    }
  });
  if (config.api_key && req.headers.authorization !== `Bearer ${config.api_key}`) {
    entry.outcome = "http_error";
    return sendError(res, 401, { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" });
  }
  try {
    entry.body = JSON.parse(raw);
  } catch (e) {
    entry.outcome = "http_error";
    return sendError(res, 400, { message: "We could not parse the JSON body of your request.", type: "invalid_request_error" });
  }
  const body = entry.body;
  if (typeof body.model !== "string" || !Array.isArray(body.messages) || body.messages.length === 0) {
    entry.outcome = "http_error";
    return sendError(res, 400, { message: "'model' and 'messages' are required", type: "invalid_request_error" });
  }
  if (body.stream !== true) {
    entry.outcome = "http_error";
    return sendError(res, 400, { message: "this mock only streams", type: "invalid_request_error" });
  }
  const scenario = scripts.length > 0 ? scripts.shift() : DEFAULT_SCENARIO;
  if (scenario.http_error) {
    const e = scenario.http_error;
    entry.outcome = "http_error";
    const extra = {};
    if (e.retry_after !== undefined) extra["retry-after"] = String(e.retry_after);
    if (e.retry_after_ms !== undefined) extra["retry-after-ms"] = String(e.retry_after_ms);
    return sendError(res, e.status, { message: e.message ?? "injected by the test", type: e.type ?? "server_error", code: e.code }, extra);
  }
  return stream(res, body, scenario, entry);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) sendError(res, 500, { message: String(e), type: "server_error" });
    else res.destroy();
  });
});
server.listen(0, "127.0.0.1", () => {
  const shutdown = () => {
    server.close();
    process.exit(0);
  };
  process.stdin.on("end", shutdown);
  process.stdin.on("close", shutdown);
  process.stdin.resume();
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
