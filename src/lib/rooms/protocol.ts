/**
 * The rooms WebSocket protocol (README, "Live rooms"): the frames both
 * sides send, the limits the server enforces and announces in `welcome`, and the parser for
 * client frames. Shared by the `Room` Durable Object, the `/v1/rooms/*` routes and the bench;
 * it imports nothing from either. The people in frames (`Person`, `Member`, `Sender`) are zod
 * schemas, because the HTTP API (`api.ts`) shows them too.
 */
import { z } from "@hono/zod-openapi";

export const PROTOCOL_VERSION = 1;

/** Room names, as in the URL: anything else is a 400 before any object is touched. */
export const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A `seq` on the wire: a decimal string of a non-negative integer (at most 2^53 − 1). */
export const SEQ = /^(0|[1-9]\d{0,14})$/;
/** An epoch as created by the room (`crypto.randomUUID()` without dashes) or any short id. */
export const EPOCH = /^[A-Za-z0-9_-]{1,64}$/;
/** Event names: short identifiers such as `chat`, `chat.edit`, `cursor:move`. */
export const EVENT_NAME = /^[A-Za-z0-9_.:/-]{1,64}$/;
/** A client's idempotency key for a publish (a UUID fits). */
export const CLIENT_MSG_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_REF_LENGTH = 64;

/** What `welcome.limits` announces; enforced per connection. */
export const ROOM_LIMITS = {
  /** Largest client frame, in UTF-8 bytes of the raw frame (checked before JSON.parse). */
  maxBytes: 16 * 1024,
  /** Sustained frames per second per connection (a token bucket). */
  msgPerSec: 20,
} as const;

/** Frames a connection may send at once before the sustained rate applies. */
export const RATE_BURST = 40;
/** Consecutive refused frames after which the connection is closed with 1008. */
export const RATE_STRIKES_BEFORE_CLOSE = 200;

/** A `clientMsgId` seen again from the same user within 10 minutes is a duplicate. */
export const DEDUPE_WINDOW_MS = 10 * 60 * 1000;
/**
 * A connection with no traffic at all (frames or `ping`) for this long is presumed dead: it is
 * closed and leaves presence. Clients send the text `ping` every 20 s (answered `pong` without
 * waking the room).
 */
export const IDLE_TIMEOUT_MS = 60_000;
export const PING_INTERVAL_MS = 20_000;
/**
 * Presence changes within this long of the last `presence` frame are sent together, as one net
 * frame, when the window ends (a join storm of N users costs a few frames, not N per client).
 */
export const PRESENCE_BATCH_MS = 200;
/**
 * In a room with more people than `rooms.presenceListAbove`, `welcome` and `presence` frames
 * name at most this many people (and carry counts): a sample, not the list.
 */
export const PRESENCE_SAMPLE = 20;
/**
 * A resume replays at most this many bytes of frames; a larger gap gets `reset` with reason
 * `too_far_behind` (page the rest from `GET /v1/rooms/:room/messages?after=`).
 */
export const REPLAY_MAX_BYTES = 4 * 1024 * 1024;
/** Largest page of `GET /v1/rooms/:room/messages`. */
export const HISTORY_PAGE_MAX = 500;

/** Offer this subprotocol next to `bearer.<token>`; the server then echoes it, not the token. */
export const ROOMS_SUBPROTOCOL = "rooms.v1";
export const BEARER_SUBPROTOCOL_PREFIX = "bearer.";

/** WebSocket close codes the server uses. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  tokenExpired: 4001,
} as const;

export type Seq = string;

const PersonSchema = z.object({
  userId: z.string(),
  tenant: z.string().optional().openapi({ description: "Only in rooms shared across tenants: the person's tenant" }),
});
/** A user in a room; `tenant` only in rooms shared across tenants, where the same id may be two people. */
export type Person = z.infer<typeof PersonSchema>;

export const MemberSchema = PersonSchema.extend({ connections: z.int() }).openapi("RoomMember");
export type Member = z.infer<typeof MemberSchema>;

/** `connId` is `null` for messages published over HTTP. */
export const SenderSchema = PersonSchema.extend({
  connId: z.string().nullable().openapi({ description: "null for HTTP publishes" }),
});
export type Sender = z.infer<typeof SenderSchema>;

