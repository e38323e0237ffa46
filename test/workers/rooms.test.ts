/**
 * Live rooms end to end inside workerd: real WebSockets through the Worker's routes to the
 * `Room` Durable Object (auth before the upgrade, frames, acks, resume, presence, limits) and
 * the HTTP API, through the deployed entry (`exports.default.fetch`). Everyone here is of one
 * tenant; tenants, policies and tickets are in `rooms-tenancy.test.ts` and `rooms-tickets.test.ts`.
 */
import { exports } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Room } from "../../durable-objects/room.ts";
import type { ConnectionState } from "../../src/lib/rooms/connection.ts";
import {
  ROOMS_HISTORY_MAX_MESSAGES,
  ROOMS_HISTORY_RETENTION_SECONDS,
  type EdgeConfigDocument,
} from "../../src/lib/config/schema.ts";
import { DEFAULT_ROOM_SETTINGS } from "../../src/lib/rooms/policy.ts";
import { IDLE_TIMEOUT_MS, ROOM_LIMITS } from "../../src/lib/rooms/protocol.ts";
import { SIZE_SQL } from "../../src/lib/rooms/retention.ts";
import { problemOf, updateConfig } from "./helpers.ts";
import {
  auth,
  BASE,
  call,
  Client,
  connect,
  eventually,
  newRoom,
  nowS,
  range,
  roomStub,
  seqs,
  sleep,
  TENANT,
  token,
  upgrade,
} from "./rooms-client.ts";

