/** Worker entry: the Hono app, the AI ingest queue consumer, and the Durable Object classes wrangler binds by name. */
import { createApp } from "./app.ts";
import { ingestQueue } from "./lib/ai/ingest-queue.ts";

export { EdgeConfig } from "../durable-objects/edge-config.ts";
export { Room } from "../durable-objects/room.ts";
export { RoomShard } from "../durable-objects/room-shard.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: ingestQueue,
} satisfies ExportedHandler<Env>;
