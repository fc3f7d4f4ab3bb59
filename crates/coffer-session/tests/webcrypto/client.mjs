// Drives the browser client (../../js/coffer-session.mjs) from the
// interoperability tests: reads a JSON array of {offer, password, format}
// (or {offer, pinned} to verify a signature) from stdin and prints a JSON
// array of {message}, {verified} or {error}.

import { encryptForOffer, verifyOffer } from "../../js/coffer-session.mjs";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const { offer, password, format, pinned } of JSON.parse(input)) {
  try {
    results.push(pinned === undefined
      ? { message: await encryptForOffer(offer, password, format) }
      : { verified: await verifyOffer(offer, pinned) });
  } catch (error) {
    results.push({ error: String(error) });
  }
}
process.stdout.write(JSON.stringify(results));
