#!/usr/bin/env node
// Reference AWS event-stream codec for ragd's C++ tests: the official @smithy/eventstream-codec
// (what the AWS SDK for JavaScript v3 uses for Bedrock ConverseStream).
//
//   node eventstream_reference.js encode [file]   messages JSON  -> JSON array of base64 frames
//   node eventstream_reference.js decode [file]   JSON array of base64 frames -> messages JSON
//
// Input is read from `file`, or stdin when absent. Output is one JSON document on stdout.
//
// A message is {"headers": [{"name", "type", "value"}, ...], "payload": <base64>}. Types use the
// smithy names, values are encoded so that nothing is lost in JSON:
//   boolean   true / false
//   byte, short, integer   JSON number
//   long, timestamp        decimal string (timestamp = milliseconds since the epoch)
//   binary    base64
//   string    JSON string
//   uuid      "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower-case hex)
// decode prints, for each frame, either such a message or {"error": "<the codec's message>"}.
//
// Caveat: the codec keeps headers in a plain JS object, so header order is insertion order except
// that integer-like names ("0", "42") sort first, and a name can appear only once.
"use strict";

const fs = require("fs");
const { EventStreamCodec, Int64 } = require("@smithy/eventstream-codec");
const { fromUtf8, toUtf8 } = require("@smithy/util-utf8");

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function int64Bytes(decimal) {
  let v = BigInt.asUintN(64, BigInt(decimal));
  const bytes = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

function int64Decimal(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return BigInt.asIntN(64, v).toString();
}

function toSmithyHeader({ name, type, value }) {
  switch (type) {
    case "boolean":
    case "byte":
    case "short":
    case "integer":
    case "string":
    case "uuid":
      return { type, value };
    case "long":
      return { type, value: new Int64(int64Bytes(value)) };
    case "binary":
      return { type, value: new Uint8Array(Buffer.from(value, "base64")) };
    case "timestamp":
      return { type, value: new Date(Number(value)) };
    default:
      throw new Error(`header ${name}: unknown type ${type}`);
  }
}

function fromSmithyHeader(name, { type, value }) {
  switch (type) {
    case "long":
      return { name, type, value: int64Decimal(value.bytes) };
    case "binary":
      return { name, type, value: Buffer.from(value).toString("base64") };
    case "timestamp":
      return { name, type, value: String(value.getTime()) };
    default:
      return { name, type, value };
  }
}

function encode(messages) {
  return messages.map((m) => {
    const headers = {};
    for (const h of m.headers) {
      if (Object.prototype.hasOwnProperty.call(headers, h.name)) {
        throw new Error(`duplicate header ${h.name}`);
      }
      headers[h.name] = toSmithyHeader(h);
    }
    const body = new Uint8Array(Buffer.from(m.payload, "base64"));
    return Buffer.from(codec.encode({ headers, body })).toString("base64");
  });
}

function decode(frames) {
  return frames.map((b64) => {
    // Copy into a fresh ArrayBuffer: the codec reads `buffer` with byteOffset.
    const bytes = new Uint8Array(Buffer.from(b64, "base64"));
    try {
      const { headers, body } = codec.decode(bytes);
      return {
        headers: Object.keys(headers).map((name) => fromSmithyHeader(name, headers[name])),
        payload: Buffer.from(body).toString("base64"),
      };
    } catch (e) {
      return { error: String(e && e.message ? e.message : e) };
    }
  });
}

function main() {
  const [mode, file] = process.argv.slice(2);
  const input = JSON.parse(fs.readFileSync(file === undefined ? 0 : file, "utf8"));
  if (!Array.isArray(input)) throw new Error("input must be a JSON array");
  let output;
  if (mode === "encode") {
    output = encode(input);
  } else if (mode === "decode") {
    output = decode(input);
  } else {
    throw new Error("usage: eventstream_reference.js encode|decode [file]");
  }
  process.stdout.write(JSON.stringify(output) + "\n");
}

try {
  main();
} catch (e) {
  process.stderr.write(`eventstream_reference.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}
