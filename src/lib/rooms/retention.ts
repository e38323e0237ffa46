/**
 * How much history a room keeps: the edge config's `rooms.historyRetentionSeconds`,
 * `rooms.historyMaxMessages` and `rooms.historyMaxBytes`, as the Worker sends them to the room
 * (`RoomSettings`), and how a stored message's size is counted (`RoomHistory.trim` applies them).
 */
import type { RoomSettings } from "./policy.ts";

/** How much history a room keeps. */
export interface HistoryLimits {
  maxAgeMs: number;
  maxMessages: number;
  maxBytes: number;
}

export function historyLimits(settings: RoomSettings): HistoryLimits {
  return {
    maxAgeMs: settings.historyRetentionSeconds * 1000,
    maxMessages: settings.historyMaxMessages,
    maxBytes: settings.historyMaxBytes,
  };
}

/** UTF-8 bytes of a string (what SQLite's `LENGTH(CAST(x AS BLOB))` gives for it), without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3; // the rest of the BMP; a lone surrogate is stored as U+FFFD
  }
  return n;
}

/** A stored message's size as retention counts it: UTF-8 bytes of data, event, sender and tenant. */
export const sizeOf = (m: { dataJson: string; event: string; userId: string; tenant: string | null }) =>
  utf8Length(m.dataJson) + utf8Length(m.event) + utf8Length(m.userId) + (m.tenant === null ? 0 : utf8Length(m.tenant));
/** `sizeOf` of a stored row, in SQL. */
export const SIZE_SQL =
  "LENGTH(CAST(data AS BLOB)) + LENGTH(CAST(event AS BLOB)) + LENGTH(CAST(user_id AS BLOB)) + COALESCE(LENGTH(CAST(tenant AS BLOB)), 0)";
