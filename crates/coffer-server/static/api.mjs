// The coffer-server API as the page uses it. The project password only
// ever leaves the page inside a session message: encrypted with Web Crypto
// to a one-time server key whose offer is first checked against the pinned
// offer signing key.

import { encryptForOffer, verifyOffer } from "/static/coffer-session.mjs";

/** An API failure: the service's error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** What a person should read for an API error. */
export function explain(error) {
  switch (error.code) {
    case "unlock_failed": return "Wrong password (or the document is damaged).";
    case "session_rejected": return "The session expired or was already used; ask again.";
    case "denied": return `Refused by policy: ${error.message}`;
    case "unauthorized": return "Sign-in failed: the API key is not valid.";
    case "rate_limited": return "Too many failed sign-ins; wait a minute.";
    case "offer_unverified": return "The server's offer is not signed by the pinned key; nothing was sent.";
    case "incomplete": return "The download broke off before the end; nothing was saved.";
    default: return error.message || String(error);
  }
}

async function failure(response) {
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  return new ApiError(response.status, body.error ?? "http", body.message ?? response.statusText);
}

/** A signed-in client. `pinnedKey` is the offer signing key (base64url). */
export class Client {
  constructor(apiKey, pinnedKey) {
    this.apiKey = apiKey;
    this.pinnedKey = pinnedKey;
  }

  headers(extra = {}) {
    return { authorization: `Bearer ${this.apiKey}`, ...extra };
  }

  async call(method, path, body) {
    const init = { method, headers: this.headers() };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (!response.ok) throw await failure(response);
    return response.json();
  }

  me() { return this.call("GET", "/api/v1/me"); }

  /** Checks an offer's signature, then encrypts `password` to it. */
  async seal(offer, password) {
    if (!(await verifyOffer(offer, this.pinnedKey))) {
      throw new ApiError(0, "offer_unverified", "offer signature does not verify");
    }
    return encryptForOffer(offer, password);
  }

  /** A session message carrying `password` for `project`. */
  async passwordMessage(project, password) {
    const offer = await this.call("POST", "/api/v1/password-offers", { project });
    return this.seal(offer, password);
  }

  async createProject(project, password) {
    const message = await this.passwordMessage(project, password);
    return this.call("POST", "/api/v1/projects", { project, password: message });
  }

  addMember(project, member, role) {
    return this.call("PUT", `/api/v1/projects/${enc(project)}/members/${enc(member)}`, { role });
  }

  listDocuments(project) {
    return this.call("GET", `/api/v1/projects/${enc(project)}/documents`);
  }

  audit(project) {
    return this.call("GET", `/api/v1/projects/${enc(project)}/audit`);
  }

  /**
   * Uploads `file` as `document`: the body is the password's session
   * message (one JSON line) followed by the file's bytes, streamed from
   * disk by the browser; `onProgress(fraction)` follows the upload.
   */
  async upload(project, document, file, password, onProgress) {
    const message = await this.passwordMessage(project, password);
    const body = new Blob([JSON.stringify(message) + "\n", file]);
    const path = `/api/v1/projects/${enc(project)}/documents/${enc(document)}`;
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", path);
      xhr.setRequestHeader("authorization", `Bearer ${this.apiKey}`);
      xhr.setRequestHeader("content-type", "application/octet-stream");
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else reject(new ApiError(xhr.status, body.error ?? "http", body.message ?? xhr.statusText));
      });
      xhr.addEventListener("error", () => reject(new ApiError(0, "network", "the upload failed")));
      xhr.send(body);
    });
  }

  /**
   * Downloads `document`: a one-time offer for it, verified and answered
   * with the password, then the document streamed back. A stream that
   * breaks off (a failure the server found mid-document) rejects: only a
   * complete body is returned.
   */
  async download(project, document, password) {
    const base = `/api/v1/projects/${enc(project)}/documents/${enc(document)}`;
    const offer = await this.call("POST", `${base}/offer`);
    const message = await this.seal(offer, password);
    const response = await fetch(`${base}/download`, {
      method: "POST",
      headers: this.headers({ "content-type": "application/json" }),
      body: JSON.stringify(message),
    });
    if (!response.ok) throw await failure(response);
    try {
      return await response.blob();
    } catch {
      throw new ApiError(0, "incomplete", "the download broke off");
    }
  }
}

const enc = encodeURIComponent;
