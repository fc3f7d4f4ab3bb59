// coffer-session browser client: encrypts a password for a session offer
// and verifies an offer's signature with Web Crypto only (no libraries).
// Works in browsers and in Node >= 18. This file is the one home of the
// browser side of the protocol: coffer-server serves it to its page as
// `/static/coffer-session.mjs`, and the session layer's interoperability
// tests (tests/webcrypto/client.mjs) drive it in Node.

// --- snippet start (docs/SESSIONS.md shows this part verbatim) ---
const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

const fromBase64 = (text) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));

async function importServerKey(offer, format, algorithm) {
  const usages = algorithm.name === "RSA-OAEP" ? ["encrypt"] : [];
  return format === "jwk"
    ? subtle.importKey("jwk", offer.jwk, algorithm, false, usages)
    : subtle.importKey("spki", fromBase64(offer.spki), algorithm, false, usages);
}

// RSA-OAEP-256-2048 / -3072: OAEP with SHA-256, label = offer.label
// (no label when the server issued an unlabeled compatibility offer).
async function encryptRsa(offer, secret, format) {
  const key = await importServerKey(offer, format, { name: "RSA-OAEP", hash: "SHA-256" });
  const params = offer.label === null
    ? { name: "RSA-OAEP" }
    : { name: "RSA-OAEP", label: utf8.encode(offer.label) };
  return new Uint8Array(await subtle.encrypt(params, key, secret));
}

// ECDH-P256: client_public(65) ‖ AES-256-GCM(secret) ‖ tag(16), where
// key ‖ nonce = HKDF-SHA256(ECDH secret, salt = key id bytes, info = label, 44 bytes).
async function encryptEcdh(offer, secret, format) {
  const curve = { name: "ECDH", namedCurve: "P-256" };
  const server = await importServerKey(offer, format, curve);
  const client = await subtle.generateKey(curve, false, ["deriveBits"]);
  const shared = await subtle.deriveBits({ name: "ECDH", public: server }, client.privateKey, 256);
  const ikm = await subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
  const okm = new Uint8Array(await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: fromBase64(offer.key_id), info: utf8.encode(offer.label) },
    ikm,
    44 * 8,
  ));
  const aesKey = await subtle.importKey("raw", okm.slice(0, 32), "AES-GCM", false, ["encrypt"]);
  const sealed = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: okm.slice(32, 44) }, aesKey, secret));
  const clientPublic = new Uint8Array(await subtle.exportKey("raw", client.publicKey));
  const message = new Uint8Array(clientPublic.length + sealed.length);
  message.set(clientPublic);
  message.set(sealed, clientPublic.length);
  return message;
}

/** Encrypts `password` for `offer`; returns the JSON body to post back. */
export async function encryptForOffer(offer, password, format = "spki") {
  const secret = utf8.encode(password);
  let ciphertext;
  if (offer.suite === "RSA-OAEP-256-2048" || offer.suite === "RSA-OAEP-256-3072") {
    ciphertext = await encryptRsa(offer, secret, format);
  } else if (offer.suite === "ECDH-P256") {
    ciphertext = await encryptEcdh(offer, secret, format);
  } else {
    throw new Error(`unsupported session suite ${offer.suite}`);
  }
  return { key_id: offer.key_id, encrypted_password: toBase64(ciphertext) };
}

// The bytes an offer signature covers (see "Signed offers").
function offerSignedBytes(offer) {
  const parts = [utf8.encode("coffer-session/v1 offer\0"), Uint8Array.of(offer.version)];
  const u32 = (value) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, value); return b; };
  const u64 = (value) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(value)); return b; };
  const put = (bytes) => parts.push(u32(bytes.length), bytes);
  put(fromBase64(offer.key_id));
  put(utf8.encode(offer.suite));
  put(fromBase64(offer.spki));
  const members = ["kty", "alg", "crv", "n", "e", "x", "y", "use"]
    .filter((name) => offer.jwk[name] !== undefined)
    .map((name) => [name, offer.jwk[name]]);
  members.push(["ext", String(offer.jwk.ext)]);
  parts.push(u32(members.length));
  for (const [name, value] of members) {
    put(utf8.encode(name));
    put(utf8.encode(value));
  }
  parts.push(u64(offer.expires_at));
  put(utf8.encode(offer.purpose));
  put(utf8.encode(offer.binding));
  if (offer.label === null) {
    parts.push(Uint8Array.of(0));
  } else {
    parts.push(Uint8Array.of(1));
    put(utf8.encode(offer.label));
  }
  parts.push(u64(offer.max_secret_len));
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  parts.reduce((offset, part) => (out.set(part, offset), offset + part.length), 0);
  return out;
}

/** Whether `offer` carries a valid Ed25519 signature by the pinned key (base64url). */
export async function verifyOffer(offer, pinnedKey) {
  if (typeof offer.signature !== "string") return false;
  const key = await subtle.importKey("raw", fromBase64(pinnedKey), { name: "Ed25519" }, false, ["verify"]);
  return subtle.verify({ name: "Ed25519" }, key, fromBase64(offer.signature), offerSignedBytes(offer));
}
// --- snippet end ---
