/**
 * The Worker's consumer of the `webhooks` queue (src/index.ts routes batches here by queue
 * name): fans events out and makes delivery attempts (`delivery.ts`), each message on its own,
 * the batch's messages concurrently.
 */
import { logLine } from "../log.ts";
import { createServices } from "../services.ts";
import { readSettings } from "../settings.ts";
import { traceFromHeader } from "../trace.ts";
import { handleWebhookMessage } from "./delivery.ts";
import { deliveryOptions, webhookQueue, type DeliveryOptions } from "./options.ts";

export async function webhooksQueue(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx: ExecutionContext,
  overrides: Partial<DeliveryOptions> = {},
): Promise<void> {
  const settings = readSettings(env);
  const queue = webhookQueue(env as unknown as Record<string, unknown>);
  if (!settings.ok || !queue) {
    logLine(
      "error",
      "webhooks queue: invalid Worker settings or no WEBHOOKS binding; retrying later",
      settings.ok ? {} : { problems: settings.problems },
    );
    batch.retryAll({ delaySeconds: 60 });
    return;
  }
  const { db } = createServices(settings.settings, { traceparent: traceFromHeader(undefined).traceparent });
  const options = deliveryOptions(env as unknown as Record<string, unknown>, {
    development: settings.settings.ENVIRONMENT === "development",
    ...overrides,
  });
  await Promise.all(batch.messages.map((m) => handleWebhookMessage(db, queue, m, options)));
}
