// The verify page: reads a scanned code (a GS1 Digital Link URI or a bracketed element string), builds
// the element string its signature covers (traceability/digsig.py's rule), and checks the DigSig in
// AI (8030) with WebCrypto against the platform's published certificates. No server is asked.
"use strict";

const WORDS = JSON.parse(document.getElementById("words").textContent);
const GS = "\u001d";
const TYP = "crosstrust-scan+jwt";
const STALE_SECONDS = 600;
let certificates = null;
let jwks = null;

function b64(text, url) {
  let s = url ? text.replace(/-/g, "+").replace(/_/g, "/") : text;
  s += "=".repeat((4 - (s.length % 4)) % 4);
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function parse(text) {
  const ais = {};
  text = text.trim();
  if (/^https?:\/\//.test(text)) {
    const url = new URL(text);
    const parts = url.pathname.split("/").filter((p) => p !== "");
    if (parts.length < 2 || parts.length % 2) return null;
    for (let i = 0; i < parts.length; i += 2) ais[parts[i]] = decodeURIComponent(parts[i + 1]);
    for (const [key, value] of url.searchParams) if (/^\d+$/.test(key)) ais[key] = value;
  } else {
    const pattern = /\((\d{2,4})\)([^()]*)/g;
    let seen = "";
    for (const m of text.matchAll(pattern)) {
      ais[m[1]] = m[2];
      seen += m[0];
    }
    if (seen !== text) return null;
  }
  if (!/^\d{8}$|^\d{12,14}$/.test(ais["01"] || "") || !ais["21"]) return null;
  ais["01"] = ais["01"].padStart(14, "0");
  const fixed = "01" + ais["01"] + (ais["17"] ? "17" + ais["17"] : "");
  const variable = [["22", ais["22"]], ["10", ais["10"]], ["21", ais["21"]]]
    .filter(([, v]) => v)
    .map(([ai, v]) => ai + v);
  return { element: fixed + variable.join(GS), digsig: ais["8030"] || null, ais };
}

function utf8(bytes) {
  return new TextDecoder().decode(bytes);
}

// Where the scan's signed answer is asked for: the code's own link as printed (a look-alike site's
// too: what it answers must still carry this platform's signature), or for a typed element string
// this platform's own resolver.
function answerUrl(text, code) {
  text = text.trim();
  if (/^https?:\/\//.test(text)) return text;
  const ais = code.ais;
  let path = `/01/${ais["01"]}`;
  for (const ai of ["22", "10", "21"]) if (ais[ai]) path += `/${ai}/${encodeURIComponent(ais[ai])}`;
  const query = [["17", ais["17"]], ["8030", ais["8030"]]].filter(([, v]) => v).map(([ai, v]) => `${ai}=${v}`);
  return location.origin + path + (query.length ? `?${query.join("&")}` : "");
}

// The scan's answer as a JWS (ES256) checked with WebCrypto against the answer keys this page keeps
// (/.well-known/crosstrust/jwks.json): [outcome, the signed facts or null].
async function checkAnswer(token, code) {
  const parts = token.trim().split(".");
  if (parts.length !== 3) return ["answer-unsigned", null];
  let header;
  let payload;
  try {
    header = JSON.parse(utf8(b64(parts[0], true)));
    payload = JSON.parse(utf8(b64(parts[1], true)));
  } catch (e) {
    return ["answer-unsigned", null];
  }
  if (header.alg !== "ES256" || header.typ !== TYP || jwks === null) return ["answer-forged", null];
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return ["answer-forged", null];
  let good = false;
  try {
    const key = await crypto.subtle.importKey(
      "jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, { name: "ECDSA", namedCurve: "P-256" }, false,
      ["verify"],
    );
    good = await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" }, key, b64(parts[2], true), new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    );
  } catch (e) {
    good = false;
  }
  if (!good) return ["answer-forged", null];
  if (payload.element_string !== code.element || (payload.digsig || null) !== code.digsig) {
    return ["answer-other-code", payload];
  }
  if (Date.now() / 1000 - payload.iat > STALE_SECONDS) return ["answer-stale", payload];
  return ["answer-genuine", payload];
}

async function askAnswer(text) {
  const code = parse(text);
  if (code === null) return ["", null];
  let answer;
  try {
    answer = await fetch(answerUrl(text, code), { headers: { Accept: "application/jose" }, cache: "no-store" });
  } catch (e) {
    return ["answer-unreachable", null];
  }
  return checkAnswer(await answer.text(), code);
}

function facts(payload) {
  if (payload === null) return "";
  const who = payload.enterprise ? `${payload.enterprise.name_zh} ${payload.enterprise.name_en || ""}`.trim() : "";
  return [
    `${payload.verdict_zh} · ${payload.verdict_en}`,
    who,
    payload.grade ? `信用等级 Credit grade ${payload.grade}` : "",
    `签名时间 Signed at ${payload.scanned_at}`,
  ].filter((x) => x).join(" · ");
}

// The certificates are checked here too, not only beside them: each root signs itself, each signing
// key's certificate is signed by a root of the document (ECDSA P-256, SHA-256), and a code's signature
// is checked with the key inside its certificate, found by the number in its subject (serialNumber),
// as traceability/digsig.py's Bundle does. A certificate changed by one character is not trusted.
const ECDSA_SHA256 = "2a8648ce3d040302"; // 1.2.840.10045.4.3.2
const SERIAL_NUMBER = "550405"; // 2.5.4.5

function pem(text) {
  return b64(text.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), false);
}

function tlv(bytes, at) {
  let length = bytes[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n < 1 || n > 3) throw new Error("DER length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[start++];
  }
  if (start + length > bytes.length) throw new Error("DER overrun");
  return { tag: bytes[at], at, start, end: start + length };
}

function inside(bytes, node) {
  const out = [];
  for (let at = node.start; at < node.end; at = out[out.length - 1].end) out.push(tlv(bytes, at));
  return out;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function certificate(text) {
  const bytes = pem(text);
  const outer = tlv(bytes, 0);
  if (outer.end !== bytes.length) throw new Error("trailing bytes");
  const [tbs, algorithm, signature] = inside(bytes, outer);
  const fields = inside(bytes, tbs);
  const [, , , issuer, , subject, spki] = fields[0].tag === 0xa0 ? fields : [null, ...fields];
  const oid = inside(bytes, algorithm)[0];
  if (hex(bytes.slice(oid.start, oid.end)) !== ECDSA_SHA256) throw new Error("not ecdsa-with-SHA256");
  const [r, s] = inside(bytes, tlv(bytes, signature.start + 1)); // a BIT STRING's first byte: unused bits
  const raw = new Uint8Array(64);
  for (const [i, n] of [r, s].entries()) {
    const v = bytes.slice(n.start, n.end).slice(-32);
    raw.set(v, 32 * i + 32 - v.length);
  }
  let number = null;
  for (const set of inside(bytes, subject)) {
    const [type, value] = inside(bytes, inside(bytes, set)[0]);
    if (hex(bytes.slice(type.start, type.end)) === SERIAL_NUMBER) {
      number = Number(utf8(bytes.slice(value.start, value.end)));
    }
  }
  const slice = (n) => bytes.slice(n.at, n.end);
  return {
    tbs: slice(tbs), signature: raw, issuer: hex(slice(issuer)), subject: hex(slice(subject)), spki: slice(spki), number,
  };
}

async function signedBy(cert, issuer) {
  const key = await crypto.subtle.importKey(
    "spki", issuer.spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"],
  );
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, cert.signature, cert.tbs);
}

// Each key of the document marked trusted (its certificate checked) or not; the roots that sign themselves.
async function trust(document_) {
  const roots = [];
  for (const entry of document_.roots) {
    try {
      const root = certificate(entry.certificate);
      if (root.issuer === root.subject && (await signedBy(root, root))) roots.push(root);
    } catch (e) {
      // not a certificate any more: no root
    }
  }
  for (const key of document_.keys) {
    key.trusted = false;
    try {
      const cert = certificate(key.certificate);
      const root = roots.find((r) => r.subject === cert.issuer);
      if (root && cert.number !== null && (await signedBy(cert, root))) Object.assign(key, { cert, trusted: true });
    } catch (e) {
      key.trusted = false;
    }
  }
}

async function check(text) {
  const code = parse(text);
  if (code === null) return ["not-a-code", ""];
  if (!code.digsig) return ["unsigned", ""];
  if (certificates === null) return ["no-certificates", ""];
  let raw;
  try {
    raw = code.digsig.length === 90 ? b64(code.digsig, true) : null;
  } catch (e) {
    raw = null;
  }
  if (raw === null || raw.length !== 67 || raw[0] !== 1 || b64url(raw) !== code.digsig) {
    return ["bad-signature", "DigSig"];
  }
  const keyId = (raw[1] << 8) | raw[2];
  const key = certificates.keys.find((k) => k.trusted && k.cert.number === keyId);
  if (!key) return ["unknown-key", `密钥 ${keyId} · key ${keyId}`];
  if (key.status === "revoked") return ["revoked-key", `密钥 ${keyId} · key ${keyId}`];
  const publicKey = await crypto.subtle.importKey(
    "spki", key.cert.spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"],
  );
  const good = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" }, publicKey, raw.slice(3), new TextEncoder().encode(code.element),
  );
  return [good ? "genuine-signature" : "bad-signature", `密钥 ${keyId} · key ${keyId}`];
}

