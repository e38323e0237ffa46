/**
 * What a room does with one frame from a connection, decided before anything is stored or
 * sent: close the connection (its token expired, or it kept sending far over the rate), refuse
 * the frame with an `error` (too big, malformed, rate limited, or a read-only connection
 * publishing), or take it. Charges the connection's rate bucket and notes its activity in its
 * state (`connection.ts`); the room saves that state.
 */
import { takeToken, type ConnectionState } from "./connection.ts";
import {
  CloseCode,
  parseClientFrame,
  RATE_STRIKES_BEFORE_CLOSE,
  ROOM_LIMITS,
  type ClientFrame,
  type ErrorFrame,
} from "./protocol.ts";

export type Intake =
  | { kind: "close"; code: number; reason: string }
  | { kind: "refuse"; frame: ErrorFrame }
  | { kind: "take"; frame: ClientFrame };

export function intakeFrame(state: ConnectionState, message: string | ArrayBuffer, now: number): Intake {
  if (state.expiresAt <= now) return { kind: "close", code: CloseCode.tokenExpired, reason: "token expired" };
  const parsed = parseClientFrame(message);
  const wait = takeToken(state, now);
  state.seenAt = now;
  if (wait > 0 && state.strikes >= RATE_STRIKES_BEFORE_CLOSE)
    return { kind: "close", code: CloseCode.policy, reason: "rate limit exceeded" };
  const ref = parsed.ok ? (parsed.frame.type === "publish" ? parsed.frame.ref : undefined) : parsed.ref;
  const refused = (error: Omit<ErrorFrame, "v" | "type" | "ref">): Intake => ({
    kind: "refuse",
    frame: { v: 1, type: "error", ...(ref !== undefined ? { ref } : {}), ...error },
  });
  if (wait > 0) {
    return refused({
      code: "rate_limited",
      message: `More than ${ROOM_LIMITS.msgPerSec} frames per second; retry later.`,
      retryAfterMs: wait,
    });
  }
  if (!parsed.ok) return refused({ code: parsed.code, message: parsed.message });
  const frame = parsed.frame;
  if (frame.type !== "hello" && !state.canPublish)
    return refused({ code: "forbidden", message: "Your roles may read this room but not publish in it." });
  return { kind: "take", frame };
}
