// Checks one of CrossTrust's signed scan answers with panva's jose (a JOSE library nobody here wrote):
// by the platform's published JWKS (its kid), and again by the certificate the answer carries in x5c.
//   node verify.mjs <jwks.json> <answer.jws> <issuer>
// Prints {"payload": ..., "header": ...} and exits 0, or prints the library's error code and exits 1.
import { readFileSync } from "node:fs";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, importX509, jwtVerify } from "jose";

const [jwksPath, tokenPath, issuer] = process.argv.slice(2);
const jwks = JSON.parse(readFileSync(jwksPath, "utf8"));
const token = readFileSync(tokenPath, "utf8").trim();
try {
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    algorithms: ["ES256"],
    typ: "crosstrust-scan+jwt",
    issuer,
  });
  const header = decodeProtectedHeader(token);
  const pem = `-----BEGIN CERTIFICATE-----\n${header.x5c[0]}\n-----END CERTIFICATE-----`;
  await compactVerify(token, await importX509(pem, "ES256"));
  console.log(JSON.stringify({ payload, header: protectedHeader }));
} catch (error) {
  console.log(error.code || error.name);
  process.exit(1);
}
