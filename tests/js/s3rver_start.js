#!/usr/bin/env node
// An S3-compatible peer for ragd's S3 client tests: s3rver behind a SigV4-verifying proxy.
//
//   node s3rver_start.js [bucket...]      (default bucket: ragd-test)
//
// Starts s3rver on 127.0.0.1 (a free port, a fresh temporary directory, the buckets created) and,
// in front of it, a proxy on another free port that checks what s3rver does not: s3rver 3.7.1
// accepts any SigV4 signature as long as the access key id exists (see its
// lib/middleware/authentication.js, "Signature version 4 calculation is unimplemeneted"). The
// proxy recomputes every signature with the official AWS SDK signer (@smithy/signature-v4) for
// access key S3RVER / secret S3RVER, checks x-amz-content-sha256 against the body, presigned URL
// expiry and clock skew, and answers like S3 (403 SignatureDoesNotMatch / InvalidAccessKeyId /
// AccessDenied "Request has expired" / RequestTimeTooSkewed, 400 XAmzContentSHA256Mismatch).
//
// Prints one JSON line on stdout: {"port": <proxy>, "s3rver_port": <s3rver>, "directory": <dir>}.
// Exits (removing the directory) when stdin closes, so a test that dies takes the peer with it.
//
// Test-only control endpoints on the proxy (unsigned):
//   POST   /__ragd/faults  JSON [{"status":503,"code":"SlowDown"} | {"reset_after_bytes":N}, ...]:
//          the next signed requests, one fault each, get that S3 error / a connection reset after
//          N bytes of the real response body.
//   GET    /__ragd/log     JSON array of the signed requests seen: {method, path, query, headers}
//                          (Authorization value removed).
//   DELETE /__ragd/log     clears it.
"use strict";

process.removeAllListeners("warning");

const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");
// s3rver encrypts ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 only offers
// in its legacy provider (node 17+ without --openssl-legacy-provider: every truncated listing is a
// 500 InternalError). Three-key DES-EDE3 with K||K||K is the same cipher, byte for byte, and is in
// the default provider; only the algorithm name "des" is rerouted.
for (const name of ["createCipheriv", "createDecipheriv"]) {
  const original = crypto[name];
  crypto[name] = function (algorithm, key, iv, options) {
    if (String(algorithm).toLowerCase() === "des" && key && key.length === 8) {
      const k = Buffer.from(key);
      return original.call(crypto, "des-ede3-cbc", Buffer.concat([k, k, k]), iv, options);
    }
    return original.call(crypto, algorithm, key, iv, options);
  };
}
const S3rver = require("s3rver");
const { Sha256 } = require("@aws-crypto/sha256-js");
const { HttpRequest } = require("@smithy/protocol-http");
const { SignatureV4 } = require("@smithy/signature-v4");

const ACCESS_KEY = "S3RVER";
const SECRET_KEY = "S3RVER";
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTH_QUERY = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
];

const faults = [];
const requestLog = [];

