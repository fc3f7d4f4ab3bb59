// The page: sign in with an API key, create projects and add members,
// upload with progress, list and download documents, read the audit trail.
//
// The offer signing key is pinned: the page's configuration names it, and
// the first one seen is remembered in this browser; if the service ever
// presents another, the page refuses to send passwords until the operator
// says so (clear the site's data).

import { ApiError, Client, explain } from "/static/api.mjs";

const $ = (id) => document.getElementById(id);
const PIN = "coffer.offer-key";
let client = null;

function say(text, kind = "ok") {
  const status = $("status");
  status.textContent = text;
  status.className = kind;
}

function fail(error) {
  say(explain(error instanceof ApiError ? error : new ApiError(0, "", String(error))), "error");
}

async function pinnedKey() {
  const config = await (await fetch("/config.json")).json();
  const remembered = localStorage.getItem(PIN);
  if (remembered !== null && remembered !== config.offer_key) {
    throw new ApiError(0, "pin", "The service's offer signing key changed; refusing to send passwords.");
  }
  localStorage.setItem(PIN, config.offer_key);
  return config.offer_key;
}

function on(form, handler) {
  $(form).addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await handler();
    } catch (error) {
      fail(error);
    }
  });
}

on("signin-form", async () => {
  const candidate = new Client($("api-key").value.trim(), await pinnedKey());
  const me = await candidate.me();
  client = candidate;
  $("who").textContent = `signed in as ${me.principal.tenant}/${me.principal.id}`;
  $("signin").hidden = true;
  $("app").hidden = false;
  say("Signed in.");
});

on("create-form", async () => {
  const project = $("create-project").value;
  await client.createProject(project, $("create-password").value);
  $("create-password").value = "";
  say(`Project ${project} created.`);
});

on("member-form", async () => {
  const [project, member] = [$("member-project").value, $("member-id").value];
  await client.addMember(project, member, $("member-role").value);
  say(`${member} is now ${$("member-role").value} of ${project}.`);
});

on("upload-form", async () => {
  const file = $("upload-file").files[0];
  const [project, document] = [$("upload-project").value, $("upload-document").value];
  $("upload-progress").value = 0;
  say(`Uploading ${document}…`);
  const record = await client.upload(project, document, file, $("upload-password").value, (fraction) => {
    $("upload-progress").value = Math.round(fraction * 100);
  });
  $("upload-progress").value = 100;
  $("upload-password").value = "";
  say(`Uploaded ${record.document} (${record.plaintext_size} bytes, key version ${record.key_version}).`);
});

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.append(td);
  return td;
}

async function download(project, document) {
  if ($("download-password").value === "") {
    say("Type the project password first.", "error");
    return;
  }
  try {
    say(`Downloading ${document}…`);
    const blob = await client.download(project, document, $("download-password").value);
    const link = $("saved");
    URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.download = document;
    link.textContent = `${document} (${blob.size} bytes)`;
    link.hidden = false;
    link.click();
    say(`Downloaded ${document} (${blob.size} bytes).`);
  } catch (error) {
    fail(error);
  }
}

on("list-form", async () => {
  const project = $("list-project").value;
  const rows = $("document-rows");
  rows.replaceChildren();
  for (const record of await client.listDocuments(project)) {
    const row = document.createElement("tr");
    row.dataset.document = record.document;
    cell(row, record.document);
    cell(row, record.plaintext_size);
    cell(row, record.key_version);
    cell(row, `${record.created_by.tenant}/${record.created_by.id}`);
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Download";
    button.addEventListener("click", () => download(project, record.document));
    cell(row, "").append(button);
    rows.append(row);
  }
  say(`${rows.children.length} document(s) in ${project}.`);
});

on("audit-form", async () => {
  const trail = await client.audit($("audit-project").value);
  const rows = $("audit-rows");
  rows.replaceChildren();
  for (const record of trail.records) {
    const event = record.event;
    const row = document.createElement("tr");
    cell(row, record.seq);
    cell(row, event.time);
    cell(row, `${event.principal.tenant}/${event.principal.id}`);
    cell(row, event.operation);
    cell(row, event.document ?? "");
    const outcome = typeof event.outcome === "string" ? event.outcome : `failed: ${event.outcome.failed.reason}`;
    cell(row, outcome);
    rows.append(row);
  }
  const verified = $("audit-verified");
  verified.textContent = trail.verified ? "verified: the audit chain is intact" : "NOT verified: the audit chain is broken";
  verified.className = trail.verified ? "verified" : "broken";
  say(`${trail.records.length} audit record(s).`);
});
