/**
 * Batched frames: a connection that opts in (`?batch=1` or `hello` with `batch: true`) gets the
 * messages of a busy room's batch window as one `batch` frame; everyone else keeps single
 * frames, and everyone sees the same messages in the same order. A lone message in an idle room
 * is not held back. Runs through the deployed entry against the real Room object.
 */
import { describe, expect, it } from "vitest";
import { problemOf } from "./helpers.ts";
import { auth, call, connect, newRoom, range, seqs, sleep, updateRoomsConfig, type Client } from "./rooms-client.ts";

/** Publishes `n` messages from `sender` in one go (within the burst the rate limit allows). */
function burst(sender: Client, n: number, from = 1) {
  for (let i = from; i < from + n; i++) sender.publish(i, { i });
}

describe("batched frames", () => {
  it("batched and unbatched clients in one room see the same messages in the same order", async () => {
    const room = newRoom();
    const plain = await connect(room, { sub: "plain" });
    const batched = await connect(room, { sub: "batched", batch: true });
    const hello = await connect(room, { sub: "hello" });
    hello.send({ v: 1, type: "hello", batch: true });
    const sender = await connect(room, { sub: "sender" });
    expect(await batched.frame("welcome")).toMatchObject({ batch: true });
    expect(await plain.frame("welcome")).not.toHaveProperty("batch");
    await sleep(100); // the hello is taken before the burst

    // 30 frames from one socket plus 10 HTTP publishes at once: the room is busy.
    burst(sender, 30);
    const http = await Promise.all(
      range(1, 10).map(async (i) =>
        call(`/v1/rooms/${room}/messages`, {
          method: "POST",
          headers: { ...(await auth("poster")), "content-type": "application/json" },
          body: JSON.stringify({ event: "chat", data: { http: i } }),
        }),
      ),
    );
    expect(http.map((r) => r.status)).toEqual(range(1, 10).map(() => 201));

    const views = await Promise.all([plain, batched, hello, sender].map((c) => c.msgCount(40)));
    for (const view of views) expect(seqs(view)).toEqual(range(1, 40));
    const ids = views[0]!.map((m) => m.id);
    for (const view of views) expect(view.map((m) => m.id)).toEqual(ids);
    // The same frames, whatever the wrapping.
    expect(batched.msgs()).toEqual(plain.msgs());

    expect(plain.of("batch")).toEqual([]);
    expect(sender.of("batch")).toEqual([]);
    expect(batched.of("batch").length).toBeGreaterThan(0);
    expect(batched.of("batch").every((b) => b.messages.length > 1)).toBe(true);
    // Fewer frames than messages for the batched connection.
    const batchedFrames =
      batched.of("batch").length +
      batched.msgs().length -
      batched.of("batch").reduce((n, b) => n + b.messages.length, 0);
    expect(batchedFrames).toBeLessThan(40);
    expect(hello.of("batch").length).toBeGreaterThan(0);
    for (const c of [plain, batched, hello, sender]) c.close();
  });

  it("a lone message in an idle room goes out at once, as a plain msg frame", async () => {
    const room = newRoom();
    const batched = await connect(room, { sub: "batched", batch: true });
    const sender = await connect(room, { sub: "sender" });
    for (let i = 1; i <= 3; i++) {
      sender.publish(i, { i });
      await batched.msgCount(i);
      await sleep(150);
    }
    expect(batched.of("batch")).toEqual([]);
    expect(seqs(batched.msgs())).toEqual([1, 2, 3]);
    for (const c of [batched, sender]) c.close();
  });

  it("an ephemeral in a batch skips its sender; a resumed batched connection gets the gap, then live batches", async () => {
    const room = newRoom();
    const a = await connect(room, { sub: "a", batch: true });
    const b = await connect(room, { sub: "b", batch: true });
    for (let i = 0; i < 10; i++) {
      a.send({ v: 1, type: "ephemeral", event: "cursor", data: { i } });
      b.send({ v: 1, type: "ephemeral", event: "cursor", data: { i } });
    }
    await a.until("10 ephemerals", () => a.of("ephemeral").length >= 10);
    await b.until("10 ephemerals", () => b.of("ephemeral").length >= 10);
    await sleep(100);
    expect(a.of("ephemeral").map((e) => e.from.userId)).toEqual(range(1, 10).map(() => "b"));
    expect(b.of("ephemeral").map((e) => e.from.userId)).toEqual(range(1, 10).map(() => "a"));

    burst(a, 5);
    const welcome = await a.frame("welcome");
    await b.msgCount(5);
    b.close();
    burst(a, 5, 6);
    await a.msgCount(10);
    const back = await connect(room, { sub: "b", batch: true, after: "5", epoch: welcome.epoch });
    burst(a, 10, 11);
    expect(seqs(await back.msgCount(15))).toEqual(range(6, 20));
    for (const c of [a, back]) c.close();
  });

  it("batchWindowMs is validated through the admin API: 422 naming the path", async () => {
    for (const bad of [-1, 1001, 2.5, "20"]) {
      const res = await updateRoomsConfig({ batchWindowMs: bad });
      expect(res.status, String(bad)).toBe(422);
      expect((await problemOf(res)).errors?.map((e) => e.path)).toContain("/rooms/batchWindowMs");
    }
  });
});
