/** The API calls the browser tests make around the page (seeding config, checking what was stored). */

export interface ApiInit {
  body?: unknown;
  headers?: Record<string, string>;
}

/** A JSON call with a bearer token; a non-2xx answer throws with its status and body. */
export async function callApi(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  init: ApiInit = {},
): Promise<unknown> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}
