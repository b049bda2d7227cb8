// Uploads to ragd's S3-compatible object endpoint with the official AWS SDK for JavaScript v3, as
// a real client would (run by tests/blackbox/object_upload_test.cc).
//
// stdin: {"endpoint", "region", "bucket", "accessKeyId", "secretAccessKey",
//         "cases": [{"name", "mode", "key", "contentType", "bodyBase64",
//                    "checksumAlgorithm"?, "secretAccessKey"? (override), "signContentType"?}]}
// modes:
//   presign          getSignedUrl(PutObjectCommand) from a client with
//                    requestChecksumCalculation "WHEN_REQUIRED", then fetch(url, {method: "PUT"})
//   presign-default  the same with a default client: the SDK then puts the CRC32 of the *empty*
//                    body (x-amz-checksum-crc32=AAAAAA==) into the URL, which S3 rejects with
//                    BadDigest for any non-empty upload; ragd must do the same
//   put              client.send(PutObjectCommand) with a Buffer body and default client settings
//                    (header auth, x-amz-content-sha256 = hex SHA-256, x-amz-checksum-crc32)
//   put-stream       the same with a stream body (aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER)
// stdout: [{"name", "status", "etag", "code", "message", "requestHeaders"}] in input order.
"use strict";

const { Readable } = require("stream");
const { S3Client, PutObjectCommand } = require("@aws-sdk/client-s3");
const { getSignedUrl } = require("@aws-sdk/s3-request-presigner");

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function makeClient(input, c, extra) {
  return new S3Client({
    endpoint: input.endpoint,
    region: input.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: input.accessKeyId,
      secretAccessKey: c.secretAccessKey || input.secretAccessKey,
    },
    maxAttempts: 1,
    ...extra,
  });
}

// Records the headers of the request the SDK finally sends (after signing).
function captureHeaders(client, into) {
  client.middlewareStack.add(
    (next) => async (args) => {
      Object.assign(into, args.request.headers);
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "ragdCaptureHeaders" },
  );
}

function xmlCode(text) {
  const m = /<Code>([^<]*)<\/Code>/.exec(text || "");
  return m ? m[1] : "";
}

async function presignAndFetch(input, c, extra) {
  const client = makeClient(input, c, extra);
  const command = new PutObjectCommand({
    Bucket: input.bucket,
    Key: c.key,
    ContentType: c.contentType,
  });
  const options = { expiresIn: 300 };
  // The presigner leaves Content-Type unsigned unless asked.
  if (c.signContentType) options.signableHeaders = new Set(["content-type"]);
  const url = await getSignedUrl(client, command, options);
  const body = Buffer.from(c.bodyBase64, "base64");
  const headers = c.contentType ? { "content-type": c.contentType } : {};
  const response = await fetch(url, { method: "PUT", body, headers });
  const text = await response.text();
  return {
    status: response.status,
    etag: response.headers.get("etag") || "",
    code: xmlCode(text),
    message: text,
    url: url.replace(/X-Amz-Signature=[0-9a-f]+/, "X-Amz-Signature=..."),
  };
}

async function putObject(input, c, stream) {
  const client = makeClient(input, c, {});
  const sent = {};
  captureHeaders(client, sent);
  const bytes = Buffer.from(c.bodyBase64, "base64");
  const params = {
    Bucket: input.bucket,
    Key: c.key,
    ContentType: c.contentType,
    Body: stream ? Readable.from([bytes]) : bytes,
  };
  if (stream) params.ContentLength = bytes.length;
  if (c.checksumAlgorithm) params.ChecksumAlgorithm = c.checksumAlgorithm;
  delete sent.authorization;
  try {
    const out = await client.send(new PutObjectCommand(params));
    delete sent.authorization;
    return { status: out.$metadata.httpStatusCode, etag: out.ETag || "", requestHeaders: sent };
  } catch (e) {
    delete sent.authorization;
    return {
      status: (e.$metadata && e.$metadata.httpStatusCode) || 0,
      code: e.Code || e.name || "",
      message: String(e.message || e),
      requestHeaders: sent,
    };
  }
}

async function runCase(input, c) {
  switch (c.mode) {
    case "presign":
      return presignAndFetch(input, c, { requestChecksumCalculation: "WHEN_REQUIRED" });
    case "presign-default":
      return presignAndFetch(input, c, {});
    case "put":
      return putObject(input, c, false);
    case "put-stream":
      return putObject(input, c, true);
    default:
      throw new Error("unknown mode " + c.mode);
  }
}

async function main() {
  const input = JSON.parse(await readStdin());
  const results = [];
  for (const c of input.cases) {
    try {
      results.push({ name: c.name, ...(await runCase(input, c)) });
    } catch (e) {
      results.push({ name: c.name, status: -1, code: "", message: String(e && e.stack) });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack) + "\n");
  process.exit(1);
});