class S3Failure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function errorXml(code, message) {
  const id = crypto.randomBytes(8).toString("hex").toUpperCase();
  const esc = (s) =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${esc(message)}</Message>` +
    `<RequestId>${id}</RequestId></Error>`
  );
}

function sendError(req, res, status, code, message) {
  const body = req.method === "HEAD" ? "" : errorXml(code, message);
  res.writeHead(status, { "content-type": "application/xml", "content-length": body.length });
  res.end(body);
}

// Decoded query pairs; '+' stays '+' (SigV4 encodes a space as %20).
function parseQuery(raw) {
  const query = {};
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
    if (!Object.prototype.hasOwnProperty.call(query, key)) query[key] = value;
    else if (Array.isArray(query[key])) query[key].push(value);
    else query[key] = [query[key], value];
  }
  return query;
}

function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || "");
  if (!m) throw new S3Failure(403, "AccessDenied", "X-Amz-Date is malformed");
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function parseCredential(credential) {
  const parts = (credential || "").split("/");
  if (parts.length !== 5 || parts[3] !== "s3" || parts[4] !== "aws4_request") {
    throw new S3Failure(400, "AuthorizationHeaderMalformed", "the credential scope is malformed");
  }
  if (parts[0] !== ACCESS_KEY) {
    throw new S3Failure(
      403,
      "InvalidAccessKeyId",
      "The AWS Access Key Id you provided does not exist in our records.",
    );
  }
  return { region: parts[2] };
}

function signerFor(region) {
  return new SignatureV4({
    service: "s3",
    region,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
}

const mismatch = () =>
  new S3Failure(
    403,
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. " +
      "Check your key and signing method.",
  );

function signedRequest(req, rawPath, query, signedNames) {
  const headers = {};
  for (const name of signedNames) {
    if (req.headers[name] === undefined) throw mismatch();
    headers[name] = String(req.headers[name]);
  }
  return new HttpRequest({ method: req.method, protocol: "http:", path: rawPath, query, headers });
}

async function verifyHeaderAuth(req, rawPath, query, body) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
    req.headers.authorization,
  );
  if (!m) throw new S3Failure(400, "AuthorizationHeaderMalformed", "unreadable Authorization");
  const { region } = parseCredential(m[1]);
  const date = parseAmzDate(req.headers["x-amz-date"]);
  if (Math.abs(Date.now() - date.getTime()) > MAX_SKEW_MS) {
    throw new S3Failure(
      403,
      "RequestTimeTooSkewed",
      "The difference between the request time and the current time is too large.",
    );
  }
  const hash = req.headers["x-amz-content-sha256"];
  if (!hash) throw new S3Failure(400, "InvalidRequest", "Missing required header x-amz-content-sha256");
  if (hash.startsWith("STREAMING-")) throw new S3Failure(501, "NotImplemented", "streaming payloads");
  if (hash !== "UNSIGNED-PAYLOAD" && hash !== crypto.createHash("sha256").update(body).digest("hex")) {
    throw new S3Failure(
      400,
      "XAmzContentSHA256Mismatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  const names = m[2].split(";");
  const request = signedRequest(req, rawPath, query, names);
  const signed = await signerFor(region).sign(request, {
    signingDate: date,
    signableHeaders: new Set(names),
  });
  if (signed.headers.authorization !== req.headers.authorization) throw mismatch();
}

async function verifyPresigned(req, rawPath, query) {
  if (query["X-Amz-Algorithm"] !== "AWS4-HMAC-SHA256") {
    throw new S3Failure(400, "AuthorizationQueryParametersError", "unsupported algorithm");
  }
  const { region } = parseCredential(query["X-Amz-Credential"]);
  const date = parseAmzDate(query["X-Amz-Date"]);
  const expires = Number(query["X-Amz-Expires"]);
  if (!(expires >= 1 && expires <= 604800)) {
    throw new S3Failure(400, "AuthorizationQueryParametersError", "X-Amz-Expires out of range");
  }
  if (Date.now() > date.getTime() + expires * 1000) {
    throw new S3Failure(403, "AccessDenied", "Request has expired");
  }
  const names = String(query["X-Amz-SignedHeaders"] || "").split(";");
  const rest = {};
  for (const [key, value] of Object.entries(query)) {
    if (!AUTH_QUERY.includes(key)) rest[key] = value;
  }
  const request = signedRequest(req, rawPath, rest, names);
  // S3 presigned URLs always carry an unsigned payload; a header that is neither hoisted nor
  // signed tells the SDK signer so without changing the canonical query or header list.
  request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  const presigned = await signerFor(region).presign(request, {
    signingDate: date,
    expiresIn: expires,
    signableHeaders: new Set(names),
    unsignableHeaders: new Set(["x-amz-content-sha256"]),
    unhoistableHeaders: new Set(["x-amz-content-sha256"]),
  });
  if (presigned.query["X-Amz-Signature"] !== query["X-Amz-Signature"]) throw mismatch();
}

function forward(req, res, body, target, fault) {
  const upstream = http.request(
    { host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers },
    (up) => {
      res.writeHead(up.statusCode, up.headers);
      if (!fault) {
        up.pipe(res);
        return;
      }
      let sent = 0;
      up.on("data", (chunk) => {
        if (res.destroyed) return;
        const room = fault.reset_after_bytes - sent;
        res.write(chunk.subarray(0, Math.max(room, 0)));
        sent += chunk.length;
        if (sent >= fault.reset_after_bytes) res.socket.destroy();
      });
      up.on("end", () => res.end());
    },
  );
  upstream.on("error", (e) => sendError(req, res, 502, "BadGateway", String(e)));
  upstream.end(body);
}

async function handle(req, res, s3rverPort) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const q = req.url.indexOf("?");
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? "" : req.url.slice(q + 1);

  if (rawPath === "/__ragd/faults" && req.method === "POST") {
    faults.push(...JSON.parse(body.toString("utf8")));
    res.writeHead(204).end();
    return;
  }
  if (rawPath === "/__ragd/log") {
    if (req.method === "DELETE") requestLog.length = 0;
    const out = Buffer.from(req.method === "DELETE" ? "[]" : JSON.stringify(requestLog));
    res.writeHead(200, { "content-type": "application/json", "content-length": out.length });
    res.end(out);
    return;
  }

  try {
    const query = parseQuery(rawQuery);
    if (req.headers.authorization !== undefined) {
      await verifyHeaderAuth(req, rawPath, query, body);
    } else if (query["X-Amz-Signature"] !== undefined) {
      await verifyPresigned(req, rawPath, query);
    } else {
      throw new S3Failure(403, "AccessDenied", "Anonymous access is not allowed");
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    requestLog.push({ method: req.method, path: rawPath, query, headers });
  } catch (e) {
    if (!(e instanceof S3Failure)) e = new S3Failure(400, "InvalidRequest", String(e));
    sendError(req, res, e.status, e.code, e.message);
    return;
  }

  const fault = faults.shift();
  if (fault && fault.status) {
    sendError(req, res, fault.status, fault.code || "InternalError", "injected by the test");
    return;
  }
  forward(req, res, body, s3rverPort, fault);
}

async function main() {
  const buckets = process.argv.slice(2);
  if (buckets.length === 0) buckets.push("ragd-test");
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "ragd-s3rver-"));
  const s3rver = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const address = await s3rver.run();

  const proxy = http.createServer((req, res) => {
    handle(req, res, address.port).catch((e) => {
      if (!res.headersSent) sendError(req, res, 500, "InternalError", String(e));
      else res.destroy();
    });
  });
  await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));

  const shutdown = () => {
    proxy.close();
    s3rver.close().catch(() => {});
    fs.rmSync(directory, { recursive: true, force: true });
    process.exit(0);
  };
  process.stdin.on("end", shutdown);
  process.stdin.on("close", shutdown);
  process.stdin.resume();
  process.stdout.write(
    JSON.stringify({ port: proxy.address().port, s3rver_port: address.port, directory }) + "\n",
  );
}

main().catch((e) => {
  process.stderr.write(`s3rver_start: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
