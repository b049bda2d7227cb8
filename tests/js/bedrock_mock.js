#!/usr/bin/env node
// A Bedrock Runtime peer for ragd's provider tests: Converse and ConverseStream as the Bedrock
// Runtime API reference defines them, with the SigV4 check done by the official AWS SDK signer.
//
//   node bedrock_mock.js
//
// Listens on 127.0.0.1 (a free port) and prints one JSON line on stdout: {"port": <port>}.
// Exits when stdin closes, so a test that dies takes the peer with it.
//
//   POST /model/{modelId}/converse          -> application/json
//   POST /model/{modelId}/converse-stream   -> application/vnd.amazon.eventstream, each frame
//        encoded by @smithy/eventstream-codec with :event-type, :content-type, :message-type
//        (events messageStart, contentBlockStart, contentBlockDelta, contentBlockStop,
//        messageStop, metadata; payloads carry Bedrock's random "p" padding field)
//
// Every model request must be SigV4-signed for service "bedrock" in the configured region with
// the configured key: the signature is recomputed with @smithy/signature-v4 from the request as
// received (raw path, signed headers, body) and compared. Failures answer like Bedrock: 403 with
// x-amzn-ErrorType (MissingAuthenticationTokenException, UnrecognizedClientException,
// InvalidSignatureException) and {"message": ...}.
//
// Test-only control endpoints (unsigned):
//   POST   /__mock/config  {"access_key_id", "secret_access_key", "region"} (defaults: the AWS
//                          documentation example key AKIDEXAMPLE, region us-east-1)
//   POST   /__mock/script  JSON array of scenarios; each model request takes the next one (the
//                          default scenario when none is queued). Scenario fields, all optional:
//     tokens: ["Hel", "lo"]        the text deltas (default: five words)
//     delay_ms                     pause between deltas
//     first_token_delay_ms         pause after the response head, before the first delta
//     stop_reason                  messageStop.stopReason / Converse stopReason (end_turn)
//     usage: {inputTokens, outputTokens}   (default 11 / number of deltas)
//     omit_metadata, omit_message_stop     leave those events out
//     http_error: {status, type, message, retry_after}   answer with this error instead
//     exception: {after_deltas, type, message}           an exception event after N deltas
//     tear_after_deltas: N         drop the connection after N deltas (no chunked terminator)
//     corrupt_after_deltas: N      after N deltas send a frame whose message CRC is wrong
//   GET    /__mock/log     JSON array, one entry per model request: {operation, raw_path,
//                          model_id, auth ("ok" or the error type), headers (no authorization),
//                          body (parsed JSON), deltas_sent, outcome ("completed", "http_error",
//                          "auth_error", "exception", "torn", "corrupt", "client_closed"),
//                          client_closed (bool)}
//   DELETE /__mock/log     clears the log and the queued scenarios
"use strict";

process.removeAllListeners("warning");

const crypto = require("crypto");
const http = require("http");
const { Sha256 } = require("@aws-crypto/sha256-js");
const { EventStreamCodec } = require("@smithy/eventstream-codec");
const { HttpRequest } = require("@smithy/protocol-http");
const { SignatureV4 } = require("@smithy/signature-v4");
const { fromUtf8, toUtf8 } = require("@smithy/util-utf8");

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const MAX_SKEW_MS = 5 * 60 * 1000;
const config = {
  access_key_id: "AKIDEXAMPLE",
  secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
};
const scripts = [];
const requestLog = [];

const DEFAULT_SCENARIO = { tokens: ["Hello", " from", " the", " mock", "."] };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class BedrockError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

function sendJson(res, status, body, headers = {}) {
  const out = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": out.length,
    "x-amzn-requestid": crypto.randomUUID(),
    ...headers,
  });
  res.end(out);
}

