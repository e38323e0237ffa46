/**
 * Who may open a connection in a room: the identity the Worker verified, or the one a ticket
 * this room issued was issued to (redeemed once, `tickets.ts`). The tickets table is created
 * on first use, so a room that is shown a made-up ticket stores nothing. Moved out of
 * `durable-objects/room.ts`, which passes its SQL storage in.
 */
import type { ConnectRequest, IssuedTicket } from "./api.ts";
import type { ConnectionIdentity } from "./connection.ts";
import { newTicket, RoomTickets, ticketHash, type TicketGrant } from "./tickets.ts";

export class RoomAdmission {
  readonly #sql: SqlStorage;
  /** Created on first use, so a request the room refuses (a made-up ticket) stores nothing. */
  #ticketStore: RoomTickets | undefined;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  get #tickets(): RoomTickets {
    return (this.#ticketStore ??= new RoomTickets(this.#sql));
  }

  /** Whether this object ever issued a ticket (read without creating anything). */
  #hasTickets(): boolean {
    return this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tickets'").toArray().length > 0;
  }

  /** Who connects: the identity the Worker verified, or the one a ticket (redeemed now) was issued to. */
  async identify(connect: ConnectRequest): Promise<ConnectionIdentity | undefined> {
    if (connect.via !== "ticket") {
      return {
        userId: connect.userId,
        tenant: connect.tenant,
        canPublish: connect.canPublish,
        expiresAt: connect.expiresAt,
      };
    }
    // Anyone can present a made-up ticket: refuse it without writing anything.
    const hash = await ticketHash(connect.secret);
    const grant = this.#hasTickets() ? this.#tickets.redeem(hash, connect.room, connect.tenant, Date.now()) : undefined;
    return (
      grant && {
        userId: grant.userId,
        tenant: grant.tenant,
        canPublish: grant.canPublish,
        expiresAt: grant.tokenExpiresAt,
      }
    );
  }

  /** Issues a single-use ticket to open a socket in room `room` (the room adopted it). */
  async issue(room: string, request: TicketGrant): Promise<IssuedTicket> {
    const { ticket, secret } = newTicket(request.tenant);
    const hash = await ticketHash(secret);
    const now = Date.now();
    const expiresAt = this.#tickets.issue(hash, room, request, now);
    return { ticket, expiresIn: Math.max(0, Math.floor((expiresAt - now) / 1000)) };
  }
}
