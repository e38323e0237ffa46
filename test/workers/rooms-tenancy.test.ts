/**
 * Rooms belong to tenants (OWASP API1, broken object-level authorization): the same room name
 * in two tenants is two rooms, on every path (history, info and presence, sockets, HTTP
 * publish, tickets); edge-config policies limit reading and publishing to roles and share a
 * room across tenants on purpose. Everything runs through the deployed entry against the real
 * Room and EdgeConfig objects.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { edgeConfigSchema } from "../../src/lib/config/schema.ts";
import { roomAccess, roomObjectName, roomPolicyFor, type RoomPolicy } from "../../src/lib/rooms/policy.ts";
import { bearer, problemOf, worker } from "./helpers.ts";
import { auth, call, connect, newRoom, requestTicket, ticketFor, type TokenOptions } from "./rooms-client.ts";

const acme = (roles: string[] = []) => ({ tenant: "acme", roles });
const globex = (roles: string[] = []) => ({ tenant: "globex", roles });

function get(path: string, sub: string, claims: Record<string, unknown>) {
  return auth(sub, { claims }).then((headers) => call(path, { headers }));
}

function post(room: string, sub: string, claims: Record<string, unknown>, body: unknown) {
  return auth(sub, { claims }).then((headers) =>
    call(`/v1/rooms/${room}/messages`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

interface HistoryBody {
  headSeq: string;
  messages: Array<{ seq: string; data: unknown; from: { userId: string; tenant?: string; connId: string | null } }>;
}
interface InfoBody {
  room: string;
  shared: boolean;
  canPublish: boolean;
  online: number;
  members: Array<{ userId: string; tenant?: string; connections: number }>;
  headSeq: string;
}

/** Replaces `rooms.policies` in the live edge config (read, modify, write with If-Match; retried on a race). */
async function setRoomPolicies(policies: unknown[]): Promise<Response> {
  const authorization = await bearer("rooms-admin", ["admin"]);
  for (let attempt = 0; ; attempt++) {
    const current = await worker("/v1/admin/config", { headers: { authorization } });
    const { config } = (await current.json()) as { config: Record<string, unknown> };
    const res = await worker("/v1/admin/config", {
      method: "PUT",
      headers: { authorization, "content-type": "application/json", "if-match": current.headers.get("etag")! },
      body: JSON.stringify({ ...config, rooms: { policies } }),
    });
    if (res.status !== 412 || attempt > 5) return res;
  }
}

