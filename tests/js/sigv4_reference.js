#!/usr/bin/env node
// Reference AWS Signature Version 4 results for ragd's C++ tests, from the official AWS SDK for
// JavaScript v3: @smithy/signature-v4 (SignatureV4.sign / .presign) and
// @aws-sdk/s3-request-presigner (getSignedUrl on a real S3Client command).
//
//   node sigv4_reference.js [file]     JSON array of requests -> JSON array of results
//
// Input is read from `file`, or stdin when absent. Output is one JSON document on stdout.
//
// A request is:
//   {
//     "region", "service", "access_key_id", "secret_access_key", "session_token" (may be ""),
//     "signing_date_ms":  signing time, milliseconds since the epoch,
//     "expires":          presign validity in seconds,
//     "method", "protocol" ("https:"/"http:"), "hostname", "path" (wire form, percent-encoded),
//     "query":   [[key, value], ...]   decoded; a repeated key becomes an array, in order
//     "headers": [[name, value], ...]  names unique case-insensitively (a JS object holds them)
//     "body":    string or null        (hashed as UTF-8; null = no body)
//     "uri_escape_path": bool          SignatureV4's uriEscapePath (false for S3)
//     "apply_checksum":  bool          SignatureV4's applyChecksum (adds x-amz-content-sha256)
//     "s3": null, or {"op": "put"|"get", "bucket", "key", "endpoint" (null or "http://host:port"),
//                     "force_path_style", "metadata" ({} ok), "sse" (null or "AES256"),
//                     "content_length" (null or n), "response_content_disposition" (null or s),
//                     "version_id" (null or s)}
//   }
// and its result is:
//   {"authorization": <Authorization header from SignatureV4.sign of the request>,
//    "presigned_url": <for "s3": getSignedUrl of the PutObject/GetObject command with
//                      requestChecksumCalculation/responseChecksumValidation "WHEN_REQUIRED";
//                      otherwise SignatureV4.presign of the request, formatted with the SDK's
//                      formatUrl>}
// or {"error": "<message>"} when the SDK refused the request.
"use strict";

process.removeAllListeners("warning"); // the SDK's "upgrade node" notice would go to stderr only

const fs = require("fs");
const { Sha256 } = require("@aws-crypto/sha256-js");
const { HttpRequest } = require("@smithy/protocol-http");
const { SignatureV4 } = require("@smithy/signature-v4");
const { S3Client, PutObjectCommand, GetObjectCommand } = require("@aws-sdk/client-s3");
const { getSignedUrl } = require("@aws-sdk/s3-request-presigner");
const { formatUrl } = require("@aws-sdk/core/util");

function toQuery(pairs) {
  const query = {};
  for (const [key, value] of pairs) {
    if (!Object.prototype.hasOwnProperty.call(query, key)) {
      query[key] = value;
    } else if (Array.isArray(query[key])) {
      query[key].push(value);
    } else {
      query[key] = [query[key], value];
    }
  }
  return query;
}

function toHttpRequest(r) {
  const headers = {};
  for (const [name, value] of r.headers) headers[name] = value;
  return new HttpRequest({
    method: r.method,
    protocol: r.protocol,
    hostname: r.hostname,
    path: r.path,
    query: toQuery(r.query),
    headers,
    body: r.body === null ? undefined : r.body,
  });
}

function credentialsOf(r) {
  const credentials = { accessKeyId: r.access_key_id, secretAccessKey: r.secret_access_key };
  if (r.session_token) credentials.sessionToken = r.session_token;
  return credentials;
}

function signerFor(r) {
  return new SignatureV4({
    service: r.service,
    region: r.region,
    credentials: credentialsOf(r),
    sha256: Sha256,
    uriEscapePath: r.uri_escape_path,
    applyChecksum: r.apply_checksum,
  });
}

async function s3PresignedUrl(r, signingDate) {
  const s3 = r.s3;
  const config = {
    region: r.region,
    credentials: credentialsOf(r),
    forcePathStyle: s3.force_path_style,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  if (s3.endpoint) config.endpoint = s3.endpoint;
  const client = new S3Client(config);
  const input = { Bucket: s3.bucket, Key: s3.key };
  let command;
  if (s3.op === "put") {
    if (Object.keys(s3.metadata).length > 0) input.Metadata = s3.metadata;
    if (s3.sse) input.ServerSideEncryption = s3.sse;
    if (s3.content_length !== null) input.ContentLength = s3.content_length;
    command = new PutObjectCommand(input);
  } else {
    if (s3.response_content_disposition !== null) {
      input.ResponseContentDisposition = s3.response_content_disposition;
    }
    if (s3.version_id !== null) input.VersionId = s3.version_id;
    command = new GetObjectCommand(input);
  }
  try {
    return await getSignedUrl(client, command, { signingDate, expiresIn: r.expires });
  } finally {
    client.destroy();
  }
}

async function reference(r) {
  const signingDate = new Date(r.signing_date_ms);
  const signer = signerFor(r);
  const signed = await signer.sign(toHttpRequest(r), { signingDate });
  let presignedUrl;
  if (r.s3) {
    presignedUrl = await s3PresignedUrl(r, signingDate);
  } else {
    const presigned = await signer.presign(toHttpRequest(r), { signingDate, expiresIn: r.expires });
    presignedUrl = formatUrl(presigned);
  }
  return { authorization: signed.headers.authorization, presigned_url: presignedUrl };
}

async function main() {
  const file = process.argv[2];
  const input = fs.readFileSync(file === undefined ? 0 : file, "utf8");
  const requests = JSON.parse(input);
  const results = [];
  for (const r of requests) {
    try {
      results.push(await reference(r));
    } catch (e) {
      results.push({ error: String(e && e.message ? e.message : e) });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((e) => {
  process.stderr.write(`sigv4_reference.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
