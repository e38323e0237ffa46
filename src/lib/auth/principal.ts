/** Who a verified access token speaks for (see `verify.ts`). */
export interface Principal {
  sub: string;
  roles: string[];
  /** The `tenant` claim, or `sub` when absent. */
  tenant: string;
  /** `exp` in seconds since the epoch (e.g. to close a WebSocket when it passes). */
  expiresAt: number;
}

/** What the auth middleware puts on the request context. */
export interface AuthVariables {
  principal: Principal;
}