describe("policy resolution", () => {
  const policies = edgeConfigSchema.parse({
    rooms: {
      policies: [
        { match: "*", read: ["member"] },
        { match: "team-*", publish: ["editor"] },
        { match: "team-ops-*", read: ["ops"] },
        { match: "team-ops-lobby", shared: true },
      ],
    },
  }).rooms.policies;

  it("the exact name wins, then the longest prefix, whatever the order in the list", () => {
    expect(roomPolicyFor(policies, "team-ops-lobby")?.match).toBe("team-ops-lobby");
    expect(roomPolicyFor(policies, "team-ops-1")?.match).toBe("team-ops-*");
    expect(roomPolicyFor(policies, "team-1")?.match).toBe("team-*");
    expect(roomPolicyFor(policies, "other")?.match).toBe("*");
    expect(roomPolicyFor([...policies].reverse(), "team-ops-1")?.match).toBe("team-ops-*");
    expect(roomPolicyFor([], "anything")).toBeUndefined();
    // Patterns are plain text: a `.` or `^` in a room name is never a wildcard.
    const parsed = edgeConfigSchema.safeParse({ rooms: { policies: [{ match: "a.*" }] } });
    expect(parsed.success).toBe(false);
  });

  it("roles: absent lets everyone in, a list needs one of them; publishing needs read too", () => {
    const none: RoomPolicy[] = [];
    expect(roomAccess(none, "r", acme())).toMatchObject({ read: true, publish: true, shared: false });
    expect(roomAccess(policies, "other", acme())).toMatchObject({ read: false, publish: false });
    expect(roomAccess(policies, "other", acme(["member"]))).toMatchObject({ read: true, publish: true });
    expect(roomAccess(policies, "team-1", acme())).toMatchObject({ read: true, publish: false });
    expect(roomAccess(policies, "team-1", acme(["editor"]))).toMatchObject({ read: true, publish: true });
    const writeOnly = [{ match: "drop", read: ["reader"], publish: ["writer"], shared: false }];
    expect(roomAccess(writeOnly, "drop", acme(["writer"]))).toMatchObject({ read: false, publish: false });
  });

  it("object names: per tenant unless shared, and no tenant and room can pose as another pair", () => {
    expect(roomAccess([], "board-1", acme()).objectName).not.toBe(roomAccess([], "board-1", globex()).objectName);
    expect(roomAccess(policies, "team-ops-lobby", acme(["ops"])).objectName).toBe(
      roomAccess(policies, "team-ops-lobby", globex(["ops"])).objectName,
    );
    // Tokens without a tenant claim (tenant = sub) meet again under one catch-all shared policy.
    const everyoneShares = edgeConfigSchema.parse({ rooms: { policies: [{ match: "*", shared: true }] } }).rooms
      .policies;
    expect(roomAccess(everyoneShares, "demo", { tenant: "alice", roles: [] }).objectName).toBe(
      roomAccess(everyoneShares, "demo", { tenant: "bob", roles: [] }).objectName,
    );
    const names = new Set([
      roomObjectName("b", { tenant: "a" }),
      roomObjectName("a", { tenant: "b" }),
      roomObjectName("b", { tenant: 'a","b' }),
      roomObjectName('a","b', { tenant: "x" }),
      roomObjectName("b", { shared: true }),
      roomObjectName("b", { tenant: "shared" }),
      "b",
    ]);
    expect(names.size).toBe(7);
  });
});

