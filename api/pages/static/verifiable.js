// The proof page's second check, in the reader's own browser (issue 23): the checkpoint's Ed25519
// signature (WebCrypto, where the browser has Ed25519), the leaf's inclusion path to the checkpoint's
// root (RFC 9162 2.1.3.2, SHA-256 by WebCrypto) and, for a trace code, its path to its batch's root.
"use strict";
(async () => {
  const data = JSON.parse(document.getElementById("proof").textContent);
  const words = JSON.parse(document.getElementById("checker-words").textContent);
  const out = document.getElementById("browser-check");
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const utf8 = (s) => new TextEncoder().encode(s);
  const cat = (...parts) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return all;
  };
  const sha = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const leafHash = (d) => sha(cat(new Uint8Array([0]), d));
  const nodeHash = (l, r) => sha(cat(new Uint8Array([1]), l, r));
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  async function included(index, size, hash, path, root) {
    if (!(index >= 0 && index < size)) return false;
    let fn = index, sn = size - 1, r = hash;
    for (const p of path) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && same(r, root);
  }

  // true: signed by the log's key; false: a bad signature; null: this browser has no Ed25519.
  async function signed(note, vkey) {
    const cut = note.lastIndexOf("\n\n");
    const text = note.slice(0, cut + 1);
    const pub = b64(vkey.key);
    const kid = (await sha(cat(utf8(vkey.name + "\n"), new Uint8Array([1]), pub))).slice(0, 4);
    const prefix = "\u2014 " + vkey.name + " ";
    const line = note.slice(cut + 2).split("\n").find((l) => l.startsWith(prefix));
    if (!line) return false;
    const blob = b64(line.slice(prefix.length));
    if (!same(blob.slice(0, 4), kid)) return false;
    let key;
    try {
      key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      return null;
    }
    return crypto.subtle.verify({ name: "Ed25519" }, key, blob.slice(4), utf8(text));
  }

  async function check() {
    const note = data.checkpoint;
    const lines = note.slice(0, note.lastIndexOf("\n\n")).split("\n");
    const size = Number(lines[1]);
    const root = b64(lines[2]);
    const leaf = b64(data.leaf);
    if (size !== data.tree_size) return false;
    if (!(await included(data.leaf_index, size, await leafHash(leaf), data.proof.map(b64), root))) return false;
    if (data.code) {
      const entry = JSON.parse(new TextDecoder().decode(leaf));
      const batchRoot = b64(entry.record.serials_root);
      const c = data.code;
      const hash = await leafHash(utf8(c.serial));
      if (!(await included(c.index, c.batch_size, hash, c.proof.map(b64), batchRoot))) return false;
    }
    return signed(note, data.vkey);
  }

  if (!(window.crypto && crypto.subtle)) {  // WebCrypto only in a secure context (https, localhost)
    out.textContent = words.browser_unavailable;
    out.dataset.browser = "browser_unavailable";
    return;
  }
  let result;
  try {
    result = await check();
  } catch (e) {
    result = false;
  }
  const state = result === true ? "browser" : result === null ? "browser_partial" : "browser_failed";
  out.textContent = words[state];
  out.dataset.browser = state;
})();