function sendError(res, e, extraHeaders = {}) {
  sendJson(res, e.status, { message: e.message }, {
    "x-amzn-errortype": `${e.type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    ...extraHeaders,
  });
}

function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || "");
  if (!m) throw new BedrockError(403, "IncompleteSignatureException", "X-Amz-Date is malformed");
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

const mismatch = () =>
  new BedrockError(
    403,
    "InvalidSignatureException",
    "The request signature we calculated does not match the signature you provided. Check " +
      "your AWS Secret Access Key and signing method. Consult the service documentation for " +
      "details.",
  );

// Recomputes the signature of `req` with the SDK signer; throws a BedrockError when it differs.
async function verifySignature(req, rawPath, body) {
  const auth = req.headers.authorization;
  if (auth === undefined) {
    throw new BedrockError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    auth,
  );
  if (!m) throw new BedrockError(403, "IncompleteSignatureException", "Authorization header is malformed");
  const scope = m[1].split("/");
  if (scope.length !== 5 || scope[4] !== "aws4_request") {
    throw new BedrockError(403, "IncompleteSignatureException", "Credential is malformed");
  }
  if (scope[0] !== config.access_key_id) {
    throw new BedrockError(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
  }
  if (scope[3] !== "bedrock") {
    throw new BedrockError(403, "InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'.");
  }
  if (scope[2] !== config.region) {
    throw new BedrockError(403, "InvalidSignatureException", "Credential should be scoped to a valid region.");
  }
  const date = parseAmzDate(req.headers["x-amz-date"]);
  if (Math.abs(Date.now() - date.getTime()) > MAX_SKEW_MS) {
    throw new BedrockError(403, "InvalidSignatureException", `Signature expired: ${req.headers["x-amz-date"]}`);
  }
  const names = m[2].split(";");
  if (!names.includes("host") || !names.includes("x-amz-date")) throw mismatch();
  const headers = {};
  for (const name of names) {
    if (req.headers[name] === undefined) throw mismatch();
    headers[name] = String(req.headers[name]);
  }
  const credentials = { accessKeyId: config.access_key_id, secretAccessKey: config.secret_access_key };
  if (req.headers["x-amz-security-token"]) credentials.sessionToken = req.headers["x-amz-security-token"];
  const signer = new SignatureV4({
    service: "bedrock",
    region: config.region,
    credentials,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const request = new HttpRequest({ method: req.method, protocol: "http:", path: rawPath, headers, body });
  const signed = await signer.sign(request, { signingDate: date, signableHeaders: new Set(names) });
  if (signed.headers.authorization !== auth) throw mismatch();
}

// Drops the connection mid-body once what was written has reached the socket (destroy() alone
// would discard writes still queued in node), so the client sees deltas, then a cut.
async function tearDown(res, flushed) {
  await flushed;
  await sleep(20);
  res.socket.destroy();
}

function padding() {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let p = "";
  for (let i = crypto.randomInt(1, 30); i > 0; --i) p += letters[crypto.randomInt(letters.length)];
  return p;
}

function frame(messageType, typeHeader, typeValue, payload) {
  const headers = {
    [typeHeader]: { type: "string", value: typeValue },
    ":content-type": { type: "string", value: "application/json" },
    ":message-type": { type: "string", value: messageType },
  };
  return Buffer.from(codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) }));
}

const eventFrame = (type, payload) => frame("event", ":event-type", type, { ...payload, p: padding() });
const exceptionFrame = (type, message) => frame("exception", ":exception-type", type, { message });

function usageOf(scenario, tokens) {
  const input = scenario.usage?.inputTokens ?? 11;
  const output = scenario.usage?.outputTokens ?? tokens.length;
  return { inputTokens: input, outputTokens: output, totalTokens: input + output };
}

async function converseStream(req, res, scenario, entry) {
  const tokens = scenario.tokens ?? DEFAULT_SCENARIO.tokens;
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  let flushed = Promise.resolve();
  const write = (bytes) => {
    if (closed || res.destroyed) return;
    flushed = new Promise((resolve) => res.write(bytes, resolve));
  };
  res.writeHead(200, {
    "content-type": "application/vnd.amazon.eventstream",
    "x-amzn-requestid": crypto.randomUUID(),
  });
  res.flushHeaders();
  write(eventFrame("messageStart", { role: "assistant" }));
  if (scenario.first_token_delay_ms) await sleep(scenario.first_token_delay_ms);
  write(eventFrame("contentBlockStart", { contentBlockIndex: 0, start: {} }));
  for (let i = 0; i <= tokens.length; ++i) {
    if (closed) return;
    if (scenario.exception && scenario.exception.after_deltas === i) {
      write(exceptionFrame(scenario.exception.type, scenario.exception.message ?? "injected by the test"));
      entry.outcome = "exception";
      res.end();
      return;
    }
    if (scenario.tear_after_deltas === i) {
      entry.outcome = "torn";
      await tearDown(res, flushed);
      return;
    }
    if (scenario.corrupt_after_deltas === i) {
      const bad = eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "garbage" } });
      bad[bad.length - 1] ^= 0xff;  // the message CRC no longer matches
      write(bad);
      entry.outcome = "corrupt";
      await sleep(50);
      res.end();
      return;
    }
    if (i === tokens.length) break;
    if (i > 0 && scenario.delay_ms) await sleep(scenario.delay_ms);
    if (closed) return;
    write(eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: tokens[i] } }));
    entry.deltas_sent = i + 1;
  }
  write(eventFrame("contentBlockStop", { contentBlockIndex: 0 }));
  if (!scenario.omit_message_stop) {
    write(eventFrame("messageStop", { stopReason: scenario.stop_reason ?? "end_turn" }));
  }
  if (!scenario.omit_metadata) {
    write(eventFrame("metadata", { usage: usageOf(scenario, tokens), metrics: { latencyMs: 42 } }));
  }
  entry.outcome = "completed";
  res.end();
}

async function converse(req, res, scenario, entry) {
  const tokens = scenario.tokens ?? DEFAULT_SCENARIO.tokens;
  if (scenario.first_token_delay_ms) await sleep(scenario.first_token_delay_ms);
  sendJson(res, 200, {
    output: { message: { role: "assistant", content: [{ text: tokens.join("") }] } },
    stopReason: scenario.stop_reason ?? "end_turn",
    usage: usageOf(scenario, tokens),
    metrics: { latencyMs: 42 },
  });
  entry.deltas_sent = tokens.length;
  entry.outcome = "completed";
}

async function handle(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const q = req.url.indexOf("?");
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);

  if (rawPath === "/__mock/config" && req.method === "POST") {
    Object.assign(config, JSON.parse(body.toString("utf8")));
    return sendJson(res, 200, config);
  }
  if (rawPath === "/__mock/script" && req.method === "POST") {
    scripts.push(...JSON.parse(body.toString("utf8")));
    return sendJson(res, 200, { queued: scripts.length });
  }
  if (rawPath === "/__mock/log") {
    if (req.method === "DELETE") {
      requestLog.length = 0;
      scripts.length = 0;
    }
    return sendJson(res, 200, requestLog);
  }

  const m = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(rawPath);
  if (req.method !== "POST" || !m) {
    return sendError(res, new BedrockError(404, "UnknownOperationException", "Unknown operation"));
  }
  const headers = { ...req.headers };
  delete headers.authorization;
  const entry = {
    operation: m[2],
    raw_path: rawPath,
    model_id: decodeURIComponent(m[1]),
    auth: "ok",
    headers,
    body: null,
    deltas_sent: 0,
    outcome: "pending",
    client_closed: false,
  };
  requestLog.push(entry);
  res.on("close", () => {
    if (!res.writableFinished) {
      entry.client_closed = true;
      if (entry.outcome === "pending") entry.outcome = "client_closed";
    }
  });
  try {
    await verifySignature(req, rawPath, body);
  } catch (e) {
    if (!(e instanceof BedrockError)) throw e;
    entry.auth = e.type;
    entry.outcome = "auth_error";
    return sendError(res, e);
  }
  try {
    entry.body = JSON.parse(body.toString("utf8"));
  } catch (e) {
    entry.outcome = "http_error";
    return sendError(res, new BedrockError(400, "SerializationException", "request body is not JSON"));
  }
  if (!Array.isArray(entry.body.messages) || entry.body.messages.length === 0) {
    entry.outcome = "http_error";
    return sendError(res, new BedrockError(400, "ValidationException", "messages must not be empty"));
  }
  const scenario = scripts.length > 0 ? scripts.shift() : DEFAULT_SCENARIO;
  if (scenario.http_error) {
    const e = scenario.http_error;
    entry.outcome = "http_error";
    const extra = e.retry_after !== undefined ? { "retry-after": String(e.retry_after) } : {};
    return sendError(res, new BedrockError(e.status, e.type, e.message ?? "injected by the test"), extra);
  }
  if (m[2] === "converse") return converse(req, res, scenario, entry);
  return converseStream(req, res, scenario, entry);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) sendError(res, new BedrockError(500, "InternalServerException", String(e)));
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
