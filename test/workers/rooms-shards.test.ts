/**
 * Sharded fan-out with the threshold lowered to 2 sockets (`rooms.shardAbove`) for this file:
 * sockets beyond it go to shard objects; the room object still orders, stores and deduplicates.
 * Clients on the room and on different shards see one order; a resume on any shard has no gap
 * and no duplicate; presence is merged across shards and stays right after a shard restarts;
 * shards are keyed by tenant and room like the room, so no path crosses tenants.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomObjectName } from "../../src/lib/rooms/policy.ts";
import { shardObjectName } from "../../src/lib/rooms/shards.ts";
import { problemOf } from "./helpers.ts";
import {
  auth,
  call,
  connect,
  eventually,
  newRoom,
  range,
  roomStub,
  seqs,
  sleep,
  TENANT,
  updateRoomsConfig,
  type Client,
} from "./rooms-client.ts";

const SHARD_ABOVE = 2;

const shardStub = (room: string, index: number, tenant = TENANT) =>
  env.ROOM_SHARDS.getByName(shardObjectName(roomObjectName(room, { tenant }), index));

/** Sockets held by an object (the room or a shard). */
function socketsOn(stub: DurableObjectStub): Promise<number> {
  return runInDurableObject(stub, (_instance, state) => state.getWebSockets().length);
}

async function info(room: string, claims: Record<string, unknown> = {}) {
  const res = await call(`/v1/rooms/${room}`, { headers: await auth("observer", { claims }) });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    online: number;
    members: Array<{ userId: string; connections: number }>;
    headSeq: string;
  };
}

beforeAll(async () => {
  expect((await updateRoomsConfig({ shardAbove: SHARD_ABOVE })).status).toBe(200);
});
afterAll(async () => {
  await updateRoomsConfig({ shardAbove: 1000 });
});

/** 7 sockets: 2 on the room object, the rest on shards 0–2 (each up to 2). */
async function crowd(room: string): Promise<Client[]> {
  const clients: Client[] = [];
  for (const i of range(1, 7)) clients.push(await connect(room, { sub: `u${i}`, batch: i % 2 === 0 }));
  return clients;
}

