/** Shared helpers for tests that run inside workerd. */
import { exports } from "cloudflare:workers";
import { inject } from "vitest";

export const stack = () => inject("stack");

/** Sends a request through the deployed entry point (`export default`), end to end. */
export function worker(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(new URL(path, "https://edge.test"), init));
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: Array<{ path: string; message: string }>;
}

export async function problemOf(res: Response): Promise<ProblemBody> {
  if (!res.headers.get("content-type")?.startsWith("application/problem+json")) {
    throw new Error(`expected application/problem+json, got ${res.headers.get("content-type")} (${res.status}): ${await res.text()}`);
  }
  return (await res.json()) as ProblemBody;
}