/** `forbidden`: the room's policy does not let this connection publish (it may still read). */
/** `token_expired`: the last event of an event stream whose token expired (a socket is closed with 4001 instead). */
export type ErrorCode = "bad_frame" | "too_big" | "rate_limited" | "forbidden" | "token_expired" | "internal";
export type ResetReason = "trimmed" | "epoch_changed" | "ahead" | "too_far_behind";

export interface WelcomeFrame {
  v: 1;
  type: "welcome";
  connId: string;
  room: string;
  epoch: string;
  headSeq: Seq;
  /** True when `after` was given and everything after it follows (before any live message). */
  resumed: boolean;
  /** Everyone present; above `rooms.presenceListAbove` people, a sample of `PRESENCE_SAMPLE` (and `online` says how many). */
  presence: Member[];
  /** Only in a room above `rooms.presenceListAbove` people: how many are present. */
  online?: number;
  limits: { maxBytes: number; msgPerSec: number };
  /** Only on a connection that opted in (`?batch=1`): it may get `batch` frames. */
  batch?: true;
  /** Only on a socket a big room placed on one of its shards: which one (for load figures; nothing else changes). */
  shard?: number;
}

/** A stored message as sent live, in a replay and (without `v`, `type`, `room`, `epoch`) by the history API. */
export interface MsgFrame {
  v: 1;
  type: "msg";
  room: string;
  epoch: string;
  seq: Seq;
  id: string;
  clientMsgId?: string;
  from: Sender;
  event: string;
  /** Server time of the publish, ms since the Unix epoch. */
  ts: number;
  data: unknown;
}

export interface AckFrame {
  v: 1;
  type: "ack";
  ref?: string | number;
  seq: Seq;
  id: string;
  dup?: true;
}

export interface ErrorFrame {
  v: 1;
  type: "error";
  ref?: string | number;
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

export interface PresenceFrame {
  v: 1;
  type: "presence";
  /** Who arrived and left; above `rooms.presenceListAbove` people, a sample of at most `PRESENCE_SAMPLE` each. */
  joins: Person[];
  leaves: Person[];
  /** Only above `rooms.presenceListAbove` people: how many are present now, and how many arrived and left in all. */
  online?: number;
  joined?: number;
  left?: number;
}

export interface ResetFrame {
  v: 1;
  type: "reset";
  reason: ResetReason;
  headSeq: Seq;
}

/** An `ephemeral` relayed to the other connections: not stored, no seq. */
export interface EphemeralFrame {
  v: 1;
  type: "ephemeral";
  room: string;
  from: Sender;
  event: string;
  ts: number;
  data: unknown;
}

/**
 * Only to connections that opted in (`?batch=1` or `hello` with `batch: true`): the `msg` and
 * `ephemeral` frames that became due within one batch window, in order, as they would have
 * come one by one. A lone frame still comes on its own.
 */
export interface BatchFrame {
  v: 1;
  type: "batch";
  messages: Array<MsgFrame | EphemeralFrame>;
}

export type ServerFrame =
  | WelcomeFrame
  | MsgFrame
  | AckFrame
  | ErrorFrame
  | PresenceFrame
  | ResetFrame
  | EphemeralFrame
  | BatchFrame;

export interface HelloRequest {
  type: "hello";
  after?: Seq;
  epoch?: string;
  /** Opt in to `batch` frames from now on. */
  batch?: boolean;
}

export interface PublishRequest {
  type: "publish";
  ref?: string | number;
  clientMsgId?: string;
  event: string;
  data: unknown;
}

export interface EphemeralRequest {
  type: "ephemeral";
  event: string;
  data: unknown;
}

export type ClientFrame = HelloRequest | PublishRequest | EphemeralRequest;

export type ParsedFrame =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: "bad_frame" | "too_big"; message: string; ref?: string | number };

const encoder = new TextEncoder();

/** Whether `text` is over `maxBytes` in UTF-8, encoding only when the UTF-16 length leaves it in doubt. */
export function exceedsBytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return encoder.encode(text).byteLength > maxBytes;
}

function isRef(value: unknown): value is string | number {
  return (
    (typeof value === "string" && value.length <= MAX_REF_LENGTH) ||
    (typeof value === "number" && Number.isSafeInteger(value))
  );
}

