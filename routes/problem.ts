/** The OpenAPI description of an error answer: RFC 9457 problem details (see `src/lib/errors.ts`). */
import { z } from "@hono/zod-openapi";

export const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: z.object({}).passthrough() } } });

/** The 401 of every route that needs an access token. */
export const UNAUTHORIZED = problem("Missing or invalid token");
