/**
 * Which variant of a content item a visitor sees: their country, then their continent, then
 * their locale (exact, then the base language), then the default.
 */

export type VariantKind = "country" | "continent" | "locale" | "default";

export interface VariantRef {
  kind: VariantKind;
  match: string;
}

export interface VisitorPlace {
  country: string | null;
  continent: string | null;
  locale: string;
}

export function chooseVariant<V extends VariantRef>(variants: readonly V[], visitor: VisitorPlace): V | undefined {
  const find = (kind: VariantKind, match: string | null) =>
    match ? variants.find((v) => v.kind === kind && v.match === match) : undefined;
  const language = visitor.locale.split("-")[0]!;
  return (
    find("country", visitor.country) ??
    find("continent", visitor.continent) ??
    find("locale", visitor.locale) ??
    find("locale", language) ??
    variants.find((v) => v.kind === "default")
  );
}

export const variantName = (v: VariantRef): string => (v.kind === "default" ? "default" : `${v.kind}:${v.match}`);
