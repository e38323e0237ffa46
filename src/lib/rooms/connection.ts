/**
 * What a room keeps per connection, in the socket's serialized attachment (so it survives
 * hibernation and eviction): who it is, when its token expires, its rate-limit bucket and when
 * it was last heard from. Attachments are limited to 2 KiB; this stays far below (`userId` is
 * at most 256 characters, `tenant` 128).
 */
import { RATE_BURST, ROOM_LIMITS } from "./protocol.ts";

export interface ConnectionState {
  userId: string;
  tenant: string;
  /** The room's policy let this user publish when the connection opened. */
  canPublish: boolean;
  connId: string;
  /** Token expiry, ms since the Unix epoch. */
  expiresAt: number;
  /** Head seq when the connection was welcomed: a later `hello` replays up to here. */
  startSeq: number;
  /** Whether a resume (URL `after` or `hello`) already happened; only one is honoured. */
  resumed: boolean;
  /** Token bucket: tokens left and when they were counted. */
  tokens: number;
  countedAt: number;
  /** Frames refused in a row for the rate; many in a row close the connection. */
  strikes: number;
  /** Last frame from the client, ms (auto-answered pings are tracked by the runtime). */
  seenAt: number;
  /** Set when the server closed the connection and already announced the leave. */
  closed?: boolean;
}

/** The state a socket carries, or null for a socket that has none (yet). */
export function attachmentOf(ws: WebSocket): ConnectionState | null {
  return ws.deserializeAttachment() as ConnectionState | null;
}

export interface ConnectionIdentity {
  userId: string;
  tenant: string;
  canPublish: boolean;
  expiresAt: number;
}

export function newConnection(
  { userId, tenant, canPublish, expiresAt }: ConnectionIdentity,
  startSeq: number,
  now: number,
): ConnectionState {
  return {
    userId,
    tenant,
    canPublish,
    connId: crypto.randomUUID(),
    expiresAt,
    startSeq,
    resumed: false,
    tokens: RATE_BURST,
    countedAt: now,
    strikes: 0,
    seenAt: now,
  };
}

/**
 * Takes one token from the connection's bucket (refilled at `msgPerSec`, capped at the burst).
 * Returns 0 when the frame may go, otherwise the ms until a token is back.
 */
export function takeToken(state: ConnectionState, now: number, perSecond: number = ROOM_LIMITS.msgPerSec): number {
  const elapsed = Math.max(0, now - state.countedAt);
  state.tokens = Math.min(RATE_BURST, state.tokens + (elapsed * perSecond) / 1000);
  state.countedAt = now;
  if (state.tokens >= 1) {
    state.tokens -= 1;
    state.strikes = 0;
    return 0;
  }
  state.strikes += 1;
  return Math.max(1, Math.ceil(((1 - state.tokens) * 1000) / perSecond));
}
