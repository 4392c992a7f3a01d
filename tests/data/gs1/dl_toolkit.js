// Runs GS1's reference Digital Link toolkit (GS1DigitalLinkToolkit.js, vendored beside this file) over
// the requests on stdin, a JSON array of {op, uri}, and prints a JSON array of answers, one per request:
// {ok: true, result} or {ok: false, error}; with --lines, a JSON array a line, answered a line each.
// Used by tests/traceability/test_digital_link_conformance.py.
"use strict";
const path = require("path");
const GS1DigitalLinkToolkit = require(path.join(__dirname, "digital-link-toolkit", "GS1DigitalLinkToolkit.js"));

const toolkit = new GS1DigitalLinkToolkit();
const ops = {
  // The AIs the toolkit reads from an uncompressed URI (it throws on a bad check digit or syntax).
  extract: (r) => toolkit.extractFromGS1digitalLink(r.uri),
  elementStrings: (r) => toolkit.gs1digitalLinkToGS1elementStrings(r.uri, true),
  // GS1's compression: every form the toolkit writes. The primary key compressed too (compressGS1DigitalLink,
  // which ignores its uncompressedPrimary argument) or left uncompressed (`partial`: the toolkit writes that
  // form only from element strings, /01/{gtin}/{base64url}); with its optimisations (`optimise`) or not;
  // and with the URI's non-GS1 key=value pairs compressed too (`others`) or passed on as a query string.
  compress: (r) =>
    r.partial
      ? toolkit.gs1ElementStringsToCompressedGS1DigitalLink(
          toolkit.gs1digitalLinkToGS1elementStrings(r.uri, false), false, r.stem, true, !!r.optimise)
      : toolkit.compressGS1DigitalLink(r.uri, false, r.stem, false, !!r.optimise, !!r.others),
  decompress: (r) => toolkit.decompressGS1DigitalLink(r.uri, false, r.stem),
  extractCompressed: (r) => toolkit.extractFromCompressedGS1digitalLink(r.uri),
};

const answer = (requests) =>
  requests.map((r) => {
    try {
      return { ok: true, result: ops[r.op](r) };
    } catch (e) {
      return { ok: false, error: String(e && e.message ? e.message : e) };
    }
  });

if (process.argv.includes("--lines")) {
  // One JSON array of requests a line, answered by one line each, for as long as stdin stays open: one
  // node process for a module's many batches (the generated links' test) instead of one a batch.
  const lines = require("readline").createInterface({ input: process.stdin });
  lines.on("line", (line) => process.stdout.write(JSON.stringify(answer(JSON.parse(line))) + "\n"));
} else {
  let input = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (input += chunk));
  process.stdin.on("end", () => process.stdout.write(JSON.stringify(answer(JSON.parse(input)))));
}