describe("a room name in two tenants is two rooms", () => {
  it("the finding: acme posts in board-1; globex's history, info and socket show none of it", async () => {
    const room = newRoom("board");
    const acmeAlice = await connect(room, { sub: "alice", claims: acme() });
    const posted = await post(room, "alice", acme(), { event: "chat", data: { text: "acme secret" } });
    expect(posted.status).toBe(201);
    await acmeAlice.msgCount(1);

    const history = await get(`/v1/rooms/${room}/messages?after=0`, "mallory", globex());
    expect(history.status).toBe(200);
    const page = (await history.json()) as HistoryBody;
    expect(page.messages).toEqual([]);
    expect(page.headSeq).toBe("0");
    const latest = (await (await get(`/v1/rooms/${room}/messages`, "mallory", globex())).json()) as HistoryBody;
    expect(latest.messages).toEqual([]);

    const info = (await (await get(`/v1/rooms/${room}`, "mallory", globex())).json()) as InfoBody;
    expect(info).toMatchObject({ room, shared: false, online: 0, members: [], headSeq: "0" });

    // A globex socket replaying from 0 gets nothing of acme's; acme's next message does not reach it.
    const mallory = await connect(room, { sub: "mallory", claims: globex(), after: "0" });
    expect(mallory.frames[0]).toMatchObject({
      type: "welcome",
      headSeq: "0",
      presence: [{ userId: "mallory", connections: 1 }],
    });
    acmeAlice.publish("a2", { text: "acme again" });
    await acmeAlice.msgCount(2);
    // Everything acme's room sends went out in the publish turn; globex's own message comes after it.
    const own = await post(room, "mallory", globex(), { event: "chat", data: "globex" });
    expect(own.status).toBe(201);
    expect(((await own.json()) as { seq: string }).seq).toBe("1");
    const got = await mallory.msgCount(1);
    expect(got.map((m) => m.data)).toEqual(["globex"]);
    expect(mallory.of("presence")).toEqual([]);
    // And acme saw neither globex's user nor its message.
    expect(acmeAlice.msgs().map((m) => m.data)).toEqual([{ text: "acme secret" }, { text: "acme again" }]);
    expect(acmeAlice.of("presence")).toEqual([]);

    const acmeInfo = (await (await get(`/v1/rooms/${room}`, "alice", acme())).json()) as InfoBody;
    expect(acmeInfo).toMatchObject({ online: 1, members: [{ userId: "alice", connections: 1 }], headSeq: "2" });
    acmeAlice.close();
    mallory.close();
  });

  it("a burst of first requests from two tenants on a cold room name stays apart: each gets exactly its own messages", async () => {
    const room = newRoom("burst");
    const tenants = ["acme", "globex"] as const;
    const calls = tenants.flatMap((tenant) =>
      Array.from({ length: 15 }, (_, i) =>
        post(room, `u${i}`, { tenant, roles: [] }, { event: "chat", data: `${tenant}-${i}` }),
      ),
    );
    const tickets = tenants.map((tenant) => requestTicket(room, "t", { tenant }));
    const answers = await Promise.all([...calls, ...tickets]);
    expect(answers.slice(0, 30).map((r) => r.status)).toEqual(Array<number>(30).fill(201));
    expect(answers.slice(30).map((r) => r.status)).toEqual([201, 201]);
    for (const tenant of tenants) {
      const page = (await (
        await get(`/v1/rooms/${room}/messages?after=0`, "reader", { tenant })
      ).json()) as HistoryBody;
      expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 15 }, (_, i) => String(i + 1)));
      expect(page.messages.map((m) => m.data as string).sort()).toEqual(
        Array.from({ length: 15 }, (_, i) => `${tenant}-${i}`).sort(),
      );
    }
  });

  it("the same user id in two tenants is two people: presence, and clientMsgId dedupe, stay apart", async () => {
    const room = newRoom("board");
    const a = await connect(room, { sub: "sam", claims: acme() });
    const g = await connect(room, { sub: "sam", claims: globex() });
    expect(g.frames[0]).toMatchObject({ type: "welcome", presence: [{ userId: "sam", connections: 1 }] });
    const first = await post(room, "sam", acme(), { event: "chat", data: 1, clientMsgId: "same-id" });
    const second = await post(room, "sam", globex(), { event: "chat", data: 2, clientMsgId: "same-id" });
    // Not a duplicate of acme's message: a new one, first in globex's room.
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(await second.json()).toMatchObject({ seq: "1" });
    expect((await g.msgCount(1)).map((m) => m.data)).toEqual([2]);
    expect((await a.msgCount(1)).map((m) => m.data)).toEqual([1]);
    a.close();
    g.close();
  });

  it("a ticket opens the socket of the holder's tenant's room, and a ticket rewritten to another tenant opens nothing", async () => {
    const room = newRoom("board");
    expect((await post(room, "alice", acme(), { event: "chat", data: "acme only" })).status).toBe(201);
    const ticket = await ticketFor(room, "mallory", globex());
    const viaTicket = await connect(room, { via: "ticket", token: ticket, after: "0" });
    expect(viaTicket.frames[0]).toMatchObject({
      type: "welcome",
      headSeq: "0",
      presence: [{ userId: "mallory", connections: 1 }],
    });
    expect(viaTicket.msgs()).toEqual([]);
    viaTicket.close();

    // Same secret, the tenant part swapped for acme's: acme's room never issued it.
    const fresh = await ticketFor(room, "mallory", globex());
    const forged = `${btoa("acme").replace(/=+$/, "")}.${fresh.split(".")[1]}`;
    const res = await call(`/v1/rooms/${room}/ws?ticket=${forged}`, { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(401);
    expect(res.webSocket).toBeNull();
    expect((await problemOf(res)).type).toMatch(/invalid-token$/);
    const acmeInfo = (await (await get(`/v1/rooms/${room}`, "alice", acme())).json()) as InfoBody;
    expect(acmeInfo.online).toBe(0);
  });
});

