/** Worker entry: the Hono app plus the Durable Object classes wrangler binds by name. */
import { createApp } from "./app.ts";

export { EdgeConfig } from "../durable-objects/edge-config.ts";
export { Room } from "../durable-objects/room.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
