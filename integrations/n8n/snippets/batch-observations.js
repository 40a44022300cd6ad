// Scraper observations -> scraper.metrics bodies (Code node, "Run Once for All Items"): one
// incoming item per observation, at most 5,000 per event (the ingress's limit). Only the
// fields the ingress accepts are kept, so extra scraper columns do not fail the batch.
const BATCH_SIZE = 5000;
const FIELDS = ['platform', 'external_id', 'artist_name', 'metric', 'value', 'observed_at'];
const observations = $input.all().map(({ json }) =>
  Object.fromEntries(FIELDS.filter((f) => json[f] !== undefined && json[f] !== null).map((f) => [f, json[f]])),
);
const batches = [];
for (let start = 0; start < observations.length; start += BATCH_SIZE) {
  batches.push({ json: { observations: observations.slice(start, start + BATCH_SIZE) } });
}
return batches;
