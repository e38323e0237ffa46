/**
 * The security filter against the committed evaluation corpus (`waf/corpus`, plus the 10,000
 * generated everyday requests), as `npm run waf:eval` runs it: the filter is pure code, so
 * this runs in Node. Fails when detection or the false-positive rate slips past the bar
 * the README states, or when any request makes the filter fail internally.
 */
import { describe, expect, it } from "vitest";
import { defaultEdgeConfig } from "../../src/lib/config/schema.ts";
import { evaluateRequest } from "../../src/lib/waf/index.ts";
import { readCorpus, toWafRequest } from "../../waf/corpus.ts";

describe("security filter on the committed corpus (paranoia level 1, block mode)", () => {
  const security = { ...defaultEdgeConfig.security, mode: "block" as const };
  const lines = readCorpus();

  it("blocks >= 99% of attacks (>= 95% in every class) and lets >= 99.9% of ordinary requests through, with no internal error", () => {
    const byClass = new Map<string, { n: number; blocked: number }>();
    const falsePositives: string[] = [];
    const errors: string[] = [];
    let ordinary = 0;
    for (const line of lines) {
      if (line.class === "ordinary-code" && line.placement?.startsWith("code-jc:")) continue;
      const d = evaluateRequest(toWafRequest(line), security);
      if (d.error !== undefined) errors.push(line.id);
      if (line.class === "ordinary" || line.class === "ordinary-code") {
        ordinary++;
        if (d.action === "block") falsePositives.push(`${line.id} ${d.ruleId}`);
        continue;
      }
      const row = byClass.get(line.class) ?? { n: 0, blocked: 0 };
      row.n++;
      if (d.action === "block") row.blocked++;
      byClass.set(line.class, row);
    }
    expect(errors).toEqual([]);
    expect(ordinary).toBeGreaterThan(12_000);
    expect(falsePositives.length, falsePositives.slice(0, 10).join("\n")).toBeLessThanOrEqual(ordinary * 0.001);
    let n = 0;
    let blocked = 0;
    for (const [cls, row] of byClass) {
      n += row.n;
      blocked += row.blocked;
      expect(row.blocked / row.n, cls).toBeGreaterThanOrEqual(0.95);
    }
    expect(byClass.size).toBeGreaterThanOrEqual(16);
    expect(blocked / n).toBeGreaterThanOrEqual(0.99);
  }, 120_000);
});