async function load() {
  fetch("/.well-known/crosstrust/jwks.json")
    .then((answer) => (answer.ok ? answer.json() : null))
    .then((keys) => {
      jwks = keys;
      document.getElementById("certificates").dataset.answerKeys = String(keys ? keys.keys.length : 0);
    })
    .catch(() => {});
  const shown = document.getElementById("certificates");
  try {
    const answer = await fetch("/.well-known/crosstrust/certificates");
    if (!answer.ok) throw new Error(String(answer.status));
    certificates = await answer.json();
    await trust(certificates);
    const revoked = certificates.keys.filter((k) => k.status === "revoked").length;
    shown.dataset.keys = String(certificates.keys.length);
    shown.dataset.untrusted = String(certificates.keys.filter((k) => !k.trusted).length);
    shown.textContent =
      `${certificates.keys.length} 把签名密钥，${revoked} 把已吊销；发布于 ${certificates.published_at}` +
      ` · ${certificates.keys.length} signing key(s), ${revoked} revoked; published ${certificates.published_at}`;
  } catch (e) {
    shown.dataset.keys = "";
    shown.textContent = WORDS["no-certificates"];
  }
}

document.getElementById("verify").addEventListener("submit", async (event) => {
  event.preventDefault();
  const [outcome, detail] = await check(document.getElementById("code").value);
  const out = document.getElementById("outcome");
  document.getElementById("answer").dataset.answer = "";
  out.dataset.outcome = outcome;
  out.textContent = WORDS[outcome];
  document.getElementById("detail").textContent = detail;
  const shown = document.getElementById("answer");
  const [answer, payload] = await askAnswer(document.getElementById("code").value);
  shown.dataset.answer = answer;
  shown.textContent = answer ? WORDS[answer] : "";
  // a trusted answer reads as good news, an untrusted one as a warning (a missing network as neither)
  shown.className = answer === "answer-genuine" ? "ok" : answer && answer !== "answer-unreachable" ? "alert" : "";
  document.getElementById("answer-facts").textContent = answer === "answer-genuine" ? facts(payload) : "";
});

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/verify/sw.js", { scope: "/verify/" }).catch(() => {});
}
load();
