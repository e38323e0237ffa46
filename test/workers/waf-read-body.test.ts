/** How the security filter reads a body without taking it from the route (src/lib/waf/read-body.ts). */
import { HonoRequest } from "hono/request";
import { describe, expect, it } from "vitest";
import { readInspectableBody } from "../../src/lib/waf/read-body.ts";

const JSON_BODY = JSON.stringify({ name: "O'Brien", note: "50% off, size 44½", items: [1, 2, 3] });

function post(body: string, headers: Record<string, string>): HonoRequest {
  return new HonoRequest(new Request("https://edge.test/v1/orders", { method: "POST", headers, body }));
}

describe("readInspectableBody", () => {
  it("reads and parses JSON of declared length once: the route's json() gets the value the filter inspected", async () => {
    const req = post(JSON_BODY, {
      "content-type": "application/json",
      "content-length": String(new TextEncoder().encode(JSON_BODY).byteLength),
    });
    const read = await readInspectableBody(req, "json", 1024);
    expect(read).toEqual({ text: JSON_BODY, truncated: false, json: { value: JSON.parse(JSON_BODY) } });
    // The stream was read (no clone); the route's json() returns the very object inspected, and
    // its text() the cached text.
    expect(req.raw.bodyUsed).toBe(true);
    expect(await req.json()).toBe(read!.json!.value);
    expect(await req.text()).toBe(JSON_BODY);
  });

  it("JSON that does not parse is given as text, and the route's json() still fails", async () => {
    for (const body of ['{"a": 1,', '{"a":1}\n{"b":2}', "not json"]) {
      const req = post(body, {
        "content-type": "application/json",
        "content-length": String(new TextEncoder().encode(body).byteLength),
      });
      expect(await readInspectableBody(req, "json", 1024), body).toEqual({ text: body, truncated: false });
      await expect(req.json(), body).rejects.toThrow(SyntaxError);
    }
  });

  it("reads everything else from a clone, leaving the request's own body unread", async () => {
    const cases: Array<[string, Record<string, string>, "json" | "multipart" | "text"]> = [
      ["JSON without a declared length (chunked)", { "content-type": "application/json" }, "json"],
      [
        "JSON declared longer than the budget",
        { "content-type": "application/json", "content-length": "99999" },
        "json",
      ],
      ["a malformed length", { "content-type": "application/json", "content-length": "+12" }, "json"],
      [
        "multipart, whose bytes the route may need as they are",
        { "content-type": "multipart/form-data; boundary=x", "content-length": "10" },
        "multipart",
      ],
      ["text", { "content-type": "text/plain", "content-length": "10" }, "text"],
    ];
    for (const [name, headers, kind] of cases) {
      const req = post(JSON_BODY, headers);
      const read = await readInspectableBody(req, kind, 1024);
      expect(read?.text, name).toBe(JSON_BODY);
      expect(req.raw.bodyUsed, name).toBe(false);
      expect(await req.raw.text(), name).toBe(JSON_BODY);
    }
  });

  it("a body that fails while it streams is not inspected, and the route sees the same failure", async () => {
    for (const declared of [true, false]) {
      let sent = false;
      const failing = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent) controller.error(new Error("connection reset"));
          else {
            sent = true;
            controller.enqueue(new TextEncoder().encode('{"a":'));
          }
        },
      });
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (declared) headers["content-length"] = "64";
      const req = new HonoRequest(
        new Request("https://edge.test/v1/orders", {
          method: "POST",
          headers,
          body: failing,
          duplex: "half",
        } as RequestInit),
      );
      expect(await readInspectableBody(req, "json", 1024), `declared: ${declared}`).toBeNull();
      await expect(req.json(), `declared: ${declared}`).rejects.toThrow();
    }
  });

  it("a JSON body longer than its budget is read in part, from a clone", async () => {
    const req = post(JSON_BODY, { "content-type": "application/json" });
    const read = await readInspectableBody(req, "json", 10);
    expect(read).toEqual({ text: JSON_BODY.slice(0, 10), truncated: true });
    expect(await req.raw.text()).toBe(JSON_BODY);
  });
});
