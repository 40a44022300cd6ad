// Verifying a signed request, step 3 of 3 (Code node, "Run Once for Each Item"): valid when
// the request is fresh and one of its signatures equals the one the Crypto node computed.
// Compared in constant time, so response times tell nothing about the expected signature.
const expected = `${$json.prefix}${$json.signature}`;
const same = (a, b) => {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
};
const matches = $json.candidates.filter((candidate) => same(candidate, expected)).length > 0;
const valid = $json.fresh && matches && $json.event !== null;
return { json: { valid, webhook_id: $json.webhook_id ?? null, event: valid ? $json.event : null } };
