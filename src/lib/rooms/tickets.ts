/**
 * WebSocket tickets: a short-lived, single-use pass to open one room's socket, so a browser
 * never has to put its access token in a URL (URLs end up in proxy, CDN and server logs).
 *
 * `POST /v1/rooms/:room/tickets` (with the token) asks the room's object to issue one; the
 * upgrade with `?ticket=` goes to the same object, which takes it out of its SQLite in the same
 * synchronous statement that reads it. One object per room, one thread per object: a ticket
 * opens at most one socket however many isolates present it at once.
 *
 * Wire format: `<tenant, base64url>.<32 random bytes, base64url>`. The tenant part only tells
 * the Worker which object to ask (a room belongs to a tenant); it grants nothing, because the
 * object also checks that the ticket was issued to that tenant. Only a SHA-256 of the secret
 * is stored.
 */

/** Ticket lifetime (never longer than the token it came from). */
export const TICKET_TTL_MS = 30_000;
/** Unused tickets kept per user and room; issuing more drops the oldest. */
export const TICKETS_PER_USER = 16;

const TICKET = /^([A-Za-z0-9_-]{2,700})\.([A-Za-z0-9_-]{43})$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}

export interface ParsedTicket {
  tenant: string;
  secret: string;
}

/** Splits a presented ticket; `undefined` for anything that is not one (never throws). */
export function parseTicket(ticket: string): ParsedTicket | undefined {
  const m = TICKET.exec(ticket);
  if (!m) return undefined;
  const bytes = fromBase64Url(m[1]!);
  if (!bytes) return undefined;
  try {
    const tenant = decoder.decode(bytes);
    return tenant.length > 0 && tenant.length <= 128 ? { tenant, secret: m[2]! } : undefined;
  } catch {
    return undefined;
  }
}

/** A new ticket for `tenant`, and its secret part (the object stores only its hash). */
export function newTicket(tenant: string): { ticket: string; secret: string } {
  const secret = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  return { ticket: `${toBase64Url(encoder.encode(tenant))}.${secret}`, secret };
}

export async function ticketHash(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(secret)));
  return toBase64Url(digest);
}

/** Who a ticket was issued to, as the room stores it until it is used or expires. */
export interface TicketGrant {
  userId: string;
  tenant: string;
  canPublish: boolean;
  /** When the access token the ticket came from expires, ms since the Unix epoch. */
  tokenExpiresAt: number;
}

interface TicketRow {
  room: string;
  tenant: string;
  user_id: string;
  can_publish: number;
  token_expires_at: number;
  expires_at: number;
  [key: string]: SqlStorageValue;
}

/** The tickets of one room, in its object's SQLite. */
export class RoomTickets {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS tickets (
      hash TEXT PRIMARY KEY,
      room TEXT NOT NULL,
      tenant TEXT NOT NULL,
      user_id TEXT NOT NULL,
      can_publish INTEGER NOT NULL,
      token_expires_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    sql.exec("CREATE INDEX IF NOT EXISTS tickets_user ON tickets (tenant, user_id, expires_at)");
  }

  /** Stores a ticket's hash; returns when it expires. Drops expired tickets and a user's oldest beyond the cap. */
  issue(hash: string, room: string, grant: TicketGrant, now: number): number {
    const expiresAt = Math.min(now + TICKET_TTL_MS, grant.tokenExpiresAt);
    this.#sql.exec("DELETE FROM tickets WHERE expires_at <= ?", now);
    this.#sql.exec(
      "INSERT INTO tickets (hash, room, tenant, user_id, can_publish, token_expires_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      hash,
      room,
      grant.tenant,
      grant.userId,
      grant.canPublish ? 1 : 0,
      grant.tokenExpiresAt,
      expiresAt,
    );
    this.#sql.exec(
      `DELETE FROM tickets WHERE tenant = ? AND user_id = ? AND hash NOT IN
         (SELECT hash FROM tickets WHERE tenant = ? AND user_id = ? ORDER BY expires_at DESC LIMIT ?)`,
      grant.tenant,
      grant.userId,
      grant.tenant,
      grant.userId,
      TICKETS_PER_USER,
    );
    return expiresAt;
  }

  /**
   * Takes the ticket out (whatever its state: a presented ticket is spent) and returns its
   * grant if it was issued for this room and tenant and has not expired.
   */
  redeem(hash: string, room: string, tenant: string, now: number): TicketGrant | undefined {
    const row = this.#sql
      .exec<TicketRow>(
        "DELETE FROM tickets WHERE hash = ? RETURNING room, tenant, user_id, can_publish, token_expires_at, expires_at",
        hash,
      )
      .toArray()[0];
    if (!row || row.room !== room || row.tenant !== tenant || row.expires_at <= now || row.token_expires_at <= now)
      return undefined;
    return {
      userId: row.user_id,
      tenant: row.tenant,
      canPublish: row.can_publish === 1,
      tokenExpiresAt: row.token_expires_at,
    };
  }
}
