/**
 * WebSocket tickets instead of tokens in URLs: `POST /v1/rooms/:room/tickets` issues a pass
 * that opens one socket, in that room, as that user of that tenant, within 30 s; the upgrade
 * refuses `?access_token=` unless `ROOMS_ALLOW_QUERY_TOKEN=true`. Through the deployed entry
 * against the real Room objects (the ticket lives in the room's SQLite).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Room } from "../../durable-objects/room.ts";
import type { ConnectionState } from "../../src/lib/rooms/connection.ts";
import { parseTicket } from "../../src/lib/rooms/tickets.ts";
import { problemOf } from "./helpers.ts";
import {
  auth,
  call,
  connect,
  newRoom,
  nowS,
  requestTicket,
  roomStub,
  ticketFor,
  token,
  upgrade,
} from "./rooms-client.ts";

const byTicket = (room: string, ticket: string) => upgrade(room, ticket, { via: "ticket" });

async function expectRefused(res: Response, what: string) {
  expect(res.status, what).toBe(401);
  expect(res.webSocket, what).toBeNull();
  expect(res.headers.get("www-authenticate"), what).toBe('Bearer error="invalid_token"');
  expect((await problemOf(res)).detail, what).toBe(
    "A valid ticket is required: tickets are single use, for one room, and expire after 30 s.",
  );
}

describe("issuing", () => {
  it("201 {ticket, expiresIn <= 30}, not cacheable; the socket it opens is the holder's, until their token expires", async () => {
    const room = newRoom();
    const t = await token("tina", { ttl: 600 });
    const res = await call(`/v1/rooms/${room}/tickets`, { method: "POST", headers: { authorization: `Bearer ${t}` } });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { ticket: string; expiresIn: number };
    expect(Object.keys(body).sort()).toEqual(["expiresIn", "ticket"]);
    expect(body.expiresIn).toBeGreaterThan(0);
    expect(body.expiresIn).toBeLessThanOrEqual(30);
    // The ticket names the tenant (to find the room) and nothing of the token.
    expect(parseTicket(body.ticket)?.tenant).toBe("acme");
    expect(body.ticket).not.toContain(t.split(".")[1]!);

    const socket = await connect(room, { via: "ticket", token: body.ticket });
    expect(socket.frames[0]).toMatchObject({ type: "welcome", presence: [{ userId: "tina", connections: 1 }] });
    socket.publish(1, "via ticket");
    expect(await socket.frame("msg")).toMatchObject({ from: { userId: "tina" }, data: "via ticket" });
    const exp = JSON.parse(atob(t.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/"))).exp as number;
    await runInDurableObject(roomStub(room), (_room: Room, state) => {
      const [ws] = state.getWebSockets();
      expect((ws!.deserializeAttachment() as ConnectionState).expiresAt).toBe(exp * 1000);
      // Only a hash is stored, and the used ticket is gone.
      expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM tickets").one().n).toBe(0);
    });
    socket.close();
  });

  it("a ticket never outlives the token it came from", async () => {
    const room = newRoom();
    const headers = { authorization: `Bearer ${await token("brief", { ttl: 8 })}` };
    const body = (await (await call(`/v1/rooms/${room}/tickets`, { method: "POST", headers })).json()) as {
      expiresIn: number;
    };
    expect(body.expiresIn).toBeLessThanOrEqual(8);
  });

  it("needs a valid token: none, expired or garbage → 401", async () => {
    const room = newRoom();
    const expired = await token("old", { claims: { exp: nowS() - 120, iat: nowS() - 600 } });
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${expired}` },
      { authorization: "Bearer x.y.z" },
    ];
    for (const headers of attempts) {
      const res = await call(`/v1/rooms/${room}/tickets`, { method: "POST", headers });
      expect(res.status).toBe(401);
      await problemOf(res);
    }
  });
});

describe("redeeming", () => {
  it("single use: the second upgrade with the same ticket is 401", async () => {
    const room = newRoom();
    const ticket = await ticketFor(room, "uma");
    const first = await connect(room, { via: "ticket", token: ticket });
    await expectRefused(await byTicket(room, ticket), "reused");
    first.close();
  });

  it("single use under a race: ten upgrades with one ticket at once open exactly one socket", async () => {
    const room = newRoom();
    const ticket = await ticketFor(room, "rita");
    const answers = await Promise.all(Array.from({ length: 10 }, () => byTicket(room, ticket)));
    expect(answers.map((r) => r.status).sort()).toEqual([101, ...Array<number>(9).fill(401)]);
    for (const r of answers) {
      if (r.webSocket) {
        r.webSocket.accept();
        r.webSocket.close(1000, "bye");
      } else await r.body?.cancel();
    }
  });

  it("an expired ticket is 401 (and spent)", async () => {
    const room = newRoom();
    const ticket = await ticketFor(room, "ed");
    // 30 s pass for this ticket.
    await runInDurableObject(roomStub(room), (_room: Room, state) => {
      state.storage.sql.exec("UPDATE tickets SET expires_at = ?", Date.now() - 1);
    });
    await expectRefused(await byTicket(room, ticket), "expired");
    await runInDurableObject(roomStub(room), (_room: Room, state) => {
      expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM tickets").one().n).toBe(0);
    });
  });

  it("a ticket for another room is 401, and still opens its own room", async () => {
    const room = newRoom();
    const other = newRoom();
    const ticket = await ticketFor(room, "wanda");
    await expectRefused(await byTicket(other, ticket), "wrong room");
    const own = await connect(room, { via: "ticket", token: ticket });
    own.close();
  });

  it("a ticket of another tenant's user opens that tenant's room only: rewriting the tenant part is 401", async () => {
    const room = newRoom();
    const ticket = await ticketFor(room, "gus", { tenant: "globex" });
    const secret = ticket.split(".")[1]!;
    for (const tenant of ["acme", "globex2", "x"]) {
      const forged = `${btoa(tenant).replaceAll("=", "")}.${secret}`;
      await expectRefused(await byTicket(room, forged), `tenant ${tenant}`);
    }
    const own = await connect(room, { via: "ticket", token: ticket });
    expect(own.frames[0]).toMatchObject({ presence: [{ userId: "gus", connections: 1 }] });
    own.close();
  });

  it("anything that is not a ticket is 401 (or 400 when over 1 KiB), never a socket or a 500", async () => {
    const room = newRoom();
    const made = `${btoa("acme").replaceAll("=", "")}.${"A".repeat(43)}`;
    for (const bad of [
      "",
      "x",
      "a.b",
      made,
      `${made}.extra`,
      `%%%.${"A".repeat(43)}`,
      `_w.${"A".repeat(43)}`,
      `${"A".repeat(44)}.${"A".repeat(43)}`,
    ]) {
      await expectRefused(await byTicket(room, bad), JSON.stringify(bad));
    }
    const huge = await byTicket(room, "A".repeat(2_000));
    expect(huge.status).toBe(400);
    await problemOf(huge);
    // Made-up tickets for a room nobody used leave nothing stored in its object.
    await runInDurableObject(roomStub(room), (_room: Room, state) => {
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master").toArray()).toEqual([]);
    });
  });

  it("the ticket decides who connects: a token sent alongside does not change it", async () => {
    const room = newRoom();
    const ticket = await ticketFor(room, "tess");
    const res = await call(`/v1/rooms/${room}/ws?ticket=${ticket}`, {
      headers: { upgrade: "websocket", authorization: `Bearer ${await token("mallory")}` },
    });
    expect(res.status).toBe(101);
    // Who the ticket let in goes to the log line, not to the client.
    expect(res.headers.get("x-room-user")).toBeNull();
    res.webSocket!.accept();
    const welcome = await new Promise<{ presence: unknown }>((resolve) =>
      res.webSocket!.addEventListener("message", (e) => resolve(JSON.parse(e.data as string))),
    );
    expect(welcome.presence).toEqual([{ userId: "tess", connections: 1 }]);
    res.webSocket!.close(1000, "bye");
  });
});

describe("?access_token=", () => {
  it("is refused by default with 400 saying to use a ticket, before the token is even checked", async () => {
    const room = newRoom();
    for (const t of [await token("quinn"), "not.a.token"]) {
      const res = await upgrade(room, t, { via: "query" });
      expect(res.status).toBe(400);
      expect(res.webSocket).toBeNull();
      expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_request"');
      expect((await problemOf(res)).detail).toMatch(
        /^Access tokens in the URL are refused \(URLs end up in logs\)\. Get a ticket/,
      );
    }
    // Even next to a valid header token: a token in the URL is never silently accepted.
    const both = await call(`/v1/rooms/${room}/ws?access_token=${await token("quinn")}`, {
      headers: { upgrade: "websocket", ...(await auth("quinn")) },
    });
    expect(both.status).toBe(400);
    await both.body?.cancel();
    const withTicket = await call(
      `/v1/rooms/${room}/ws?ticket=${await ticketFor(room, "quinn")}&access_token=${await token("quinn")}`,
      {
        headers: { upgrade: "websocket" },
      },
    );
    expect(withTicket.status).toBe(400);
    await withTicket.body?.cancel();
    const explicit = await upgrade(room, await token("quinn"), {
      via: "query",
      vars: { ROOMS_ALLOW_QUERY_TOKEN: "false" },
    });
    expect(explicit.status).toBe(400);
    await explicit.body?.cancel();
  });

  it("is accepted with ROOMS_ALLOW_QUERY_TOKEN=true (and still verified)", async () => {
    const room = newRoom();
    const vars = { ROOMS_ALLOW_QUERY_TOKEN: "true" };
    const socket = await connect(room, { sub: "quinn", via: "query", vars });
    expect(socket.frames[0]).toMatchObject({ type: "welcome", presence: [{ userId: "quinn", connections: 1 }] });
    socket.close();
    const bad = await upgrade(room, "not.a.token", { via: "query", vars });
    expect(bad.status).toBe(401);
    await bad.body?.cancel();
  });

  it("the page-facing flow works end to end: token in a header for the ticket, ticket in the URL", async () => {
    const room = newRoom();
    const res = await requestTicket(room, "pat");
    const { ticket } = (await res.json()) as { ticket: string };
    const socket = await connect(room, { via: "ticket", token: ticket, protocols: ["rooms.v1"] });
    expect(socket.protocol).toBe("rooms.v1");
    socket.close();
  });
});
