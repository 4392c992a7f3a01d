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
  const key = certificates.keys.find((k) => k.key_id === keyId);
  if (!key) return ["unknown-key", `密钥 ${keyId} · key ${keyId}`];
  if (key.status === "revoked") return ["revoked-key", `密钥 ${keyId} · key ${keyId}`];
  const publicKey = await crypto.subtle.importKey(
    "spki", b64(key.public_key, false), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"],
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
    const revoked = certificates.keys.filter((k) => k.status === "revoked").length;
    shown.dataset.keys = String(certificates.keys.length);
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
