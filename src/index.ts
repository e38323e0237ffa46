/**
 * Worker entry: the Hono app, the queue consumers (AI ingest, webhooks: one handler, routed by
 * queue name), the scheduled jobs (Cron Trigger), and the Durable Object classes wrangler binds by name.
 */
import { createApp } from "./app.ts";
import { ingestQueue } from "./lib/ai/ingest-queue.ts";
import { WEBHOOKS_QUEUE_NAME } from "./lib/webhooks/options.ts";
import { webhooksQueue } from "./lib/webhooks/queue.ts";
import { scheduled } from "./lib/webhooks/scheduled.ts";

export { EdgeConfig } from "../durable-objects/edge-config.ts";
export { Metrics } from "../durable-objects/metrics.ts";
export { Room } from "../durable-objects/room.ts";
export { RoomShard } from "../durable-objects/room-shard.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) =>
    batch.queue === WEBHOOKS_QUEUE_NAME ? webhooksQueue(batch, env, ctx) : ingestQueue(batch, env, ctx),
  scheduled,
} satisfies ExportedHandler<Env>;