/**
 * Parses one client frame. The size is checked on the raw frame first, so an oversized frame
 * costs no parsing; binary frames are refused (the protocol is JSON text).
 */
export function parseClientFrame(raw: string | ArrayBuffer, maxBytes: number = ROOM_LIMITS.maxBytes): ParsedFrame {
  const tooBig = typeof raw === "string" ? exceedsBytes(raw, maxBytes) : raw.byteLength > maxBytes;
  if (tooBig) return { ok: false, code: "too_big", message: `Frames are limited to ${maxBytes} bytes.` };
  if (typeof raw !== "string")
    return { ok: false, code: "bad_frame", message: "Frames are JSON text; binary frames are not accepted." };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, code: "bad_frame", message: "The frame is not valid JSON." };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, code: "bad_frame", message: "A frame is a JSON object with v and type." };
  }
  const f = value as Record<string, unknown>;
  const ref = isRef(f.ref) ? f.ref : undefined;
  const bad = (message: string): ParsedFrame => ({
    ok: false,
    code: "bad_frame",
    message,
    ...(ref !== undefined ? { ref } : {}),
  });
  if (f.v !== PROTOCOL_VERSION) return bad(`Unsupported protocol version; send "v":${PROTOCOL_VERSION}.`);
  switch (f.type) {
    case "publish": {
      if (f.ref !== undefined && ref === undefined)
        return bad(`ref must be a string of at most ${MAX_REF_LENGTH} characters or an integer.`);
      if (typeof f.event !== "string" || !EVENT_NAME.test(f.event))
        return bad("event must match ^[A-Za-z0-9_.:/-]{1,64}$.");
      if (f.clientMsgId !== undefined && (typeof f.clientMsgId !== "string" || !CLIENT_MSG_ID.test(f.clientMsgId))) {
        return bad("clientMsgId must match ^[A-Za-z0-9_.:-]{1,128}$.");
      }
      return {
        ok: true,
        frame: {
          type: "publish",
          event: f.event,
          data: f.data ?? null,
          ...(ref !== undefined ? { ref } : {}),
          ...(typeof f.clientMsgId === "string" ? { clientMsgId: f.clientMsgId } : {}),
        },
      };
    }
    case "ephemeral": {
      if (typeof f.event !== "string" || !EVENT_NAME.test(f.event))
        return bad("event must match ^[A-Za-z0-9_.:/-]{1,64}$.");
      return { ok: true, frame: { type: "ephemeral", event: f.event, data: f.data ?? null } };
    }
    case "hello": {
      if (f.after !== undefined && (typeof f.after !== "string" || !SEQ.test(f.after)))
        return bad('after must be a seq string such as "42".');
      if (f.epoch !== undefined && (typeof f.epoch !== "string" || !EPOCH.test(f.epoch)))
        return bad("epoch must be the epoch from welcome.");
      if (f.batch !== undefined && typeof f.batch !== "boolean") return bad("batch must be true or false.");
      return {
        ok: true,
        frame: {
          type: "hello",
          ...(typeof f.after === "string" ? { after: f.after } : {}),
          ...(typeof f.epoch === "string" ? { epoch: f.epoch } : {}),
          ...(typeof f.batch === "boolean" ? { batch: f.batch } : {}),
        },
      };
    }
    default:
      return bad("type must be one of publish, ephemeral, hello.");
  }
}

/** The `batch` frame for frames already encoded (each a `msg` or `ephemeral` frame's text). */
export function encodeBatch(texts: readonly string[]): string {
  return `{"v":1,"type":"batch","messages":[${texts.join(",")}]}`;
}

/** A server frame as text. */
export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** The bearer token offered as a `bearer.<token>` subprotocol, and the protocol to echo in the 101. */
export function subprotocolAuth(header: string | null | undefined): { token?: string; accept?: string } {
  if (!header) return {};
  const offered = header
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const bearer = offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  const token = bearer?.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  // The spec requires the 101 to name one offered protocol; prefer the one that is not a secret.
  const accept = offered.includes(ROOMS_SUBPROTOCOL) ? ROOMS_SUBPROTOCOL : bearer;
  return { ...(token ? { token } : {}), ...(accept ? { accept } : {}) };
}