async function publishHttp(room: string, sub: string, body: unknown): Promise<Response> {
  return call(`/v1/rooms/${room}/messages`, {
    method: "POST",
    headers: { ...(await auth(sub)), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function info(room: string) {
  const res = await call(`/v1/rooms/${room}`, { headers: await auth("observer") });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    room: string;
    online: number;
    members: Array<{ userId: string; connections: number }>;
    headSeq: string;
  };
}

// ---- tests ---------------------------------------------------------------------------------

describe("joining", () => {
  it("welcome says who is there, the epoch, the head seq and the limits", async () => {
    const room = newRoom();
    const alice = await connect(room, { sub: "alice" });
    const bob = await connect(room, { sub: "bob" });
    const welcome = await bob.frame("welcome");
    expect(welcome).toEqual({
      v: 1,
      type: "welcome",
      connId: expect.any(String),
      room,
      epoch: expect.stringMatching(/^[0-9a-f]{32}$/),
      headSeq: "0",
      resumed: false,
      presence: expect.arrayContaining([
        { userId: "alice", connections: 1 },
        { userId: "bob", connections: 1 },
      ]),
      limits: { maxBytes: ROOM_LIMITS.maxBytes, msgPerSec: ROOM_LIMITS.msgPerSec },
    });
    expect(await alice.frame("presence")).toEqual({ v: 1, type: "presence", joins: [{ userId: "bob" }], leaves: [] });
    alice.close();
    bob.close();
  });

  it("accepts the token as a header or a bearer.<token> subprotocol (echoing an offered protocol)", async () => {
    const room = newRoom();
    const t = await token("carol");
    const viaProtocol = await connect(room, { token: t, via: "protocol" });
    expect(viaProtocol.protocol).toBe("rooms.v1");
    const onlyBearer = await connect(room, { token: t, protocols: [`bearer.${t}`], via: "protocol" });
    // A browser fails the handshake unless one offered protocol comes back.
    expect(onlyBearer.protocol).toBe(`bearer.${t}`);
    const viaHeader = await connect(room, { token: t });
    expect(viaHeader.protocol).toBeNull();
    expect((await info(room)).members).toEqual([{ userId: "carol", connections: 3 }]);
    for (const c of [viaProtocol, onlyBearer, viaHeader]) c.close();
  });

  it("refuses a missing, expired, foreign-audience or non-access token with 401 before any upgrade", async () => {
    const room = newRoom();
    const bad = [
      ["no token", undefined],
      ["expired", await token("eve", { claims: { exp: nowS() - 120, iat: nowS() - 600 } })],
      ["another audience", await token("eve", { claims: { aud: "another-service" } })],
      ["another issuer", await token("eve", { claims: { iss: "https://evil.example" } })],
      ["an ID token, not an access token (typ)", await token("eve", { typ: "id+jwt" })],
      ["a refresh token (typ)", await token("eve", { typ: "refresh+jwt" })],
      ["garbage", "not.a.token"],
    ] as const;
    for (const [what, t] of bad) {
      for (const via of ["header", "protocol"] as const) {
        const res =
          t === undefined
            ? await call(`/v1/rooms/${room}/ws`, { headers: { upgrade: "websocket" } })
            : await upgrade(room, t, { via });
        expect(res.status, `${what} via ${via}`).toBe(401);
        expect(res.webSocket, `${what} via ${via}`).toBeNull();
        expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
        expect((await problemOf(res)).detail).toBe("A valid access token is required.");
        if (t === undefined) break;
      }
    }
    // Nobody got in, and the room object was never asked.
    expect((await info(room)).online).toBe(0);
  });

  it("invalid room names are 400 on every endpoint; a plain GET of the socket URL is 426", async () => {
    const headers = { ...(await auth("alice")), upgrade: "websocket" };
    for (const name of ["has.dot", "x".repeat(65), "sp%20ace", "%C3%A9t%C3%A9", "semi;colon"]) {
      for (const path of [`/v1/rooms/${name}/ws`, `/v1/rooms/${name}`, `/v1/rooms/${name}/messages`]) {
        const res = await call(path, { headers });
        expect(res.status, path).toBe(400);
        expect(res.webSocket).toBeNull();
        await problemOf(res);
      }
      const post = await publishHttp(name, "alice", { event: "chat", data: 1 });
      expect(post.status).toBe(400);
      const ticket = await call(`/v1/rooms/${name}/tickets`, { method: "POST", headers: await auth("alice") });
      expect(ticket.status).toBe(400);
      await problemOf(ticket);
    }
    const plain = await call(`/v1/rooms/${newRoom()}/ws`, { headers: await auth("alice") });
    expect(plain.status).toBe(426);
    expect(plain.headers.get("upgrade")).toBe("websocket");
    await problemOf(plain);
  });
});

describe("messages", () => {
  it("two clients exchange messages, each publish acked with its seq, in one order", async () => {
    const room = newRoom();
    const alice = await connect(room, { sub: "alice" });
    const bob = await connect(room, { sub: "bob" });
    const aliceWelcome = await alice.frame("welcome");
    const bobWelcome = await bob.frame("welcome");

    alice.publish("a1", { text: "hi bob" });
    const ack = await alice.frame("ack");
    expect(ack).toEqual({ v: 1, type: "ack", ref: "a1", seq: "1", id: expect.any(String) });
    const [atBob] = await bob.msgCount(1);
    expect(atBob).toEqual({
      v: 1,
      type: "msg",
      room,
      epoch: aliceWelcome.epoch,
      seq: "1",
      id: ack.id,
      from: { userId: "alice", connId: aliceWelcome.connId },
      event: "chat",
      ts: expect.any(Number),
      data: { text: "hi bob" },
    });

    bob.publish(7, { text: "hi alice" }, { clientMsgId: "bob-1" });
    expect(await bob.frame("ack")).toMatchObject({ ref: 7, seq: "2" });
    const aliceMsgs = await alice.msgCount(2);
    expect(aliceMsgs[1]).toMatchObject({
      seq: "2",
      clientMsgId: "bob-1",
      from: { userId: "bob", connId: bobWelcome.connId },
      data: { text: "hi alice" },
    });
    expect(seqs(await bob.msgCount(2))).toEqual([1, 2]);
    expect(seqs(alice.msgs())).toEqual([1, 2]);
    expect((await info(room)).headSeq).toBe("2");
    alice.close();
    bob.close();
  });

  it("the same clientMsgId twice is stored once: ack dup:true with the original seq and id", async () => {
    const room = newRoom();
    const alice = await connect(room, { sub: "alice" });
    const bob = await connect(room, { sub: "bob" });
    alice.publish(1, "once", { clientMsgId: "m-1" });
    alice.publish(2, "twice", { clientMsgId: "m-1" });
    const first = await alice.frame("ack", (a) => a.ref === 1);
    const second = await alice.frame("ack", (a) => a.ref === 2);
    expect(first.dup).toBeUndefined();
    expect(second).toEqual({ v: 1, type: "ack", ref: 2, seq: first.seq, id: first.id, dup: true });

    // Over HTTP too, and across both paths for the same user.
    const a = await publishHttp(room, "alice", { event: "chat", data: "http", clientMsgId: "m-2" });
    expect(a.status).toBe(201);
    const original = (await a.json()) as { seq: string; id: string };
    const b = await publishHttp(room, "alice", { event: "chat", data: "http again", clientMsgId: "m-2" });
    expect(b.status).toBe(200);
    expect(await b.json()).toEqual({ ...original, dup: true });
    alice.publish(3, "ws again", { clientMsgId: "m-2" });
    expect(await alice.frame("ack", (x) => x.ref === 3)).toMatchObject({ seq: original.seq, dup: true });

    // Another user's clientMsgId is their own.
    const other = await publishHttp(room, "bob", { event: "chat", data: "bob's", clientMsgId: "m-1" });
    expect(other.status).toBe(201);

    alice.publish(4, "marker");
    const msgs = await bob.until("the marker", () => bob.msgs().find((m) => m.data === "marker") && bob.msgs());
    expect(msgs.map((m) => m.data)).toEqual(["once", "http", "bob's", "marker"]);
    expect(seqs(msgs)).toEqual([1, 2, 3, 4]);
    alice.close();
    bob.close();
  });

  it("20 senders × 50 messages: every receiver sees all 1,000 in the same order, each sender's in its own order", async () => {
    const room = newRoom("load");
    const senders = await Promise.all(range(1, 20).map((i) => connect(room, { sub: `sender-${i}` })));
    const listeners = await Promise.all(range(1, 2).map((i) => connect(room, { sub: `listener-${i}` })));
    await Promise.all(
      senders.map(async (s, i) => {
        for (let n = 0; n < 50; n++) {
          s.publish(`${i}-${n}`, { sender: i, n }, { clientMsgId: `s${i}-${n}` });
          await sleep(25);
        }
      }),
    );
    const everyone = [...senders, ...listeners];
    const seen = await Promise.all(everyone.map((c) => c.msgCount(1000, 15_000)));
    const order = seen[0]!.map((m) => m.id);
    expect(seqs(seen[0]!)).toEqual(range(1, 1000));
    for (const msgs of seen) {
      expect(msgs).toHaveLength(1000);
      expect(msgs.map((m) => m.id)).toEqual(order);
    }
    for (let i = 0; i < 20; i++) {
      const own = seen[0]!
        .filter((m) => (m.data as { sender: number }).sender === i)
        .map((m) => (m.data as { n: number }).n);
      expect(own).toEqual(range(0, 49));
    }
    expect(senders.flatMap((s) => s.of("error"))).toEqual([]);
    for (const c of everyone) c.close();
  }, 60_000);

  it("ephemeral frames reach the others, unstored and without seq", async () => {
    const room = newRoom();
    const alice = await connect(room, { sub: "alice" });
    const bob = await connect(room, { sub: "bob" });
    const aliceWelcome = await alice.frame("welcome");
    alice.send({ v: 1, type: "ephemeral", event: "typing", data: { on: true } });
    expect(await bob.frame("ephemeral")).toEqual({
      v: 1,
      type: "ephemeral",
      room,
      from: { userId: "alice", connId: aliceWelcome.connId },
      event: "typing",
      ts: expect.any(Number),
      data: { on: true },
    });
    alice.publish(1, "after typing");
    await alice.frame("ack");
    expect(alice.of("ephemeral")).toEqual([]);
    expect((await info(room)).headSeq).toBe("1");
    alice.close();
    bob.close();
  });
});

describe("resume", () => {
  async function scenario(room: string) {
    const alice = await connect(room, { sub: "alice" });
    const bob = await connect(room, { sub: "bob" });
    const { epoch } = await bob.frame("welcome");
    for (let i = 1; i <= 3; i++) alice.publish(i, `m${i}`);
    await bob.msgCount(3);
    return { alice, bob, epoch };
  }

  async function publishAndAck(client: Client, refs: number[]) {
    for (const ref of refs) client.publish(ref, `m${ref}`);
    await client.until(`acks ${refs.join(",")}`, () =>
      refs.every((ref) => client.of("ack").some((a) => a.ref === ref)),
    );
  }

  it("a client that dropped without a close frame gets exactly the missed messages, in order, before live ones", async () => {
    const room = newRoom();
    const { alice, bob, epoch } = await scenario(room);
    // Bob's network goes away: no close frame, the old socket just stops being read.
    const lastSeen = bob.msgs().at(-1)!.seq;
    await publishAndAck(alice, [4, 5, 6, 7, 8]);

    const back = await connect(room, { sub: "bob", after: lastSeen, epoch });
    alice.publish(9, "m9");
    const msgs = await back.msgCount(6);
    expect(back.frames[0]).toMatchObject({ type: "welcome", resumed: true, headSeq: "8" });
    expect(back.frames.slice(1).map((f) => f.type)).toEqual(["msg", "msg", "msg", "msg", "msg", "msg"]);
    expect(seqs(msgs)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(msgs.map((m) => m.data)).toEqual(["m4", "m5", "m6", "m7", "m8", "m9"]);
    await sleep(100);
    expect(back.msgs()).toHaveLength(6);
    alice.close();
    bob.close();
    back.close();
  });

  it("resumes the same way after the object was evicted (sockets hibernated) and with sockets closed by the eviction", async () => {
    const room = newRoom();
    const stub = roomStub(room);
    const { alice, bob, epoch } = await scenario(room);
    const before = await info(room);

    await evictDurableObject(stub);
    // The hibernated sockets still work; the woken object has the same presence and seq.
    expect(await info(room)).toEqual(before);
    await publishAndAck(alice, [4, 5]);
    expect(seqs(await bob.msgCount(5))).toEqual([1, 2, 3, 4, 5]);

    await evictDurableObject(stub, { webSockets: "close" });
    await alice.whenClosed();
    await bob.whenClosed();
    const alice2 = await connect(room, { sub: "alice", after: "5", epoch });
    await publishAndAck(alice2, [6, 7]);
    await evictDurableObject(stub);
    const bob2 = await connect(room, { sub: "bob", after: "5", epoch });
    alice2.publish(8, "m8");
    const msgs = await bob2.msgCount(3);
    expect(bob2.frames[0]).toMatchObject({ type: "welcome", resumed: true, epoch, headSeq: "7" });
    expect(seqs(msgs)).toEqual([6, 7, 8]);
    expect(msgs[2]!.from.userId).toBe("alice");
    alice2.close();
    bob2.close();
  });

  it("a hello frame resumes a connection opened without ?after", async () => {
    const room = newRoom();
    const { alice, bob, epoch } = await scenario(room);
    const late = await connect(room, { sub: "bob" });
    late.send({ v: 1, type: "hello", after: "1", epoch });
    const msgs = await late.msgCount(2);
    expect(seqs(msgs)).toEqual([2, 3]);
    alice.publish(4, "m4");
    expect(seqs(await late.msgCount(3))).toEqual([2, 3, 4]);
    late.send({ v: 1, type: "hello", after: "0" });
    expect(await late.frame("error")).toMatchObject({ code: "bad_frame" });
    for (const c of [alice, bob, late]) c.close();
  });

  it("reset when history cannot fill the gap: another epoch, a seq from the future, trimmed history", async () => {
    const room = newRoom();
    const { alice, bob, epoch } = await scenario(room);
    const otherEpoch = await connect(room, { sub: "bob", after: "1", epoch: "0".repeat(32) });
    expect(otherEpoch.frames[0]).toMatchObject({ type: "welcome", resumed: false, epoch });
    expect(await otherEpoch.frame("reset")).toEqual({ v: 1, type: "reset", reason: "epoch_changed", headSeq: "3" });
    expect(otherEpoch.msgs()).toEqual([]);

    const ahead = await connect(room, { sub: "bob", after: "99" });
    expect(await ahead.frame("reset")).toMatchObject({ reason: "ahead", headSeq: "3" });

    await runInDurableObject(roomStub(room), (_room: Room, state) => {
      state.storage.sql.exec("DELETE FROM messages WHERE seq <= 2");
    });
    const trimmed = await connect(room, { sub: "bob", after: "1", epoch });
    expect(await trimmed.frame("reset")).toMatchObject({ reason: "trimmed", headSeq: "3" });
    const fine = await connect(room, { sub: "bob", after: "2", epoch });
    expect(seqs(await fine.msgCount(1))).toEqual([3]);
    // After a reset the socket is live.
    alice.publish(4, "m4");
    expect(seqs(await trimmed.msgCount(1))).toEqual([4]);
    for (const c of [alice, bob, otherEpoch, ahead, trimmed, fine]) c.close();
  });
});

describe("presence", () => {
  it("one user with two tabs is one member with two connections; joins and leaves only at the first and last", async () => {
    const room = newRoom();
    const bob = await connect(room, { sub: "bob" });
    const tab1 = await connect(room, { sub: "alice" });
    const tab2 = await connect(room, { sub: "alice" });
    expect((await tab2.frame("welcome")).presence).toEqual(
      expect.arrayContaining([
        { userId: "alice", connections: 2 },
        { userId: "bob", connections: 1 },
      ]),
    );
    // One join for alice, however many tabs (changes within 200 ms go out as one net frame).
    expect(await bob.frame("presence")).toEqual({ v: 1, type: "presence", joins: [{ userId: "alice" }], leaves: [] });
    const room1 = await info(room);
    expect(room1.online).toBe(2);
    expect(room1.members).toEqual(
      expect.arrayContaining([
        { userId: "alice", connections: 2 },
        { userId: "bob", connections: 1 },
      ]),
    );

    tab1.close();
    await tab1.whenClosed();
    await eventually(async () =>
      expect((await info(room)).members).toEqual(expect.arrayContaining([{ userId: "alice", connections: 1 }])),
    );
    tab2.close();
    const leave = await bob.frame("presence", (p) => p.leaves.length > 0);
    expect(leave).toEqual({ v: 1, type: "presence", joins: [], leaves: [{ userId: "alice" }] });
    expect(bob.of("presence")).toEqual([
      { v: 1, type: "presence", joins: [{ userId: "alice" }], leaves: [] },
      { v: 1, type: "presence", joins: [], leaves: [{ userId: "alice" }] },
    ]);
    expect(await info(room)).toMatchObject({ online: 1, members: [{ userId: "bob", connections: 1 }] });
    bob.close();
  });

  it("a join storm goes out as a few net presence frames, and every client's view adds up to the room's", async () => {
    const room = newRoom();
    const bob = await connect(room, { sub: "bob" });
    const crowd = await Promise.all(range(1, 12).map((i) => connect(room, { sub: `user-${i}` })));
    crowd[0]!.close();
    await crowd[0]!.whenClosed();
    const everyone = [bob, ...crowd.slice(1)];
    const expected = (await info(room)).members.map((m) => m.userId);
    expect(expected).toHaveLength(12);
    const viewOf = (c: Client) => {
      const view = new Set(c.of("welcome")[0]!.presence.map((m) => m.userId));
      for (const p of c.of("presence")) {
        for (const j of p.joins) view.add(j.userId);
        for (const l of p.leaves) view.delete(l.userId);
      }
      return [...view].sort();
    };
    for (const c of everyone)
      await c.until("a view matching the room", () => JSON.stringify(viewOf(c)) === JSON.stringify(expected));
    // 11 joins and a leave: far fewer frames than changes.
    expect(bob.of("presence").length).toBeLessThanOrEqual(4);
    // Nobody is told about their own arrival: the welcome showed it.
    for (const [i, c] of crowd.slice(1).entries()) {
      expect(
        c
          .of("presence")
          .flatMap((p) => p.joins)
          .map((j) => j.userId),
      ).not.toContain(`user-${i + 2}`);
    }
    for (const c of everyone) c.close();
  });

  it("a connection that vanished without a close frame leaves after the idle timeout; pings keep one alive", async () => {
    const room = newRoom();
    const stub = roomStub(room);
    const bob = await connect(room, { sub: "bob" });
    const ghost = await connect(room, { sub: "ghost" });
    const pinger = await connect(room, { sub: "pinger" });
    await bob.until("both joins", () => bob.of("presence").flatMap((p) => p.joins).length === 2);
    pinger.send("ping");
    await pinger.until("pong", () => pinger.received.includes("pong"));
    // Time passes: every connection's last frame is older than the timeout, and only the
    // pinger's auto-answered pings are recent.
    await runInDurableObject(stub, (_room: Room, state) => {
      for (const ws of state.getWebSockets()) {
        const s = ws.deserializeAttachment() as ConnectionState;
        ws.serializeAttachment({
          ...s,
          seenAt: s.userId === "bob" ? Date.now() : Date.now() - IDLE_TIMEOUT_MS - 1_000,
        });
      }
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const leave = await bob.frame("presence", (p) => p.leaves.length > 0);
    expect(leave.leaves).toEqual([{ userId: "ghost" }]);
    expect((await ghost.whenClosed()).code).toBe(1001);
    expect((await info(room)).members).toEqual(
      expect.arrayContaining([
        { userId: "bob", connections: 1 },
        { userId: "pinger", connections: 1 },
      ]),
    );
    expect((await info(room)).online).toBe(2);
    // The alarm is set again for the next deadline.
    expect(await runInDurableObject(stub, (_room: Room, state) => state.storage.getAlarm())).toBeGreaterThan(
      Date.now(),
    );
    bob.close();
    pinger.close();
  });
});

describe("limits", () => {
  function frameOfBytes(bytes: number, char = "x"): string {
    const shell = JSON.stringify({ v: 1, type: "publish", ref: "big", event: "chat", data: "" });
    const charBytes = new TextEncoder().encode(char).byteLength;
    const text = JSON.stringify({
      v: 1,
      type: "publish",
      ref: "big",
      event: "chat",
      data: char.repeat(Math.floor((bytes - shell.length) / charBytes)),
    });
    return text + " ".repeat(bytes - new TextEncoder().encode(text).byteLength);
  }

  it("a frame one byte over maxBytes is refused with too_big; at the limit it passes; the room keeps working", async () => {
    const room = newRoom();
    const alice = await connect(room, { sub: "alice" });
    const bob = await connect(room, { sub: "bob" });
    const atLimit = frameOfBytes(ROOM_LIMITS.maxBytes);
    expect(new TextEncoder().encode(atLimit).byteLength).toBe(ROOM_LIMITS.maxBytes);
    alice.send(atLimit);
    expect(await alice.frame("ack")).toMatchObject({ ref: "big", seq: "1" });

    alice.send(frameOfBytes(ROOM_LIMITS.maxBytes + 1));
    expect(await alice.frame("error")).toEqual({
      v: 1,
      type: "error",
      code: "too_big",
      message: expect.stringContaining(String(ROOM_LIMITS.maxBytes)),
    });
    // Multi-byte text: under the limit in UTF-16 units, over it in bytes.
    const wide = frameOfBytes(ROOM_LIMITS.maxBytes + 2, "é");
    expect(wide.length).toBeLessThan(ROOM_LIMITS.maxBytes);
    alice.send(wide);
    await alice.until("two too_big errors", () => alice.of("error").filter((e) => e.code === "too_big").length === 2);

    alice.publish("after", "still here");
    expect(await alice.frame("ack", (a) => a.ref === "after")).toMatchObject({ seq: "2" });
    expect(seqs(await bob.msgCount(2))).toEqual([1, 2]);
    expect(alice.closed).toBeUndefined();
    alice.close();
    bob.close();
  });

  it("more than msgPerSec sustained gets rate_limited with retryAfterMs, and works again after waiting", async () => {
    const room = newRoom();
    const alice = await connect(room, { sub: "alice" });
    for (let i = 0; i < 60; i++) alice.publish(i, i);
    await alice.until("60 answers", () => alice.of("ack").length + alice.of("error").length === 60);
    const limited = alice.of("error");
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toEqual({
      v: 1,
      type: "error",
      ref: expect.any(Number),
      code: "rate_limited",
      message: expect.any(String),
      retryAfterMs: expect.any(Number),
    });
    expect(limited.every((e) => e.code === "rate_limited" && e.retryAfterMs! > 0 && e.retryAfterMs! <= 1000)).toBe(
      true,
    );
    // The refused ones were not stored.
    expect((await info(room)).headSeq).toBe(String(alice.of("ack").length));
    await sleep(limited.at(-1)!.retryAfterMs! + 50);
    alice.publish("again", "ok");
    expect(await alice.frame("ack", (a) => a.ref === "again")).toBeTruthy();
    alice.close();
  });

  it("bad frames get bad_frame errors (with the ref when there is one) and the connection stays", async () => {
    const room = newRoom();
    const alice = await connect(room, { sub: "alice" });
    const bad: unknown[] = [
      "not json",
      "[1,2]",
      { type: "publish", event: "chat", data: 1 },
      { v: 2, type: "publish", event: "chat", data: 1 },
      { v: 1, type: "shout", data: 1 },
      { v: 1, type: "publish", ref: "no-event", data: 1 },
      { v: 1, type: "publish", ref: "bad-event", event: "has space", data: 1 },
      { v: 1, type: "publish", ref: "bad-id", event: "chat", clientMsgId: "", data: 1 },
      { v: 1, type: "hello", after: "-1" },
    ];
    for (const f of bad) alice.send(f);
    alice.ws.send(new Uint8Array([1, 2, 3]));
    const errors = await alice.until("10 errors", () => alice.of("error").length === 10 && alice.of("error"));
    expect(errors.every((e) => e.code === "bad_frame")).toBe(true);
    expect(errors.filter((e) => e.ref !== undefined).map((e) => e.ref)).toEqual(["no-event", "bad-event", "bad-id"]);
    alice.publish("ok", 1);
    expect(await alice.frame("ack")).toMatchObject({ ref: "ok", seq: "1" });
    alice.close();
  });

  it("a token that expires closes the socket with 4001", async () => {
    const room = newRoom();
    const stub = roomStub(room);
    const bob = await connect(room, { sub: "bob" });
    const shortLived = await connect(room, { token: await token("shorty", { ttl: 2 }) });
    await sleep(2_100);
    // The alarm is due at the expiry; run it now rather than wait for the scheduler.
    await runDurableObjectAlarm(stub);
    const closed = await shortLived.whenClosed();
    expect(closed).toEqual({ code: 4001, reason: "token expired" });
    expect((await bob.frame("presence", (p) => p.leaves.length > 0)).leaves).toEqual([{ userId: "shorty" }]);
    bob.close();
  });
});

describe("HTTP API", () => {
  it("POST publishes to connected sockets; GET info and history page in ascending seq", async () => {
    const room = newRoom();
    const bob = await connect(room, { sub: "bob" });
    for (let i = 1; i <= 5; i++) {
      const res = await publishHttp(room, "alice", { event: "chat", data: { i } });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ seq: String(i), id: expect.any(String) });
    }
    const live = await bob.msgCount(5);
    expect(live[0]).toMatchObject({ seq: "1", from: { userId: "alice", connId: null }, event: "chat", data: { i: 1 } });

    const headers = await auth("bob");
    const page1 = await call(`/v1/rooms/${room}/messages?after=0&limit=2`, { headers });
    expect(page1.status).toBe(200);
    const body1 = (await page1.json()) as {
      messages: Array<{ seq: string; data: unknown }>;
      hasMore: boolean;
      headSeq: string;
      firstSeq: string;
      epoch: string;
    };
    expect(body1).toMatchObject({
      room,
      headSeq: "5",
      firstSeq: "1",
      hasMore: true,
      epoch: (await bob.frame("welcome")).epoch,
    });
    expect(body1.messages).toEqual([
      {
        seq: "1",
        id: live[0]!.id,
        from: { userId: "alice", connId: null },
        event: "chat",
        ts: live[0]!.ts,
        data: { i: 1 },
      },
      {
        seq: "2",
        id: live[1]!.id,
        from: { userId: "alice", connId: null },
        event: "chat",
        ts: live[1]!.ts,
        data: { i: 2 },
      },
    ]);
    const page2 = (await (
      await call(`/v1/rooms/${room}/messages?after=2&limit=10`, { headers })
    ).json()) as typeof body1;
    expect(page2.messages.map((m) => m.seq)).toEqual(["3", "4", "5"]);
    expect(page2.hasMore).toBe(false);
    const latest = (await (await call(`/v1/rooms/${room}/messages?limit=2`, { headers })).json()) as typeof body1;
    expect(latest.messages.map((m) => m.seq)).toEqual(["4", "5"]);

    expect(await info(room)).toEqual({
      room,
      shared: false,
      canPublish: true,
      online: 1,
      members: [{ userId: "bob", connections: 1 }],
      headSeq: "5",
    });
    bob.close();
  });

  it("every endpoint needs a valid token; bad input is a 4xx problem", async () => {
    const room = newRoom();
    for (const [method, path] of [
      ["GET", `/v1/rooms/${room}`],
      ["GET", `/v1/rooms/${room}/messages`],
      ["POST", `/v1/rooms/${room}/messages`],
    ] as const) {
      const res = await call(path, {
        method,
        headers: { "content-type": "application/json" },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    }
    for (const body of [
      { data: 1 },
      { event: "has space", data: 1 },
      { event: "chat", data: 1, extra: true },
      { event: "chat", clientMsgId: "" },
    ]) {
      const res = await publishHttp(room, "alice", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      await problemOf(res);
    }
    const big = await publishHttp(room, "alice", { event: "chat", data: "x".repeat(ROOM_LIMITS.maxBytes) });
    expect(big.status).toBe(413);
    const malformed = await call(`/v1/rooms/${room}/messages`, {
      method: "POST",
      headers: { ...(await auth("alice")), "content-type": "application/json" },
      body: "{",
    });
    expect(malformed.status).toBe(400);
    for (const q of ["after=abc", "after=-1", "limit=0", "limit=100000"]) {
      const res = await call(`/v1/rooms/${room}/messages?${q}`, { headers: await auth("alice") });
      expect(res.status, q).toBe(400);
    }
    expect((await info(room)).headSeq).toBe("0");
  });
});

describe("wiring", () => {
  it("the deployed entry serves the rooms API and documents it in /openapi.json", async () => {
    const doc = (await (await exports.default.fetch(new Request(`${BASE}/openapi.json`))).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/rooms/{room}/ws",
        "/v1/rooms/{room}",
        "/v1/rooms/{room}/messages",
        "/v1/rooms/{room}/tickets",
      ]),
    );
    expect(Object.keys(doc.paths["/v1/rooms/{room}/tickets"]!.post!.responses)).toEqual(
      expect.arrayContaining(["201", "401", "403"]),
    );
    expect(Object.keys(doc.paths["/v1/rooms/{room}/messages"]!)).toEqual(expect.arrayContaining(["get", "post"]));
    const page = await exports.default.fetch(new Request(`${BASE}/rooms/demo`));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    await page.body?.cancel();
  });
});

describe("retention", () => {
  it(`keeps the last ${ROOMS_HISTORY_MAX_MESSAGES} messages and, by default, none older than 24 h`, async () => {
    const room = newRoom();
    const stub = roomStub(room);
    await runInDurableObject(stub, async (instance: Room, state) => {
      for (let i = 0; i < ROOMS_HISTORY_MAX_MESSAGES + 150; i++)
        await instance.publish(room, false, { userId: "bulk", tenant: TENANT, event: "chat", dataJson: String(i) });
      const { n, first } = state.storage.sql
        .exec<{ n: number; first: number }>("SELECT COUNT(*) AS n, MIN(seq) AS first FROM messages")
        .one();
      // Trimmed every 100 messages: never more than 99 over the bound.
      expect(n).toBeLessThan(ROOMS_HISTORY_MAX_MESSAGES + 100);
      expect(first).toBeGreaterThan(100);
      // Age: make the oldest half a day older than the retention; the alarm drops them.
      state.storage.sql.exec(
        "UPDATE messages SET ts = ? WHERE seq <= ?",
        Date.now() - ROOMS_HISTORY_RETENTION_SECONDS * 1000 - 43_200_000,
        first + 5_000,
      );
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const page = (await (
      await call(`/v1/rooms/${room}/messages?after=0&limit=1`, { headers: await auth("bob") })
    ).json()) as { firstSeq: string; headSeq: string };
    expect(page.headSeq).toBe(String(ROOMS_HISTORY_MAX_MESSAGES + 150));
    expect(Number(page.firstSeq)).toBeGreaterThan(5_100);
    const resumed = await connect(room, { sub: "bob", after: "10" });
    expect(await resumed.frame("reset")).toMatchObject({ reason: "trimmed" });
    resumed.close();
  }, 60_000);

  const setRooms = (change: (rooms: EdgeConfigDocument["rooms"]) => void) =>
    updateConfig((config) => change(config.rooms));

  it("rooms.historyRetentionSeconds from the edge config: a resume inside it replays exactly, one before it resets", async () => {
    expect((await setRooms((r) => (r.historyRetentionSeconds = 3_600))).status).toBe(200);
    try {
      const room = newRoom();
      for (let i = 1; i <= 20; i++)
        expect((await publishHttp(room, "alice", { event: "chat", data: i })).status).toBe(201);
      const stub = roomStub(room);
      await runInDurableObject(stub, (_room: Room, state) => {
        // The first ten are two hours old: past the hour kept.
        state.storage.sql.exec("UPDATE messages SET ts = ? WHERE seq <= 10", Date.now() - 7_200_000);
      });
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const page = (await (
        await call(`/v1/rooms/${room}/messages?after=0&limit=1`, { headers: await auth("bob") })
      ).json()) as { firstSeq: string; headSeq: string };
      expect(page).toMatchObject({ firstSeq: "11", headSeq: "20" });

      const inside = await connect(room, { sub: "bob", after: "10" });
      expect(seqs(await inside.msgCount(10))).toEqual(range(11, 20));
      expect(inside.frames.some((f) => f.type === "reset")).toBe(false);
      const before = await connect(room, { sub: "bob", after: "9" });
      expect(await before.frame("reset")).toMatchObject({ reason: "trimmed", headSeq: "20" });
      inside.close();
      before.close();
    } finally {
      await setRooms((r) => (r.historyRetentionSeconds = ROOMS_HISTORY_RETENTION_SECONDS));
    }
  });

  it("rooms.historyMaxBytes bounds the stored history by size, newest kept; a resume inside it is exact", async () => {
    const room = newRoom();
    const stub = roomStub(room);
    const settings = { ...DEFAULT_ROOM_SETTINGS, historyMaxBytes: 1_048_576 };
    // 200 messages of about 6.7 kB (multi-byte text: sizes are UTF-8 bytes): about 1.35 MB.
    const text = "Grüße aus Köln, 東京 and 🎉 ".repeat(300).slice(0, 5_000);
    await runInDurableObject(stub, async (instance: Room, state) => {
      for (let i = 0; i < 200; i++)
        await instance.publish(
          room,
          false,
          { userId: "bulk", tenant: TENANT, event: "chat", dataJson: JSON.stringify(`${i} ${text}`) },
          settings,
        );
      const { bytes, first, n } = state.storage.sql
        .exec<{ bytes: number; first: number; n: number }>(
          `SELECT SUM(${SIZE_SQL}) AS bytes, MIN(seq) AS first, COUNT(*) AS n FROM messages`,
        )
        .one();
      expect(bytes).toBeLessThanOrEqual(1_048_576);
      // Trimmed as each message went over, not only every 100: it stays close to the bound.
      expect(bytes).toBeGreaterThan(1_048_576 - 20_000);
      expect(first + n - 1).toBe(200);
      expect(first).toBeGreaterThan(40);
    });
    const page = (await (
      await call(`/v1/rooms/${room}/messages?after=0&limit=1`, { headers: await auth("bob") })
    ).json()) as { firstSeq: string; headSeq: string };
    const first = Number(page.firstSeq);
    const resumed = await connect(room, { sub: "bob", after: String(first - 1) });
    expect(seqs(await resumed.msgCount(201 - first))).toEqual(range(first, 200));
    expect(resumed.frames.some((f) => f.type === "reset")).toBe(false);
    resumed.close();
  }, 30_000);

  it("refuses a retention outside its bounds with 422 naming the field", async () => {
    const res = await setRooms((r) => (r.historyRetentionSeconds = 30));
    expect(res.status).toBe(422);
    const p = await problemOf(res);
    expect(p.errors?.map((e) => e.path)).toContain("/rooms/historyRetentionSeconds");
  });
});
