// Verifying Slack's interaction requests, step 1 of 3 (Code node, "Run Once for Each Item"):
// Slack signs "v0:{X-Slack-Request-Timestamp}:{raw body}" with the app's signing secret
// (Crypto: Hmac, SHA256, Hex, credential "Slack signing secret"; step 3 compares).
const headers = $json.headers;
const timestamp = headers['x-slack-request-timestamp'] ?? '';
const raw = Buffer.from(await helpers.getBinaryDataBuffer($itemIndex, 'data')).toString('utf8');
let event = null;
try {
  event = JSON.parse($json.body.payload);
} catch (error) {
  event = null;
}
return {
  json: {
    event,
    candidates: [headers['x-slack-signature'] ?? ''],
    prefix: 'v0=',
    // Slack: refuse requests more than 5 minutes old (replayed requests)
    fresh: timestamp !== '' && Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300,
    signed_content: `v0:${timestamp}:${raw}`,
  },
};
