/**
 * What the rooms tests share: requests through the deployed entry, tokens from the dev issuer
 * (tenant `acme` unless a test says otherwise), and a WebSocket test client that records every
 * frame and waits for the ones a test expects.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { inject } from "vitest";
import { createApp } from "../../src/app.ts";
import { roomObjectName } from "../../src/lib/rooms/policy.ts";
import type { ServerFrame } from "../../src/lib/rooms/protocol.ts";

export const BASE = "https://edge.test";

/** A request through the deployed entry; with `vars`, through the same app with those vars changed. */
export function call(path: string, init?: RequestInit, vars?: Partial<Record<keyof Env, string>>): Promise<Response> {
  const request = new Request(new URL(path, BASE), init);
  if (!vars) return exports.default.fetch(request);
  return Promise.resolve(createApp().fetch(request, { ...env, ...vars }, createExecutionContext()));
}

// ---- tokens --------------------------------------------------------------------------------

const stack = inject("stack");
const devJwk = JSON.parse(inject("devPrivateJwk")) as JWK;
const devKey = (await importJWK(devJwk, "ES256")) as CryptoKey;
export const nowS = () => Math.floor(Date.now() / 1000);
/** The tenant of test users unless a token says otherwise. */
export const TENANT = "acme";
export const roomStub = (room: string, tenant = TENANT) => env.ROOMS.getByName(roomObjectName(room, { tenant }));

export interface TokenOptions {
  claims?: Record<string, unknown>;
  typ?: string;
  ttl?: number;
}

export async function token(sub: string, opts: TokenOptions = {}): Promise<string> {
  const claims = {
    iss: stack.JWT_ISSUER,
    aud: stack.JWT_AUDIENCE,
    sub,
    tenant: TENANT,
    roles: [],
    iat: nowS(),
    exp: nowS() + (opts.ttl ?? 600),
    ...opts.claims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", typ: opts.typ ?? "JWT", kid: devJwk.kid! })
    .sign(devKey);
}
export const auth = async (sub: string, opts?: TokenOptions) => ({ authorization: `Bearer ${await token(sub, opts)}` });

// ---- a WebSocket test client ---------------------------------------------------------------

export type Frame<K extends ServerFrame["type"]> = Extract<ServerFrame, { type: K }>;

export class Client {
  readonly ws: WebSocket;
  readonly protocol: string | null;
  /** Every frame in arrival order; non-JSON text (`pong`) as a string. */
  readonly received: Array<ServerFrame | string> = [];
  readonly frames: ServerFrame[] = [];
  readonly #byType = new Map<string, ServerFrame[]>();
  closed: { code: number; reason: string } | undefined;
  #wake = new Set<() => void>();

  constructor(ws: WebSocket, protocol: string | null) {
    this.ws = ws;
    this.protocol = protocol;
    ws.accept();
    ws.addEventListener("message", (e) => {
      const text = typeof e.data === "string" ? e.data : "";
      if (!text.startsWith("{")) this.received.push(text);
      else {
        const frame = JSON.parse(text) as ServerFrame;
        this.received.push(frame);
        this.frames.push(frame);
        const list = this.#byType.get(frame.type) ?? [];
        list.push(frame);
        this.#byType.set(frame.type, list);
      }
      this.#notify();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.#notify();
    });
  }

  #notify() {
    for (const wake of this.#wake) wake();
  }

  of<K extends ServerFrame["type"]>(type: K): Array<Frame<K>> {
    return (this.#byType.get(type) ?? []) as Array<Frame<K>>;
  }

  msgs() {
    return this.of("msg");
  }

  /** Resolves once `check` returns something; fails after `ms` saying what was awaited. */
  until<T>(what: string, check: () => T | undefined | false, ms = 5_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined || value === false) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.received).slice(-1500)}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        this.#wake.delete(wake);
      };
      const wake = () => void attempt();
      this.#wake.add(wake);
      attempt();
    });
  }

  frame<K extends ServerFrame["type"]>(type: K, match: (f: Frame<K>) => boolean = () => true): Promise<Frame<K>> {
    return this.until(`a ${type} frame`, () => this.of(type).find(match));
  }

  msgCount(n: number, ms?: number): Promise<Array<Frame<"msg">>> {
    return this.until(`${n} msg frames`, () => this.msgs().length >= n && this.msgs().slice(), ms);
  }

  whenClosed(ms?: number) {
    return this.until("the socket to close", () => this.closed, ms);
  }

  send(frame: unknown) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  publish(ref: string | number, data: unknown, extra: Record<string, unknown> = {}) {
    this.send({ v: 1, type: "publish", ref, event: "chat", data, ...extra });
  }

  close() {
    try {
      this.ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }
}

