// Runs GS1's resolver conformance test suite (resolver-testsuite/GS1DigitalLinkResolverTestSuite.js,
// unchanged, written for a browser page) headless under node, against one Digital Link URI:
//   node resolver_suite.js <tester.php URL> <node_modules dir> <Digital Link URI>
// It prints one JSON line: the suite's results, [{id, test, status, msg}].
//
// What the browser would give the suite is stubbed here: a DOM that keeps nothing (the suite writes
// its report into a page), window.ajv7 (Ajv, from the npm packages in <node_modules dir>), and fetch for
// the three documents the suite downloads from GS1's web site, answered from the copies beside this file
// (the machine that runs the tests has no way out). The suite's helper URL is a constant in its source:
// the harness points it at the tester.php served locally (php -S). Nothing else of the suite is touched.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [testerUrl, modulesArg, dl] = process.argv.slice(2);
const nodeModules = path.resolve(modulesArg);
const here = __dirname;
const suiteDir = path.join(here, "resolver-testsuite");
const Ajv = require(path.join(nodeModules, "ajv"));

const local = {
  "https://ref.gs1.org/standards/resolver/description-file-schema": "schemas/resolverDescriptionFile.schema.json",
  "https://gs1.github.io/linkset/gs1-linkset-schema.json": "schemas/gs1-linkset-schema.json",
  "https://ref.gs1.org/voc/data/linktypes": "schemas/gs1-linktypes.json",
};
const realFetch = globalThis.fetch;
async function fetchStub(resource, init) {
  const url = typeof resource === "string" ? resource : resource.url;
  if (local[url]) {
    const body = fs.readFileSync(path.join(here, local[url]), "utf8");
    return new Response(body, { status: 200, headers: { "Content-Type": "application/json" } });
  }
  return realFetch(resource, init);
}

function element() {
  return {
    style: {},
    innerHTML: "",
    appendChild() {},
    prepend() {},
    remove() {},
  };
}
const documentStub = {
  getElementById: () => element(),
  createElement: () => element(),
  createTextNode: () => ({}),
};

let source = fs.readFileSync(path.join(suiteDir, "GS1DigitalLinkResolverTestSuite.js"), "utf8");
const constant = /^const testUri = '[^']*';/gm;
if (source.match(constant).length !== 1) throw new Error("the suite's helper URL constant was not found once");
source = source.replace(constant, `const testUri = ${JSON.stringify(testerUrl)};`);
source += "\n;globalThis.__suite = { testDL, results: () => resultsArray };\n";

const toolkit = fs.readFileSync(path.join(suiteDir, "GS1DigitalLinkToolkit.js"), "utf8");
const context = vm.createContext({
  console: { log() {}, error() {}, warn() {} }, // the suite logs its own progress; the JSON is the output
  fetch: fetchStub,
  Request,
  Response,
  Headers,
  URL,
  encodeURIComponent,
  decodeURIComponent,
  document: documentStub,
  window: { ajv7: Ajv.default || Ajv },
  location: { href: "http://localhost/test-suites/resolver/?" },
  setTimeout,
});
vm.runInContext(toolkit + "\n;globalThis.GS1DigitalLinkToolkit = GS1DigitalLinkToolkit;", context);
vm.runInContext(source, context);

(async () => {
  await context.__suite.testDL(dl);
  // Let the checks the suite does not wait for (TLS, the description file) finish.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const results = context.__suite
    .results()
    .filter(Boolean)
    .map((r) => ({ id: r.id, test: r.test, status: r.status, msg: r.msg }));
  process.stdout.write(JSON.stringify(results) + "\n");
})().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(2);
});
