/**
 * Conversation history per user and tenant (`conversations`, `messages`): each ask stores the
 * question and the answer with its source and citations. Answers are generated from the
 * question alone (so they can be cached and shared); the history is the user's record.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { conversations, messages } from "../db/schema.ts";
import type { AnswerSource, Citation, ConversationView } from "./api.ts";

export interface Exchange {
  tenant: string;
  userId: string;
  conversationId: string;
  /** False when the conversation row exists already. */
  isNew: boolean;
  question: string;
  answer: string;
  source: AnswerSource;
  citations: Citation[];
}

/** Whether `id` is a conversation of this user in this tenant. */
async function ownsConversation(db: Database, tenant: string, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.tenant, tenant), eq(conversations.userId, userId)));
  return rows.length > 0;
}

/**
 * The conversation an ask continues (`id`, which must be this user's: null otherwise) or a new
 * one (without `id`).
 */
export async function openConversation(
  db: Database,
  tenant: string,
  userId: string,
  id: string | undefined,
): Promise<{ id: string; isNew: boolean } | null> {
  if (id === undefined) return { id: crypto.randomUUID(), isNew: true };
  return (await ownsConversation(db, tenant, userId, id)) ? { id, isNew: false } : null;
}

/** Stores a question and its answer (one transaction). */
export async function recordExchange(db: Database, e: Exchange): Promise<void> {
  const now = new Date();
  await db.batch([
    e.isNew
      ? db
          .insert(conversations)
          .values({ id: e.conversationId, tenant: e.tenant, userId: e.userId, createdAt: now, updatedAt: now })
      : db.update(conversations).set({ updatedAt: now }).where(eq(conversations.id, e.conversationId)),
    db.insert(messages).values([
      { conversationId: e.conversationId, role: "user", content: e.question, createdAt: now },
      {
        conversationId: e.conversationId,
        role: "assistant",
        content: e.answer,
        source: e.source,
        citations: e.citations,
        createdAt: now,
      },
    ]),
  ]);
}

/** The conversation with its messages, oldest first, if this user owns it. */
export async function readConversation(
  db: Database,
  tenant: string,
  userId: string,
  id: string,
  limit = 200,
): Promise<ConversationView | null> {
  const [conversation, rows] = await db.batch([
    db
      .select()
      .from(conversations)
      .where(and(eq(conversations.id, id), eq(conversations.tenant, tenant), eq(conversations.userId, userId))),
    db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.conversationId, id),
          sql`EXISTS (SELECT 1 FROM conversations WHERE id = ${id} AND tenant = ${tenant} AND user_id = ${userId})`,
        ),
      )
      .orderBy(asc(messages.id))
      .limit(limit),
  ]);
  const c = conversation[0];
  if (!c) return null;
  return {
    id: c.id,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    messages: rows.map((m) => ({
      role: m.role,
      content: m.content,
      source: m.source,
      citations: m.citations,
      createdAt: m.createdAt.toISOString(),
    })),
  };
}
