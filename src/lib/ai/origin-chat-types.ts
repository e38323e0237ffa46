/**
 * The shapes of an origin chat call (`origin-chat.ts`): messages, parameters, the time budget,
 * results, streams and the error with its failure kind.
 */
import type { OriginClient } from "../origin.ts";
import type { CircuitBreaker } from "./breaker.ts";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatParams {
  model: string;
  messages: ChatMessage[];
  temperature: number;
  maxTokens: number;
}

export interface OriginBudget {
  /** Absolute time (ms since epoch) by which the call must be over. */
  deadline: number;
  /** Per attempt: how long to wait for the response headers. */
  firstByteMs: number;
  /** Attempts including the first (default 3). */
  maxAttempts?: number;
}

export type OriginFailureKind =
  | "breaker-open"
  | "timeout"
  | "rate-limited"
  | "unavailable"
  | "rejected"
  | "cut"
  | "cancelled";

export class OriginError extends Error {
  override name = "OriginError";
  readonly kind: OriginFailureKind;
  readonly status: number | undefined;
  readonly attempts: number;
  constructor(kind: OriginFailureKind, message: string, options: { status?: number; attempts?: number } = {}) {
    super(message);
    this.kind = kind;
    this.status = options.status;
    this.attempts = options.attempts ?? 0;
  }
}

export interface ChatResult {
  text: string;
  /** `stop` for a complete answer; `length` when cut by max tokens. */
  finishReason: string | null;
  attempts: number;
  /** Time to the successful attempt's response headers, from the start of the call. */
  firstByteMs: number;
}

export interface ChatStream {
  attempts: number;
  firstByteMs: number;
  /** Text deltas; returns the finish reason; throws `OriginError` (`cut`/`timeout`) mid-stream. */
  deltas: AsyncGenerator<string, string | null>;
}

export interface OriginChatDeps {
  origin: OriginClient;
  breaker: CircuitBreaker;
  signal?: AbortSignal;
}
