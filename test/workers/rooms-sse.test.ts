/**
 * Rooms over Server-Sent Events (`GET /v1/rooms/{room}/events`): the same frames as the
 * WebSocket, one event each, `id:` the seq; the same authentication (ticket or header);
 * `Last-Event-ID` resumes with no gap and no duplicate, or a `reset` event says why not; a
 * client that goes away mid-stream leaves the room and its resources are released.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { problemOf } from "./helpers.ts";
import {
  auth,
  call,
  connect,
  eventually,
  follow,
  newRoom,
  openEvents,
  range,
  roomStub,
  seqs,
  sleep,
  ticketFor,
  token,
} from "./rooms-client.ts";

async function publishHttp(room: string, sub: string, data: unknown): Promise<Response> {
  return call(`/v1/rooms/${room}/messages`, {
    method: "POST",
    headers: { ...(await auth(sub)), "content-type": "application/json" },
    body: JSON.stringify({ event: "chat", data }),
  });
}

async function info(room: string) {
  const res = await call(`/v1/rooms/${room}`, { headers: await auth("observer") });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    online: number;
    members: Array<{ userId: string; connections: number }>;
    headSeq: string;
  };
}

describe("rooms over SSE", () => {
  it("streams welcome, live messages (id = seq) and presence, like the socket; publishing stays HTTP", async () => {
    const room = newRoom();
    const ws = await connect(room, { sub: "bob" });
    const sse = await follow(room, { sub: "sally" });
    const second = await follow(room, { sub: "sam" });
    expect(sse.response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(sse.response.headers.get("cache-control")).toBe("no-store");
    expect(sse.retry).toBeGreaterThan(0);
    const welcome = sse.of("welcome")[0]!;
    expect(welcome).toMatchObject({
      type: "welcome",
      room,
      headSeq: "0",
      resumed: false,
      epoch: (await ws.frame("welcome")).epoch,
    });
    expect(welcome.presence).toEqual(
      expect.arrayContaining([
        { userId: "bob", connections: 1 },
        { userId: "sally", connections: 1 },
      ]),
    );
    // The stream is a member: the socket sees it join.
    await ws.until("sally and sam joined", () =>
      ws
        .of("presence")
        .flatMap((p) => p.joins.map((j) => j.userId))
        .includes("sam"),
    );
    expect((await info(room)).members.map((m) => m.userId).sort()).toEqual(["bob", "sally", "sam"]);

    ws.publish(1, "from the socket");
    expect((await publishHttp(room, "sally", "from http")).status).toBe(201);
    for (const c of [sse, second]) {
      const msgs = await c.msgCount(2);
      expect(seqs(msgs)).toEqual([1, 2]);
      expect(c.events.filter((e) => e.event === "msg").map((e) => e.id)).toEqual(["1", "2"]);
      expect(msgs.map((m) => m.data)).toEqual(["from the socket", "from http"]);
    }
    expect(seqs(await ws.msgCount(2))).toEqual([1, 2]);
    ws.send({ v: 1, type: "ephemeral", event: "typing", data: { on: true } });
    await sse.until("an ephemeral", () => sse.of("ephemeral")[0]);
    ws.close();
    await sse.until("bob's leave", () => sse.of("presence").some((p) => p.leaves.some((l) => l.userId === "bob")));
    await sse.cancel();
    await second.cancel();
  });

  it("authenticates like the WebSocket: a ticket (single use) or a header; none, garbage or a URL token is refused", async () => {
    const room = newRoom();
    const ticket = await ticketFor(room, "tina");
    const viaTicket = await follow(room, { ticket });
    expect(viaTicket.of("welcome")[0]!.presence).toEqual([{ userId: "tina", connections: 1 }]);
    const again = await openEvents(room, { ticket });
    expect(again.status).toBe(401);
    expect((await problemOf(again)).type).toContain("invalid-token");

    const none = await call(`/v1/rooms/${room}/events`);
    expect(none.status).toBe(401);
    await problemOf(none);
    const garbage = await openEvents(room, { token: "not.a.token" });
    expect(garbage.status).toBe(401);
    await problemOf(garbage);
    const inUrl = await openEvents(room, { accessToken: await token("tina") });
    expect(inUrl.status).toBe(400);
    expect((await problemOf(inUrl)).detail).toContain("ticket");
    expect((await info(room)).online).toBe(1);
    await viaTicket.cancel();
  });

  it("Last-Event-ID resumes with no gap and no duplicate, then live; a reset event when history cannot", async () => {
    const room = newRoom();
    for (let i = 1; i <= 5; i++) expect((await publishHttp(room, "alice", i)).status).toBe(201);
    const first = await follow(room, { sub: "sally" });
    const epoch = first.of("welcome")[0]!.epoch;
    await first.cancel();

    const back = await follow(room, { sub: "sally", lastEventId: "2" });
    expect(back.of("welcome")[0]).toMatchObject({ resumed: true, headSeq: "5" });
    expect(seqs(await back.msgCount(3))).toEqual([3, 4, 5]);
    for (let i = 6; i <= 8; i++) expect((await publishHttp(room, "alice", i)).status).toBe(201);
    expect(seqs(await back.msgCount(6))).toEqual(range(3, 8));
    expect(back.events.filter((e) => e.event === "msg").map((e) => e.id)).toEqual(range(3, 8).map(String));
    // Only welcome, messages and presence: no reset.
    expect(back.of("reset")).toEqual([]);
    await back.cancel();

    // ?after= works too, and Last-Event-ID wins over it (an EventSource's reconnect sends both).
    const both = await follow(room, { sub: "sally", after: "1", lastEventId: "7", epoch });
    expect(seqs(await both.msgCount(1))).toEqual([8]);
    await both.cancel();

    const otherEpoch = await follow(room, { sub: "sally", lastEventId: "2", epoch: "0123456789abcdef" });
    expect(await otherEpoch.until("a reset", () => otherEpoch.of("reset")[0])).toEqual({
      v: 1,
      type: "reset",
      reason: "epoch_changed",
      headSeq: "8",
    });
    expect(otherEpoch.of("welcome")[0]!.resumed).toBe(false);
    const ahead = await follow(room, { sub: "sally", lastEventId: "99" });
    expect(await ahead.until("a reset", () => ahead.of("reset")[0])).toMatchObject({ reason: "ahead" });
    await otherEpoch.cancel();
    await ahead.cancel();
  });

  it("a client that vanishes mid-stream leaves: presence, info and the room's stream index let go of it", async () => {
    const room = newRoom();
    const ws = await connect(room, { sub: "bob" });
    const sse = await follow(room, { sub: "sally" });
    await ws.until("sally's join", () => ws.of("presence").some((p) => p.joins.some((j) => j.userId === "sally")));
    expect((await info(room)).online).toBe(2);
    await sse.cancel();
    await ws.until("sally's leave", () => ws.of("presence").some((p) => p.leaves.some((l) => l.userId === "sally")));
    await eventually(async () => expect((await info(room)).members).toEqual([{ userId: "bob", connections: 1 }]));
    // Messages still flow to those who stayed.
    expect((await publishHttp(room, "alice", "after")).status).toBe(201);
    expect(seqs(await ws.msgCount(1))).toEqual([1]);
    ws.close();
  });

  it("a stream whose token expires ends with an error event token_expired, and leaves", async () => {
    const room = newRoom();
    const bob = await connect(room, { sub: "bob" });
    const shortLived = await follow(room, { token: await token("shorty", { ttl: 2 }) });
    await sleep(2_100);
    await runDurableObjectAlarm(roomStub(room));
    await shortLived.until("the end of the stream", () => shortLived.ended);
    expect(shortLived.of("error").at(-1)).toMatchObject({ code: "token_expired" });
    expect((await bob.frame("presence", (p) => p.leaves.length > 0)).leaves).toEqual([{ userId: "shorty" }]);
    bob.close();
  });
});
