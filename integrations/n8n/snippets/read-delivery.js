// Verifying PromoterOS deliveries, step 1 of 3 (Code node, "Run Once for Each Item"): the
// Standard Webhooks content the sender signed, read from the raw body (the Webhook node's
// "Raw Body" option) because a re-serialised body would not be the bytes that were signed.
// Step 2 (Crypto: Hmac, SHA256, Base64) computes the signature; step 3 compares.
const headers = $json.headers;
const webhookId = headers['webhook-id'] ?? '';
const timestamp = headers['webhook-timestamp'] ?? '';
const raw = Buffer.from(await helpers.getBinaryDataBuffer($itemIndex, 'data')).toString('utf8');
let event = null;
try {
  event = JSON.parse(raw);
} catch (error) {
  event = null;
}
return {
  json: {
    webhook_id: webhookId,
    event,
    candidates: (headers['webhook-signature'] ?? '').split(' ').filter(Boolean),
    prefix: 'v1,',
    // Standard Webhooks: refuse timestamps more than 5 minutes off (replayed deliveries)
    fresh: webhookId !== '' && Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300,
    signed_content: `${webhookId}.${timestamp}.${raw}`,
  },
};