describe("sharded fan-out", () => {
  it("spreads sockets over shards, and clients on the room and on every shard see one order", async () => {
    const room = newRoom();
    const clients = await crowd(room);
    expect(await socketsOn(roomStub(room))).toBe(SHARD_ABOVE);
    expect(await Promise.all(range(0, 2).map((i) => socketsOn(shardStub(room, i))))).toEqual([2, 2, 1]);

    // Publishers on the room (u1), shard 0 (u3), shard 2 (u7) and over HTTP, all at once.
    for (const n of range(1, 10))
      for (const p of [clients[0]!, clients[2]!, clients[6]!]) p.publish(`${p === clients[0] ? "a" : "b"}${n}`, { n });
    await Promise.all(
      range(1, 5).map(async (n) =>
        call(`/v1/rooms/${room}/messages`, {
          method: "POST",
          headers: { ...(await auth("poster")), "content-type": "application/json" },
          body: JSON.stringify({ event: "chat", data: { http: n } }),
        }),
      ),
    );
    const views = await Promise.all(clients.map((c) => c.msgCount(35, 10_000)));
    for (const view of views) expect(seqs(view)).toEqual(range(1, 35));
    const ids = views[0]!.map((m) => m.id);
    for (const view of views) expect(view.map((m) => m.id)).toEqual(ids);
    // Each publisher got an ack per publish, with the seq everyone saw.
    for (const p of [clients[0]!, clients[2]!, clients[6]!]) {
      await p.until("10 acks", () => p.of("ack").length >= 10);
      for (const ack of p.of("ack"))
        expect(views[0]!.find((m) => m.seq === ack.seq)!.from.connId).toBe(p.of("welcome")[0]!.connId);
    }
    // A socket on a shard sends an ephemeral: everyone else gets it, it does not.
    clients[3]!.send({ v: 1, type: "ephemeral", event: "typing", data: 1 });
    for (const c of clients.filter((_, i) => i !== 3)) await c.until("the ephemeral", () => c.of("ephemeral")[0]);
    await sleep(100);
    expect(clients[3]!.of("ephemeral")).toEqual([]);
    for (const c of clients) c.close();
  });

  it("resumes on any shard with no gap and no duplicate; the clientMsgId dedupe holds across shards", async () => {
    const room = newRoom();
    const clients = await crowd(room);
    const epoch = clients[0]!.of("welcome")[0]!.epoch;
    const talker = clients[0]!;
    for (const n of range(1, 5)) talker.publish(n, n);
    const onShard = clients[4]!; // shard 1
    expect(seqs(await onShard.msgCount(5))).toEqual(range(1, 5));
    onShard.close();
    await onShard.whenClosed();
    for (const n of range(6, 10)) talker.publish(n, n);
    await talker.msgCount(10);

    // Back with ?after=: lands on a shard (the room is full), gets 6..10, then live.
    const back = await connect(room, { sub: "u5", after: "5", epoch });
    expect(back.of("welcome")[0]).toMatchObject({ resumed: true, headSeq: "10" });
    for (const n of range(11, 12)) talker.publish(n, n);
    expect(seqs(await back.msgCount(7))).toEqual(range(6, 12));
    // And with hello, on another shard.
    const late = await connect(room, { sub: "u9" });
    late.send({ v: 1, type: "hello", after: "3", epoch });
    expect(seqs(await late.msgCount(9))).toEqual(range(4, 12));
    talker.publish(13, 13);
    expect(seqs(await late.msgCount(10))).toEqual(range(4, 13));
    await sleep(100);
    expect(seqs(back.msgs())).toEqual(range(6, 13));

    // The same clientMsgId from a shard's socket twice: stored once, acked dup.
    const onShard2 = clients[6]!;
    onShard2.publish("x1", "once", { clientMsgId: "same-1" });
    onShard2.publish("x2", "once", { clientMsgId: "same-1" });
    const acks = await onShard2.until("two acks", () => onShard2.of("ack").length >= 2 && onShard2.of("ack"));
    expect(acks[1]).toMatchObject({ ref: "x2", seq: acks[0]!.seq, dup: true });
    for (const c of [...clients, back, late]) c.close();
  });

  it("presence is merged across shards and stays right after a shard restarts", async () => {
    const room = newRoom();
    const clients = await crowd(room);
    const tab = await connect(room, { sub: "u1" }); // a second connection of u1, on a shard
    await eventually(async () => expect((await info(room)).online).toBe(7));
    expect((await info(room)).members.find((m) => m.userId === "u1")).toEqual({ userId: "u1", connections: 2 });
    // The room's own sockets and the shards' see the same joins.
    const first = clients[0]!;
    const onShard = clients[5]!;
    await first.until("u7 joined", () => first.of("presence").some((p) => p.joins.some((j) => j.userId === "u7")));

    for (const i of range(0, 2)) await evictDurableObject(shardStub(room, i));
    // Hibernated sockets still get messages, and their closes still count.
    first.publish(1, "after the restart");
    for (const c of [...clients, tab]) expect(seqs(await c.msgCount(1))).toEqual([1]);
    clients[6]!.close();
    await first.until("u7 left", () => first.of("presence").some((p) => p.leaves.some((l) => l.userId === "u7")));
    await onShard.until("u7 left", () => onShard.of("presence").some((p) => p.leaves.some((l) => l.userId === "u7")));
    tab.close();
    await eventually(async () => {
      const now = await info(room);
      expect(now.online).toBe(6);
      expect(now.members.find((m) => m.userId === "u1")).toEqual({ userId: "u1", connections: 1 });
    });
    // And after the room object itself restarts.
    await evictDurableObject(roomStub(room));
    expect((await info(room)).online).toBe(6);
    for (const c of clients.slice(0, 6)) c.close();
    await eventually(async () => expect((await info(room)).online).toBe(0));
  });

  it("a shard that restarts and loses its sockets: they leave presence, and reconnecting resumes with no gap", async () => {
    const room = newRoom();
    const clients = await crowd(room);
    const epoch = clients[0]!.of("welcome")[0]!.epoch;
    await eventually(async () => expect((await info(room)).online).toBe(7));
    clients[0]!.publish(1, "before");
    for (const c of clients) await c.msgCount(1);
    // Shard 1 holds u5 and u6; its sockets go with it.
    await evictDurableObject(shardStub(room, 1), { webSockets: "close" });
    await clients[4]!.whenClosed();
    await clients[5]!.whenClosed();
    // The next push wakes a fresh instance, which tells the room who it holds (nobody).
    clients[0]!.publish(2, "after");
    await eventually(async () =>
      expect((await info(room)).members.map((m) => m.userId).sort()).toEqual(["u1", "u2", "u3", "u4", "u7"]),
    );
    // Everyone's view adds up to the room's (u5 and u6 may have come and gone within one presence window).
    const viewOf = (c: Client) => {
      const view = new Set(c.of("welcome")[0]!.presence.map((m) => m.userId));
      for (const p of c.of("presence")) {
        for (const j of p.joins) view.add(j.userId);
        for (const l of p.leaves) view.delete(l.userId);
      }
      return [...view].sort().join();
    };
    for (const c of clients.filter((_, i) => i !== 4 && i !== 5))
      await c.until("a view without u5 and u6", () => viewOf(c) === "u1,u2,u3,u4,u7");
    const back = await connect(room, { sub: "u5", after: "1", epoch });
    clients[0]!.publish(3, "live");
    expect(seqs(await back.msgCount(2))).toEqual([2, 3]);
    expect((await info(room)).online).toBe(6);
    for (const c of [...clients, back]) c.close();
  });

  it("shards are keyed by tenant and room: another tenant's same room name shares no shard, message or member", async () => {
    const room = newRoom();
    const acme = await crowd(room);
    const globex: Client[] = [];
    for (const i of range(1, 4)) globex.push(await connect(room, { sub: `g${i}`, claims: { tenant: "globex" } }));
    expect(await socketsOn(shardStub(room, 0, "globex"))).toBe(2);
    expect(await socketsOn(shardStub(room, 0))).toBe(2);
    globex[3]!.publish(1, "globex only");
    expect(seqs(await globex[0]!.msgCount(1))).toEqual([1]);
    acme[6]!.publish(1, "acme only");
    for (const c of acme) expect((await c.msgCount(1))[0]!.data).toBe("acme only");
    await sleep(100);
    for (const c of acme) expect(c.msgs()).toHaveLength(1);
    for (const c of globex) expect(c.msgs().map((m) => m.data)).toEqual(["globex only"]);
    expect((await info(room, { tenant: "globex" })).online).toBe(4);
    expect((await info(room)).online).toBe(7);
    for (const c of [...acme, ...globex]) c.close();
  });

  it("shardAbove is validated through the admin API", async () => {
    for (const bad of [0, -1, 2.5, "2"]) {
      const res = await updateRoomsConfig({ shardAbove: bad });
      expect(res.status, String(bad)).toBe(422);
      expect((await problemOf(res)).errors?.map((e) => e.path)).toContain("/rooms/shardAbove");
    }
  });
});
