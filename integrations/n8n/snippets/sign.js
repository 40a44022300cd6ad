// PromoterOS signing, step 1 of 2 (Code node, "Run Once for Each Item"). The item arriving here
// is the event's body. This node fixes the exact bytes to send and the Standard Webhooks content
// to sign; the next node (Crypto: Hmac, SHA256, Base64, credential "PromoterOS signing key")
// signs it: no secret, environment variable or module is read here, so n8n's defaults suffice.
const body = JSON.stringify($json);
// The same id on every retry of the HTTP Request node: the ingress answers a retry 200
// (duplicate) instead of storing the event twice.
const webhookId = `n8n-${$workflow.id}-${$execution.id}-${$itemIndex}`;
const timestamp = String(Math.floor(Date.now() / 1000));
return {
  json: {
    body,
    webhook_id: webhookId,
    webhook_timestamp: timestamp,
    signed_content: `${webhookId}.${timestamp}.${body}`,
  },
};
