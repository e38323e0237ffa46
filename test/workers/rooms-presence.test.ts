/**
 * Presence at scale: above `rooms.presenceListAbove` people, `welcome` and `presence` frames
 * carry counts and a bounded sample instead of the full list, and `GET /v1/rooms/{room}` gives
 * the count and pages of members. The threshold is lowered for this file through the admin API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRESENCE_SAMPLE } from "../../src/lib/rooms/protocol.ts";
import { problemOf } from "./helpers.ts";
import { auth, call, connect, follow, newRoom, range, updateRoomsConfig, type Client } from "./rooms-client.ts";

const LIST_ABOVE = 3;

interface InfoBody {
  online: number;
  members: Array<{ userId: string; connections: number }>;
  next?: string;
}

async function info(room: string, query = ""): Promise<Response> {
  return call(`/v1/rooms/${room}${query}`, { headers: await auth("observer") });
}

beforeAll(async () => {
  expect((await updateRoomsConfig({ presenceListAbove: LIST_ABOVE })).status).toBe(200);
});
afterAll(async () => {
  await updateRoomsConfig({ presenceListAbove: 100 });
});

describe("presence at scale", () => {
  it("a small room still lists everyone; above the threshold frames carry counts and a bounded sample", async () => {
    const room = newRoom();
    const bob = await connect(room, { sub: "bob" });
    const three = await Promise.all(range(1, 2).map((i) => connect(room, { sub: `user-${i}` })));
    // 3 people: at the threshold, the list as before. The two joined together, so either may be the
    // third: the later welcome lists all three (the earlier at least Bob and itself); neither
    // carries a count.
    const welcomes = three.map((c) => c.of("welcome")[0]!);
    const lengths = welcomes.map((w) => w.presence.length).sort();
    expect(lengths[1]).toBe(3);
    expect(lengths[0]).toBeGreaterThanOrEqual(2);
    for (const w of welcomes) expect(w).not.toHaveProperty("online");

    const crowd: Client[] = [];
    for (const i of range(3, 2 + PRESENCE_SAMPLE + 5)) crowd.push(await connect(room, { sub: `user-${i}` }));
    const people = 1 + 2 + crowd.length;
    const last = crowd.at(-1)!.of("welcome")[0]!;
    expect(last.online).toBe(people);
    expect(last.presence).toHaveLength(PRESENCE_SAMPLE);
    // The sample: the people present longest.
    expect(last.presence[0]).toEqual({ userId: "bob", connections: 1 });

    // Bob's view adds up: every join counted, the final count right, no frame over the sample.
    await bob.until("the final count", () => bob.of("presence").some((p) => p.online === people));
    const frames = bob.of("presence");
    expect(frames.every((p) => p.joins.length <= PRESENCE_SAMPLE && p.leaves.length <= PRESENCE_SAMPLE)).toBe(true);
    const counted = frames.reduce((n, p) => n + (p.joined ?? p.joins.length), 0);
    expect(counted).toBe(people - 1);
    expect(
      frames.filter((p) => p.online !== undefined).every((p) => p.joined !== undefined && p.left !== undefined),
    ).toBe(true);

    // A leave in a large room: counted too.
    crowd[0]!.close();
    await bob.until("a counted leave", () => bob.of("presence").find((p) => p.left === 1 && p.online === people - 1));
    for (const c of [bob, ...three, ...crowd.slice(1)]) c.close();
  });

  it("GET /v1/rooms/{room}: the count and pages of members in order, with a cursor; streams count as members", async () => {
    const room = newRoom();
    const sockets = await Promise.all(
      range(1, 12).map((i) => connect(room, { sub: `m-${String(i).padStart(2, "0")}` })),
    );
    const tab = await connect(room, { sub: "m-01" });
    const stream = await follow(room, { sub: "m-13" });
    const seen: string[] = [];
    let query = "?limit=5";
    for (let pages = 0; pages < 10; pages++) {
      const res = await info(room, query);
      expect(res.status).toBe(200);
      const body = (await res.json()) as InfoBody;
      expect(body.online).toBe(13);
      expect(body.members.length).toBeLessThanOrEqual(5);
      seen.push(...body.members.map((m) => m.userId));
      if (pages === 0) expect(body.members[0]).toEqual({ userId: "m-01", connections: 2 });
      if (!body.next) break;
      query = `?limit=5&cursor=${body.next}`;
    }
    expect(seen).toEqual(range(1, 13).map((i) => `m-${String(i).padStart(2, "0")}`));

    const whole = (await (await info(room)).json()) as InfoBody;
    expect(whole.members).toHaveLength(13);
    expect(whole).not.toHaveProperty("next");

    for (const bad of ["?limit=0", "?limit=1001", "?cursor=not%20base64", "?cursor=_w"]) {
      const res = await info(room, bad);
      expect(res.status, bad).toBe(400);
      await problemOf(res);
    }
    for (const c of [...sockets, tab]) c.close();
    await stream.cancel();
  });

  it("presenceListAbove is validated through the admin API", async () => {
    for (const bad of [0, -5, 1.5, "100", 2_000_000]) {
      const res = await updateRoomsConfig({ presenceListAbove: bad });
      expect(res.status, String(bad)).toBe(422);
      expect((await problemOf(res)).errors?.map((e) => e.path)).toContain("/rooms/presenceListAbove");
    }
  });
});
