/**
 * The `config.changed` webhook event, announced by the EdgeConfig object after it appends a
 * version (a write or a rollback): version, author, reason and the changed paths. Sent from
 * the object's `waitUntil`, so the write's reply does not wait for the queue.
 */
import { publishEvent } from "../webhooks/events.ts";
import type { ConfigChange } from "./diff.ts";

export interface ConfigChanged {
  version: number;
  author: string;
  reason: string;
  changes: readonly ConfigChange[];
}

export function announceConfigChange(env: object, change: ConfigChanged): Promise<void> {
  return publishEvent(env, "config.changed", {
    version: change.version,
    author: change.author,
    reason: change.reason,
    changedPaths: change.changes.map((c) => c.path),
  });
}
