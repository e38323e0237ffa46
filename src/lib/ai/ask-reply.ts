/**
 * How an ask's outcome (`ask.ts`) reaches the client: the JSON answer with its `x-ai-source`,
 * `x-cache` and `x-cache-similarity` headers, or an event stream (`meta`, then `delta` events,
 * then `done`, or `error` when the origin breaks off).
 *
 * A finished or cached answer is recorded in the conversation, then sent as JSON or replayed as
 * a stream in pieces of a few words. A live origin stream is relayed as it arrives: what the
 * client sees is what gets cached, and only when it completes; a broken-off answer is recorded
 * with a note and not cached; a client that goes away mid-stream stops the origin call and
 * releases the requests waiting for the same question.
 */
import type { Answer, AnswerSource, Citation } from "./api.ts";
import type { AskOutcome } from "./ask.ts";
import { OriginError } from "./origin-chat.ts";
import { SSE_HEADERS, sseBody, sseEvent } from "./sse.ts";

/** Stores the exchange in the user's conversation. */
export type RecordAnswer = (answer: string, source: AnswerSource, citations: Citation[]) => Promise<void>;

export interface ReplyOptions {
  conversationId: string;
  /** The client asked for an event stream. */
  stream: boolean;
  /** Named in a stream's `error` event. */
  requestId: string;
  record: RecordAnswer;
}

export type AskReply =
  | { kind: "json"; source: AnswerSource; body: Answer & { conversationId: string }; headers: Record<string, string> }
  | { kind: "stream"; source: AnswerSource; body: ReadableStream<Uint8Array>; headers: Record<string, string> };

/** Splits an answer into stream pieces (a few words each) for replaying it as SSE. */
export function answerPieces(text: string): string[] {
  const parts = text.match(/\S+\s*/g) ?? [text];
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += 6) out.push(parts.slice(i, i + 6).join(""));
  const lead = /^\s*/.exec(text)?.[0] ?? "";
  if (lead && out.length) out[0] = lead + out[0];
  return out.length ? out : [""];
}

/** The reply to an ask: JSON or an event stream, with its headers. */
export async function askReply(outcome: AskOutcome, options: ReplyOptions): Promise<AskReply> {
  const { conversationId } = options;
  if (outcome.kind === "stream") {
    return {
      kind: "stream",
      source: "origin",
      body: sseBody(relay(outcome, options)),
      headers: { ...SSE_HEADERS, "x-ai-source": "origin", "x-cache": "MISS", "cache-control": "no-store" },
    };
  }
  const { body, cache, similarity } = outcome;
  const headers: Record<string, string> = { "x-ai-source": body.source, "x-cache": cache, "cache-control": "no-store" };
  if (cache === "HIT" && similarity !== undefined) headers["x-cache-similarity"] = similarity.toFixed(4);
  await options.record(body.answer, body.source, body.citations);
  const payload = { ...body, conversationId };
  if (!options.stream) return { kind: "json", source: body.source, body: payload, headers };
  async function* replay(): AsyncGenerator<string> {
    yield sseEvent("meta", {
      source: body.source,
      cache,
      ...(headers["x-cache-similarity"] ? { similarity } : {}),
      citations: body.citations,
      conversationId,
    });
    for (const text of answerPieces(body.answer)) yield sseEvent("delta", { text });
    yield sseEvent("done", payload);
  }
  return { kind: "stream", source: body.source, body: sseBody(replay()), headers: { ...SSE_HEADERS, ...headers } };
}

/** Relays a live origin stream: `meta`, each `delta` as it arrives, then `done` or `error`. */
async function* relay(
  live: Extract<AskOutcome, { kind: "stream" }>,
  { conversationId, requestId, record }: ReplyOptions,
): AsyncGenerator<string> {
  let settled = false;
  try {
    yield sseEvent("meta", { source: "origin", cache: "MISS", citations: live.citations, conversationId });
    let text = "";
    let finishReason: string | null;
    try {
      for (;;) {
        const next = await live.stream.deltas.next();
        if (next.done) {
          finishReason = next.value;
          break;
        }
        text += next.value;
        yield sseEvent("delta", { text: next.value });
      }
    } catch (err) {
      const reason = err instanceof OriginError ? err.kind : "error";
      settled = true;
      await live.fail(reason);
      await record(`${text}\n\n[The answer broke off: ${reason}.]`, "origin", live.citations);
      yield sseEvent("error", {
        reason,
        message: "The AI service's answer broke off; it was not cached. Try again.",
        requestId,
      });
      return;
    }
    settled = true;
    await live.complete(text, finishReason);
    await record(text, "origin", live.citations);
    yield sseEvent("done", { answer: text, source: "origin", citations: live.citations, conversationId, finishReason });
  } finally {
    if (!settled) {
      // The client went away mid-stream: stop the origin call and release waiting requests.
      await live.stream.deltas.return(null).catch(() => undefined);
      await live.fail("cancelled");
    }
  }
}