describe.sequential("room policies from the edge config", () => {
  // Unique prefixes: other test files may share the config object.
  const run = crypto.randomUUID().slice(0, 8);
  const announcements = `${run}-ann`;
  const staff = `${run}-staff`;
  const lobby = `${run}-lobby`;
  const viewer = (tenant = "acme"): TokenOptions["claims"] => ({ tenant, roles: [] });
  const editor = (tenant = "acme"): TokenOptions["claims"] => ({ tenant, roles: ["editor"] });

  beforeAll(async () => {
    const res = await setRoomPolicies([
      { match: `${announcements}-*`, publish: ["editor"], note: "everyone reads, editors post" },
      { match: `${staff}-*`, read: ["staff"] },
      { match: lobby, shared: true },
    ]);
    expect(res.status).toBe(200);
  });

  it("a read-only role reads and joins, and is refused publishing over HTTP (403) and on the socket (error forbidden)", async () => {
    const room = `${announcements}-1`;
    const watcher = await connect(room, { sub: "vic", claims: viewer() });
    const info = (await (await get(`/v1/rooms/${room}`, "vic", viewer()!)).json()) as InfoBody;
    expect(info).toMatchObject({ canPublish: false, shared: false });

    const refused = await post(room, "vic", viewer()!, { event: "chat", data: "let me in" });
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).detail).toBe("Your roles may read this room but not publish in it.");

    watcher.publish("p1", "from the socket");
    expect(await watcher.frame("error")).toEqual({
      v: 1,
      type: "error",
      ref: "p1",
      code: "forbidden",
      message: "Your roles may read this room but not publish in it.",
    });
    watcher.send({ v: 1, type: "ephemeral", event: "typing", data: true });
    await watcher.until("a second forbidden", () => watcher.of("error").length === 2);

    // A ticket carries the same rights: read yes, publish no.
    const ticket = await ticketFor(room, "vic", viewer());
    const viaTicket = await connect(room, { via: "ticket", token: ticket });
    viaTicket.publish("p2", "via ticket");
    expect(await viaTicket.frame("error")).toMatchObject({ ref: "p2", code: "forbidden" });

    // An editor publishes; the read-only sockets receive it, and nothing of theirs was stored.
    const ok = await post(room, "eda", editor()!, { event: "chat", data: "announcement" });
    expect(ok.status).toBe(201);
    expect((await watcher.msgCount(1)).map((m) => m.data)).toEqual(["announcement"]);
    expect((await viaTicket.msgCount(1)).map((m) => m.data)).toEqual(["announcement"]);
    const history = (await (await get(`/v1/rooms/${room}/messages?after=0`, "vic", viewer()!)).json()) as HistoryBody;
    expect(history.messages.map((m) => m.data)).toEqual(["announcement"]);
    const editorSocket = await connect(room, { sub: "eda", claims: editor() });
    editorSocket.publish("e1", "live");
    expect(await editorSocket.frame("ack")).toMatchObject({ ref: "e1", seq: "2" });
    for (const c of [watcher, viaTicket, editorSocket]) c.close();
  });

  it("a room readable by a role: everyone else gets 403 on every path, and never reaches the room", async () => {
    const room = `${staff}-1`;
    expect(
      (await post(room, "sid", { tenant: "acme", roles: ["staff"] }, { event: "chat", data: "internal" })).status,
    ).toBe(201);
    const outsider = { tenant: "acme", roles: ["editor"] };
    const headers = await auth("olga", { claims: outsider });
    const answers = [
      await call(`/v1/rooms/${room}`, { headers }),
      await call(`/v1/rooms/${room}/messages?after=0`, { headers }),
      await call(`/v1/rooms/${room}/messages`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: '{"event":"chat","data":1}',
      }),
      await requestTicket(room, "olga", outsider),
      await call(`/v1/rooms/${room}/ws`, { headers: { ...headers, upgrade: "websocket" } }),
    ];
    for (const res of answers) {
      expect(res.status, res.url).toBe(403);
      expect(res.webSocket).toBeNull();
      expect((await problemOf(res)).type).toMatch(/forbidden$/);
    }
    const staffView = (await (
      await get(`/v1/rooms/${room}/messages?after=0`, "sid", { tenant: "acme", roles: ["staff"] })
    ).json()) as HistoryBody;
    expect(staffView.messages.map((m) => m.data)).toEqual(["internal"]);
  });

  it("a shared room is one room for every tenant, and shows each person's tenant", async () => {
    const a = await connect(lobby, { sub: "sam", claims: viewer("acme") });
    const g = await connect(lobby, { sub: "sam", claims: viewer("globex") });
    expect(g.frames[0]).toMatchObject({
      type: "welcome",
      presence: expect.arrayContaining([
        { userId: "sam", tenant: "acme", connections: 1 },
        { userId: "sam", tenant: "globex", connections: 1 },
      ]),
    });
    expect(await a.frame("presence")).toEqual({
      v: 1,
      type: "presence",
      joins: [{ userId: "sam", tenant: "globex" }],
      leaves: [],
    });

    a.publish("hi", "hello from acme", { clientMsgId: "c1" });
    const seen = (await g.msgCount(1))[0]!;
    expect(seen).toMatchObject({ data: "hello from acme", from: { userId: "sam", tenant: "acme" } });
    // The same user id and clientMsgId from the other tenant is another person's message.
    g.publish("hi", "hello from globex", { clientMsgId: "c1" });
    expect(await g.frame("ack")).not.toHaveProperty("dup");
    const viaHttp = await post(lobby, "gina", viewer("globex")!, { event: "chat", data: "over http" });
    expect(viaHttp.status).toBe(201);
    await a.msgCount(3);

    const history = (await (
      await get(`/v1/rooms/${lobby}/messages?after=0`, "zed", viewer("initech")!)
    ).json()) as HistoryBody;
    expect(history.messages.map((m) => [m.data, m.from.tenant])).toEqual([
      ["hello from acme", "acme"],
      ["hello from globex", "globex"],
      ["over http", "globex"],
    ]);
    const info = (await (await get(`/v1/rooms/${lobby}`, "zed", viewer("initech")!)).json()) as InfoBody;
    expect(info).toMatchObject({ shared: true, canPublish: true, online: 2 });
    // A ticket from any tenant opens the shared room.
    const ticket = await ticketFor(lobby, "zed", viewer("initech"));
    const z = await connect(lobby, { via: "ticket", token: ticket });
    expect(z.frames[0]).toMatchObject({ type: "welcome", headSeq: "3" });
    for (const c of [a, g, z]) c.close();
  });

  it("invalid policies are refused with 422 naming each path, and nothing changes", async () => {
    const res = await setRoomPolicies([
      { match: "board-**" },
      { match: "^.*$" },
      { match: "" },
      { match: "a*b" },
      { match: "ok", read: "admin" },
      { match: "ok2", publish: [""] },
      { match: "ok3", shared: "yes" },
      { match: "ok4", surprise: 1 },
    ]);
    expect(res.status).toBe(422);
    const paths = (await problemOf(res)).errors?.map((e) => e.path) ?? [];
    for (const p of [
      "/rooms/policies/0/match",
      "/rooms/policies/1/match",
      "/rooms/policies/2/match",
      "/rooms/policies/3/match",
      "/rooms/policies/4/read",
      "/rooms/policies/5/publish/0",
      "/rooms/policies/6/shared",
      "/rooms/policies/7",
    ]) {
      expect(paths, p).toContain(p);
    }
    // Two policies for the same pattern: which one applies would be a guess.
    const twice = await setRoomPolicies([{ match: "dup-*" }, { match: "dup-*", read: ["x"] }]);
    expect(twice.status).toBe(422);
    const problem = await problemOf(twice);
    expect(problem.errors).toEqual([
      expect.objectContaining({ path: "/rooms/policies/1/match", message: 'another policy already matches "dup-*"' }),
    ]);
    // The policies in force are still the ones set above.
    const refused = await post(`${announcements}-1`, "vic", viewer()!, { event: "chat", data: 1 });
    expect(refused.status).toBe(403);
  });
});