export interface ConnectOptions {
  sub?: string;
  /** Claims of the generated token (`tenant`, `roles`…). */
  claims?: Record<string, unknown>;
  /** The access token, or with `via: "ticket"` the ticket. */
  token?: string;
  after?: string;
  epoch?: string;
  via?: "header" | "query" | "protocol" | "ticket";
  protocols?: string[];
  /** Vars to change for this request (`call`). */
  vars?: Partial<Record<keyof Env, string>>;
}

/** The upgrade request with the credential `t` sent `via` a header (default), the query, a subprotocol or as a ticket. */
export function upgrade(
  room: string,
  t: string,
  opts: Omit<ConnectOptions, "sub" | "token" | "claims"> = {},
): Promise<Response> {
  const query = new URLSearchParams();
  if (opts.after !== undefined) query.set("after", opts.after);
  if (opts.epoch !== undefined) query.set("epoch", opts.epoch);
  const headers: Record<string, string> = { upgrade: "websocket" };
  const via = opts.via ?? "header";
  if (via === "header") headers.authorization = `Bearer ${t}`;
  if (via === "query") query.set("access_token", t);
  if (via === "ticket") query.set("ticket", t);
  const protocols = opts.protocols ?? (via === "protocol" ? ["rooms.v1", `bearer.${t}`] : []);
  if (protocols.length) headers["sec-websocket-protocol"] = protocols.join(", ");
  const qs = query.size ? `?${query.toString()}` : "";
  return call(`/v1/rooms/${room}/ws${qs}`, { headers }, opts.vars);
}

/** Opens a socket and waits for its `welcome`; throws with the answer when it is not a 101. */
export async function connect(room: string, opts: ConnectOptions = {}): Promise<Client> {
  const t = opts.token ?? (await token(opts.sub ?? "alice", opts.claims ? { claims: opts.claims } : {}));
  const res = await upgrade(room, t, opts);
  if (res.status !== 101 || !res.webSocket) throw new Error(`expected 101, got ${res.status}: ${await res.text()}`);
  const client = new Client(res.webSocket, res.headers.get("sec-websocket-protocol"));
  await client.frame("welcome");
  return client;
}

/** `POST /v1/rooms/:room/tickets` with a token for `sub` (tenant `acme` unless `claims` says otherwise). */
export function requestTicket(room: string, sub: string, claims?: Record<string, unknown>): Promise<Response> {
  return token(sub, claims ? { claims } : {}).then((t) =>
    call(`/v1/rooms/${room}/tickets`, { method: "POST", headers: { authorization: `Bearer ${t}` } }),
  );
}

/** A ticket's text, failing the test unless it was issued. */
export async function ticketFor(room: string, sub: string, claims?: Record<string, unknown>): Promise<string> {
  const res = await requestTicket(room, sub, claims);
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { ticket: string }).ticket;
}

export const newRoom = (label = "r") => `${label}-${crypto.randomUUID().slice(0, 8)}`;
export const seqs = (frames: Array<Frame<"msg">>) => frames.map((m) => Number(m.seq));
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries an assertion until it passes (for effects of a close, which the client does not see). */
export async function eventually(assertion: () => Promise<void>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}
